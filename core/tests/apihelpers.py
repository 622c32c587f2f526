"""Helpers shared by the REST API tests (test_api_types.py, test_openapi.py)."""
from __future__ import annotations

import datetime as dt

import transaction
from procura.content import APP_KEY
from procura.security import create_token, get_user, token_digest
from procura.testing import do_login

API = "/api/v1"
HOOKS = {"procura.extra_hooks": "sampletype,apitype_hooks", "procura.addons.disabled": "*"}


def _with_root(procura_db, fn):
    tm = transaction.TransactionManager()
    conn = procura_db.open(tm)
    try:
        with tm:
            return fn(conn.root()[APP_KEY])
    finally:
        conn.close()


def bearer_token(procura_db, login, *, expired=False) -> str:
    def make(root):
        user = get_user(root, login)
        token = create_token(root, user, name="test")
        if expired:
            digest = token_digest(token)
            meta = dict(user.api_tokens[digest])
            meta["expires"] = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            user.api_tokens[digest] = meta
        return token

    return _with_root(procura_db, make)


def stored(procura_db, type_name, obj_id) -> dict | None:
    """The committed state of one object ({attribute: value}), or None when it is not stored."""
    def read(root):
        obj = root["types"][type_name].get(obj_id)
        if obj is None:
            return None
        data = {k: v for k, v in vars(obj).items() if not k.startswith("_p_") and k not in ("history", "feed")}
        data["history_length"] = len(obj.history)
        return data

    return _with_root(procura_db, read)


def stored_count(procura_db, type_name) -> int:
    return _with_root(procura_db, lambda root: len(root["types"][type_name]))


class Client:
    """A WebTest app talking to the API with a Bearer token or a session cookie (+ X-CSRF-Token)."""

    def __init__(self, testapp, headers=None):
        self.app = testapp
        self.headers = dict(headers or {})

    def _h(self, headers):
        return {**self.headers, **(headers or {})}

    def get(self, path, params=None, status=200, headers=None):
        return self.app.get(API + path, params=params, headers=self._h(headers), status=status)

    def post(self, path, body=None, status=201, headers=None):
        if body is None:
            return self.app.post(API + path, headers=self._h(headers), status=status)
        return self.app.post_json(API + path, body, headers=self._h(headers), status=status)

    def patch(self, path, body, status=200, headers=None):
        return self.app.patch_json(API + path, body, headers=self._h(headers), status=status)

    def delete(self, path, status=204, headers=None):
        return self.app.delete(API + path, headers=self._h(headers), status=status)


def bearer_client(testapp, procura_db, login) -> Client:
    return Client(testapp, {"Authorization": f"Bearer {bearer_token(procura_db, login)}"})


def session_client(testapp, login, *, csrf=True) -> Client:
    do_login(testapp, login)
    token = testapp.get("/").html.find("meta", attrs={"name": "csrf-token"})["content"]
    return Client(testapp, {"X-CSRF-Token": token} if csrf else {})


def problem(response, status) -> dict:
    assert response.status_int == status, response.text[:2000]
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"] and body["type"]
    return body


def schema_validator(document: dict, name: str):
    """A Draft 2020-12 validator for ``#/components/schemas/<name>``, $refs resolved in ``document``."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    uri = "urn:procura:openapi"
    registry = Registry().with_resource(uri, Resource.from_contents(document, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/{name}"}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_valid(document: dict, name: str, instance) -> None:
    errors = sorted(schema_validator(document, name).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
