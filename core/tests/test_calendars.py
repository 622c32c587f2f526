"""Business calendars and deadline arithmetic in working time: weekends, Russian public holidays and
the government's moved days off (from the ``holidays`` library), the calendar's own lines, time
zones against UTC storage, starts outside working hours, lunch breaks; team -> parent -> default
calendar resolution; validation through the API; the "check a deadline" operation."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from apihelpers import bearer_client, problem, stored, stored_count
from authhelpers import cheap_argon2, create_record  # noqa: F401 - cheap_argon2 is an autouse fixture
from procura import calendars
from procura.workingtime import (
    NoWorkingTime,
    WorkCalendar,
    add_working_days,
    add_working_time,
    is_working_day,
    is_working_moment,
    next_working_moment,
    working_days_between,
    working_time_between,
)

UTC = dt.UTC
MSK = ZoneInfo("Europe/Moscow")
YEKT = ZoneInfo("Asia/Yekaterinburg")
RU = WorkCalendar(timezone="Europe/Moscow", country="RU")


def msk(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MSK)


def local(moment: dt.datetime, zone=MSK) -> str:
    assert moment.tzinfo == UTC  # results are UTC, as stored
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")


# ---------------------------------------------------------------- weekends and working hours


@pytest.mark.parametrize(("start", "amount", "expected"), [
    (msk(2026, 12, 4, 17, 0), {"days": 3}, "Wed 2026-12-09 17:00"),  # Friday 17:00 + 3 working days
    (msk(2026, 12, 4, 19, 0), {"days": 1}, "Mon 2026-12-07 18:00"),  # after hours: counts from Monday
    (msk(2026, 12, 5, 12, 0), {"days": 1}, "Mon 2026-12-07 18:00"),  # Saturday
    (msk(2026, 12, 4, 18, 0), {"days": 1}, "Mon 2026-12-07 18:00"),  # the end of Friday
    (msk(2026, 12, 7, 7, 30), {"days": 2}, "Tue 2026-12-08 18:00"),  # before the day starts
    (msk(2026, 12, 4, 10, 0), {"hours": 8}, "Fri 2026-12-04 18:00"),  # ends with the day, not Monday 09:00
    (msk(2026, 12, 4, 10, 0), {"hours": 9}, "Mon 2026-12-07 10:00"),  # hours over the weekend
    (msk(2026, 12, 7, 17, 0), {"hours": 18}, "Wed 2026-12-09 17:00"),  # 1 + 9 + 8 hours: spans days
    (msk(2026, 12, 5, 11, 0), {"hours": 1, "minutes": 30}, "Mon 2026-12-07 10:30"),
    (msk(2026, 12, 4, 17, 0), {"days": 1, "hours": 2}, "Tue 2026-12-08 10:00"),
])
def test_working_time_over_weekends(start, amount, expected):
    assert local(add_working_time(RU, start, **amount)) == expected


def test_zero_returns_the_start_and_bad_input_is_refused():
    start = msk(2026, 12, 5, 12, 0)
    assert add_working_time(RU, start) == start
    with pytest.raises(ValueError):
        add_working_time(RU, dt.datetime(2026, 12, 4, 12, 0), hours=1)  # naive: which zone?
    with pytest.raises(ValueError):
        add_working_time(RU, start, days=-1)
    with pytest.raises(NoWorkingTime):
        add_working_time(WorkCalendar(workdays=frozenset()), start, hours=1)
    with pytest.raises(ValueError):
        WorkCalendar(day_start=18 * 60, day_end=9 * 60)


def test_working_time_between_and_next_working_moment():
    assert working_time_between(RU, msk(2026, 12, 4, 17, 0), msk(2026, 12, 7, 10, 0)) == dt.timedelta(hours=2)
    assert working_time_between(RU, msk(2026, 12, 7, 10, 0), msk(2026, 12, 4, 17, 0)) == -dt.timedelta(hours=2)
    assert working_time_between(RU, msk(2026, 12, 5, 0, 0), msk(2026, 12, 6, 23, 0)) == dt.timedelta(0)
    # across the New Year holidays: Dec 30 and Jan 11 are the only working days
    assert working_time_between(RU, msk(2026, 12, 30, 9, 0), msk(2027, 1, 11, 18, 0)) == dt.timedelta(hours=18)
    assert local(next_working_moment(RU, msk(2026, 12, 4, 18, 0))) == "Mon 2026-12-07 09:00"
    assert local(next_working_moment(RU, msk(2026, 12, 4, 12, 0))) == "Fri 2026-12-04 12:00"
    assert is_working_moment(RU, msk(2026, 12, 4, 17, 59)) and not is_working_moment(RU, msk(2026, 12, 4, 18, 0))


def test_lunch_break_is_not_working_time():
    lunch = WorkCalendar(lunch_start=13 * 60, lunch_end=14 * 60)
    assert local(add_working_time(lunch, msk(2026, 12, 4, 9, 0), hours=4)) == "Fri 2026-12-04 13:00"
    assert local(add_working_time(lunch, msk(2026, 12, 4, 9, 0), hours=5)) == "Fri 2026-12-04 15:00"
    assert local(add_working_time(lunch, msk(2026, 12, 4, 13, 30), hours=1)) == "Fri 2026-12-04 15:00"
    assert working_time_between(lunch, msk(2026, 12, 4, 9, 0), msk(2026, 12, 4, 18, 0)) == dt.timedelta(hours=8)
    assert not is_working_moment(lunch, msk(2026, 12, 4, 13, 15))


# ---------------------------------------------------------------- Russian public holidays and transfers


@pytest.mark.parametrize(("day", "working"), [
    *[(dt.date(2026, 1, d), False) for d in range(1, 9)],  # New Year holidays and Christmas
    (dt.date(2026, 1, 9), False),  # Friday: a day off moved from Saturday 3 January
    (dt.date(2026, 1, 12), True),
    (dt.date(2026, 2, 23), False),  # Defender of the Fatherland Day
    (dt.date(2026, 3, 9), False),  # 8 March fell on a Sunday: Monday off
    (dt.date(2026, 5, 1), False),
    (dt.date(2026, 5, 11), False),  # 9 May fell on a Saturday: Monday off
    (dt.date(2026, 6, 12), False),
    (dt.date(2026, 11, 4), False),
    (dt.date(2026, 11, 5), True),
    (dt.date(2026, 12, 31), False),  # a day off moved from Sunday 4 January
    (dt.date(2027, 2, 20), True),  # Saturday worked instead of Monday 22 February
    (dt.date(2027, 2, 22), False),
])
def test_russian_production_calendar(day, working):
    assert is_working_day(RU, day) is working


def test_holidays_and_a_transferred_working_day_in_deadlines():
    # Wednesday 30 December 2026 + 1 working day: 31 December and 1-10 January are off
    assert local(add_working_time(RU, msk(2026, 12, 30, 12, 0), days=1)) == "Mon 2027-01-11 12:00"
    assert local(add_working_time(RU, msk(2026, 12, 30, 17, 0), hours=2)) == "Mon 2027-01-11 10:00"
    # Friday 19 February 2027 + 1: the worked Saturday; + 2: Wednesday (22 moved off, 23 a holiday)
    assert local(add_working_time(RU, msk(2027, 2, 19, 12, 0), days=1)) == "Sat 2027-02-20 12:00"
    assert local(add_working_time(RU, msk(2027, 2, 19, 12, 0), days=2)) == "Wed 2027-02-24 12:00"
    assert local(add_working_time(RU, msk(2026, 3, 6, 17, 0), hours=2)) == "Tue 2026-03-10 10:00"
    assert add_working_days(RU, dt.date(2026, 12, 30), 3) == dt.date(2027, 1, 13)
    assert add_working_days(RU, dt.date(2027, 1, 2), 0) == dt.date(2027, 1, 11)
    assert working_days_between(RU, dt.date(2026, 5, 1), dt.date(2026, 5, 31)) == 19


def test_shortened_pre_holiday_days():
    short = WorkCalendar(country="RU", short_days=frozenset({dt.date(2026, 11, 3)}),
                         lunch_start=13 * 60, lunch_end=14 * 60)
    assert local(add_working_time(short, msk(2026, 11, 3, 9, 0), hours=7)) == "Tue 2026-11-03 17:00"
    assert local(add_working_time(short, msk(2026, 11, 3, 9, 0), hours=8)) == "Thu 2026-11-05 10:00"
    assert local(add_working_time(short, msk(2026, 11, 2, 18, 0), days=1)) == "Tue 2026-11-03 17:00"
    assert local(add_working_time(short, msk(2026, 11, 2, 17, 30), days=1)) == "Tue 2026-11-03 17:00"
    assert not is_working_moment(short, msk(2026, 11, 3, 17, 30))


def test_own_lines_win_over_the_library_and_no_country_means_weekdays_only():
    own = WorkCalendar(country="RU", extra_workdays=frozenset({dt.date(2026, 1, 9)}),
                       holidays=frozenset({dt.date(2026, 12, 8)}))
    assert is_working_day(own, dt.date(2026, 1, 9))  # the company works that Friday
    assert local(add_working_time(own, msk(2026, 12, 7, 17, 0), hours=2)) == "Wed 2026-12-09 10:00"
    plain = WorkCalendar(country=None)
    assert is_working_day(plain, dt.date(2026, 1, 5)) and not is_working_day(plain, dt.date(2027, 2, 20))
    assert calendars.country_coverage("RU") >= 2027


# ---------------------------------------------------------------- time zones and UTC storage


def test_time_zones_against_utc_storage():
    ural = WorkCalendar(timezone="Asia/Yekaterinburg", country="RU")
    start = dt.datetime(2026, 12, 4, 6, 0, tzinfo=UTC)  # 09:00 in Moscow, 11:00 in Yekaterinburg
    assert add_working_time(RU, start, hours=9) == dt.datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 18:00 MSK
    assert add_working_time(ural, start, hours=9) == dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert local(add_working_time(ural, start, hours=9), YEKT) == "Mon 2026-12-07 11:00"  # 7 h on Friday
    early = dt.datetime(2026, 12, 4, 5, 0, tzinfo=UTC)  # 08:00 in Moscow, 10:00 in Yekaterinburg
    assert is_working_moment(ural, early) and not is_working_moment(RU, early)
    assert next_working_moment(RU, early) == dt.datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    # 23:30 UTC on Sunday is already Monday 04:30 in Yekaterinburg: the day counts from 09:00 local
    late = dt.datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert local(add_working_time(ural, late, days=1), YEKT) == "Mon 2026-12-07 18:00"
    assert add_working_time(RU, start.astimezone(YEKT), hours=1) == add_working_time(RU, start, hours=1)


def test_daylight_saving_time_zone():
    berlin = WorkCalendar(timezone="Europe/Berlin", country="DE")
    due = add_working_time(berlin, dt.datetime(2026, 3, 27, 16, 0, tzinfo=UTC), days=1)  # Friday 17:00 CET
    assert due == dt.datetime(2026, 3, 30, 15, 0, tzinfo=UTC)  # Monday 17:00 CEST


# ---------------------------------------------------------------- records, teams and the API


@pytest.fixture
def office(app):
    return create_record(app.registry, "business_calendar", name="office", label="Office", default=True,
                         timezone="Europe/Moscow")


def with_request(app, fn):
    from procura.types.system import in_own_transaction

    return in_own_transaction(app.registry, fn, note="test: calendars")


def test_a_record_defaults_to_the_russian_calendar(app, office):
    def check(request):
        record = calendars.calendar_for(request.app_root)
        value = calendars.work_calendar(record)
        assert (record.country, record.country_holidays) == ("RU", True)
        assert value.country == "RU" and value.timezone == "Europe/Moscow" and value.name == "office"
        assert calendars.work_calendar(record) is value  # cached while the record is unchanged
        return not calendars.is_working_time(record, msk(2027, 2, 22, 12, 0))

    assert with_request(app, check)


def test_team_parent_default_resolution(app, make_user, office):
    create_record(app.registry, "business_calendar", name="ural", label="Ural", timezone="Asia/Yekaterinburg")
    create_record(app.registry, "team", name="ural", label="Ural branch", calendar="ural")
    create_record(app.registry, "team", name="ural-sales", label="Ural sales", parent="ural")
    create_record(app.registry, "team", name="hq", label="Head office")
    make_user("anna", teams=["ural-sales"])
    make_user("boris", teams=["hq"])
    make_user("vera", teams=["hq", "ural-sales"])
    make_user("gleb")

    def resolve(request):
        root = request.app_root
        teams = {t: calendars.calendar_for_team(root, t).__name__ for t in ("ural", "ural-sales", "hq")}
        users = {u: calendars.calendar_for_user(request, u).__name__ for u in ("anna", "boris", "vera", "gleb")}
        zone = calendars.work_calendar_for_user(request, "anna").timezone
        return teams, users, zone

    teams, users, zone = with_request(app, resolve)
    assert teams == {"ural": "ural", "ural-sales": "ural", "hq": "office"}
    assert users == {"anna": "ural", "boris": "office", "vera": "ural", "gleb": "office"}
    assert zone == "Asia/Yekaterinburg"


@pytest.fixture
def admin(testapp, make_user, procura_db):
    make_user("boss", roles=["admin"])
    return bearer_client(testapp, procura_db, "boss")


@pytest.mark.parametrize(("values", "fields"), [
    ({"holidays": "2026-01-01\nnext friday"}, {"holidays"}),
    ({"extra_workdays": "2027-02-30"}, {"extra_workdays"}),
    ({"short_days": "3 November"}, {"short_days"}),
    ({"day_start": "18:00", "day_end": "09:00"}, {"day_end"}),
    ({"day_start": "9am"}, {"day_start"}),
    ({"lunch_start": "13:00"}, {"lunch_end"}),
    ({"lunch_start": "19:00", "lunch_end": "20:00"}, {"lunch_end"}),
    ({"timezone": "Mars/Olympus"}, {"timezone"}),
    ({"country": "XX"}, {"country"}),
    ({"workdays": ["8"]}, {"workdays"}),
])
def test_validation_errors_through_the_api(admin, procura_db, values, fields):
    body = problem(admin.post("/business_calendar", {"name": "bad", "label": "Bad", **values}, status=422), 422)
    assert set(body["errors"]) == fields
    assert stored_count(procura_db, "business_calendar") == 0


def test_created_through_the_api_and_a_deadline_checked(admin, procura_db, make_user):
    admin.post("/business_calendar", {"name": "plant", "label": "Plant", "timezone": "Asia/Yekaterinburg",
                                      "lunch_start": "13:00", "lunch_end": "14:00", "short_days": "2026-12-08"})
    assert stored(procura_db, "business_calendar", "plant")["country"] == "RU"
    result = admin.post("/business_calendar/plant/actions/check_deadline",
                        {"start": "2026-12-04T17:00:00+05:00", "days": 3}, status=200).json["result"]
    assert result["deadline_calendar"] == "2026-12-09 17:00 (Asia/Yekaterinburg)"
    assert result["deadline"] == "2026-12-09 15:00 (Europe/Moscow)"  # the admin's (default) time zone
    assert result["working_time"] == "23:00:00"  # 3 days of 8 working hours, one an hour shorter
    problem(admin.post("/business_calendar/plant/actions/check_deadline", {"days": -1}, status=422), 422)
    admin.patch("/business_calendar/plant", {"version": 1, "country_holidays": False})
    result = admin.post("/business_calendar/plant/actions/check_deadline",
                        {"start": "2027-02-19T17:00:00+05:00", "days": 1}, status=200).json["result"]
    assert result["deadline_calendar"] == "2027-02-22 17:00 (Asia/Yekaterinburg)"  # no moved days off now


def test_check_a_deadline_on_the_calendar_page(testapp, make_user, login, office):
    make_user("boss", roles=["admin"], timezone="Asia/Yekaterinburg")
    login(testapp, "boss")
    form = testapp.get("/t/business_calendar/office/op/check_deadline").forms["operation-check_deadline"]
    form["start"], form["days"] = "2026-12-04T19:00", "3"  # 17:00 in Moscow, the calendar's zone
    text = form.submit().maybe_follow().html.get_text(" ")
    assert "2026-12-09 19:00 (Asia/Yekaterinburg)" in text and "2026-12-09 17:00 (Europe/Moscow)" in text
