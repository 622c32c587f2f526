"""Web basics of the core: sign-in, CSRF, redirects, cookies, security headers, language,
profile, the admin status page and the REST API's error responses.

Uses the fixtures of ``procura.testing`` (testapp, make_user, login, root).
"""
from __future__ import annotations

import pytest
import transaction
from procura.content import APP_KEY
from procura.security import create_token, get_user
from procura.testing import TEST_PASSWORD
from webtest import TestApp

CSRF_MESSAGE = "The form has expired or was sent from another site. Reload the page and try again."


def signed_in(testapp) -> bool:
    return testapp.get("/", status="*").status_int == 200


def stored_user(procura_db, login):
    """A fresh look at a user as committed in the database: {attribute: value}."""
    conn = procura_db.open(transaction.TransactionManager())
    try:
        user = get_user(conn.root()[APP_KEY], login)
        return {k: getattr(user, k) for k in ("fullname", "email", "locale", "timezone")}
    finally:
        conn.close()


def bearer_token(procura_db, login):
    tm = transaction.TransactionManager()
    conn = procura_db.open(tm)
    try:
        with tm:
            root = conn.root()[APP_KEY]
            return create_token(root, get_user(root, login), name="test")
    finally:
        conn.close()


def logout_form(page):
    return next(f for f in page.forms.values() if f.action.endswith("/logout"))


# ---------------------------------------------------------------- sign-in


def test_wrong_password_shows_an_error_and_does_not_sign_in(testapp, make_user):
    make_user("anna")
    form = testapp.get("/login").forms["login-form"]
    form["login"] = "anna"
    form["password"] = "not-the-password"
    page = form.submit("submit")
    assert page.status_int == 200
    assert page.html.find(id="login-error").get_text(strip=True) == "Wrong login or password."
    assert page.forms["login-form"]["login"].value == "anna"  # kept for the next try
    assert page.forms["login-form"]["password"].value == ""  # never echoed back
    assert not signed_in(testapp)


def test_unknown_login_gets_the_same_error(testapp):
    form = testapp.get("/login").forms["login-form"]
    form["login"] = "nobody"
    form["password"] = "whatever"
    page = form.submit("submit")
    assert page.html.find(id="login-error").get_text(strip=True) == "Wrong login or password."
    assert not signed_in(testapp)


def test_right_password_signs_in(testapp, make_user, login):
    make_user("anna")
    assert not signed_in(testapp)
    login(testapp, "anna")
    assert signed_in(testapp)


# ---------------------------------------------------------------- CSRF


def test_login_without_csrf_token_is_refused(testapp, make_user):
    make_user("anna")
    testapp.get("/login")  # a session exists, so only the token is missing
    response = testapp.post("/login", {"login": "anna", "password": TEST_PASSWORD, "submit": "submit"},
                            status="*")
    assert response.status_int in (400, 403)
    assert response.content_type == "text/html"
    assert CSRF_MESSAGE in response.text
    assert not signed_in(testapp)


def test_login_with_a_wrong_csrf_token_is_refused(testapp, make_user):
    make_user("anna")
    form = testapp.get("/login").forms["login-form"]
    form["login"] = "anna"
    form["password"] = TEST_PASSWORD
    form["csrf_token"] = "0" * 40
    response = form.submit("submit", status="*")
    assert response.status_int in (400, 403)
    assert CSRF_MESSAGE in response.text
    assert not signed_in(testapp)


def test_logout_without_csrf_token_is_refused(testapp, make_user, login):
    make_user("anna")
    login(testapp, "anna")
    response = testapp.post("/logout", status="*")
    assert response.status_int in (400, 403)
    assert CSRF_MESSAGE in response.text
    assert signed_in(testapp)


def test_logout_form_signs_out(testapp, make_user, login):
    make_user("anna")
    login(testapp, "anna")
    response = logout_form(testapp.get("/")).submit()
    assert response.status_int == 303
    assert response.headers["Location"].endswith("/login")
    assert not signed_in(testapp)


