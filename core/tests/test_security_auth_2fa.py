"""The second factor end to end (authenticator app with QR enrolment, a code by email through a real
SMTP server on loopback, a code by Telegram through a local Bot API server, recovery codes, a role
that requires a second factor) and password recovery by email."""
from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from authhelpers import (  # noqa: F401 - cheap_argon2 is an autouse fixture
    IP,
    STRONG,
    cheap_argon2,
    code_in,
    event_names,
    events,
    flashes,
    form_with_action,
    login_error,
    set_security,
    signed_in,
    submit_login,
    update_record,
    user_attr,
)
from procura.testing import TEST_PASSWORD, smtp_settings, telegram_settings
from procura.testing_servers import SmtpSink
from webtest import TestApp


@pytest.fixture
def procura_overrides(smtp_server, telegram_server):
    return {**smtp_settings(smtp_server), **telegram_settings(telegram_server)}


@pytest.fixture
def testapp(app):
    return TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": IP})


def browser(app):
    return TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": IP})


@pytest.fixture
def totp_clock(monkeypatch):
    """Move the second factor's clock (TOTP codes are accepted once per 30-second step)."""
    from procura.security import twofactor

    class Clock:
        offset = dt.timedelta(0)

        def now(self):
            return dt.datetime.now(dt.UTC) + self.offset

        def advance(self, seconds):
            self.offset += dt.timedelta(seconds=seconds)

    clock = Clock()
    monkeypatch.setattr(twofactor, "now_utc", clock.now)
    return clock


def sign_out(app_):
    form_with_action(app_.get("/"), "/logout").submit()


def assert_qr_encodes(page_part, uri):
    """The page's inline QR code (no image service) is the one of ``uri``: its modules are drawn the same."""
    from bs4 import BeautifulSoup
    from procura.security.twofactor import qr_svg

    shown = [p.get("d") for p in page_part.select(".qr-code svg path")]
    expected = [p.get("d") for p in BeautifulSoup(qr_svg(uri), "html.parser").select("svg path")]
    assert shown and shown == expected


def enrol_totp_on_profile(testapp, totp_clock, account="anna"):
    """Set up the authenticator app on the profile page; returns (secret, recovery codes).
    ``account``: the name the QR code gives the authenticator app (the email, else the login)."""
    page = form_with_action(testapp.get("/profile/security"), "/profile/security/totp-begin").submit().follow()
    box = page.html.find(id="totp-setup")
    secret = box.find(id="totp-secret").get_text(strip=True)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert_qr_encodes(box, pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name="Procura"))
    form = page.forms["totp-confirm"]
    form["code"] = "123456" if pyotp.TOTP(secret).at(totp_clock.now()) != "123456" else "654321"
    assert "The code is not right" in flashes(form.submit().follow())
    page = testapp.get("/profile/security")
    form = page.forms["totp-confirm"]
    form["code"] = pyotp.TOTP(secret).at(totp_clock.now())
    page = form.submit().follow()
    assert "The authenticator app is set up." in flashes(page)
    codes = [li.get_text(strip=True) for li in page.html.select("#recovery-codes li")]
    assert len(codes) == 10 and all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", c) for c in codes)
    assert testapp.get("/profile/security").html.find(id="recovery-codes") is None  # shown once
    return secret, codes


