"""pytest plugin (entry point ``pytest11: procura``): fixtures for the core and every addon.

Fixtures
- ``procura_settings``: resolved settings on a fresh ``tmp_path`` var folder with an in-memory
  ZODB (override ``procura_overrides`` in a conftest to change them, e.g. disabled addons).
- ``procura_db``: the open database (closed after the test); the default in-memory database
  stores blobs in a folder of ``tmp_path``, so File and Image fields work.
- ``app``: the WSGI app; ``testapp``: a WebTest ``TestApp`` on it.
- ``root``: the application root in its own transaction (commit with ``transaction.commit()``).
- ``make_user(login, password, roles)``: create a user; ``login(testapp, login, password)``:
  sign in through the real form and return the testapp.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
import transaction

# Every test builds a new app, and Chameleon compiles each page template again for every app
# (about a second per test) unless compiled templates are cached on disk: do that for the test run.
# This plugin is imported when pytest starts, before anything imports Chameleon.
if not os.environ.get("CHAMELEON_CACHE"):
    os.environ["CHAMELEON_CACHE"] = tempfile.mkdtemp(prefix="procura-chameleon-")
    atexit.register(shutil.rmtree, os.environ["CHAMELEON_CACHE"], ignore_errors=True)


def _register_rewritten_modules_with_pkg_resources():
    """Let Pyramid find ``procura:locale/`` etc. when pytest has loaded the package itself.

    In a regular (non-editable) install pytest rewrites the asserts of every module of the
    distribution that provides this plugin, so ``procura`` is loaded by pytest's import hook; Pyramid
    resolves asset specs with ``pkg_resources``, which refuses modules of a loader it does not know
    ("unregistered loader type"). Modern pytest no longer registers its loader there: do it here.
    """
    try:
        import pkg_resources
        from _pytest.assertion.rewrite import AssertionRewritingHook
    except ImportError:  # pragma: no cover - no pkg_resources or a different pytest layout
        return
    pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)


_register_rewritten_modules_with_pkg_resources()

TEST_PASSWORD = "secret-pass-1"  # noqa: S105 - the password of test users


def make_settings(tmp_path, **overrides):
    from procura.settings import resolve

    base = {
        "procura.var_dir": str(tmp_path / "var"),
        "procura.zodb_uri": "memory://",
        "procura.testing": "true",
        "procura.default_locale": "en",
    }
    base.update(overrides)
    return resolve(base)


@pytest.fixture
def procura_overrides():
    return {}


@pytest.fixture
def procura_settings(tmp_path, procura_overrides):
    return make_settings(tmp_path, **procura_overrides)


def memory_db_with_blobs(blob_dir):
    """An in-memory ZODB that stores blobs (files) in ``blob_dir``; ``memory://`` alone has no blobs."""
    import ZODB
    from ZODB.blob import BlobStorage
    from ZODB.MappingStorage import MappingStorage

    return ZODB.DB(BlobStorage(str(blob_dir), MappingStorage()))


@pytest.fixture
def procura_db(procura_settings, tmp_path):
    from procura.db import open_db

    uri = procura_settings["procura.zodb_uri"]
    # The test default memory:// gets blob support (File/Image fields) from a folder in tmp_path.
    db = memory_db_with_blobs(tmp_path / "test-blobs") if uri == "memory://" else open_db(uri)
    yield db
    db.close()


@pytest.fixture
def app(procura_settings, procura_db):
    from procura import make_app

    return make_app(procura_settings, db=procura_db)


@pytest.fixture
def testapp(app):
    from webtest import TestApp

    return TestApp(app, extra_environ={"HTTP_HOST": "localhost"})


@pytest.fixture
def root(app, procura_db):
    from procura.content import APP_KEY

    conn = procura_db.open()
    yield conn.root()[APP_KEY]
    transaction.abort()
    conn.close()


def _person_name(fullname, login):
    """``fullname`` in the default display order, last first middle ("Иванова Анна Петровна")."""
    from procura.types.names import PersonName

    parts = (fullname or "").split()
    if not parts:
        return PersonName(login, "", "")  # shown as the login, as before a name is set
    return PersonName(parts[0], parts[1] if len(parts) > 1 else "", " ".join(parts[2:]))


