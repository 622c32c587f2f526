"""Passwords: argon2 hashes, the administrator's policy, generated passwords that follow it."""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from procura.i18n import _

_hasher = PasswordHasher()
SYMBOLS = "!#$%&*+-=?@^_~"
# A dummy hash verified when the login is unknown, so that an unknown login takes as long as a
# wrong password (no timing oracle for which logins exist).
_DUMMY = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """``(ok, new_hash)``: ``new_hash`` is set when the stored hash uses outdated parameters."""
    if not stored or not password:
        burn_time(password)
        return False, None
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return ok, (_hasher.hash(password) if ok and _hasher.check_needs_rehash(stored) else None)


def burn_time(password: str | None) -> None:
    try:
        _hasher.verify(_DUMMY, password or "-")
    except (VerificationError, InvalidHashError):
        pass


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    require_lower: bool = True
    require_upper: bool = True
    require_digit: bool = True
    require_symbol: bool = False
    forbid_login: bool = True  # the login (or its reverse) may not be part of the password

    @classmethod
    def from_settings(cls, values: dict) -> PasswordPolicy:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (values or {}).items() if k in names})

    def problems(self, password: str, login: str = "") -> list:
        """Translatable reasons the password breaks the policy (empty: it is acceptable)."""
        out = []
        if len(password) < self.min_length:
            out.append(_("at least ${n} characters", mapping={"n": self.min_length}))
        if len(password) > 1000:
            out.append(_("at most 1000 characters"))
        if self.require_lower and not any(c.islower() for c in password):
            out.append(_("a lower-case letter"))
        if self.require_upper and not any(c.isupper() for c in password):
            out.append(_("an upper-case letter"))
        if self.require_digit and not any(c.isdigit() for c in password):
            out.append(_("a digit"))
        if self.require_symbol and not any(not c.isalnum() and not c.isspace() for c in password):
            out.append(_("a symbol such as ${symbols}", mapping={"symbols": SYMBOLS}))
        if self.forbid_login and login and len(login) >= 3:
            low = password.casefold()
            if login.casefold() in low or login.casefold()[::-1] in low:
                out.append(_("not the login"))
        return out

    def describe(self) -> list:
        """The policy as a list of requirements, for the password forms' help text."""
        return [r for r in (
                _("at least ${n} characters", mapping={"n": self.min_length}),
                _("a lower-case letter") if self.require_lower else None,
                _("an upper-case letter") if self.require_upper else None,
                _("a digit") if self.require_digit else None,
                _("a symbol such as ${symbols}", mapping={"symbols": SYMBOLS}) if self.require_symbol else None,
        ) if r is not None]

    def generate(self, length: int | None = None) -> str:
        """A random password that satisfies this policy (at least 14 characters)."""
        length = max(length or 0, self.min_length, 14)
        alphabet = string.ascii_letters + string.digits + (SYMBOLS if self.require_symbol else "")
        # leave out look-alikes so that a password read out over the phone survives
        alphabet = "".join(c for c in alphabet if c not in "Il1O0o")
        while True:
            candidate = "".join(secrets.choice(alphabet) for _i in range(length))
            if not self.problems(candidate):
                return candidate


def policy_message(request, problems) -> str:
    t = request.localizer.translate
    return t(_("The password needs ${what}.", mapping={"what": ", ".join(t(p) for p in problems)}))
