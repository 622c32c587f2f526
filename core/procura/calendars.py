"""Business calendars: the working days and hours of an organisation.

A calendar (type ``business_calendar``) names its time zone, the working days of the week, the
working hours of a day and its exceptions: holidays (days off on a working weekday) and transferred
working days (a Saturday worked instead of a bridge day, as production calendars have them), one
``YYYY-MM-DD`` date a line. ``calendar_for`` gives a calendar by name, else the one marked as the
default; ``is_working_time`` says whether a moment falls inside its working hours. The sign-in
hours rule of roles (``procura.security.hours``) asks here.

Public holidays come from the maintained ``holidays`` library when a calendar names a country
(default ``RU``, the Russian production calendar) and keeps "public holidays of the country" on:
the library has the fixed holidays (1-8 January, 23 February, 8 March, 1 and 9 May, 12 June,
4 November), the days off in lieu of a holiday on a weekend, and the government's yearly moves of
days off (переносы) with the Saturdays worked instead, for every year whose decree it ships (up to
2027 in holidays 0.109: see ``country_coverage``). Admins add by hand, one date a line: a later
year's moves until the library is upgraded, regional holidays (the library has no Russian
regions: Kurban Bayram in Tatarstan, ...), company days off and worked days, and the shortened
pre-holiday days (an hour less, Labour Code art. 95), which the library does not list. The
calendar's own lines win over the library's.

Teams name a calendar (``team.calendar``); ``calendar_for_team`` / ``calendar_for_user`` look at the
team, then its parent teams, then take the default calendar. ``work_calendar`` turns a record into
the value that ``procura.workingtime`` computes deadlines with.
"""
from __future__ import annotations

import datetime as dt
import functools
import re

from procura import workingtime
from procura.i18n import _
from procura.types import Operation, TypeInfo
from procura.types import fields as f
from procura.workingtime import WorkCalendar

TIME_RE = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
WEEKDAYS = [("1", _("Monday")), ("2", _("Tuesday")), ("3", _("Wednesday")), ("4", _("Thursday")),
            ("5", _("Friday")), ("6", _("Saturday")), ("7", _("Sunday"))]


def _tz_choices():
    from procura.security.principals import _tz_choices as choices

    return choices()


@functools.lru_cache(maxsize=1)
def _country_choices():
    from holidays.registry import COUNTRIES

    names = {entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in COUNTRIES.values()}
    return [(code, f"{code} - {names[code]}") for code in sorted(names)]


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
    for name in ("holidays", "extra_workdays", "short_days"):
        _dates, bad = parse_dates(values.get(name))
        if bad:
            errors[name] = _("Not a date (YYYY-MM-DD): ${lines}", mapping={"lines": ", ".join(bad[:5])})
    start, end = values.get("day_start"), values.get("day_end")
    if start and end and re.match(TIME_RE, start) and re.match(TIME_RE, end) and \
            _minutes(start, "09:00") >= _minutes(end, "18:00"):
        errors["day_end"] = _("The working day must end after it starts")
    lunch_start, lunch_end = values.get("lunch_start"), values.get("lunch_end")
    if bool(lunch_start) != bool(lunch_end):
        errors["lunch_end" if lunch_start else "lunch_start"] = _("Give both the start and the end of the break")
    elif lunch_start and "day_end" not in errors and all(
            re.match(TIME_RE, v or "") for v in (lunch_start, lunch_end, start or "09:00", end or "18:00")) and \
            not (_minutes(start, "09:00") < _minutes(lunch_start, "") < _minutes(lunch_end, "")
                 < _minutes(end, "18:00")):
        errors["lunch_end"] = _("The break must lie inside the working day and end after it starts")
    if values.get("country_holidays") and not values.get("country"):
        errors["country"] = _("Choose the country whose public holidays apply")
    return errors


