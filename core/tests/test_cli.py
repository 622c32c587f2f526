"""The `procura` command, run as a subprocess the way an administrator runs it.

Each run gets a clean environment (no PROCURA_* from outside), a temporary working directory (no
stray procura.ini) and PROCURA_VAR_DIR in tmp. One installation is initialised for the module and
shared by the tests that only read it.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import transaction
from procura import make_app
from procura.content import APP_KEY
from procura.db import open_db
from procura.settings import resolve
from webtest import TestApp

PROCURA = Path(sys.executable).with_name("procura")


def run(cwd: Path, *args, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCURA_")}
    env.update(PROCURA_VAR_DIR=str(cwd / "var"), NO_COLOR="1", **env_extra)
    return subprocess.run([str(PROCURA), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def assert_clear_failure(result, *needles):
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]


class Installation:
    def __init__(self, home: Path):
        self.home = home
        self.var = home / "var"
        self.results = {}

    def settings(self):
        return resolve({"procura.var_dir": str(self.var), "procura.default_locale": "en"})

    def db(self):
        return open_db(self.settings()["procura.zodb_uri"])


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """`procura init` twice, `procura demo` twice, recording each run and the state in between."""
    inst = Installation(tmp_path_factory.mktemp("cli"))
    inst.results["init1"] = run(inst.home, "init")
    assert inst.results["init1"].returncode == 0, inst.results["init1"].stderr
    inst.secret1 = (inst.var / "secret.key").read_text()
    inst.size1 = (inst.var / "Data.fs").stat().st_size
    inst.results["init2"] = run(inst.home, "init")
    inst.size2 = (inst.var / "Data.fs").stat().st_size
    inst.results["demo1"] = run(inst.home, "demo")
    inst.results["demo2"] = run(inst.home, "demo")
    return inst


@pytest.fixture(scope="module")
def webapp(installation):
    """A WebTest app on the installation's FileStorage, built after the CLI runs have exited."""
    app = make_app(installation.settings())
    yield TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    app.registry._zodb_databases[""].close()


class Users:
    """The user container of a root, with the token functions of ``procura.security``."""

    def __init__(self, root):
        from procura.security import users_container

        self.root = root
        self.box = users_container(root)

    def __getitem__(self, login):
        return self.box[login]

    def create_token(self, user, **kw):
        from procura.security import create_token

        return create_token(self.root, user, **kw)


def with_users(webapp, change):
    """Run change(users) in its own transaction on the web app's database."""
    db = webapp.app.registry._zodb_databases[""]
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        with tm:
            return change(Users(conn.root()[APP_KEY]))
    finally:
        conn.close()


# ---------------------------------------------------------------- init


def test_init_creates_database_and_secret(installation):
    first = installation.results["init1"]
    assert first.returncode == 0, first.stderr
    assert "Installed: procura, " in first.stdout
    assert "Secret key written to" in first.stdout
    secret = installation.var / "secret.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(installation.secret1.strip()) == 64


def test_init_is_idempotent(installation):
    second = installation.results["init2"]
    assert second.returncode == 0, second.stderr
    assert "Installed: nothing new" in second.stdout
    assert "Secret key written" not in second.stdout
    assert (installation.var / "secret.key").read_text() == installation.secret1  # not replaced
    assert installation.size2 == installation.size1  # nothing written to the database


# ---------------------------------------------------------------- demo


def test_demo_twice_creates_the_demo_users_once(installation):
    first, second = installation.results["demo1"], installation.results["demo2"]
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "  user admin" in first.stdout
    assert not [line for line in second.stdout.splitlines() if line.lstrip().startswith(("user ", "portal user "))]
    assert "Demo sign-ins" in second.stdout and "admin-demo-2026" in second.stdout
    db = installation.db()
    try:
        conn = db.open()
        from procura.security import users_container

        users = users_container(conn.root()[APP_KEY])
        # the core's demo users and the suppliers addon's portal user, once each
        assert sorted(users) == ["admin", "approver", "buyer", "lawyer", "requester", "supplier"]
        assert len(users) == 6 and users["supplier"].kind == "portal"
        assert users["admin"].check_password("admin-demo-2026")
        conn.close()
    finally:
        db.close()


# ---------------------------------------------------------------- apikey


@pytest.fixture(scope="module")
def cli_token(installation):
    result = run(installation.home, "apikey", "create", "--user", "admin", "--name", "test")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_apikey_create_prints_only_the_token(cli_token):
    lines = cli_token.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("prc_")
    assert len(lines[0]) > 30


def test_apikey_for_unknown_user_fails_clearly(installation):
    result = run(installation.home, "apikey", "create", "--user", "nobody")
    assert_clear_failure(result, "nobody")
    assert result.stdout == ""


def test_cli_token_authenticates_the_api(cli_token, webapp):
    token = cli_token.strip()
    me = webapp.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json["login"] == "admin"
    assert "admin" in me.json["roles"]
    # The token is stored hashed, never in clear.
    stored = with_users(webapp, lambda users: list(users["admin"].api_tokens))
    assert token not in stored


def _problem(response, status):
    assert response.status_int == status
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == status
    return response.json


def test_wrong_token_is_refused(webapp):
    response = webapp.get("/api/v1/me", headers={"Authorization": "Bearer prc_not-a-token"}, status=401)
    _problem(response, 401)


def test_expired_token_is_refused(webapp):
    token = with_users(webapp, lambda users: users.create_token(users["admin"], name="short", days=1))
    webapp.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, status=200)

    def expire(users):
        from procura.security import token_digest

        tokens = users["admin"].api_tokens
        digest = token_digest(token)
        tokens[digest] = dict(tokens[digest], expires=datetime.now(UTC) - timedelta(seconds=1))

    with_users(webapp, expire)
    response = webapp.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, status=401)
    assert "has expired" in _problem(response, 401)["detail"]


def test_revoked_token_is_refused(webapp):
    token = with_users(webapp, lambda users: users.create_token(users["admin"], name="revoke-me", days=None))
    webapp.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, status=200)

    def revoke(users):
        from procura.security import token_digest

        tokens = users["admin"].api_tokens
        digest = token_digest(token)
        tokens[digest] = dict(tokens[digest], revoked=True)

    with_users(webapp, revoke)
    _problem(webapp.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, status=401), 401)


# ---------------------------------------------------------------- configuration errors


def test_missing_config_file_fails_clearly(tmp_path):
    result = run(tmp_path, "--config", "missing.ini", "addons")
    assert_clear_failure(result, "missing.ini", "does not exist")


def test_unknown_zodb_scheme_fails_clearly(tmp_path):
    result = run(tmp_path, "init", PROCURA_ZODB_URI="foo://x")
    assert_clear_failure(result, "Unknown database URI scheme 'foo'")
    assert not (tmp_path / "var" / "Data.fs").exists()
    assert not (tmp_path / "var" / "secret.key").exists()  # nothing half-made
