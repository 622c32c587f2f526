"""Person names (last / first / middle) and the configurable name order.

The order a person sees names in is, in rising priority: the setting ``procura.name_order``
(default ``last_first_middle``), then the signed-in user's ``name_order`` attribute. Orders:

- ``last_first_middle``: Иванов Иван Петрович
- ``first_middle_last``: Иван Петрович Иванов
- ``first_last``: Иван Иванов
- ``last_initials``: Иванов И. П.

``format_person_name(value, order)`` is the one formatter; others (users, contacts, print) reuse it.
"""
from __future__ import annotations

from dataclasses import dataclass

NAME_ORDERS = ("last_first_middle", "first_middle_last", "first_last", "last_initials")
DEFAULT_NAME_ORDER = "last_first_middle"


@dataclass(frozen=True)
class PersonName:
    """An immutable, picklable person name; compares by value."""

    last: str = ""
    first: str = ""
    middle: str = ""

    def __bool__(self):
        return bool(self.last or self.first or self.middle)

    def as_dict(self) -> dict:
        return {"last": self.last, "first": self.first, "middle": self.middle}

    @classmethod
    def from_value(cls, value) -> PersonName | None:
        if value is None or isinstance(value, PersonName):
            return value
        if isinstance(value, dict):
            return cls(*(str(value.get(k) or "").strip() for k in ("last", "first", "middle")))
        raise TypeError(f"not a person name: {value!r}")

    def __str__(self):
        return format_person_name(self)


def _initial(part: str) -> str:
    # "Анна-Мария" -> "А.-М."; a plain name -> its first letter and a dot
    pieces = [p for p in part.split("-") if p]
    return "-".join(p[0].upper() + "." for p in pieces)


def format_person_name(value, order: str | None = None) -> str:
    """A ``PersonName`` (or a dict with last/first/middle) as text in the given order."""
    name = PersonName.from_value(value)
    if not name:
        return ""
    order = order if order in NAME_ORDERS else DEFAULT_NAME_ORDER
    last, first, middle = name.last, name.first, name.middle
    if order == "first_middle_last":
        parts = [first, middle, last]
    elif order == "first_last":
        parts = [first, last] if (first or last) else [middle]
    elif order == "last_initials":
        initials = " ".join(_initial(p) for p in (first, middle) if p)
        parts = [last, initials] if last else [first, middle]
    else:
        parts = [last, first, middle]
    return " ".join(p for p in parts if p)


def name_order_for(request) -> str:
    """The name order for the request's user: the user's preference, else the installation's."""
    user = None
    if request is not None:
        try:
            user = request.identity
        except Exception:  # noqa: BLE001 - a broken identity must never break rendering
            user = None
    order = getattr(user, "name_order", None) if user is not None else None
    if order in NAME_ORDERS:
        return order
    settings = getattr(getattr(request, "registry", None), "settings", None) or {}
    order = settings.get("procura.name_order") or DEFAULT_NAME_ORDER
    return order if order in NAME_ORDERS else DEFAULT_NAME_ORDER