def test_totp_enrolment_then_sign_in_asks_for_the_code(testapp, make_user, procura_db, totp_clock):
    make_user("anna", email="anna@example.com")
    submit_login(testapp, "anna")
    secret, _codes = enrol_totp_on_profile(testapp, totp_clock, "anna@example.com")
    assert user_attr(procura_db, "anna", "totp_secret") == secret
    assert "totp" in user_attr(procura_db, "anna", "second_factors")
    sign_out(testapp)

    response = submit_login(testapp, "anna")
    assert response.status_int == 303 and response.location.endswith("/login/second-factor")
    assert not signed_in(testapp)  # the password alone does not sign in
    page = response.follow()
    assert page.html.select_one("a.active[data-method]")["data-method"] == "totp"
    form = page.forms["sf-form"]
    form["code"] = "000000" if pyotp.TOTP(secret).at(totp_clock.now()) != "000000" else "111111"
    page = form.submit()
    assert page.html.find(id="sf-error").get_text(strip=True) == "The code is not right, or it has expired."
    assert not signed_in(testapp)

    totp_clock.advance(30)  # the enrolment used this step's code: the next one
    form = page.forms["sf-form"]
    form["code"] = pyotp.TOTP(secret).at(totp_clock.now())
    response = form.submit()
    assert response.status_int == 303 and signed_in(testapp)
    audit = events(procura_db, "anna")
    assert [e["event"] for e in audit] == ["sign_in", "second_factor_enrolled", "sign_out",
                                           "second_factor_failure", "second_factor", "sign_in"]
    failure = audit[3]
    assert (failure["success"], failure["method"], failure["ip"], failure["detail"]) == (False, "totp", IP,
                                                                                           "Attempt 1")
    assert (audit[-1]["success"], audit[-1]["detail"]) == (True, "Second factor: totp")


def test_a_totp_code_is_accepted_once(testapp, make_user, procura_db, totp_clock, app):
    make_user("anna")
    submit_login(testapp, "anna")
    secret, _codes = enrol_totp_on_profile(testapp, totp_clock)
    totp_clock.advance(60)
    code = pyotp.TOTP(secret).at(totp_clock.now())
    for client, ok in ((browser(app), True), (browser(app), False)):
        form = submit_login(client, "anna").follow().forms["sf-form"]
        form["code"] = code
        response = form.submit()
        assert (response.status_int == 303) is ok
        assert signed_in(client) is ok


def test_too_many_wrong_codes_end_the_sign_in(testapp, make_user, procura_db, totp_clock):
    make_user("anna")
    submit_login(testapp, "anna")
    enrol_totp_on_profile(testapp, totp_clock)
    sign_out(testapp)
    set_security(procura_db, code_attempts=2)
    page = submit_login(testapp, "anna").follow()
    for _i in range(2):
        form = page.forms["sf-form"]
        form["code"] = "999999"
        page = form.submit()
    assert page.status_int == 303 and page.location.endswith("/login")
    assert "Too many wrong codes. Please sign in again." in flashes(page.follow())
    assert testapp.get("/login/second-factor").status_int == 303  # the challenge is gone


def test_wrong_codes_count_toward_the_lockout(testapp, make_user, procura_db, totp_clock, app):
    make_user("anna")
    submit_login(testapp, "anna")
    enrol_totp_on_profile(testapp, totp_clock)
    sign_out(testapp)
    set_security(procura_db, lockout_threshold=3, code_attempts=5)

    def wrong_code(client):
        form = submit_login(client, "anna").follow().forms["sf-form"]
        form["code"] = "999999"
        return form.submit()

    assert wrong_code(testapp).status_int == 200
    assert wrong_code(browser(app)).status_int == 200  # starting again gives no fresh guesses
    response = wrong_code(browser(app))
    assert response.status_int == 303 and response.location.endswith("/login")
    assert user_attr(procura_db, "anna", "locked_until") is not None
    page = submit_login(browser(app), "anna")
    assert "This account is locked" in login_error(page)
    # the challenge that was open in the first browser is over as well
    assert testapp.get("/login/second-factor").status_int == 303
    locked = events(procura_db, "anna", "locked")
    assert len(locked) == 1 and locked[0]["method"] == "totp"


