"""Postal addresses: an immutable value and the four address formats.

``Address`` holds country (ISO 3166-1 alpha-2), region, city, street, building and postcode. It is a
frozen dataclass: picklable into ZODB, compared by value, never changed in place.

``format_address(value, style, locale=...)`` styles:

- ``ru``: Russian postal order, one line: postcode, country, region, city, street, building
  (``123456, Россия, Московская обл., Москва, ул. Ленина, д. 1``);
- ``international``: building street, city, region, postcode, country
  (``1 Lenin St, Moscow, Moscow Oblast, 123456, Russia``);
- ``single_line``: one line in the order natural for the address's country (Russian order for RU,
  BY, KZ and the other countries that write addresses largest-first, the international order
  elsewhere);
- ``multi_line``: the same order as an envelope, one element per line (Russian envelopes: street and
  building, city, region, country, postcode; international: building street, city region postcode,
  country).

Country names come from CLDR (Babel) in the reader's language.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale

ADDRESS_PARTS = ("country", "region", "city", "street", "building", "postcode")
ADDRESS_STYLES = ("ru", "international", "single_line", "multi_line")
# Countries writing addresses from the largest unit down (postcode and country first).
LARGEST_FIRST = {"RU", "BY", "KZ", "KG", "UZ", "TJ", "AM", "AZ", "MD"}
# CLDR territory codes that are not ISO 3166-1 countries.
_NOT_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
RU_POSTCODE = re.compile(r"^\d{6}$")
POSTCODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z \-]{1,11}$")


@lru_cache(maxsize=1)
def country_codes() -> tuple[str, ...]:
    """ISO 3166-1 alpha-2 codes known to CLDR."""
    return tuple(sorted(c for c in Locale("en").territories if len(c) == 2 and c.isalpha()
                        and c not in _NOT_COUNTRIES))


@lru_cache(maxsize=8)
def country_choices(locale: str = "ru") -> tuple[tuple[str, str], ...]:
    """``(code, name)`` pairs sorted by name in ``locale``."""
    names = Locale.parse(locale).territories
    return tuple(sorted(((c, names.get(c, c)) for c in country_codes()), key=lambda p: p[1].casefold()))


def country_name(code: str, locale: str = "ru") -> str:
    if not code:
        return ""
    return Locale.parse(locale).territories.get(code, code)


@dataclass(frozen=True)
class Address:
    country: str = ""
    region: str = ""
    city: str = ""
    street: str = ""
    building: str = ""
    postcode: str = ""

    def __bool__(self):
        return any(getattr(self, p) for p in ADDRESS_PARTS)

    def as_dict(self) -> dict:
        return {p: getattr(self, p) for p in ADDRESS_PARTS}

    def __str__(self):
        return format_address(self, "single_line")

    @classmethod
    def from_value(cls, value) -> Address | None:
        if value is None or isinstance(value, Address):
            return value
        if isinstance(value, dict):
            return cls(**{p: str(value.get(p) or "").strip() for p in ADDRESS_PARTS})
        raise TypeError(f"not an address: {value!r}")


def _join(parts, sep=", ") -> str:
    return sep.join(p for p in parts if p)


def format_address(value, style: str = "single_line", locale: str = "ru") -> str:
    """An ``Address`` (or a dict of its parts) as text in one of ``ADDRESS_STYLES``."""
    a = Address.from_value(value)
    if not a:
        return ""
    country = country_name(a.country, locale)
    if style in ("single_line", "multi_line"):
        largest_first = (a.country or "RU") in LARGEST_FIRST
        if style == "single_line":
            style = "ru" if largest_first else "international"
        elif largest_first:
            return _join([_join([a.street, a.building]), a.city, a.region, country, a.postcode], "\n")
        else:
            return _join([_join([a.building, a.street], " "), _join([a.city, a.region, a.postcode], " "),
                          country], "\n")
    if style == "international":
        return _join([_join([a.building, a.street], " "), a.city, a.region, a.postcode, country])
    # "ru" (and any unknown style): Russian postal order
    return _join([a.postcode, country, a.region, a.city, a.street, a.building])
