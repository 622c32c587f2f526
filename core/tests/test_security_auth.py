"""Authentication end to end, through the real forms: the password policy, lockout and unlock, the
sign-in audit, CSRF, session rotation, idle timeout and lifetime, sign-in hours from a business
calendar, and the administrator's audit and security settings pages.

API tokens: test_security_auth_tokens.py; second factor and mail: test_security_auth_2fa.py.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from authhelpers import (  # noqa: F401 - cheap_argon2 is an autouse fixture
    CSRF_MESSAGE,
    IP,
    STRONG,
    cheap_argon2,
    create_record,
    csrf_token,
    event_names,
    events,
    flashes,
    form_with_action,
    login_error,
    session_cookie,
    set_security,
    signed_in,
    submit_login,
    update_record,
    user_attr,
    with_root,
)
from procura.security.passwords import PasswordPolicy
from procura.security.store import security_settings
from procura.testing import TEST_PASSWORD, do_login
from webtest import TestApp

UTC = dt.UTC


@pytest.fixture
def testapp(app):
    return TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": IP})


@pytest.fixture
def admin_app(app, make_user):
    """A second browser, signed in as an administrator."""
    make_user("boss", roles=["admin"], email="boss@example.com")
    return do_login(TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": "192.0.2.99"}), "boss")


def operation_form(admin_app, login, name):
    page = admin_app.get(f"/t/user/{login}/op/{name}")
    return page.forms[f"operation-{name}"]


# ---------------------------------------------------------------- password policy


def test_admin_set_password_follows_the_policy_with_a_clear_message(testapp, make_user, admin_app, procura_db):
    make_user("anna")
    before = user_attr(procura_db, "anna", "password_hash")
    form = operation_form(admin_app, "anna", "set_password")
    form["password"] = "short"
    page = form.submit("run")
    assert page.status_int == 200
    error = page.html.select_one(".invalid-feedback").get_text(" ", strip=True)
    assert error == "The password needs at least 10 characters, an upper-case letter, a digit."
    form = page.forms["operation-set_password"]
    form["password"] = "anna-Secret-2026"
    page = form.submit("run")
    assert "not the login" in page.html.select_one(".invalid-feedback").get_text()
    assert user_attr(procura_db, "anna", "password_hash") == before  # nothing stored

    form = page.forms["operation-set_password"]
    form["password"] = STRONG
    assert form.submit("run").status_int == 303
    assert submit_login(testapp, "anna", STRONG).status_int == 303
    changed = events(procura_db, "anna", "password_changed")
    assert len(changed) == 1 and changed[0]["success"] is True and changed[0]["detail"] == "By boss"


def test_policy_settings_are_applied_to_the_set_password_operation_in_the_api(app, make_user, procura_db):
    from authhelpers import change
    from procura.security import create_token, get_user

    make_user("boss", roles=["admin"])
    make_user("anna")
    set_security(procura_db, min_length=16, require_symbol=True)
    token = change(procura_db, lambda root: create_token(root, get_user(root, "boss")))
    api = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    headers = {"Authorization": f"Bearer {token}"}
    response = api.post_json("/api/v1/user/anna/actions/set_password", {"password": "Abcdefgh12"},
                             headers=headers, status=422)
    assert response.content_type == "application/problem+json"
    message = response.json["errors"]["password"]
    assert message == "The password needs at least 16 characters, a symbol such as !#$%&*+-=?@^_~."
    response = api.post_json("/api/v1/user/anna/actions/set_password", {"password": "Correct-Horse-4242"},
                             headers=headers, status=200)
    assert user_attr(procura_db, "anna", "check_password")("Correct-Horse-4242")


def test_generated_password_follows_the_policy_and_works(testapp, make_user, admin_app, procura_db):
    make_user("anna")
    set_security(procura_db, min_length=20, require_symbol=True)
    form = operation_form(admin_app, "anna", "set_password")
    form["generate"] = True
    page = form.submit("run")
    assert page.status_int == 200
    shown = page.html.select_one("code, .font-monospace, dd").get_text(strip=True)
    policy = PasswordPolicy(min_length=20, require_symbol=True)
    assert len(shown) >= 20 and policy.problems(shown, "anna") == []
    assert submit_login(testapp, "anna", shown).status_int == 303


@pytest.mark.parametrize("settings", [{}, {"min_length": 30, "require_symbol": True},
                                      {"require_upper": False, "require_digit": False, "min_length": 6}])
def test_generate_satisfies_every_policy(settings):
    policy = PasswordPolicy.from_settings(settings)
    for _i in range(20):
        password = policy.generate()
        assert policy.problems(password) == [], password
        assert len(password) >= max(14, policy.min_length)


def test_profile_password_change_checks_current_policy_and_repeat(testapp, make_user, login, procura_db):
    make_user("anna")
    login(testapp, "anna")

    def change(current, new, repeat=None):
        form = form_with_action(testapp.get("/profile/security"), "/profile/security/password")
        form["current"], form["password"], form["confirm"] = current, new, new if repeat is None else repeat
        return form.submit().follow()

    page = testapp.get("/profile/security")
    assert "at least 10 characters" in page.html.find(id="pw-rules").get_text()
    assert "The current password is not right." in flashes(change("wrong", STRONG))
    assert "The password needs at least 10 characters" in flashes(change(TEST_PASSWORD, "weak"))
    assert "the same password twice" in flashes(change(TEST_PASSWORD, STRONG, STRONG + "x"))
    assert user_attr(procura_db, "anna", "check_password")(TEST_PASSWORD)

    assert "Your password has been changed." in flashes(change(TEST_PASSWORD, STRONG))
    assert user_attr(procura_db, "anna", "check_password")(STRONG)
    other = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    assert login_error(submit_login(other, "anna", TEST_PASSWORD)) == "Wrong login or password."
    assert submit_login(other, "anna", STRONG).status_int == 303
    names = event_names(procura_db, "anna")
    assert names == ["sign_in", "failure", "password_changed", "failure", "sign_in"]
    assert events(procura_db, "anna")[1]["detail"] == "Wrong current password on the profile page"


# ---------------------------------------------------------------- lockout and the audit


def test_lockout_after_the_threshold_says_until_when_in_the_users_time_zone(testapp, make_user, procura_db):
    make_user("anna", timezone="Asia/Vladivostok")
    set_security(procura_db, lockout_threshold=3, lockout_minutes=30)
    assert login_error(submit_login(testapp, "anna", "wrong-1")) == "Wrong login or password."
    assert login_error(submit_login(testapp, "anna", "wrong-2")) == "Wrong login or password."
    assert user_attr(procura_db, "anna", "failed_logins") == 2
    message = login_error(submit_login(testapp, "anna", "wrong-3"))
    until = user_attr(procura_db, "anna", "locked_until")
    assert until is not None
    assert dt.timedelta(minutes=29) < until - dt.datetime.now(UTC) <= dt.timedelta(minutes=30)
    local = until.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Vladivostok"))
    assert message.startswith("This account is locked after repeated failed sign-ins until ")
    assert "(Asia/Vladivostok)" in message
    assert local.strftime("%-I:%M") in message, (message, local)  # "Dec 4, 2026, 9:05:00 PM"

    # the right password does not help while locked
    page = submit_login(testapp, "anna", TEST_PASSWORD)
    assert page.status_int == 200 and login_error(page) == message
    assert not signed_in(testapp)

    audit = events(procura_db, "anna")
    assert [e["event"] for e in audit] == ["failure", "failure", "locked", "refused_locked"]
    assert all(e["success"] is False and e["ip"] == IP and e["method"] == "password" for e in audit)
    assert audit[2]["detail"] == "3 failed sign-ins in a row"


def test_admin_unlocks_on_the_user_record(testapp, make_user, admin_app, procura_db):
    make_user("anna")
    set_security(procura_db, lockout_threshold=2)
    submit_login(testapp, "anna", "wrong")
    assert "locked" in login_error(submit_login(testapp, "anna", "wrong"))
    detail = admin_app.get("/t/user/anna")
    unlock = form_with_action(detail, "/t/user/anna/op/unlock")
    assert unlock.submit().status_int == 303
    assert user_attr(procura_db, "anna", "locked_until") is None
    assert submit_login(testapp, "anna").status_int == 303
    unlocked = events(procura_db, "anna", "unlocked")
    assert len(unlocked) == 1 and unlocked[0]["detail"] == "By boss" and unlocked[0]["ip"] == "192.0.2.99"
    assert event_names(procura_db, "anna")[-1] == "sign_in"


def test_lockout_ends_after_its_time(testapp, make_user, procura_db, monkeypatch):
    from procura.security import auth

    make_user("anna")
    set_security(procura_db, lockout_threshold=2, lockout_minutes=15)
    submit_login(testapp, "anna", "wrong")
    submit_login(testapp, "anna", "wrong")
    assert "locked" in login_error(submit_login(testapp, "anna"))
    later = dt.datetime.now(UTC) + dt.timedelta(minutes=16)
    monkeypatch.setattr(auth, "now_utc", lambda: later)
    assert submit_login(testapp, "anna").status_int == 303
    assert event_names(procura_db, "anna") == ["failure", "locked", "refused_locked", "sign_in"]


def test_no_lockout_when_the_threshold_is_zero(testapp, make_user, procura_db):
    make_user("anna")
    set_security(procura_db, lockout_threshold=0)
    for _i in range(6):
        assert login_error(submit_login(testapp, "anna", "wrong")) == "Wrong login or password."
    assert submit_login(testapp, "anna").status_int == 303


def test_every_sign_in_event_is_audited(testapp, make_user, procura_db):
    make_user("anna")
    make_user("gone", active=False)
    submit_login(testapp, "nobody", "whatever")
    submit_login(testapp, "gone")
    submit_login(testapp, "anna", "wrong")
    assert submit_login(testapp, "anna").status_int == 303
    logout = form_with_action(testapp.get("/"), "/logout")
    logout.submit()
    got = [(e["event"], e["login"], e["success"], e["ip"]) for e in events(procura_db)]
    assert got == [("unknown_login", "nobody", False, IP), ("refused_inactive", "gone", False, IP),
                   ("failure", "anna", False, IP), ("sign_in", "anna", True, IP), ("sign_out", "anna", True, IP)]
    assert all(e["created"] is not None for e in events(procura_db))


# ---------------------------------------------------------------- CSRF


def test_login_post_without_csrf_token_is_refused_and_changes_nothing(testapp, make_user, procura_db):
    make_user("anna")
    testapp.get("/login")
    response = testapp.post("/login", {"login": "anna", "password": "wrong", "submit": "submit"}, status=403)
    assert "Form expired" in response.text and CSRF_MESSAGE in response.text
    assert user_attr(procura_db, "anna", "failed_logins") == 0
    assert events(procura_db) == []


def test_profile_post_without_csrf_token_is_refused_and_changes_nothing(testapp, make_user, login, procura_db):
    make_user("anna", email="anna@example.com")
    login(testapp, "anna")
    form = testapp.get("/profile").forms["profile-form"]
    fields = {k: v for k, v in form.submit_fields() if k != "csrf_token"}
    fields["email"] = "evil@example.com"
    response = testapp.post("/profile", fields, status=403)
    assert CSRF_MESSAGE in response.text
    assert user_attr(procura_db, "anna", "email") == "anna@example.com"
    response = testapp.post("/profile/security/token-create", {"name": "x"}, status=403)
    assert CSRF_MESSAGE in response.text
    assert len(user_attr(procura_db, "anna", "api_tokens")) == 0


def test_record_form_post_without_csrf_token_is_refused_and_changes_nothing(admin_app, procura_db):
    form = admin_app.get("/t/team/new").forms
    form = next(f for f in form.values() if "label" in f.fields)
    fields = {k: v for k, v in form.submit_fields() if k != "csrf_token"}
    fields.update(name="pirates", label="Pirates")
    response = admin_app.post("/t/team/new", fields, status=403)
    assert CSRF_MESSAGE in response.text
    assert with_root(procura_db, lambda root: "pirates" in root["types"]["team"]) is False


def test_api_with_session_cookie_needs_the_csrf_header(testapp, make_user, login, procura_db):
    make_user("anna")
    login(testapp, "anna")
    response = testapp.post_json("/api/v1/me/tokens", {"name": "x"}, status=403)
    assert response.content_type == "application/problem+json"
    assert response.json["title"] == "Missing or invalid CSRF token"
    assert len(user_attr(procura_db, "anna", "api_tokens")) == 0
    token = csrf_token(testapp)
    testapp.post_json("/api/v1/me/tokens", {"name": "x"}, headers={"X-CSRF-Token": token}, status=201)
    assert len(user_attr(procura_db, "anna", "api_tokens")) == 1


def test_only_a_bearer_header_exempts_from_csrf(testapp, make_user, login, procura_db):
    make_user("anna")
    login(testapp, "anna")
    response = testapp.post_json("/api/v1/me/tokens", {"name": "x"}, headers={"Authorization": "Basic YTpi"},
                                 status=403)
    assert response.json["title"] == "Missing or invalid CSRF token"
    assert len(user_attr(procura_db, "anna", "api_tokens")) == 0


def test_bearer_api_call_needs_no_csrf_token(app, make_user, procura_db):
    from authhelpers import change
    from procura.security import create_token, get_user

    make_user("anna")
    token = change(procura_db, lambda root: create_token(root, get_user(root, "anna")))
    api = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    api.post_json("/api/v1/me/tokens", {"name": "from a script"},
                  headers={"Authorization": f"Bearer {token}"}, status=201)
    api.patch_json("/api/v1/me", {"phone": "+7 495 123-45-67"}, headers={"Authorization": f"Bearer {token}"},
                   status=200)


# ---------------------------------------------------------------- sessions


def test_session_id_is_rotated_at_sign_in(testapp, make_user):
    make_user("anna")
    page = testapp.get("/login")
    before = session_cookie(testapp)
    before_csrf = page.forms["login-form"]["csrf_token"].value
    assert before
    response = submit_login(testapp, "anna")
    assert response.status_int == 303
    after = session_cookie(testapp)
    assert after and after != before
    assert csrf_token(testapp) != before_csrf  # the pre-login token is worthless afterwards
    # the pre-login cookie does not carry the sign-in
    stale = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    stale.set_cookie("procura_session", before)
    assert not signed_in(stale)


def test_session_cookie_flags(testapp, make_user):
    make_user("anna")
    testapp.get("/login")
    response = submit_login(testapp, "anna")
    cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith("procura_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def clock(monkeypatch):
    """Move the sessions' clock: ``clock.advance(seconds)``."""
    from procura.security import sessions

    class Clock:
        offset = 0

        def advance(self, seconds):
            self.offset += seconds

    real = sessions.now
    c = Clock()
    monkeypatch.setattr(sessions, "now", lambda: real() + c.offset)
    return c