def create_test_user(registry, login, password=TEST_PASSWORD, roles=(), teams=(), fullname="", **fields):
    """Create a user through the write path (roles that do not exist yet are created, with the
    defaults the types declare for that role name). ``roles=["portal"]`` makes a portal user."""
    from procura.types.content import container_for
    from procura.types.system import in_own_transaction

    roles = list(roles)
    kind = "portal" if "portal" in roles else "staff"
    roles = [r for r in roles if r not in ("portal", "user")]

    def create(request):
        svc = request.types
        role_box = container_for(request.app_root, "role")
        for name in roles:
            if name not in role_box:
                svc.create(svc.info("role"), {"name": name, "label": name.capitalize(), "kind": kind,
                                              "login_hours": "any"})
        team_box = container_for(request.app_root, "team")
        for name in teams:
            if name not in team_box:
                svc.create(svc.info("team"), {"name": name, "label": name.capitalize(), "kind": "team"})
        data = {"login": login, "name": _person_name(fullname, login), "kind": kind, "active": True,
                "roles": tuple(roles), "teams": tuple(teams)}
        data.update(fields)
        user = svc.create(svc.info("user"), data)
        if password:
            user.set_password(password)
        return user.login

    return in_own_transaction(registry, create, note=f"test user {login}")


def set_grants(registry, role, *, types=None, fields=None, permissions=None):
    """Change a role's grants through the write path (as an administrator does on the role form):
    ``types={"gadget": {"read": "none"}}``, ``fields={"gadget": {"price": "hidden"}}``,
    ``permissions={"procura.export": False}``; entries merge into what the role states already."""
    import copy

    from procura.types.content import container_for
    from procura.types.system import in_own_transaction

    def change(request):
        svc = request.types
        obj = container_for(request.app_root, "role")[role]
        grants = copy.deepcopy(dict(getattr(obj, "grants", None) or {}))
        for key, value in (("types", types), ("fields", fields)):
            for type_name, entries in (value or {}).items():
                grants.setdefault(key, {}).setdefault(type_name, {}).update(entries)
        grants.setdefault("permissions", {}).update(permissions or {})
        grants.setdefault("types", {})
        grants.setdefault("fields", {})
        svc.update(obj, {"grants": grants})

    in_own_transaction(registry, change, note=f"test grants of {role}")


@pytest.fixture
def make_user(app, procura_db):
    def _make(login, password=TEST_PASSWORD, roles=(), **kw):
        return create_test_user(app.registry, login, password, roles, **kw)

    return _make


def do_login(testapp, login, password=TEST_PASSWORD):
    page = testapp.get("/login")
    form = page.forms["login-form"]
    form["login"] = login
    form["password"] = password
    result = form.submit("submit")
    assert result.status_int == 303, result.text[:2000]
    return testapp


@pytest.fixture
def login():
    return do_login


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd) collecting mail: ``.host``, ``.port``, ``.messages``,
    ``.wait_for(n)``. Point the app at it with ``smtp_settings(server)`` in ``procura_overrides``."""
    from procura.testing_servers import SmtpSink

    server = SmtpSink().start()
    yield server
    server.stop()


def smtp_settings(server) -> dict:
    return {"procura.smtp.host": server.host, "procura.smtp.port": str(server.port),
            "procura.smtp.security": "none", "procura.mail.from": "Procura <procura@example.com>"}


@pytest.fixture
def telegram_server():
    """A fake Telegram Bot API on loopback: ``.sent`` messages, ``.add_start(code, chat_id)``.
    Point the app at it with ``telegram_settings(server)`` in ``procura_overrides``."""
    from procura.testing_servers import FakeTelegram

    server = FakeTelegram().start()
    yield server
    server.stop()


def telegram_settings(server) -> dict:
    return {"procura.telegram.token": server.token, "procura.telegram.api_url": server.api_url,
            "procura.telegram.bot_name": "procura_test_bot"}