def test_recovery_codes_work_once_each(testapp, make_user, procura_db, totp_clock, app):
    make_user("anna")
    submit_login(testapp, "anna")
    _secret, codes = enrol_totp_on_profile(testapp, totp_clock)
    assert user_attr(procura_db, "anna", "recovery_codes")[0] not in codes  # stored as digests
    sign_out(testapp)

    def with_recovery(client, code, left):
        page = submit_login(client, "anna").follow()
        page = page.click(linkid="use-recovery")
        assert f"(each works once; {left} left)" in page.html.get_text(" ", strip=True).replace("  ", " ")
        form = page.forms["sf-form"]
        form["code"] = code
        return form.submit()

    assert with_recovery(testapp, codes[3].lower(), 10).status_int == 303  # case and dash do not matter
    assert signed_in(testapp)
    assert len(user_attr(procura_db, "anna", "recovery_codes")) == 9
    used = events(procura_db, "anna", "recovery_code")
    assert len(used) == 1 and used[0]["detail"] == "Recovery codes left: 9" and used[0]["method"] == "recovery"

    other = browser(app)
    page = with_recovery(other, codes[3], 9)
    assert page.status_int == 200 and "The code is not right" in page.html.find(id="sf-error").get_text()
    assert not signed_in(other)
    assert with_recovery(other, codes[4].replace("-", ""), 9).status_int == 303


# ---------------------------------------------------------------- code by email


def mail_code(smtp_server, count):
    msg = smtp_server.wait_for(count)[count - 1]
    return msg, code_in(SmtpSink.text(msg))


def test_email_code_enrolment_and_sign_in_through_real_smtp(testapp, make_user, procura_db, smtp_server):
    make_user("anna", email="anna@example.com")
    submit_login(testapp, "anna")
    page = form_with_action(testapp.get("/profile/security"), "/profile/security/email-begin").submit().follow()
    assert "We sent a code to anna@example.com." in flashes(page)
    msg, code = mail_code(smtp_server, 1)
    assert msg["To"] == "anna@example.com" and msg.envelope_to == ["anna@example.com"]
    assert msg["Subject"] == "Procura: confirm your email for sign-in codes"
    form = form_with_action(page, "/profile/security/email-confirm")
    form["code"] = code
    page = form.submit().follow()
    assert "Codes by email are set up." in flashes(page)
    assert "email" in user_attr(procura_db, "anna", "second_factors")
    sign_out(testapp)

    page = submit_login(testapp, "anna").follow()
    assert page.html.select_one("a.active[data-method]")["data-method"] == "email"
    assert "sf-form" not in page.forms  # a code has to be sent first
    page = page.forms["sf-send"].submit()
    assert "A code has been sent. It is valid for 10 minutes." in page.html.find(id="sf-notice").get_text()
    msg, code = mail_code(smtp_server, 2)
    assert msg["Subject"] == "Procura sign-in code"
    assert "valid for 10 minutes" in SmtpSink.text(msg)
    form = page.forms["sf-form"]
    form["code"] = code
    assert form.submit().status_int == 303 and signed_in(testapp)
    assert event_names(procura_db, "anna")[-2:] == ["second_factor", "sign_in"]
    assert events(procura_db, "anna", "second_factor")[-1]["method"] == "email"


def test_email_code_expires(testapp, make_user, procura_db, smtp_server, totp_clock):
    make_user("anna", email="anna@example.com")
    submit_login(testapp, "anna")
    form_with_action(testapp.get("/profile/security"), "/profile/security/email-begin").submit()
    _msg, code = mail_code(smtp_server, 1)
    form = form_with_action(testapp.get("/profile/security"), "/profile/security/email-confirm")
    form["code"] = code
    form.submit()
    sign_out(testapp)
    page = submit_login(testapp, "anna").follow().forms["sf-send"].submit()
    _msg, code = mail_code(smtp_server, 2)
    totp_clock.advance(11 * 60)
    form = page.forms["sf-form"]
    form["code"] = code
    page = form.submit()
    assert page.status_int == 200 and page.html.find(id="sf-error") is not None
    assert not signed_in(testapp)