def deadline_schema(request):
    import colander
    import deform

    from procura.types.fields import _LocalDateTime, user_tz_name

    schema = colander.SchemaNode(colander.Mapping(unknown="raise"))
    schema.add(colander.SchemaNode(
        _LocalDateTime(user_tz_name(request)), name="start", title=_("From"), missing=None,
        widget=deform.widget.TextInputWidget(attributes={"type": "datetime-local"}),
        description=_("In your time zone; empty: now.")))
    for name, title in (("days", _("Working days")), ("hours", _("Working hours")),
                        ("minutes", _("Working minutes"))):
        schema.add(colander.SchemaNode(colander.Integer(), name=name, title=title, missing=0,
                                       validator=colander.Range(0, 100000)))
    return schema


def check_deadline(request, obj, data):
    """Start + N working days/hours in this calendar, shown in the admin's and the calendar's zone."""
    from procura.security.hours import now_utc
    from procura.types.fields import user_tz

    calendar = work_calendar(obj, default_timezone(request))
    start = data.get("start") or now_utc()
    due = workingtime.add_working_time(calendar, start, days=data.get("days") or 0,
                                       hours=data.get("hours") or 0, minutes=data.get("minutes") or 0)
    mine, theirs = due.astimezone(user_tz(request)), due.astimezone(calendar.zone)
    return {"deadline": f"{mine:%Y-%m-%d %H:%M} ({mine.tzinfo.key})",
            "deadline_calendar": f"{theirs:%Y-%m-%d %H:%M} ({theirs.tzinfo.key})",
            "deadline_utc": due.isoformat(timespec="minutes"),
            "working_time": str(workingtime.working_time_between(calendar, start, due))}


CALENDAR_OPERATIONS = [
    Operation("check_deadline", _("Check a deadline"), check_deadline, action="read", schema=deadline_schema,
              icon="bi-hourglass-split",
              description=_("Computes a start plus working days and hours in this calendar."),
              result_titles={"deadline": _("Deadline in your time zone"),
                             "deadline_calendar": _("Deadline in the calendar's time zone")}),
]


