"""pytest plugin (entry point ``pytest11: procura``): fixtures for the core and every addon.

Fixtures
- ``procura_settings``: resolved settings on a fresh ``tmp_path`` var folder with an in-memory
  ZODB (override ``procura_overrides`` in a conftest to change them, e.g. disabled addons).
- ``procura_db``: the open database (closed after the test).
- ``app``: the WSGI app; ``testapp``: a WebTest ``TestApp`` on it.
- ``root``: the application root in its own transaction (commit with ``transaction.commit()``).
- ``make_user(login, password, roles)``: create a user; ``login(testapp, login, password)``:
  sign in through the real form and return the testapp.
"""
from __future__ import annotations

import pytest
import transaction

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


@pytest.fixture
def procura_db(procura_settings):
    from procura.db import open_db

    db = open_db(procura_settings["procura.zodb_uri"])
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


@pytest.fixture
def make_user(app, procura_db):
    from procura.content import APP_KEY
    from procura.security import User

    def _make(login, password=TEST_PASSWORD, roles=(), **kw):
        tm = transaction.TransactionManager()
        conn = procura_db.open(tm)
        try:
            user = User(login, roles=list(roles), **kw)
            user.set_password(password)
            conn.root()[APP_KEY]["users"].add(login, user)
            tm.commit()
        finally:
            conn.close()
        return login

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