def test_idle_session_ends_with_a_message(testapp, make_user, procura_db, clock):
    make_user("anna")
    set_security(procura_db, session_idle_timeout=600, session_max_age=8 * 3600)
    do_login(testapp, "anna")
    clock.advance(500)
    assert testapp.get("/").status_int == 200  # activity within the idle time refreshes "seen"
    clock.advance(500)
    assert testapp.get("/").status_int == 200
    clock.advance(601)
    response = testapp.get("/t/user", status=303)
    assert "/login?" in response.location and "ended=idle_timeout" in response.location
    page = response.follow()
    assert page.html.find(id="login-notice").get_text(strip=True) == (
        "You were signed out after a period of inactivity. Please sign in again.")
    assert not signed_in(testapp)
    ended = events(procura_db, "anna", "idle_timeout")
    assert len(ended) == 1 and ended[0]["success"] is False and ended[0]["detail"] == "After 10 min"
    do_login(testapp, "anna")  # signing in again works
    assert signed_in(testapp)


def test_form_sent_after_the_idle_timeout_is_not_saved(testapp, make_user, procura_db, clock):
    make_user("anna", email="anna@example.com")
    set_security(procura_db, session_idle_timeout=600)
    do_login(testapp, "anna")
    form = testapp.get("/profile").forms["profile-form"]
    form["email"] = "new@example.com"
    clock.advance(601)
    response = form.submit("save", status=303) if "save" in form.fields else form.submit(status=303)
    assert response.location.endswith("/login?ended=idle_timeout")
    assert "signed out after a period of inactivity" in response.follow().text
    assert user_attr(procura_db, "anna", "email") == "anna@example.com"


