"""The REST API of declared types (/api/v1/<type>...), through WebTest, with a Bearer token and with
a session cookie. Types: "gadget" (core/tests/sampletype.py), "vault_item" and "memo"
(core/tests/apitype_hooks.py)."""
from __future__ import annotations

import re

import pytest
from apihelpers import (
    HOOKS,
    Client,
    bearer_client,
    bearer_token,
    problem,
    session_client,
    stored,
    stored_count,
)

CYRILLIC = re.compile("[а-яА-ЯёЁ]")


@pytest.fixture
def procura_overrides():
    return dict(HOOKS)


@pytest.fixture
def anna(testapp, make_user, procura_db):
    make_user("anna")
    return bearer_client(testapp, procura_db, "anna")


def new_gadget(client, **values):
    body = {"name": "Pump", **values}
    return client.post("/gadget", body).json


def names(response):
    return [item["name"] for item in response.json["items"]]


# ---------------------------------------------------------------- CRUD


@pytest.mark.parametrize("auth", ["bearer", "session"])
def test_full_crud(testapp, make_user, procura_db, auth):
    make_user("anna")
    client = bearer_client(testapp, procura_db, "anna") if auth == "bearer" else session_client(testapp, "anna")

    created = client.post("/gadget", {"name": "Насос", "quantity": 3,
                                      "price": {"amount": "10.5", "currency": "RUB"}, "due": "2026-05-01"})
    obj = created.json
    oid = obj["id"]
    assert re.fullmatch(r"GDG-\d{4}-0001", oid)
    assert created.headers["Location"] == f"http://localhost/api/v1/gadget/{oid}"
    assert created.headers["ETag"] == '"1"'
    assert (obj["type"], obj["version"], obj["status"], obj["title"]) == ("gadget", 1, "new", "Насос")
    assert obj["price"] == {"amount": "10.50", "currency": "RUB"} and obj["due"] == "2026-05-01"
    assert obj["created_by"] == "anna" and obj["deleted"] is False
    assert stored(procura_db, "gadget", oid)["quantity"] == 3

    got = client.get(f"/gadget/{oid}")
    assert got.headers["ETag"] == '"1"' and got.json == obj
    assert client.get("/gadget").json["total"] == 1

    patched = client.patch(f"/gadget/{oid}", {"quantity": 4, "notes": "spare"}, headers={"If-Match": '"1"'})
    assert patched.headers["ETag"] == '"2"'
    assert (patched.json["version"], patched.json["quantity"], patched.json["notes"]) == (2, 4, "spare")
    assert patched.json["name"] == "Насос"  # untouched fields keep their values
    assert stored(procura_db, "gadget", oid)["quantity"] == 4

    client.delete(f"/gadget/{oid}")
    assert stored(procura_db, "gadget", oid)["deleted"] is True
    trashed = client.get(f"/gadget/{oid}").json
    assert trashed["deleted"] is True
    assert {a["name"] for a in trashed["actions"]} == {"restore", "purge"}
    assert client.get("/gadget").json["total"] == 0
    assert [i["id"] for i in client.get("/gadget", {"deleted": "true"}).json["items"]] == [oid]
    problem(client.delete(f"/gadget/{oid}", status=404), 404)  # already in the trash
    problem(client.patch(f"/gadget/{oid}", {"quantity": 5}, status=404), 404)

    restored = client.post(f"/gadget/{oid}/actions/restore", status=200).json
    assert restored["deleted"] is False and restored["version"] == 4
    assert client.get("/gadget").json["total"] == 1
    problem(client.post(f"/gadget/{oid}/actions/restore", status=409), 409)
    problem(client.post(f"/gadget/{oid}/actions/purge", status=409), 409)  # only from the trash

    client.delete(f"/gadget/{oid}")
    client.post(f"/gadget/{oid}/actions/purge", status=204)
    assert stored(procura_db, "gadget", oid) is None
    problem(client.get(f"/gadget/{oid}", status=404), 404)
    assert client.get("/gadget", {"deleted": "true"}).json["total"] == 0


def test_session_writes_need_the_csrf_token(testapp, make_user, procura_db):
    make_user("anna")
    client = session_client(testapp, "anna", csrf=False)
    problem(client.post("/gadget", {"name": "Pump"}, status=403), 403)
    assert stored_count(procura_db, "gadget") == 0
    oid = bearer_client(testapp, procura_db, "anna").post("/gadget", {"name": "Pump"}).json["id"]
    problem(client.patch(f"/gadget/{oid}", {"name": "Other"}, status=403), 403)
    problem(client.delete(f"/gadget/{oid}", status=403), 403)
    problem(client.post(f"/gadget/{oid}/actions/start", status=403), 403)
    assert client.get(f"/gadget/{oid}").json["name"] == "Pump"  # reading needs no token
    assert stored(procura_db, "gadget", oid)["version"] == 1


