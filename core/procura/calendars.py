"""Business calendars: the working days and hours of an organisation.

A calendar (type ``business_calendar``) names its time zone, the working days of the week, the
working hours of a day and its exceptions: holidays (days off on a working weekday) and transferred
working days (a Saturday worked instead of a bridge day, as production calendars have them), one
``YYYY-MM-DD`` date a line. ``calendar_for`` gives a calendar by name, else the one marked as the
default; ``is_working_time`` says whether a moment falls inside its working hours. The sign-in
hours rule of roles (``procura.security.hours``) asks here.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from procura.i18n import _
from procura.types import TypeInfo
from procura.types import fields as f

TIME_RE = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
WEEKDAYS = [("1", _("Monday")), ("2", _("Tuesday")), ("3", _("Wednesday")), ("4", _("Thursday")),
            ("5", _("Friday")), ("6", _("Saturday")), ("7", _("Sunday"))]


def _tz_choices():
    from procura.security.principals import _tz_choices as choices

    return choices()


def parse_dates(text) -> tuple[set[dt.date], list[str]]:
    """The dates of a one-date-a-line text, and the lines that are not a ``YYYY-MM-DD`` date."""
    dates, bad = set(), []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            dates.add(dt.date.fromisoformat(line))
        except ValueError:
            bad.append(line)
    return dates, bad


def _minutes(value: str | None, default: str) -> int:
    hours, minutes = (value or default).split(":")
    return int(hours) * 60 + int(minutes)


def validate_calendar(request, obj, values) -> dict:
    errors = {}
    for name in ("holidays", "extra_workdays"):
        _dates, bad = parse_dates(values.get(name))
        if bad:
            errors[name] = _("Not a date (YYYY-MM-DD): ${lines}", mapping={"lines": ", ".join(bad[:5])})
    start, end = values.get("day_start"), values.get("day_end")
    if start and end and re.match(TIME_RE, start) and re.match(TIME_RE, end) and \
            _minutes(start, "09:00") >= _minutes(end, "18:00"):
        errors["day_end"] = _("The working day must end after it starts")
    return errors


BUSINESS_CALENDAR = TypeInfo(
    name="business_calendar", title=_("Business calendar"), plural=_("Business calendars"),
    icon="bi-calendar-week", admin=True, menu_order=15, id_field="name", title_field="label", searchable=False,
    validate=validate_calendar,
    fields=[
        f.String("name", _("Short name"), required=True, readonly=True, indexed=True,
                 pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", max_length=64,
                 description=_("Lower-case letters, digits, - and _; cannot be changed later.")),
        f.String("label", _("Name"), required=True, indexed=True),
        f.Boolean("default", _("Default calendar"), indexed=True,
                  description=_("Used where no calendar is chosen (roles' sign-in hours).")),
        f.Enum("timezone", _("Time zone"), choices=_tz_choices(), invalid_message=_("Unknown time zone"),
               description=_("Empty: the installation's default time zone.")),
        f.MultiEnum("workdays", _("Working days"), choices=WEEKDAYS, default={"1", "2", "3", "4", "5"}),
        f.String("day_start", _("Working day starts"), default="09:00", pattern=TIME_RE, max_length=5,
                 description=_("HH:MM")),
        f.String("day_end", _("Working day ends"), default="18:00", pattern=TIME_RE, max_length=5,
                 description=_("HH:MM")),
        f.Text("holidays", _("Holidays"), description=_("Days off on working weekdays: one date (YYYY-MM-DD) a line.")),
        f.Text("extra_workdays", _("Transferred working days"),
               description=_("Days worked on a weekend: one date (YYYY-MM-DD) a line.")),
    ],
    list_columns=["label", "name", "default", "timezone"],
    default_roles={"create": ["admin"], "read": ["admin", "user"], "edit": ["admin"], "delete": ["admin"]},
)


def calendar_for(app_root, name: str | None = None):
    """The live calendar ``name``, else the default calendar, else None."""
    from procura.types.content import container_for

    try:
        container = container_for(app_root, "business_calendar")
    except KeyError:
        return None
    calendar = container.get(name) if name else None
    if calendar is not None and not calendar.deleted:
        return calendar
    result = container.catalog["default"].eq(True).execute()
    for docid in sorted(result.ids):
        candidate = container.get(container.docids[docid])
        if candidate is not None and not candidate.deleted:
            return candidate
    return None


def is_working_time(calendar, moment: dt.datetime, default_timezone: str = "Europe/Moscow") -> bool:
    """Whether ``moment`` (aware) falls inside the calendar's working hours, in its time zone."""
    try:
        zone = ZoneInfo(getattr(calendar, "timezone", None) or default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    day = local.date()
    holidays, _bad = parse_dates(getattr(calendar, "holidays", None))
    extra, _bad = parse_dates(getattr(calendar, "extra_workdays", None))
    workdays = set(getattr(calendar, "workdays", None) or ("1", "2", "3", "4", "5"))
    if day in holidays:
        return False
    if day not in extra and str(local.isoweekday()) not in workdays:
        return False
    now = local.hour * 60 + local.minute
    return _minutes(getattr(calendar, "day_start", None), "09:00") <= now < _minutes(
        getattr(calendar, "day_end", None), "18:00")