def test_session_lifetime_ends_even_an_active_session(testapp, make_user, procura_db, clock):
    make_user("anna")
    set_security(procura_db, session_idle_timeout=600, session_max_age=1800)
    do_login(testapp, "anna")
    for _i in range(3):
        clock.advance(500)
        assert testapp.get("/").status_int == 200
    clock.advance(400)
    response = testapp.get("/", status=303)
    assert "ended=session_expired" in response.location
    notice = response.follow().html.find(id="login-notice").get_text(strip=True)
    assert notice == "Your sign-in has expired. Please sign in again."
    assert [e["event"] for e in events(procura_db, "anna")][-1] == "session_expired"


def test_api_call_on_an_ended_session_is_401(testapp, make_user, procura_db, clock):
    make_user("anna")
    set_security(procura_db, session_idle_timeout=600)
    do_login(testapp, "anna")
    clock.advance(700)
    response = testapp.get("/api/v1/me", status=401)
    assert response.content_type == "application/problem+json"
    assert response.json["detail"] == "Your session ended; sign in again."


# ---------------------------------------------------------------- sign-in hours


@pytest.fixture
def office(app):
    """The default business calendar: Monday to Friday 09:00-18:00 in Moscow, a holiday on a Friday."""
    create_record(app.registry, "business_calendar", name="office", label="Office", default=True,
                  timezone="Europe/Moscow", workdays={"1", "2", "3", "4", "5"}, day_start="09:00",
                  day_end="18:00", holidays="2026-11-06\n")
    return "office"


