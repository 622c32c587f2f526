"""Deadline arithmetic in working time: pure functions over a :class:`WorkCalendar` value.

SLA timers, approvals and escalations ask here ("3 working days", "8 working hours") without a
request or a database: build the value once (``procura.calendars.work_calendar(record)`` from a
``business_calendar`` record, or ``WorkCalendar(...)`` directly) and pass it around. Moments are
aware datetimes; results are UTC (what the database stores). The calendar's time zone decides
where a working day starts and ends.

Which days are working days, strongest rule first:

1. the calendar's own transferred working days (``extra_workdays``): working;
2. the calendar's own holidays: days off;
3. with a ``country``: the maintained ``holidays`` library's transferred working days (a Saturday
   worked, ``weekend_workdays``) are working, its public holidays, observed days and substituted
   days off (the yearly переносы of the Russian production calendar) are days off;
4. otherwise the weekday decides (``workdays``, ISO numbers 1 = Monday ... 7 = Sunday).

Conventions:

- ``N`` working days from a moment keeps its position in the working day: Friday 17:00 + 3 working
  days = Wednesday 17:00 (Mon, Tue, Wed). A start outside working hours counts from the next
  working moment: Friday 19:00 + 1 working day = the end of Monday.
- A deadline that falls exactly between two working periods is the end of the earlier one
  (Friday 10:00 + 8 working hours = Friday 18:00, not Monday 09:00).
- Adding zero returns the start unchanged.
- ``short_days`` end an hour early (the pre-holiday days of the Russian production calendar; the
  ``holidays`` library does not list them, the calendar record takes them one date a line).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC
SHORTER_BY = 60  # minutes a shortened (pre-holiday) day loses at its end
MAX_IDLE_DAYS = 3 * 366  # a calendar without a working day in this many days has no working time


class NoWorkingTime(ValueError):
    """The calendar has no working time within reach (no working weekday, holidays everywhere)."""


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours. Times of day are minutes after local midnight (``day_end`` up to
    1440); an optional lunch break lies inside the day and is not working time."""

    timezone: str = "Europe/Moscow"
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    day_start: int = 9 * 60
    day_end: int = 18 * 60
    lunch_start: int | None = None
    lunch_end: int | None = None
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    short_days: frozenset[dt.date] = field(default_factory=frozenset)  # pre-holiday days, an hour shorter
    country: str | None = None  # ISO code for the ``holidays`` library ("RU"); None: own lines only
    name: str = ""

    def __post_init__(self):
        if not 0 <= self.day_start < self.day_end <= 24 * 60:
            raise ValueError("the working day must end after it starts, within the day")
        if (self.lunch_start is None) != (self.lunch_end is None):
            raise ValueError("a lunch break needs a start and an end")
        if self.lunch_start is not None and not (
                self.day_start < self.lunch_start < self.lunch_end < self.day_end):
            raise ValueError("the lunch break must lie inside the working day")

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)