def test_csrf_page_is_in_the_request_language(testapp, make_user):
    make_user("anna")
    testapp.get("/login")
    response = testapp.post("/login?_LOCALE_=ru", {"login": "anna", "password": TEST_PASSWORD}, status="*")
    assert response.status_int in (400, 403)
    assert response.html.find("html")["lang"] == "ru"
    assert "Срок действия формы истёк" in response.html.find("title").get_text()


# ---------------------------------------------------------------- redirects after sign-in


def login_with_came_from(testapp, came_from):
    form = testapp.get("/login", {"came_from": came_from}).forms["login-form"]
    form["login"] = "anna"
    form["password"] = TEST_PASSWORD
    response = form.submit("submit")
    assert response.status_int == 303
    return response.headers["Location"]


@pytest.mark.parametrize("came_from", [
    "//evil.example", "//evil.example/login", "https://evil", "https://evil.example/x", "http:evil.example",
    "/\\evil.example", "javascript:alert(1)",
])
def test_came_from_cannot_leave_the_site(testapp, make_user, came_from):
    make_user("anna")
    assert login_with_came_from(testapp, came_from) == "http://localhost/"


def test_came_from_to_a_local_page_is_followed(testapp, make_user):
    make_user("anna")
    assert login_with_came_from(testapp, "/profile?tab=1") == "http://localhost/profile?tab=1"


def test_signed_in_user_is_not_sent_off_site_either(testapp, make_user, login):
    make_user("anna")
    login(testapp, "anna")
    response = testapp.get("/login", {"came_from": "//evil.example"})
    assert response.status_int == 302
    assert response.headers["Location"] == "http://localhost/"
    switch = testapp.get("/language/en", {"came_from": "https://evil"})
    assert switch.headers["Location"] == "http://localhost/"


def test_protected_page_sends_to_login_with_came_from(testapp):
    response = testapp.get("/profile")
    assert response.status_int == 303
    assert response.headers["Location"] == "http://localhost/login?came_from=%2Fprofile"


# ---------------------------------------------------------------- cookies and headers


