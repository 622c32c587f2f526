"""Helpers of the authentication tests (test_security_auth*.py): the committed state of users and
of the sign-in audit, the security settings store, role settings, and the sign-in form."""
from __future__ import annotations

import re

import pytest
import transaction
from procura.content import APP_KEY
from procura.security import get_user
from procura.security.store import auth_store
from procura.testing import TEST_PASSWORD
from procura.types.content import container_for

IP = "192.0.2.10"  # TEST-NET-1: the client address the tests' requests come from
STRONG = "Correct-Horse-42"  # follows the default password policy
CSRF_MESSAGE = "The form has expired or was sent from another site."


def with_root(procura_db, fn, commit=False):
    tm = transaction.TransactionManager()
    conn = procura_db.open(tm)
    try:
        tm.begin()
        result = fn(conn.root()[APP_KEY])
        if commit:
            tm.commit()
        return result
    finally:
        tm.abort()
        conn.close()


def change(procura_db, fn):
    """Run ``fn(app_root)`` in a transaction of its own and commit it."""
    return with_root(procura_db, fn, commit=True)


def events(procura_db, login=None, event=None) -> list[dict]:
    """The committed sign-in audit records, oldest first, as dicts (optionally of one login/event)."""
    names = ("event", "login", "success", "flagged", "method", "ip", "user_agent", "detail", "created")

    def read(root):
        out = [{n: getattr(e, n, None) for n in names} for e in container_for(root, "login_event").values()]
        return sorted(out, key=lambda e: e["created"])

    return [e for e in with_root(procura_db, read)
            if (login is None or e["login"] == login) and (event is None or e["event"] == event)]


def event_names(procura_db, login=None) -> list[str]:
    return [e["event"] for e in events(procura_db, login)]


def user_attr(procura_db, login, name):
    return with_root(procura_db, lambda root: getattr(get_user(root, login), name))


def set_security(procura_db, **values):
    """Store security settings as the administrator's page does."""
    def apply(root):
        auth_store(root).settings.update(values)

    change(procura_db, apply)


def update_record(registry, type_name, obj_id, **values):
    """Change a record through the write path (as an administrator on its form)."""
    from procura.types.system import in_own_transaction

    def run(request):
        svc = request.types
        svc.update(container_for(request.app_root, type_name)[obj_id], values)

    in_own_transaction(registry, run, note=f"test: change {type_name} {obj_id}")


def create_record(registry, type_name, **values):
    from procura.types.system import in_own_transaction

    def run(request):
        svc = request.types
        return svc.create(svc.info(type_name), values).id

    return in_own_transaction(registry, run, note=f"test: create {type_name}")


def submit_login(testapp, login, password=TEST_PASSWORD, **kw):
    """Post the real sign-in form; returns the response (a 303 on success, the page otherwise)."""
    form = testapp.get("/login", **kw).forms["login-form"]
    form["login"] = login
    form["password"] = password
    return form.submit("submit")


def login_error(page) -> str:
    found = page.html.find(id="login-error")
    return found.get_text(" ", strip=True) if found is not None else ""


def flashes(page) -> str:
    """The text of the page's toasts/alerts (flash messages)."""
    return " ".join(el.get_text(" ", strip=True) for el in page.html.select(".toast, .alert"))


def signed_in(testapp) -> bool:
    response = testapp.get("/api/v1/me", status="*")
    return response.status_int == 200


def session_cookie(testapp) -> str | None:
    return testapp.cookies.get("procura_session")


def csrf_token(testapp) -> str:
    return testapp.get("/").html.find("meta", attrs={"name": "csrf-token"})["content"]


def form_with_action(page, suffix):
    return next(f for f in page.forms.values() if (f.action or "").endswith(suffix))


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """argon2 with small parameters: the tests are about the rules around passwords, not the hash's
    cost (about 130 ms a hash with the production parameters, and every sign-in verifies one)."""
    from argon2 import PasswordHasher
    from procura.security import passwords

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY", hasher.hash("dummy"))