@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@functools.lru_cache(maxsize=256)
def country_days(country: str, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """The days off (public holidays, observed and substituted days) and the transferred working
    days (weekend days worked) of ``country`` in ``year``, from the ``holidays`` library."""
    import holidays

    try:
        days = holidays.country_holidays(country, years=year)
    except NotImplementedError:  # a country the library does not know: no public holidays
        return frozenset(), frozenset()
    return frozenset(days.keys()), frozenset(getattr(days, "weekend_workdays", ()) or ())


def is_working_day(calendar: WorkCalendar, day: dt.date) -> bool:
    """Whether ``day`` (a date in the calendar's time zone) is a working day."""
    if day in calendar.extra_workdays:
        return True
    if day in calendar.holidays:
        return False
    if calendar.country:
        days_off, worked = country_days(calendar.country, day.year)
        if day in worked:
            return True
        if day in days_off:
            return False
    return day.isoweekday() in calendar.workdays


def _local(calendar: WorkCalendar, day: dt.date, minutes: int) -> dt.datetime:
    days, minutes = divmod(minutes, 24 * 60)
    moment = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(minutes // 60, minutes % 60),
                                 tzinfo=calendar.zone)
    return moment.astimezone(UTC)


@functools.lru_cache(maxsize=8192)
def day_intervals(calendar: WorkCalendar, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The working periods of ``day`` as (start, end) UTC pairs; empty on a day off."""
    if not is_working_day(calendar, day):
        return ()
    end = calendar.day_end
    if day in calendar.short_days:  # Labour Code art. 95: the day before a public holiday, an hour less
        end = max(end - SHORTER_BY, calendar.day_start + 1)
    bounds = [(calendar.day_start, end)]
    if calendar.lunch_start is not None:
        bounds = [(calendar.day_start, min(calendar.lunch_start, end))]
        if end > calendar.lunch_end:
            bounds.append((calendar.lunch_end, end))
    return tuple((_local(calendar, day, start), _local(calendar, day, end)) for start, end in bounds)


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("working-time arithmetic needs an aware datetime (UTC as stored)")
    return moment.astimezone(UTC)


def local_date(calendar: WorkCalendar, moment: dt.datetime) -> dt.date:
    return _aware(moment).astimezone(calendar.zone).date()


def _working_days(calendar: WorkCalendar, day: dt.date, step: int = 1) -> Iterator[dt.date]:
    """Working days from ``day`` (included) onwards (``step=-1``: backwards)."""
    idle = 0
    while True:
        if is_working_day(calendar, day):
            idle = 0
            yield day
        else:
            idle += 1
            if idle > MAX_IDLE_DAYS:
                raise NoWorkingTime(f"calendar {calendar.name or '?'} has no working day near {day}")
        day += dt.timedelta(days=step)


def _intervals_from(calendar: WorkCalendar, moment: dt.datetime):
    """Working periods that end after ``moment``, in order."""
    for day in _working_days(calendar, local_date(calendar, moment) - dt.timedelta(days=1)):
        for start, end in day_intervals(calendar, day):
            if end > moment:
                yield start, end


def is_working_moment(calendar: WorkCalendar, moment: dt.datetime) -> bool:
    moment = _aware(moment)
    day = local_date(calendar, moment)
    return any(start <= moment < end for start, end in day_intervals(calendar, day))


def next_working_moment(calendar: WorkCalendar, moment: dt.datetime) -> dt.datetime:
    """``moment`` when it is working time, else the start of the next working period (UTC)."""
    moment = _aware(moment)
    start, _end = next(_intervals_from(calendar, moment))
    return max(start, moment)


def _add(calendar: WorkCalendar, moment: dt.datetime, amount: dt.timedelta) -> dt.datetime:
    if amount <= dt.timedelta(0):
        return moment
    for start, end in _intervals_from(calendar, moment):
        current = max(start, moment)
        if amount <= end - current:
            return current + amount
        amount -= end - current
    raise AssertionError("unreachable")  # pragma: no cover - _working_days never ends silently


def _offset_in_day(calendar: WorkCalendar, day: dt.date, moment: dt.datetime) -> dt.timedelta:
    return sum((max(dt.timedelta(0), min(end, moment) - start) for start, end in day_intervals(calendar, day)),
               dt.timedelta(0))


def _at_offset(calendar: WorkCalendar, day: dt.date, offset: dt.timedelta) -> dt.datetime:
    intervals = day_intervals(calendar, day)
    for start, end in intervals:
        if offset <= end - start:
            return start + offset
        offset -= end - start
    return intervals[-1][1]  # the end of the day (also of a shortened day shorter than the offset)


def add_working_time(calendar: WorkCalendar, start: dt.datetime, days: int = 0, hours: float = 0,
                     minutes: float = 0) -> dt.datetime:
    """The moment (UTC) ``days`` working days plus ``hours``/``minutes`` of working time after
    ``start`` (aware). Days first (keeping the position in the working day), then the time."""
    if days < 0 or hours < 0 or minutes < 0:
        raise ValueError("working time to add must not be negative")
    moment = _aware(start)
    if days:
        moment = next_working_moment(calendar, moment)
        day = local_date(calendar, moment)
        offset = _offset_in_day(calendar, day, moment)
        steps = int(days)
        if offset == dt.timedelta(0):  # the start of a day is the end of the working day before
            steps -= 1
            offset = dt.timedelta(days=1)  # past any day's length: the end of the target day
        target = day
        if steps:
            found = _working_days(calendar, day + dt.timedelta(days=1))
            for _i in range(steps):
                target = next(found)
        moment = _at_offset(calendar, target, offset)
    return _add(calendar, moment, dt.timedelta(hours=hours, minutes=minutes))


def working_time_between(calendar: WorkCalendar, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """The working time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    a, b = _aware(a), _aware(b)
    if b < a:
        return -working_time_between(calendar, b, a)
    total = dt.timedelta(0)
    day = local_date(calendar, a) - dt.timedelta(days=1)
    last = local_date(calendar, b) + dt.timedelta(days=1)
    while day <= last:  # day by day, not _working_days: a span of days off must still end
        for start, end in day_intervals(calendar, day):
            if end > a and start < b:
                total += min(end, b) - max(start, a)
        day += dt.timedelta(days=1)
    return total


def add_working_days(calendar: WorkCalendar, day: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``day`` (a date-only due date); 0: ``day`` itself when it
    is a working day, else the next working day."""
    if days < 0:
        raise ValueError("working days to add must not be negative")
    found = _working_days(calendar, day if days == 0 else day + dt.timedelta(days=1))
    result = next(found)
    for _i in range(max(days - 1, 0)):
        result = next(found)
    return result


def working_days_between(calendar: WorkCalendar, first: dt.date, last: dt.date) -> int:
    """How many working days lie from ``first`` to ``last``, both included."""
    count, day = 0, first
    while day <= last:
        count += is_working_day(calendar, day)
        day += dt.timedelta(days=1)
    return count
