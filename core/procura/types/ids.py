"""Object ids: UUID4, or numbered patterns such as ``REQ-{year}-{seq:06}``.

A pattern may use ``{year}``, ``{month}``, ``{day}`` and ``{seq}`` (with a format spec). The sequence
restarts for every distinct value of the date parts the pattern uses (a yearly pattern numbers
from 1 each year). Numbers come from the type container's sequence BTree in the creating
transaction, so two concurrent creations conflict and one is retried: ids stay unique.
"""
from __future__ import annotations

import datetime as dt
import re
import string
import uuid

_FIELDS_RE = re.compile(r"{(\w+)")


def validate_pattern(pattern: str) -> None:
    if pattern == "uuid":
        return
    names = {f for _lit, f, _spec, _conv in string.Formatter().parse(pattern) if f}
    unknown = names - {"year", "month", "day", "seq"}
    if unknown or "seq" not in names:
        raise ValueError(f"id pattern {pattern!r} must use {{seq}} and only {{year}}, {{month}}, {{day}}")


def next_id(container, pattern: str, now: dt.datetime | None = None) -> str:
    if pattern == "uuid":
        while True:
            candidate = str(uuid.uuid4())
            if candidate not in container:
                return candidate
    now = now or dt.datetime.now(dt.UTC)
    names = {f for _lit, f, _spec, _conv in string.Formatter().parse(pattern) if f}
    parts = {"year": now.year, "month": now.month, "day": now.day}
    key = tuple((n, parts[n]) for n in ("year", "month", "day") if n in names) or ("all",)
    while True:
        seq = container.next_in_sequence(key)
        candidate = pattern.format(seq=seq, **parts)
        if candidate not in container:  # numbers taken by imports are skipped
            return candidate