def session_cookie(response):
    cookies = [c for c in response.headers.getall("Set-Cookie") if c.startswith("procura_session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax(testapp, make_user):
    make_user("anna")
    form = testapp.get("/login").forms["login-form"]
    form["login"] = "anna"
    form["password"] = TEST_PASSWORD
    response = form.submit("submit")
    attrs = [a.strip().lower() for a in session_cookie(response).split(";")]
    assert "httponly" in attrs
    assert "samesite=lax" in attrs
    assert "secure" not in attrs  # plain http in this test: a Secure cookie would never come back


def test_session_cookie_is_secure_over_https(app):
    testapp = TestApp(app, extra_environ={"HTTP_HOST": "localhost", "wsgi.url_scheme": "https"})
    response = testapp.get("/login")
    attrs = [a.strip().lower() for a in session_cookie(response).split(";")]
    assert "secure" in attrs and "httponly" in attrs


def csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/api/v1/me"])
def test_security_headers(testapp, path):
    response = testapp.get(path, status="*")
    policy = csp(response)
    script_src = policy["script-src"]
    nonces = [s for s in script_src if s.startswith("'nonce-")]
    assert len(nonces) == 1 and len(nonces[0]) > len("'nonce-'") + 15
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")


def test_csp_nonce_is_fresh_per_response_and_on_inline_scripts(testapp, make_user, login):
    make_user("anna")
    login(testapp, "anna")
    first, second = testapp.get("/"), testapp.get("/")
    nonce1 = next(s for s in csp(first)["script-src"] if s.startswith("'nonce-"))[7:-1]
    nonce2 = next(s for s in csp(second)["script-src"] if s.startswith("'nonce-"))[7:-1]
    assert nonce1 != nonce2
    for script in first.html.find_all("script"):
        if not script.get("src"):
            assert script.get("nonce") == nonce1, script


# ---------------------------------------------------------------- language


def test_language_switch_sets_the_cookie_and_the_users_locale(testapp, make_user, login, procura_db, app):
    make_user("anna", locale="en")
    login(testapp, "anna")
    home = testapp.get("/")
    assert home.html.find("html")["lang"] == "en"
    link = home.html.find("a", attrs={"data-lang": "ru"})
    response = testapp.get(link["href"])
    assert response.status_int == 303
    assert response.headers["Location"] == "http://localhost/"
    cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith("procura_lang="))
    assert cookie.startswith("procura_lang=ru;")
    assert testapp.get("/").html.find("html")["lang"] == "ru"
    assert stored_user(procura_db, "anna")["locale"] == "ru"
    # Another browser (no cookie) gets Russian as soon as anna signs in there.
    other = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login(other, "anna")
    assert other.get("/").html.find("html")["lang"] == "ru"


def test_unknown_language_changes_nothing(testapp, make_user, login, procura_db):
    make_user("anna", locale="en")
    login(testapp, "anna")
    response = testapp.get("/language/xx")
    assert response.status_int == 303
    assert not [c for c in response.headers.getall("Set-Cookie") if c.startswith("procura_lang=")]
    assert stored_user(procura_db, "anna")["locale"] == "en"


def test_form_labels_follow_the_language_of_each_request(testapp):
    # Deform's renderer is shared by every request: it must not keep the first request's language.
    def labels(page):
        return [label.get_text(strip=True) for label in page.html.find(id="login-form").find_all("label")]

    assert "Password" in labels(testapp.get("/login?_LOCALE_=en"))
    assert "Пароль" in labels(testapp.get("/login?_LOCALE_=ru"))
    assert "Password" in labels(testapp.get("/login?_LOCALE_=en"))


def test_language_switch_works_before_sign_in(testapp):
    link = testapp.get("/login").html.find("a", attrs={"data-lang": "ru"})
    page = testapp.get(link["href"]).follow()
    assert page.html.find("html")["lang"] == "ru"


# ---------------------------------------------------------------- profile


def test_profile_form_saves(testapp, make_user, login, procura_db):
    make_user("anna", fullname="Anna", locale="en")
    login(testapp, "anna")
    form = testapp.get("/profile").forms["profile-form"]
    assert form["last"].value == "Anna"
    form["last"], form["first"], form["middle"] = "Иванова", "Анна", "Петровна"
    form["locale"] = "ru"
    form["timezone"] = "Asia/Yekaterinburg"
    response = form.submit("save")
    assert response.status_int == 303
    assert response.headers["Location"] == "http://localhost/profile"
    stored = stored_user(procura_db, "anna")
    assert stored["fullname"] == "Иванова Анна Петровна"
    assert stored["locale"] == "ru"
    assert stored["timezone"] == "Asia/Yekaterinburg"
    page = response.follow()
    assert page.html.find("html")["lang"] == "ru"
    assert page.forms["profile-form"]["timezone"].value == "Asia/Yekaterinburg"


def test_profile_rejects_an_unknown_time_zone_and_stores_nothing(testapp, make_user, login, procura_db):
    make_user("anna", fullname="Anna", locale="en", timezone="Europe/Moscow")
    login(testapp, "anna")
    before = stored_user(procura_db, "anna")
    form = testapp.get("/profile").forms["profile-form"]
    form["last"] = "Changed"
    form["timezone"].force_value("Mars/Olympus_Mons")
    response = form.submit("save")
    assert response.status_int == 200
    assert "Unknown time zone" in response.text
    # The error belongs to the time zone field (and only to it), not to the form as a whole.
    select = response.html.find("select", attrs={"name": "timezone"})
    error = response.html.find(id=select["aria-describedby"]) if select.get("aria-describedby") else None
    error = error or select.find_next_sibling(class_="invalid-feedback")
    assert error is not None and error.get_text(strip=True) == "Unknown time zone"
    assert "is-invalid" in select["class"]
    assert "is-invalid" not in response.html.find(attrs={"name": "last"}).get("class", [])
    assert stored_user(procura_db, "anna") == before


# ---------------------------------------------------------------- admin status


def test_admin_status_is_forbidden_for_a_non_admin(testapp, make_user, login):
    make_user("anna", roles=["buyer"])
    login(testapp, "anna")
    response = testapp.get("/admin/status", status=403)
    assert response.content_type == "text/html"
    assert "You do not have permission to open this page." in response.text
    assert 'id="addons-table"' not in response.text
    home = testapp.get("/")
    assert 'data-menu="admin_status"' not in home.text


def test_admin_status_lists_addons_for_an_admin(testapp, make_user, login, app):
    make_user("root", roles=["admin"])
    login(testapp, "root")
    assert 'data-menu="admin_status"' in testapp.get("/").text
    page = testapp.get("/admin/status")
    table = page.html.find(id="addons-table")
    assert table is not None
    text = table.get_text(" ")
    for addon in app.registry.procura_addons:
        assert addon.name in text
    assert "enabled" in text


def test_admin_status_asks_an_anonymous_visitor_to_sign_in(testapp):
    response = testapp.get("/admin/status")
    assert response.status_int == 303
    assert "/login?came_from=%2Fadmin%2Fstatus" in response.headers["Location"]


# ---------------------------------------------------------------- REST API


def problem(response, status):
    assert response.status_int == status
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"]
    return body


def test_api_me_without_auth_is_401_problem(testapp):
    body = problem(testapp.get("/api/v1/me", status=401), 401)
    assert "Authentication required" in body["title"]


def test_api_unknown_path_is_404_problem(testapp, make_user, procura_db):
    problem(testapp.get("/api/v1/no/such/thing", status=404), 404)
    make_user("anna")
    token = bearer_token(procura_db, "anna")
    problem(testapp.get("/api/v1/nothing", headers={"Authorization": f"Bearer {token}"}, status=404), 404)


def test_api_patch_me_with_invalid_email_is_422_and_stores_nothing(testapp, make_user, procura_db):
    make_user("anna", fullname="Anna", email="anna@example.org")
    token = bearer_token(procura_db, "anna")
    before = stored_user(procura_db, "anna")
    response = testapp.patch_json("/api/v1/me", {"name": {"last": "New"}, "email": "not-an-email"},
                                  headers={"Authorization": f"Bearer {token}"}, status=422)
    body = problem(response, 422)
    assert set(body["errors"]) == {"email"}
    assert body["errors"]["email"]
    assert stored_user(procura_db, "anna") == before


def test_api_patch_me_with_valid_data_is_stored(testapp, make_user, procura_db):
    make_user("anna", fullname="Anna", email="anna@example.org")
    token = bearer_token(procura_db, "anna")
    response = testapp.patch_json("/api/v1/me", {"name": {"last": "Newman", "first": "Anna"},
                                                 "email": "new@example.org"},
                                  headers={"Authorization": f"Bearer {token}"})
    assert response.json["email"] == "new@example.org"
    stored = stored_user(procura_db, "anna")
    assert (stored["fullname"], stored["email"]) == ("Newman Anna", "new@example.org")
    refused = testapp.patch_json("/api/v1/me", {"roles": ["admin"]}, headers={"Authorization": f"Bearer {token}"},
                                 status=422)
    assert "roles" in problem(refused, 422)["errors"]  # one's own roles are not a profile field


def test_api_patch_with_session_cookie_needs_the_csrf_token(testapp, make_user, login, procura_db):
    make_user("anna", email="anna@example.org")
    login(testapp, "anna")
    body = problem(testapp.patch_json("/api/v1/me", {"email": "x@example.org"}, status=403), 403)
    assert body["detail"] == CSRF_MESSAGE
    assert stored_user(procura_db, "anna")["email"] == "anna@example.org"
    token = testapp.get("/").html.find("meta", attrs={"name": "csrf-token"})["content"]
    testapp.patch_json("/api/v1/me", {"email": "x@example.org"}, headers={"X-CSRF-Token": token})
    assert stored_user(procura_db, "anna")["email"] == "x@example.org"