def test_bearer_writes_need_no_csrf_token_even_with_a_session(testapp, make_user, procura_db):
    make_user("anna")
    session_client(testapp, "anna", csrf=False)  # the cookie is sent too, without a token
    token = bearer_token(procura_db, "anna")
    Client(testapp, {"Authorization": f"Bearer {token}"}).post("/gadget", {"name": "Pump"})
    assert stored_count(procura_db, "gadget") == 1


# ---------------------------------------------------------------- lists


def test_list_filters_sort_and_paging(anna):
    data = [("Alpha", 5, "s", True), ("Bravo", 1, "m", False), ("Charlie", 3, "l", False),
            ("Delta", 3, "s", False), ("Echo", None, None, True)]
    ids = {}
    for name, quantity, size, urgent in data:
        ids[name] = new_gadget(anna, name=name, quantity=quantity, size=size, urgent=urgent)["id"]
    anna.post(f"/gadget/{ids['Charlie']}/actions/start", status=200)
    anna.post(f"/gadget/{ids['Charlie']}/actions/finish", status=200)
    anna.post(f"/gadget/{ids['Delta']}/actions/drop", {"comment": "obsolete"}, status=200)

    everything = anna.get("/gadget")
    assert everything.json["total"] == 5 and len(everything.json["items"]) == 5
    assert names(anna.get("/gadget", {"sort": "title"})) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    assert names(anna.get("/gadget", {"sort": "-title"})) == ["Echo", "Delta", "Charlie", "Bravo", "Alpha"]
    by_quantity = names(anna.get("/gadget", {"sort": "quantity"}))
    assert by_quantity[0] == "Bravo" and set(by_quantity[1:3]) == {"Charlie", "Delta"}
    assert by_quantity[3:] == ["Alpha", "Echo"]  # no value: last
    by_quantity = names(anna.get("/gadget", {"sort": "-quantity"}))
    assert by_quantity[0] == "Alpha" and by_quantity[-1] == "Echo"

    assert sorted(names(anna.get("/gadget", {"quantity": "3"}))) == ["Charlie", "Delta"]
    assert sorted(names(anna.get("/gadget", [("size", "s"), ("size", "m")]))) == ["Alpha", "Bravo", "Delta"]
    assert sorted(names(anna.get("/gadget", {"urgent": "true"}))) == ["Alpha", "Echo"]
    assert sorted(names(anna.get("/gadget", {"status": "new"}))) == ["Alpha", "Bravo", "Echo"]
    assert sorted(names(anna.get("/gadget", {"category": "open"}))) == ["Alpha", "Bravo", "Echo"]
    assert sorted(names(anna.get("/gadget", {"category": "closed"}))) == ["Charlie", "Delta"]
    assert anna.get("/gadget", {"category": "all"}).json["total"] == 5
    assert names(anna.get("/gadget", {"category": "closed", "size": "s"})) == ["Delta"]

    page = anna.get("/gadget", {"sort": "title", "limit": "2", "offset": "1"}).json
    assert [i["name"] for i in page["items"]] == ["Bravo", "Charlie"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    last = anna.get("/gadget", {"sort": "title", "limit": "2", "offset": "4"}).json
    assert [i["name"] for i in last["items"]] == ["Echo"] and last["total"] == 5

    body = problem(anna.get("/gadget", {"bogus": "1"}, status=422), 422)
    assert set(body["errors"]) == {"bogus"}
    body = problem(anna.get("/gadget", {"notes": "x"}, status=422), 422)  # not indexed
    assert set(body["errors"]) == {"notes"}
    assert set(problem(anna.get("/gadget", {"sort": "notes"}, status=422), 422)["errors"]) == {"sort"}
    assert set(problem(anna.get("/gadget", {"quantity": "many"}, status=422), 422)["errors"]) == {"quantity"}
    assert set(problem(anna.get("/gadget", {"category": "x"}, status=422), 422)["errors"]) == {"category"}
    assert set(problem(anna.get("/gadget", {"limit": "x"}, status=422), 422)["errors"]) == {"limit"}
    assert set(problem(anna.get("/gadget", {"deleted": "maybe"}, status=422), 422)["errors"]) == {"deleted"}


def test_type_without_workflow(anna):
    memo = anna.post("/memo", {"subject": "Hello", "body": "Text"}).json
    assert memo["status"] is None and memo["actions"] == [{"name": "copy", "title": "Copy", "target": None,
                                                           "comment_required": False}]
    assert anna.get("/memo").json["total"] == 1


# ---------------------------------------------------------------- concurrency


def test_stale_patch_gets_412_and_stores_nothing(anna, procura_db, testapp, make_user):
    oid = new_gadget(anna, quantity=1)["id"]
    make_user("boris")
    boris = bearer_client(testapp, procura_db, "boris")
    boris.patch(f"/gadget/{oid}", {"name": "Changed"}, headers={"If-Match": '"1"'})
    before = stored(procura_db, "gadget", oid)
    assert before["version"] == 2

    for if_match in ('"1"', "1", 'W/"1"'):
        body = problem(anna.patch(f"/gadget/{oid}", {"quantity": 9}, headers={"If-Match": if_match},
                                  status=412), 412)
        assert body["current_version"] == 2 and body["expected_version"] == 1
        assert body["changed_by"] == ["boris"] and body["changed_fields"] == ["name"]
        assert "boris" in body["detail"] and "name" in body["detail"]
    body = problem(anna.patch(f"/gadget/{oid}", {"quantity": 9, "version": 1}, status=412), 412)
    assert body["current_version"] == 2
    # a stale version is reported even when the values are also invalid
    problem(anna.patch(f"/gadget/{oid}", {"quantity": -1}, headers={"If-Match": '"1"'}, status=412), 412)
    problem(anna.delete(f"/gadget/{oid}", headers={"If-Match": '"1"'}, status=412), 412)
    problem(anna.post(f"/gadget/{oid}/actions/start", {"version": 1}, status=412), 412)
    assert stored(procura_db, "gadget", oid) == before

    problem(anna.patch(f"/gadget/{oid}", {"quantity": 9}, headers={"If-Match": "abc"}, status=400), 400)
    assert set(problem(anna.patch(f"/gadget/{oid}", {"version": "two"}, status=422), 422)["errors"]) == {"version"}
    assert stored(procura_db, "gadget", oid) == before

    ok = anna.patch(f"/gadget/{oid}", {"quantity": 9}, headers={"If-Match": 'W/"2"'})
    assert ok.json["version"] == 3 and ok.headers["ETag"] == '"3"'
    ok = anna.patch(f"/gadget/{oid}", {"quantity": 10, "version": 3})
    assert ok.json["version"] == 4
    # without If-Match and without "version": the last writer wins
    assert anna.patch(f"/gadget/{oid}", {"quantity": 11}).json["version"] == 5
    assert stored(procura_db, "gadget", oid)["quantity"] == 11


# ---------------------------------------------------------------- validation


def test_invalid_values_get_422_with_field_names_and_nothing_is_stored(anna, procura_db):
    bad = {"quantity": -1, "price": {"amount": "x", "currency": "RUB"}, "contact": "nope", "size": "xl",
           "due": "yesterday", "urgent": "yes", "bogus": 1}
    body = problem(anna.post("/gadget", bad, status=422), 422)
    assert body["title"] == "Validation failed"
    assert set(body["errors"]) == {"name", "quantity", "price", "contact", "size", "due", "urgent", "bogus"}
    assert body["errors"]["bogus"] == "Unknown field" and body["errors"]["name"] == "Required"
    assert all(isinstance(v, str) and v for v in body["errors"].values())
    assert stored_count(procura_db, "gadget") == 0

    problem(anna.post("/gadget", ["not", "an", "object"], status=400), 400)
    response = anna.app.post("/api/v1/gadget", "{nope", headers={**anna.headers, "Content-Type": "application/json"},
                             status=400)
    problem(response, 400)
    assert stored_count(procura_db, "gadget") == 0

    oid = new_gadget(anna, quantity=1)["id"]
    before = stored(procura_db, "gadget", oid)
    body = problem(anna.patch(f"/gadget/{oid}", {"name": "New", "quantity": "lots", "status": "done"},
                              status=422), 422)
    assert set(body["errors"]) == {"quantity"}  # system properties like status are ignored, not errors
    assert stored(procura_db, "gadget", oid) == before


def test_validation_errors_in_russian(anna, procura_db):
    ru = {"Accept-Language": "ru"}
    bad = {"contact": "nope", "size": "xl", "bogus": 1}
    body = problem(anna.post("/gadget", bad, headers=ru, status=422), 422)
    assert body["title"] == "Ошибка проверки данных"
    assert set(body["errors"]) == {"name", "contact", "size", "bogus"}
    assert body["errors"]["bogus"] == "Неизвестное поле"
    assert body["errors"]["name"] == "Требуется"
    assert all(CYRILLIC.search(message) for message in body["errors"].values()), body["errors"]
    assert stored_count(procura_db, "gadget") == 0
    body = problem(anna.get("/gadget", {"bogus": "1"}, headers=ru, status=422), 422)
    assert CYRILLIC.search(body["title"])


def test_readonly_field_cannot_change(testapp, make_user, procura_db):
    make_user("gina", roles=["gadgeteer"])
    gina = bearer_client(testapp, procura_db, "gina")
    item = gina.post("/vault_item", {"code": "V-1", "label": "First"}).json
    assert item["title"] == "First"
    body = problem(gina.patch(f"/vault_item/{item['id']}", {"code": "V-2"}, status=422), 422)
    assert set(body["errors"]) == {"code"}
    assert gina.patch(f"/vault_item/{item['id']}", {"code": "V-1", "level": 2}).json["level"] == 2


# ---------------------------------------------------------------- actions


def test_actions_are_listed_and_executed(anna, procura_db):
    obj = new_gadget(anna)
    oid = obj["id"]
    assert [a["name"] for a in obj["actions"]] == ["start", "drop", "copy"]
    start = obj["actions"][0]
    assert start == {"name": "start", "title": "Start", "target": "active", "comment_required": False}

    started = anna.post(f"/gadget/{oid}/actions/start", status=200, headers={"If-Match": '"1"'})
    assert started.json["status"] == "active" and started.json["version"] == 2 and started.headers["ETag"] == '"2"'
    assert [a["name"] for a in started.json["actions"]] == ["finish", "drop", "copy"]
    assert stored(procura_db, "gadget", oid)["status"] == "active"

    body = problem(anna.post(f"/gadget/{oid}/actions/drop", status=409), 409)
    assert "comment" in body["detail"]
    body = problem(anna.post(f"/gadget/{oid}/actions/start", status=409), 409)
    assert "not possible" in body["detail"]
    problem(anna.post(f"/gadget/{oid}/actions/teleport", status=404), 404)
    assert stored(procura_db, "gadget", oid)["version"] == 2

    dropped = anna.post(f"/gadget/{oid}/actions/drop", {"comment": "Not needed"}, status=200).json
    assert dropped["status"] == "dropped"
    assert [a["name"] for a in dropped["actions"]] == ["copy"]  # reopen needs a permission anna lacks
    problem(anna.post(f"/gadget/{oid}/actions/reopen", status=403), 403)
    assert stored(procura_db, "gadget", oid)["history_length"] == 3

    copy = anna.post(f"/gadget/{oid}/actions/copy", {"quantity": 7})
    new = copy.json
    assert new["id"] != oid and copy.headers["Location"].endswith(f"/api/v1/gadget/{new['id']}")
    assert (new["name"], new["quantity"], new["status"], new["version"]) == ("Pump", 7, "new", 1)
    assert set(problem(anna.post(f"/gadget/{oid}/actions/copy", {"quantity": -3}, status=422),
                       422)["errors"]) == {"quantity"}
    assert stored_count(procura_db, "gadget") == 2


def test_guard_refusal_is_409_with_the_reason(testapp, make_user, procura_db):
    make_user("gina", roles=["gadgeteer"])
    gina = bearer_client(testapp, procura_db, "gina")
    item = gina.post("/vault_item", {"code": "V-1"}).json
    assert [a["name"] for a in item["actions"]] == ["copy"]  # the guard hides "seal" for now
    body = problem(gina.post(f"/vault_item/{item['id']}/actions/seal", status=409), 409)
    assert body["detail"] == "A label is needed before sealing"
    gina.patch(f"/vault_item/{item['id']}", {"label": "Now labelled"})
    assert gina.post(f"/vault_item/{item['id']}/actions/seal", status=200).json["status"] == "sealed"


# ---------------------------------------------------------------- authentication and permissions


def test_without_auth_is_401(testapp, make_user, procura_db, anna):
    oid = new_gadget(anna)["id"]
    anonymous = Client(testapp)
    for response in (anonymous.get("/gadget", status=401), anonymous.get(f"/gadget/{oid}", status=401),
                     anonymous.post("/gadget", {"name": "X"}, status="*"),
                     anonymous.patch(f"/gadget/{oid}", {"name": "X"}, status="*"),
                     anonymous.get("/types", status=401), anonymous.get("/openapi.json", status=401)):
        # a cookie-less write is refused before the view (CSRF or auth): never stored
        assert response.status_int in (401, 403)
        problem(response, response.status_int)
    assert stored_count(procura_db, "gadget") == 1


def test_expired_or_unknown_token_is_refused(testapp, make_user, procura_db):
    make_user("anna")
    for token, why in ((bearer_token(procura_db, "anna", expired=True), "has expired"),
                       ("prc_not-a-token", "is not valid")):
        client = Client(testapp, {"Authorization": f"Bearer {token}"})
        response = client.get("/gadget", status=401)
        body = problem(response, 401)
        assert body["title"] == "Invalid API token" and why in body["detail"]
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        problem(client.post("/gadget", {"name": "X"}, status=401), 401)
    assert stored_count(procura_db, "gadget") == 0


def test_permissions_404_on_read_403_on_write(testapp, make_user, procura_db):
    make_user("gina", roles=["gadgeteer"])
    make_user("vera", roles=["viewer"])
    make_user("nora", roles=[])
    gina = bearer_client(testapp, procura_db, "gina")
    vera = bearer_client(testapp, procura_db, "vera")
    nora = bearer_client(testapp, procura_db, "nora")
    oid = gina.post("/vault_item", {"code": "V-1", "label": "Secret"}).json["id"]
    before = stored(procura_db, "vault_item", oid)

    # nora may not read: the object is as absent as one that does not exist
    denied = problem(nora.get(f"/vault_item/{oid}", status=404), 404)
    absent = problem(nora.get("/vault_item/V-nothing", status=404), 404)
    assert denied == absent
    problem(nora.patch(f"/vault_item/{oid}", {"label": "X"}, status=404), 404)
    problem(nora.delete(f"/vault_item/{oid}", status=404), 404)
    problem(nora.post(f"/vault_item/{oid}/actions/seal", status=404), 404)
    problem(nora.post(f"/vault_item/{oid}/actions/copy", status=404), 404)
    problem(nora.get("/vault_item", status=403), 403)
    problem(nora.post("/vault_item", {"code": "V-2"}, status=403), 403)
    assert "vault_item" not in [t["name"] for t in nora.get("/types").json["items"]]

    # vera may read, not write
    seen = vera.get(f"/vault_item/{oid}").json
    assert seen["label"] == "Secret" and seen["actions"] == []
    assert vera.get("/vault_item").json["total"] == 1
    problem(vera.patch(f"/vault_item/{oid}", {"label": "X"}, status=403), 403)
    problem(vera.delete(f"/vault_item/{oid}", status=403), 403)
    problem(vera.post(f"/vault_item/{oid}/actions/seal", status=403), 403)
    problem(vera.post(f"/vault_item/{oid}/actions/copy", status=403), 403)
    problem(vera.post("/vault_item", {"code": "V-2"}, status=403), 403)
    problem(vera.get("/vault_item", {"deleted": "true"}, status=403), 403)
    vera_types = {t["name"]: t for t in vera.get("/types").json["items"]}
    assert vera_types["vault_item"]["permissions"] == {"create": False, "read": True, "edit": False,
                                                       "delete": False}
    assert stored(procura_db, "vault_item", oid) == before
    assert stored_count(procura_db, "vault_item") == 1

    # a trashed object: restore and purge are for those who may delete
    gina.delete(f"/vault_item/{oid}")
    problem(vera.post(f"/vault_item/{oid}/actions/restore", status=403), 403)
    problem(vera.post(f"/vault_item/{oid}/actions/purge", status=403), 403)
    problem(nora.post(f"/vault_item/{oid}/actions/purge", status=404), 404)
    assert stored(procura_db, "vault_item", oid)["deleted"] is True


# ---------------------------------------------------------------- routes, types, search


def test_unknown_type_and_fixed_routes(anna):
    problem(anna.get("/nonesuch", status=404), 404)
    problem(anna.get("/nonesuch/x", status=404), 404)
    problem(anna.post("/nonesuch", {"a": 1}, status=404), 404)
    problem(anna.get("/gadget/x/y", status=404), 404)
    assert anna.get("/me").json["login"] == "anna"
    assert "items" in anna.get("/addons").json
    assert anna.get("/openapi.json").json["openapi"].startswith("3.1")


def test_types_describe_fields_workflow_and_rights(anna):
    types = {t["name"]: t for t in anna.get("/types").json["items"]}
    assert {"gadget", "memo"} <= set(types) and "vault_item" not in types
    gadget = types["gadget"]
    assert gadget["title"] == "Gadget" and gadget["url"] == "http://localhost/api/v1/gadget"
    assert gadget["permissions"] == {"create": True, "read": True, "edit": True, "delete": True}
    fields = {f["name"]: f for f in gadget["fields"]}
    assert list(fields)[:3] == ["name", "notes", "quantity"]
    assert fields["name"]["required"] and fields["name"]["indexed"] and fields["name"]["kind"] == "string"
    assert fields["size"]["choices"] == [{"value": "s", "title": "Small"}, {"value": "m", "title": "Medium"},
                                         {"value": "l", "title": "Large"}]
    assert fields["quantity"]["schema"]["anyOf"][0] == {"type": "integer", "minimum": 0}
    assert [s["name"] for s in gadget["workflow"]["statuses"]] == ["new", "active", "done", "dropped"]
    assert gadget["workflow"]["transitions"][2] == {"name": "drop", "title": "Drop", "sources": ["new", "active"],
                                                    "target": "dropped", "comment_required": True}
    assert types["memo"]["workflow"] is None


def test_search_is_501_without_the_search_service(app, anna, monkeypatch):
    monkeypatch.setattr(app.registry, "procura_search", None, raising=False)
    body = problem(anna.get("/search", {"q": "pump"}, status=501), 501)
    assert body["title"] == "Search is not available"
    problem(anna.get("/gadget", {"q": "pump"}, status=501), 501)
    assert anna.get("/gadget").json["total"] == 0  # lists without q do not need it


def test_list_q_and_global_search_use_the_search_index(anna, testapp, make_user, procura_db):
    for name in ("Red pump", "Blue pump", "Valve"):
        new_gadget(anna, name=name)
    anna.post("/memo", {"subject": "Pump maintenance"})
    found = anna.get("/gadget", {"q": "pump", "sort": "title"}).json
    assert [i["name"] for i in found["items"]] == ["Blue pump", "Red pump"] and found["total"] == 2
    paged = anna.get("/gadget", {"q": "pump", "sort": "title", "limit": "1", "offset": "1"}).json
    assert [i["name"] for i in paged["items"]] == ["Red pump"] and paged["total"] == 2
    assert anna.get("/gadget", {"q": "pump", "size": "s"}).json["total"] == 0  # q and filters combine
    assert anna.get("/gadget", {"q": "nothing-like-this"}).json["total"] == 0

    hits = anna.get("/search", {"q": "pump"}).json
    assert hits["total"] == 3
    assert {(h["type"], h["title"]) for h in hits["items"]} == {
        ("gadget", "Red pump"), ("gadget", "Blue pump"), ("memo", "Pump maintenance")}
    first = hits["items"][0]
    assert first["api_url"] == f"http://localhost/api/v1/{first['type']}/{first['id']}"
    assert anna.get(first["api_url"].removeprefix("http://localhost/api/v1")).json["title"] == first["title"]
    only = anna.get("/search", {"q": "pump", "types": "memo"}).json
    assert [h["type"] for h in only["items"]] == ["memo"]
    assert len(anna.get("/search", {"q": "pump", "limit": "1"}).json["items"]) == 1

    # trashed objects drop out; others' hits are filtered by read access
    anna.delete(f"/gadget/{found['items'][0]['id']}")
    assert anna.get("/gadget", {"q": "pump"}).json["total"] == 1
    make_user("gina", roles=["gadgeteer"])
    make_user("nora", roles=[])
    bearer_client(testapp, procura_db, "gina").post("/vault_item", {"code": "V-1", "label": "Pump vault"})
    nora = bearer_client(testapp, procura_db, "nora")
    assert "vault_item" not in {h["type"] for h in nora.get("/search", {"q": "vault"}).json["items"]}
    assert bearer_client(testapp, procura_db, "gina").get("/search", {"q": "vault"}).json["total"] == 1

    assert set(problem(anna.get("/search", status=422), 422)["errors"]) == {"q"}
    assert set(problem(anna.get("/search", {"q": "x", "types": "nonesuch"}, status=422), 422)["errors"]) == {"types"}