def test_the_profile_confirmation_code_expires_and_allows_few_tries(testapp, make_user, procura_db, smtp_server,
                                                                    totp_clock):
    make_user("anna", email="anna@example.com")
    submit_login(testapp, "anna")

    def begin(count):
        form_with_action(testapp.get("/profile/security"), "/profile/security/email-begin").submit()
        return mail_code(smtp_server, count)[1]

    def confirm(code):
        form = form_with_action(testapp.get("/profile/security"), "/profile/security/email-confirm")
        form["code"] = code
        return flashes(form.submit().follow())

    code = begin(1)
    totp_clock.advance(11 * 60)  # codes live 10 minutes
    assert "The code has expired. Send a new one." in confirm(code)
    code = begin(2)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _attempt in range(4):
        assert "The code is not right." in confirm(wrong)
    assert "Too many wrong codes. Send a new one." in confirm(wrong)
    page = testapp.get("/profile/security")  # the code is gone: nothing left to confirm, even the right one
    assert not [f for f in page.forms.values() if (f.action or "").endswith("/profile/security/email-confirm")]
    assert "email" not in user_attr(procura_db, "anna", "second_factors")
    assert "Codes by email are set up." in confirm(begin(3))


# ---------------------------------------------------------------- code by Telegram


def test_telegram_link_and_sign_in_through_the_bot_api(testapp, make_user, procura_db, telegram_server):
    make_user("anna")
    submit_login(testapp, "anna")
    page = form_with_action(testapp.get("/profile/security"), "/profile/security/telegram-link").submit().follow()
    start = page.html.find(id="telegram-code").get_text(strip=True)
    code = start.removeprefix("/start ")
    link = page.html.find(id="telegram-setup").find("a")["href"]
    assert link == f"https://t.me/procura_test_bot?start={code}"

    form = form_with_action(page, "/profile/security/telegram-check")
    page = form.submit().follow()  # nothing arrived yet
    assert "No message from you yet" in flashes(page)
    telegram_server.add_start("some-other-code", 555)
    telegram_server.add_start(code, 777001)
    page = form_with_action(page, "/profile/security/telegram-check").submit().follow()
    assert "Telegram is connected." in flashes(page)
    assert user_attr(procura_db, "anna", "telegram_chat_id") == 777001
    assert "telegram" in user_attr(procura_db, "anna", "second_factors")
    assert "getUpdates" in telegram_server.calls
    sign_out(testapp)

    page = submit_login(testapp, "anna").follow()
    assert page.html.select_one("a.active[data-method]")["data-method"] == "telegram"
    page = page.forms["sf-send"].submit()
    sent = telegram_server.wait_for(1)[0]
    assert sent["chat_id"] == 777001 and "Your Procura sign-in code" in sent["text"]
    form = page.forms["sf-form"]
    form["code"] = "000000" if code_in(sent["text"]) != "000000" else "111111"
    page = form.submit()
    assert page.html.find(id="sf-error") is not None
    form = page.forms["sf-form"]
    form["code"] = code_in(sent["text"])
    assert form.submit().status_int == 303 and signed_in(testapp)
    audit = events(procura_db, "anna")
    assert [e["event"] for e in audit][-3:] == ["second_factor_failure", "second_factor", "sign_in"]
    assert audit[-3]["method"] == "telegram" and audit[-2]["method"] == "telegram"


def test_telegram_down_keeps_the_challenge(testapp, make_user, procura_db, telegram_server):
    from authhelpers import change
    from procura.security import get_user

    make_user("anna")

    def link(root):
        user = get_user(root, "anna")
        user.telegram_chat_id = 42
        user.second_factors["telegram"] = {"since": dt.datetime.now(dt.UTC)}

    change(procura_db, link)
    telegram_server.stop()
    page = submit_login(testapp, "anna").follow().forms["sf-send"].submit()
    assert page.status_int == 200
    assert "The code could not be sent." in page.html.find(id="sf-error").get_text()
    assert testapp.get("/login/second-factor").status_int == 200


