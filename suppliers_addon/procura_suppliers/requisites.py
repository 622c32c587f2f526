"""Russian legal requisites and their checksums: ИНН, КПП, ОГРН/ОГРНИП, БИК, расчётный и
корреспондентский счета.

Each ``check_*`` returns None when the value is valid, else a translatable message. The checksum
rules are those of the Federal Tax Service (ИНН, ОГРН) and of the Bank of Russia (the control key
of accounts, «Положение о правилах осуществления перевода денежных средств», appendix on the
key digit): an account is checked together with the BIK of its bank.
"""
from __future__ import annotations

import re

from procura_suppliers import _

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT = (7, 1, 3) * 8


def digits_only(value: str | None) -> str:
    """The value without spaces and dashes people type into requisites."""
    return re.sub(r"[\s\-]", "", value or "")


def _weighted(digits: str, weights) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def inn_checksum(first: str) -> str:
    """The check digit(s) completing the first 9 (legal entity) or 10 (person) digits of an INN."""
    if len(first) == 9:
        return str(_weighted(first, _INN10) % 11 % 10)
    n11 = str(_weighted(first, _INN11) % 11 % 10)
    return n11 + str(_weighted(first + n11, _INN12) % 11 % 10)


def check_inn(value: str):
    if not re.fullmatch(r"\d{10}|\d{12}", value):
        return _("An INN has 10 digits (organisation) or 12 digits (individual entrepreneur or person)")
    if value[:2] == "00":
        return _("An INN cannot start with 00")
    body = value[:9] if len(value) == 10 else value[:10]
    if body + inn_checksum(body) != value:
        return _("The INN's check digits do not match: check for a typing error")
    return None


def check_kpp(value: str):
    if not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", value):
        return _("A KPP has 9 characters: 4 digits, 2 digits or capital Latin letters, 3 digits")
    return None


def ogrn_checksum(first: str) -> str:
    """The check digit of an OGRN (12 digits given) or OGRNIP (14 digits given)."""
    return str(int(first) % (11 if len(first) == 12 else 13) % 10)


def check_ogrn(value: str):
    if not re.fullmatch(r"\d{13}|\d{15}", value):
        return _("An OGRN has 13 digits (organisation), an OGRNIP 15 digits (individual entrepreneur)")
    if ogrn_checksum(value[:-1]) != value[-1]:
        return _("The OGRN's check digit does not match: check for a typing error")
    return None


def check_bik(value: str):
    if not re.fullmatch(r"04\d{7}", value):
        return _("A BIK of a Russian bank has 9 digits and starts with 04")
    return None


def _account_key_ok(prefix: str, account: str) -> bool:
    return _weighted(prefix + account, _ACCOUNT) % 10 == 0


def settlement_prefix(bik: str) -> str:
    # Accounts held at a cash settlement centre of the Bank of Russia (BIK ending 000-002) are keyed
    # like correspondent accounts.
    return "0" + bik[4:6] if bik[-3:] in ("000", "001", "002") else bik[-3:]


def account_check_digit(bik: str, account_with_zero_key: str, *, correspondent=False) -> str:
    """The key digit (position 9) that makes a 20-digit account valid for ``bik``."""
    prefix = "0" + bik[4:6] if correspondent else settlement_prefix(bik)
    for digit in "0123456789":
        candidate = account_with_zero_key[:8] + digit + account_with_zero_key[9:]
        if _account_key_ok(prefix, candidate):
            return digit
    raise ValueError("no key digit")  # pragma: no cover - one digit always fits


def check_account(value: str):
    if not re.fullmatch(r"\d{20}", value):
        return _("An account number has 20 digits")
    return None


def check_settlement_account(account: str, bik: str):
    if check_bik(bik) is None and not _account_key_ok(settlement_prefix(bik), account):
        return _("The account does not match the bank's BIK (control key): check the account and the BIK")
    return None


def check_correspondent_account(account: str, bik: str):
    if not account.startswith("301"):
        return _("A correspondent account starts with 301")
    if check_bik(bik) is None and not _account_key_ok("0" + bik[4:6], account):
        return _("The correspondent account does not match the bank's BIK: check both")
    return None