BUSINESS_CALENDAR = TypeInfo(
    name="business_calendar", title=_("Business calendar"), plural=_("Business calendars"),
    icon="bi-calendar-week", admin=True, menu_order=15, id_field="name", title_field="label", searchable=False,
    validate=validate_calendar, operations=CALENDAR_OPERATIONS,
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
        f.Text("short_days", _("Shortened days"),
               description=_("Pre-holiday days that end an hour early (Labour Code, art. 95): one date "
                             "(YYYY-MM-DD) a line, as the Ministry of Labour publishes them.")),
        f.Enum("country", _("Country"), choices=_country_choices(), default="RU",
               invalid_message=_("Unknown country"),
               description=_("Whose public holidays and moved days off apply (Russia: the production calendar).")),
        f.Boolean("country_holidays", _("Public holidays of the country"), default=True,
                  description=_("Holidays, days off in lieu and the government's yearly moves of days off from "
                                "the holidays library; add regional and company days above.")),
        f.String("lunch_start", _("Break starts"), pattern=TIME_RE, max_length=5,
                 description=_("HH:MM; the break is not working time (empty: no break).")),
        f.String("lunch_end", _("Break ends"), pattern=TIME_RE, max_length=5, description=_("HH:MM")),
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


def _raw(calendar, default_timezone) -> tuple:
    def get(name, default=None):
        return getattr(calendar, name, default)

    use_country = bool(get("country_holidays", False)) and bool(get("country"))
    return (get("__name__") or "", get("timezone") or default_timezone,
            tuple(sorted(get("workdays") or ("1", "2", "3", "4", "5"))), get("day_start") or "09:00",
            get("day_end") or "18:00", get("lunch_start") or "", get("lunch_end") or "", get("holidays") or "",
            get("extra_workdays") or "", get("short_days") or "", get("country") if use_country else None)


@functools.lru_cache(maxsize=256)
def _work_calendar(raw: tuple) -> WorkCalendar:
    name, zone, workdays, start, end, lunch_start, lunch_end, holidays, extra, short, country = raw
    lunch = (_minutes(lunch_start, ""), _minutes(lunch_end, "")) if lunch_start and lunch_end else (None, None)
    try:
        return WorkCalendar(timezone=zone, workdays=frozenset(int(d) for d in workdays),
                            day_start=_minutes(start, "09:00"), day_end=_minutes(end, "18:00"),
                            lunch_start=lunch[0], lunch_end=lunch[1], holidays=frozenset(parse_dates(holidays)[0]),
                            extra_workdays=frozenset(parse_dates(extra)[0]),
                            short_days=frozenset(parse_dates(short)[0]), country=country, name=name)
    except ValueError:  # a break outside the day (stored before the rule): no break
        return _work_calendar((*raw[:5], "", "", *raw[7:]))


def work_calendar(calendar, default_timezone: str = "Europe/Moscow") -> WorkCalendar:
    """The :class:`~procura.workingtime.WorkCalendar` of a ``business_calendar`` record (None: the
    built-in Monday-Friday 09:00-18:00 with Russian public holidays). Cached per field values,
    so an edited calendar gets a fresh value and an unchanged one costs a dict look-up."""
    if calendar is None:
        return WorkCalendar(timezone=default_timezone, country="RU", name="")
    return _work_calendar(_raw(calendar, default_timezone))


def default_timezone(request) -> str:
    return request.registry.settings.get("procura.default_timezone") or "Europe/Moscow"


def is_working_time(calendar, moment: dt.datetime, default_timezone: str = "Europe/Moscow") -> bool:
    """Whether ``moment`` (aware) falls inside the calendar's working hours, in its time zone."""
    return workingtime.is_working_moment(work_calendar(calendar, default_timezone), moment)


def _live(container, name):
    obj = container.get(name) if name else None
    return obj if obj is not None and not obj.deleted else None


def _team_calendar(app_root, team):
    """The calendar named by ``team`` (a record or its name) or its nearest parent team, or None."""
    from procura.types.content import container_for

    try:
        teams = container_for(app_root, "team")
        calendars = container_for(app_root, "business_calendar")
    except KeyError:
        return None
    seen = set()
    team = _live(teams, team) if isinstance(team, str) else team
    while team is not None and team.__name__ not in seen:  # a parent cycle ends here
        seen.add(team.__name__)
        calendar = _live(calendars, getattr(team, "calendar", None))
        if calendar is not None:
            return calendar
        team = _live(teams, getattr(team, "parent", None))
    return None


def calendar_for_team(app_root, team):
    """The calendar of ``team`` (a record or its name), else of its parent teams, else the default."""
    return _team_calendar(app_root, team) or calendar_for(app_root)


def calendar_for_user(request, user):
    """The calendar of ``user`` (a record or a login): of the first of their teams (by name) that
    has one through its parents, else the default calendar."""
    from procura.types.content import container_for

    app_root = request.app_root
    if isinstance(user, str):
        try:
            user = _live(container_for(app_root, "user"), user)
        except KeyError:
            user = None
    for team in sorted(getattr(user, "teams", None) or ()):
        calendar = _team_calendar(app_root, team)
        if calendar is not None:
            return calendar
    return calendar_for(app_root)


def work_calendar_for_user(request, user) -> WorkCalendar:
    """The working-time value for ``user``'s deadlines (see ``calendar_for_user``)."""
    return work_calendar(calendar_for_user(request, user), default_timezone(request))


def country_coverage(country: str = "RU") -> int | None:
    """The last year for which the ``holidays`` library ships ``country``'s moved days off (None:
    it has none for that country); later years have only the fixed holidays and days in lieu."""
    import holidays

    try:
        specials = getattr(holidays.country_holidays(country), "special_public_holidays", None) or {}
    except NotImplementedError:
        return None
    return max(specials) if specials else None