# ---------------------------------------------------------------- a role that requires a second factor


def test_role_that_requires_a_second_factor_forces_enrolment(testapp, make_user, procura_db, app, totp_clock):
    make_user("anna", roles=["finance"], email="anna@example.com")
    update_record(app.registry, "role", "finance", require_2fa=True)
    response = submit_login(testapp, "anna")
    assert response.location.endswith("/login/second-factor/setup")
    assert not signed_in(testapp)
    page = response.follow()
    assert [a["data-method"] for a in page.html.select("a[data-method]")] == ["totp", "email", "telegram"]
    secret = page.html.find(id="totp-secret").get_text(strip=True)
    assert_qr_encodes(page.html, pyotp.TOTP(secret).provisioning_uri(name="anna@example.com", issuer_name="Procura"))
    form = page.forms["sf-setup-form"]
    form["code"] = "000000" if pyotp.TOTP(secret).at(totp_clock.now()) != "000000" else "111111"
    page = form.submit()
    assert page.html.find(id="sf-error") is not None and not signed_in(testapp)
    assert page.html.find(id="totp-secret").get_text(strip=True) == secret  # the same secret to scan
    form = page.forms["sf-setup-form"]
    form["code"] = pyotp.TOTP(secret).at(totp_clock.now())
    response = form.submit()
    assert response.status_int == 303 and "/profile/security" in response.location
    page = response.follow()
    assert len(page.html.select("#recovery-codes li")) == 10
    assert signed_in(testapp)
    assert event_names(procura_db, "anna") == ["second_factor_enrolled", "second_factor", "sign_in"]
    # the only second factor of a user whose role requires one cannot be removed
    form = form_with_action(page, "/profile/security/remove")
    assert "Your role requires a second factor" in flashes(form.submit().follow())
    assert user_attr(procura_db, "anna", "second_factors")


def test_enrolment_by_email_during_a_sign_in(testapp, make_user, procura_db, app, smtp_server):
    make_user("anna", roles=["finance"], email="anna@example.com")
    update_record(app.registry, "role", "finance", require_2fa=True)
    page = submit_login(testapp, "anna").follow().click(href=r"method=email")
    page = next(f for f in page.forms.values() if f.get("action", index=0).value == "send").submit()
    _msg, code = mail_code(smtp_server, 1)
    form = page.forms["sf-setup-form"]
    form["code"] = code
    assert form.submit().status_int == 303 and signed_in(testapp)
    assert "email" in user_attr(procura_db, "anna", "second_factors")


def test_admin_removes_the_second_factor(testapp, make_user, procura_db, app, totp_clock):
    from procura.testing import do_login

    make_user("anna")
    make_user("boss", roles=["admin"])
    submit_login(testapp, "anna")
    enrol_totp_on_profile(testapp, totp_clock)
    admin = do_login(browser(app), "boss")
    form = form_with_action(admin.get("/t/user/anna"), "/t/user/anna/op/reset_second_factor")
    assert form.submit().status_int == 303
    assert user_attr(procura_db, "anna", "second_factors") == {}
    assert user_attr(procura_db, "anna", "totp_secret") is None
    assert submit_login(browser(app), "anna").location.endswith("/")  # the password alone again
    assert "second_factor_removed" in event_names(procura_db, "anna")


# ---------------------------------------------------------------- password recovery by email


def request_reset(client, value):
    form = client.get("/password/forgot").forms["forgot-form"]
    form["login"] = value
    page = form.submit("submit")
    assert page.status_int == 200
    return page.html.find(id="recovery-sent").get_text(" ", strip=True)