def at_moscow(monkeypatch, *args):
    from procura.security import hours

    moment = dt.datetime(*args, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Moscow")).astimezone(UTC)
    monkeypatch.setattr(hours, "now_utc", lambda: moment)


@pytest.mark.parametrize(("when", "allowed"), [
    ((2026, 12, 7, 10, 0), True),  # Monday 10:00
    ((2026, 12, 7, 8, 59), False),  # before the day starts
    ((2026, 12, 7, 18, 0), False),  # the day has ended
    ((2026, 12, 5, 12, 0), False),  # Saturday
    ((2026, 11, 6, 12, 0), False),  # a holiday on a Friday
])
def test_role_with_refuse_signs_in_only_in_working_hours(testapp, make_user, procura_db, office, monkeypatch,
                                                         app, when, allowed):
    make_user("anna", roles=["nightshift"])
    update_record(app.registry, "role", "nightshift", login_hours="refuse")
    at_moscow(monkeypatch, *when)
    response = submit_login(testapp, "anna")
    if allowed:
        assert response.status_int == 303
        assert event_names(procura_db, "anna") == ["sign_in"]
    else:
        assert login_error(response) == "Signing in outside working hours is not allowed for your role."
        assert not signed_in(testapp)
        refused = events(procura_db, "anna")
        assert [(e["event"], e["success"], e["ip"]) for e in refused] == [("refused_hours", False, IP)]


def test_role_calendar_overrides_the_default_calendar(testapp, make_user, procura_db, office, monkeypatch, app):
    create_record(app.registry, "business_calendar", name="weekend", label="Weekend shift",
                  timezone="Europe/Moscow", workdays={"6", "7"}, day_start="08:00", day_end="20:00")
    make_user("anna", roles=["guards"])
    update_record(app.registry, "role", "guards", login_hours="refuse", calendar="weekend")
    at_moscow(monkeypatch, 2026, 12, 5, 12, 0)  # Saturday
    assert submit_login(testapp, "anna").status_int == 303


def test_role_with_flag_signs_in_and_flags_the_event(testapp, make_user, procura_db, office, monkeypatch, app):
    make_user("anna", roles=["contractor"])
    update_record(app.registry, "role", "contractor", login_hours="flag")
    at_moscow(monkeypatch, 2026, 12, 6, 23, 30)  # Sunday night
    assert submit_login(testapp, "anna").status_int == 303
    assert signed_in(testapp)
    event = events(procura_db, "anna")[-1]
    assert (event["event"], event["success"], event["flagged"]) == ("outside_hours", True, True)
    at_moscow(monkeypatch, 2026, 12, 7, 11, 0)
    other = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    assert submit_login(other, "anna").status_int == 303
    event = events(procura_db, "anna")[-1]
    assert (event["event"], event["flagged"]) == ("sign_in", False)


def test_most_permissive_role_wins(testapp, make_user, procura_db, office, monkeypatch, app):
    make_user("anna", roles=["nightshift", "duty"])
    update_record(app.registry, "role", "nightshift", login_hours="refuse")
    update_record(app.registry, "role", "duty", login_hours="flag")
    at_moscow(monkeypatch, 2026, 12, 5, 12, 0)
    assert submit_login(testapp, "anna").status_int == 303
    assert events(procura_db, "anna")[-1]["flagged"] is True


def test_calendar_validation_on_the_record_form(admin_app, procura_db):
    page = admin_app.get("/t/business_calendar/new")
    form = next(f for f in page.forms.values() if "label" in f.fields)
    form["name"], form["label"] = "bad", "Bad"
    form["day_start"], form["day_end"] = "18:00", "09:00"
    form["holidays"] = "2026-01-01\nnext friday"
    page = form.submit("save") if "save" in form.fields else form.submit()
    text = page.html.get_text(" ")
    assert "Not a date (YYYY-MM-DD): next friday" in text
    assert "The working day must end after it starts" in text
    assert with_root(procura_db, lambda root: "bad" in root["types"]["business_calendar"]) is False


# ---------------------------------------------------------------- administrator's pages


def test_sign_in_audit_is_for_administrators_only(testapp, make_user, admin_app, login):
    make_user("anna")
    login(testapp, "anna")
    page = admin_app.get("/t/login_event")
    rows = page.html.select("tbody tr[data-id]")
    assert {r.find(attrs={"data-label": "Login"}).get_text(strip=True) for r in rows} == {"boss", "anna"}
    assert IP in page.text
    response = testapp.get("/t/login_event", status=403)
    assert "Access denied" in response.text
    assert testapp.get("/api/v1/login_event", status=403).content_type == "application/problem+json"
    event_id = rows[0]["data-id"]
    assert "Access denied" in testapp.get(f"/t/login_event/{event_id}", status=403).text


def test_security_settings_page_validates_inline_and_saves(testapp, make_user, admin_app, login, procura_db):
    page = admin_app.get("/admin/security")
    form = page.forms["security-settings"]
    assert form["min_length"].value == "10"
    form["min_length"] = "3"
    form["lockout_minutes"] = "soon"
    form["session_idle_timeout"] = "900"
    page = form.submit("save")
    assert page.status_int == 200
    errors = {el.get("id"): el.get_text(strip=True) for el in page.html.select(".invalid-feedback")}
    assert len(errors) == 2, errors
    assert set(errors.values()) == {"3 is less than minimum value 6", '"soon" is not a number'}
    assert with_root(procura_db, lambda root: security_settings(root))["min_length"] == 10  # nothing saved

    form = page.forms["security-settings"]
    form["min_length"] = "12"
    form["lockout_minutes"] = "20"
    response = form.submit("save")
    assert response.status_int == 303
    assert "Security settings saved." in flashes(response.follow())
    saved = with_root(procura_db, lambda root: security_settings(root))
    assert (saved["min_length"], saved["lockout_minutes"], saved["session_idle_timeout"]) == (12, 20, 900)
    assert response.follow().forms["security-settings"]["min_length"].value == "12"

    make_user("anna")
    login(testapp, "anna")
    assert testapp.get("/admin/security", status=403)
    assert testapp.get("/api/v1/settings/security", status=403).content_type == "application/problem+json"
    assert re.search(r"at least 12 characters", testapp.get("/profile/security").text)


def test_security_settings_api_validates(make_user, procura_db, app):
    from authhelpers import change
    from procura.security import create_token, get_user

    make_user("boss", roles=["admin"])
    token = change(procura_db, lambda root: create_token(root, get_user(root, "boss")))
    api = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    headers = {"Authorization": f"Bearer {token}"}
    current = api.get("/api/v1/settings/security", headers=headers).json
    assert current["lockout_threshold"] == 5 and current["password_recovery"] is True
    bad = api.put_json("/api/v1/settings/security", dict(current, lockout_threshold=-1, code_minutes=0),
                       headers=headers, status=422)
    assert set(bad.json["errors"]) == {"lockout_threshold", "code_minutes"}
    assert with_root(procura_db, lambda root: security_settings(root))["lockout_threshold"] == 5
    saved = api.put_json("/api/v1/settings/security", dict(current, lockout_threshold=7), headers=headers).json
    assert saved["lockout_threshold"] == 7
    assert with_root(procura_db, lambda root: security_settings(root))["lockout_threshold"] == 7
