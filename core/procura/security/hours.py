"""The sign-in hours rule of roles: outside working hours a sign-in is allowed, flagged or refused.

Working hours come from a business calendar (the role's, else the default calendar); the most
permissive rule of the user's roles applies. Without the calendars module's data (no calendar
at all) every moment counts as working time.
"""
from __future__ import annotations

import datetime as dt


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sign_in_hours(request, grants, moment: dt.datetime | None = None) -> str:
    """``"ok"``, ``"flag"`` or ``"refuse"`` for a sign-in by the user of ``grants`` now."""
    rule, calendar_name = grants.login_hours_rule()
    if rule == "any":
        return "ok"
    moment = moment or now_utc()
    if is_working_time(request, calendar_name, moment):
        return "ok"
    return rule


def is_working_time(request, calendar_name, moment) -> bool:
    try:
        from procura.calendars import calendar_for
        from procura.calendars import is_working_time as working
    except ImportError:  # pragma: no cover - the calendars module is part of the core
        return True
    calendar = calendar_for(request.app_root, calendar_name)
    default_zone = request.registry.settings.get("procura.default_timezone") or "Europe/Moscow"
    return calendar is None or working(calendar, moment, default_zone)
