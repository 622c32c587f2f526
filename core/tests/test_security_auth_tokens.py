"""API tokens: created on the profile page, through ``POST /api/v1/me/tokens`` and with
``procura apikey create``; shown once, stored hashed; expired, revoked and unknown tokens are
refused with a 401 problem and an audit record."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from authhelpers import (  # noqa: F401 - cheap_argon2 is an autouse fixture
    IP,
    change,
    cheap_argon2,
    csrf_token,
    events,
    flashes,
    form_with_action,
    user_attr,
    with_root,
)
from procura.security import get_user, token_digest
from procura.testing import do_login
from webtest import TestApp

PROCURA = Path(sys.executable).with_name("procura")


@pytest.fixture
def testapp(app):
    return TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": IP})


@pytest.fixture
def api(app):
    """A client without cookies (a script)."""
    return TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": IP})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def database_bytes(procura_db) -> bytes:
    """Every record of every transaction in the storage, as pickled."""
    out = []
    for txn in procura_db.storage.iterator():
        for record in txn:
            out.append(record.data or b"")
    return b"".join(out)


def assert_stored_hashed(procura_db, login, token):
    tokens = user_attr(procura_db, login, "api_tokens")
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert digest in tokens
    assert token not in repr(dict(tokens))
    data = database_bytes(procura_db)
    assert digest.encode() in data  # the scan sees the stored records
    assert token.encode() not in data
    assert token.encode()[4:] not in data  # not even without its prefix


def test_token_created_on_the_profile_page_is_shown_once_and_stored_hashed(testapp, make_user, api, procura_db):
    make_user("anna")
    do_login(testapp, "anna")
    form = form_with_action(testapp.get("/profile/security"), "/profile/security/token-create")
    form["name"], form["days"] = "1C integration", "30"
    page = form.submit().follow()
    token = page.html.find(id="new-token").code.get_text(strip=True)
    assert token.startswith("prc_") and len(token) > 40
    assert page.html.select_one("#tokens-table tbody tr td").get_text(strip=True) == "1C integration"
    again = testapp.get("/profile/security")
    assert again.html.find(id="new-token") is None and token not in again.text  # shown once

    assert_stored_hashed(procura_db, "anna", token)
    meta = user_attr(procura_db, "anna", "api_tokens")[token_digest(token)]
    assert dt.timedelta(days=29, hours=23) < meta["expires"] - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)
    assert api.get("/api/v1/me", headers=bearer(token)).json["login"] == "anna"
    created = events(procura_db, "anna", "token_created")
    assert len(created) == 1 and created[0]["detail"] == "1C integration" and created[0]["ip"] == IP


def test_token_created_through_the_api(testapp, make_user, api, procura_db):
    make_user("anna")
    do_login(testapp, "anna")
    headers = {"X-CSRF-Token": csrf_token(testapp)}
    response = testapp.post_json("/api/v1/me/tokens", {"name": "script", "days": 7}, headers=headers, status=201)
    token = response.json["token"]
    assert response.json["name"] == "script" and response.json["revoked"] is False
    assert response.json["expires"].endswith("Z")
    assert_stored_hashed(procura_db, "anna", token)
    listed = testapp.get("/api/v1/me/tokens").json
    assert listed["total"] == 1 and "token" not in listed["items"][0]
    assert token not in testapp.get("/api/v1/me/tokens").text
    assert api.get("/api/v1/me", headers=bearer(token)).json["login"] == "anna"

    bad = testapp.post_json("/api/v1/me/tokens", {"name": "x", "days": 0}, headers=headers, status=422)
    assert bad.content_type == "application/problem+json" and "days" in bad.json["errors"]
    assert len(user_attr(procura_db, "anna", "api_tokens")) == 1


def test_a_role_without_the_api_permission_gets_no_token(testapp, make_user, procura_db, app):
    from procura.testing import set_grants

    make_user("anna", roles=["clerk"])
    set_grants(app.registry, "user", permissions={"procura.use-api": False})
    do_login(testapp, "anna")
    page = testapp.get("/profile/security")
    assert page.html.find(id="token-form") is None
    response = testapp.post_json("/api/v1/me/tokens", {"name": "x"},
                                 headers={"X-CSRF-Token": csrf_token(testapp)}, status=403)
    assert response.json["detail"] == "Your role may not use the REST API."
    assert len(user_attr(procura_db, "anna", "api_tokens")) == 0


def make_token(procura_db, login, **kw):
    from procura.security import create_token

    return change(procura_db, lambda root: create_token(root, get_user(root, login), **kw))


def refused(api, token, procura_db):
    response = api.get("/api/v1/me", headers=bearer(token), status=401)
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 401 and response.json["title"] == "Invalid API token"
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    return response.json["detail"], events(procura_db, event="token_refused")[-1]


def test_expired_token_is_refused_and_audited(make_user, api, procura_db):
    make_user("anna")
    token = make_token(procura_db, "anna", name="short", days=1)
    assert api.get("/api/v1/me", headers=bearer(token)).status_int == 200

    def expire(root):
        tokens = get_user(root, "anna").api_tokens
        digest = token_digest(token)
        tokens[digest] = dict(tokens[digest], expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))

    change(procura_db, expire)
    detail, event = refused(api, token, procura_db)
    assert detail == "The API token has expired. Create a new one on your profile page."
    assert (event["login"], event["success"], event["method"], event["detail"], event["ip"]) == (
        "anna", False, "token", "expired", IP)


def test_token_revoked_on_the_profile_page_is_refused(testapp, make_user, api, procura_db):
    make_user("anna")
    token = make_token(procura_db, "anna", name="old")
    do_login(testapp, "anna")
    page = testapp.get("/profile/security")
    row = page.html.select_one("#tokens-table tbody tr")
    assert row["data-token"] == token_digest(token)[:12]
    form = form_with_action(page, "/profile/security/token-revoke")
    assert "The token was revoked." in flashes(form.submit().follow())
    detail, event = refused(api, token, procura_db)
    assert detail == "The API token has been revoked."
    assert (event["login"], event["detail"]) == ("anna", "revoked")
    assert events(procura_db, "anna", "token_revoked")


def test_token_revoked_through_the_api_and_by_an_admin(testapp, make_user, api, procura_db, app):
    make_user("anna")
    make_user("boss", roles=["admin"])
    first, second = make_token(procura_db, "anna"), make_token(procura_db, "anna")
    token_id = token_digest(first)[:12]
    api.delete(f"/api/v1/me/tokens/{token_id}", headers=bearer(second), status=204)
    api.delete(f"/api/v1/me/tokens/{token_id}", headers=bearer(second), status=404)  # once
    refused(api, first, procura_db)
    assert api.get("/api/v1/me", headers=bearer(second)).status_int == 200

    admin = do_login(TestApp(app, extra_environ={"HTTP_HOST": "localhost"}), "boss")
    form = form_with_action(admin.get("/t/user/anna"), "/t/user/anna/op/revoke_tokens")
    assert form.submit().status_int == 303
    refused(api, second, procura_db)
    assert [e["detail"] for e in events(procura_db, "anna", "token_revoked")][-1] == "Tokens revoked: 1"


def test_unknown_and_deactivated_tokens_are_refused(make_user, api, procura_db, app):
    from authhelpers import update_record

    detail, event = refused(api, "prc_" + "x" * 43, procura_db)
    assert detail == "The API token is not valid." and (event["login"], event["detail"]) == ("", "unknown")
    make_user("anna")
    token = make_token(procura_db, "anna")
    update_record(app.registry, "user", "anna", active=False)
    detail, event = refused(api, token, procura_db)
    assert detail == "The account of this API token is deactivated."
    assert (event["login"], event["detail"]) == ("anna", "inactive")


def test_bearer_token_is_not_a_session(make_user, api, procura_db):
    make_user("anna")
    token = make_token(procura_db, "anna")
    api.get("/api/v1/me", headers=bearer(token))
    assert "procura_session" not in api.cookies
    api.get("/api/v1/me", status=401)


# ---------------------------------------------------------------- procura apikey create


def run_cli(home, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCURA_")}
    env.update(PROCURA_VAR_DIR=str(home / "var"), NO_COLOR="1")
    return subprocess.run([str(PROCURA), *args], cwd=home, env=env, capture_output=True, text=True, timeout=120)


def test_cli_apikey_create_for_a_user(tmp_path):
    from procura import make_app
    from procura.settings import resolve
    from procura.testing import create_test_user

    assert run_cli(tmp_path, "init").returncode == 0
    settings = resolve({"procura.var_dir": str(tmp_path / "var"), "procura.default_locale": "en"})
    app = make_app(settings)
    db = app.registry._zodb_databases[""]
    create_test_user(app.registry, "anna")
    db.close()

    result = run_cli(tmp_path, "apikey", "create", "--user", "anna", "--name", "erp", "--days", "7")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("prc_") and "\n" not in token
    assert token.encode() not in (tmp_path / "var" / "Data.fs").read_bytes()  # stored hashed

    app = make_app(settings)
    try:
        client = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
        assert client.get("/api/v1/me", headers=bearer(token)).json["login"] == "anna"
        db = app.registry._zodb_databases[""]
        meta = with_root(db, lambda root: dict(get_user(root, "anna").api_tokens[token_digest(token)]))
        assert meta["name"] == "erp"
        assert dt.timedelta(days=6, hours=23) < meta["expires"] - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)
    finally:
        app.registry._zodb_databases[""].close()