def test_password_recovery_by_email(testapp, make_user, procura_db, smtp_server):
    make_user("anna", email="anna@example.com", fullname="Smith Anna")
    page = testapp.get("/login")
    assert page.html.find(id="forgot-password") is not None
    answer = request_reset(testapp, "Anna@Example.com")
    assert answer.startswith("If an account with that login or email exists, we have sent it a link")
    msg = smtp_server.wait_for(1)[0]
    assert msg["To"] == "anna@example.com" and msg["Subject"] == "Procura: reset your password"
    text = SmtpSink.text(msg)
    assert "Hello, Smith Anna!" in text
    link = re.search(r"http://localhost(/password/reset/\S+)", text).group(1)

    page = testapp.get(link)
    form = page.forms["reset-form"]
    form["password"], form["confirm"] = "weak", "weak"
    page = form.submit("submit")
    assert "The password needs at least 10 characters" in page.html.select_one(".invalid-feedback").get_text()
    form = page.forms["reset-form"]
    form["password"], form["confirm"] = STRONG, STRONG
    response = form.submit("submit")
    assert response.status_int == 303 and response.location.endswith("/login")
    assert "Your password has been changed." in flashes(response.follow())

    assert login_error(submit_login(browser(testapp.app), "anna", TEST_PASSWORD)) == "Wrong login or password."
    assert submit_login(browser(testapp.app), "anna", STRONG).status_int == 303
    again = testapp.get(link)  # the link works once
    assert "reset-form" not in again.forms
    names = event_names(procura_db, "anna")
    assert names[:2] == ["password_reset_requested", "password_reset"]


def test_recovery_finds_an_email_whatever_its_case(testapp, make_user, smtp_server):
    make_user("anna", email="Anna.Smith@Example.com")
    request_reset(testapp, "anna.smith@example.COM")
    assert smtp_server.wait_for(1)[0]["To"] == "Anna.Smith@Example.com"


def test_recovery_for_an_unknown_account_gives_the_same_answer_and_sends_nothing(testapp, make_user, procura_db,
                                                                                  smtp_server):
    make_user("anna", email="anna@example.com")
    known = request_reset(testapp, "anna")
    smtp_server.wait_for(1)
    unknown = request_reset(browser(testapp.app), "nobody@example.com")
    unknown_login = request_reset(browser(testapp.app), "nobody")
    assert known == unknown == unknown_login
    import time

    time.sleep(0.2)
    assert len(smtp_server.messages) == 1
    requested = events(procura_db, event="password_reset_requested")
    assert [(e["login"], e["success"]) for e in requested] == [
        ("anna", True), ("nobody@example.com", False), ("nobody", False)]


def test_recovery_mails_are_throttled_per_account(testapp, make_user, procura_db, smtp_server):
    make_user("anna", email="anna@example.com")
    first = request_reset(testapp, "anna")
    smtp_server.wait_for(1)
    again = request_reset(browser(testapp.app), "anna@example.com")
    assert first == again  # the same neutral answer
    import time

    time.sleep(0.2)
    assert len(smtp_server.messages) == 1  # no second mail within the minute
    requested = events(procura_db, event="password_reset_requested")
    assert [(e["login"], e["success"]) for e in requested] == [("anna", True), ("anna", False)]
    assert "Too many" in requested[1]["detail"]


def test_recovery_switched_off_by_the_admin(testapp, make_user, procura_db, smtp_server):
    make_user("anna", email="anna@example.com")
    form = testapp.get("/password/forgot").forms["forgot-form"]  # a form opened before the switch
    set_security(procura_db, password_recovery=False)
    assert testapp.get("/login").html.find(id="forgot-password") is None
    page = testapp.get("/password/forgot")
    assert "Password recovery by email is switched off" in page.html.find(id="recovery-disabled").get_text()
    assert "forgot-form" not in page.forms
    form["login"] = "anna"
    page = form.submit("submit")
    assert page.html.find(id="recovery-disabled") is not None
    import time

    time.sleep(0.2)
    assert smtp_server.messages == []
