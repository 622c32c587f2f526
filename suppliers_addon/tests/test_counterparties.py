"""Counterparties and contacts: requisites checked by checksum in every channel, nothing stored on
bad input, portal users scoped to their counterparty, demo data valid."""
from __future__ import annotations

import pytest
import transaction
from procura.content import APP_KEY
from procura.testing import create_test_user
from procura_suppliers import requisites as rq
from procura_suppliers.demo import COUNTERPARTIES

API = "/api/v1"
GOOD = {  # ООО with valid requisites (Sberbank's BIK and correspondent account)
    "name": "Техснаб", "full_name": "ООО «Техснаб»", "kind": "legal", "inn": "7707083893", "kpp": "773601001",
    "ogrn": "1027700132195", "bank_bik": "044525225", "correspondent_account": "30101810400000000225",
    "bank_account": "40702810938000000001",
}


def bearer(testapp, login):
    from procura.security import create_token, get_user

    tm = transaction.TransactionManager()
    conn = testapp.app.registry._zodb_databases[""].open(tm)
    try:
        with tm:
            root = conn.root()[APP_KEY]
            return {"Authorization": f"Bearer {create_token(root, get_user(root, login), name='t')}"}
    finally:
        conn.close()


def count(testapp, type_name, headers):
    return testapp.get(f"{API}/{type_name}", headers=headers).json["total"]


@pytest.fixture
def buyer(testapp, make_user):
    make_user("olga", roles=["buyer"])
    return bearer(testapp, "olga")


# ---------------------------------------------------------------- checksums
@pytest.mark.parametrize("value", ["7707083893", "500100732259", "7830002293"])
def test_valid_inns(value):
    assert rq.check_inn(value) is None


@pytest.mark.parametrize("value", ["7707083894", "500100732258", "12345", "0012345678", "77070838931"])
def test_invalid_inns(value):
    assert rq.check_inn(value)


def test_ogrn_bik_and_accounts():
    assert rq.check_ogrn("1027700132195") is None and rq.check_ogrn("1027700132196")
    assert rq.check_ogrn("304500116000157") is None and rq.check_ogrn("304500116000158")
    assert rq.check_bik("044525225") is None and rq.check_bik("144525225")
    assert rq.check_correspondent_account("30101810400000000225", "044525225") is None
    assert rq.check_correspondent_account("30101810500000000225", "044525225")
    assert rq.check_settlement_account("40702810938000000001", "044525225") is None
    assert rq.check_settlement_account("40702810938000000001", "044030707")  # another bank's BIK
    assert rq.check_kpp("773601001") is None and rq.check_kpp("7736001A1")


def test_demo_requisites_are_valid():
    for data in COUNTERPARTIES:
        assert rq.check_inn(data["inn"]) is None and rq.check_ogrn(data["ogrn"]) is None
        if data.get("bank_bik"):
            assert rq.check_settlement_account(data["bank_account"], data["bank_bik"]) is None
            assert rq.check_correspondent_account(data["correspondent_account"], data["bank_bik"]) is None


# ---------------------------------------------------------------- API
def test_create_with_valid_requisites_through_the_api(testapp, buyer):
    response = testapp.post_json(f"{API}/counterparty", {**GOOD, "inn": "7707 083 893"}, headers=buyer, status=201)
    body = response.json
    assert body["id"].startswith("CP-") and body["inn"] == "7707083893" and body["status"] == "prospect"
    assert {"name", "full_name", "inn", "kpp", "ogrn", "bank_bik", "bank_account", "correspondent_account",
            "status"} <= set(body)
    approved = testapp.post_json(f"{API}/counterparty/{body['id']}/actions/approve", {}, headers=buyer)
    assert approved.json["status"] == "approved"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"inn": "7707083894"}, "inn", "check digits"),
    ({"kind": "entrepreneur", "inn": "500100732259", "ogrn": "304500116000157"}, "kpp", "no KPP"),
    ({"inn": "500100732259", "kpp": None}, "inn", "10 digits"),
    ({"bank_account": "40702810038000000001"}, "bank_account", "BIK"),
    ({"correspondent_account": "30101810400000000226"}, "correspondent_account", "BIK"),
    ({"ogrn": "1027700132196"}, "ogrn", "check digit"),
    ({"bank_bik": "123"}, "bank_bik", "04"),
])
def test_bad_requisites_get_a_clear_error_and_nothing_is_stored(testapp, buyer, change, field, words):
    before = count(testapp, "counterparty", buyer)
    response = testapp.post_json(f"{API}/counterparty", {**GOOD, **change}, headers=buyer, status=422)
    assert response.content_type == "application/problem+json"
    errors = response.json["errors"]
    assert field in errors and words in errors[field], errors
    assert count(testapp, "counterparty", buyer) == before


def test_a_patch_that_breaks_the_rules_is_refused(testapp, buyer):
    created = testapp.post_json(f"{API}/counterparty", GOOD, headers=buyer, status=201).json
    refused = testapp.patch_json(f"{API}/counterparty/{created['id']}", {"kind": "entrepreneur"}, headers=buyer,
                                 status=422)
    assert {"inn", "kpp", "ogrn"} <= set(refused.json["errors"])
    assert testapp.get(f"{API}/counterparty/{created['id']}", headers=buyer).json["kind"] == "legal"


def test_russian_error_messages(testapp, buyer):
    response = testapp.post_json(f"{API}/counterparty?_LOCALE_=ru", {**GOOD, "inn": "7707083894"}, headers=buyer,
                                 status=422)
    assert "контрольн" in response.json["errors"]["inn"]


def test_form_shows_the_error_inline_and_stores_nothing(testapp, make_user, login):
    make_user("olga", roles=["buyer"])
    login(testapp, "olga")
    page = testapp.get("/t/counterparty/new")
    form = next(f for f in page.forms.values() if "inn" in f.fields)
    form["name"] = "Север"
    form["inn"] = "7707083894"
    response = form.submit("save", status=200)
    assert "check digits" in response.text
    assert "Север" in response.text  # what was typed is kept
    assert "is-invalid" in str(response.html.find(attrs={"name": "inn"}).get("class"))


def test_block_needs_a_reason(testapp, buyer):
    created = testapp.post_json(f"{API}/counterparty", GOOD, headers=buyer, status=201).json
    testapp.post_json(f"{API}/counterparty/{created['id']}/actions/block", {}, headers=buyer, status=409)
    blocked = testapp.post_json(f"{API}/counterparty/{created['id']}/actions/block",
                                {"comment": "Срыв сроков поставки"}, headers=buyer)
    assert blocked.json["status"] == "blocked"


# ---------------------------------------------------------------- access
def test_employees_read_buyers_edit(testapp, make_user, buyer):
    make_user("ivan")
    ivan = bearer(testapp, "ivan")
    created = testapp.post_json(f"{API}/counterparty", GOOD, headers=buyer, status=201).json
    assert testapp.get(f"{API}/counterparty/{created['id']}", headers=ivan).json["name"] == "Техснаб"
    testapp.post_json(f"{API}/counterparty", {**GOOD, "inn": "7830002293"}, headers=ivan, status=403)
    testapp.patch_json(f"{API}/counterparty/{created['id']}", {"name": "X"}, headers=ivan, status=403)


def test_portal_user_sees_only_their_counterparty(app, testapp, buyer):
    from procura.security import get_user
    from procura.types.system import system_request

    ours = testapp.post_json(f"{API}/counterparty", GOOD, headers=buyer, status=201).json["id"]
    theirs = testapp.post_json(f"{API}/counterparty", {**GOOD, "name": "Другой", "inn": "7830002293",
                                                       "kpp": "783001001"}, headers=buyer, status=201).json["id"]
    for cp in (ours, theirs):
        testapp.post_json(f"{API}/contact", {"name": {"last": "Иванов", "first": "Пётр"}, "counterparty": cp},
                          headers=buyer, status=201)
    create_test_user(app.registry, "petr", roles=["portal"], counterparty=ours)
    tm = transaction.TransactionManager()
    conn = app.registry._zodb_databases[""].open(tm)
    try:
        request = system_request(app.registry, conn.root()[APP_KEY], tm, login="petr")
        request.procura_system = False
        assert get_user(request.app_root, "petr").counterparty == ours
        from procura.types.query import ListQuery, run_query

        for type_name, expected in (("counterparty", {ours}), ("contact", None)):
            info = request.types.info(type_name)
            items = run_query(request, info, ListQuery()).items
            if expected is not None:
                assert {o.id for o in items} == expected
            else:
                assert {o.counterparty for o in items} == {ours} and len(items) == 1
        from procura.types.service import NotFound

        with pytest.raises(NotFound):
            request.types.get(request.types.info("counterparty"), theirs)
        assert not request.types.can("edit", request.types.info("counterparty"),
                                     request.types.get(request.types.info("counterparty"), ours))
    finally:
        tm.abort()
        conn.close()


def test_a_user_cannot_move_themselves_to_a_counterparty(testapp, make_user, buyer):
    make_user("ivan")
    ivan = bearer(testapp, "ivan")
    cp = testapp.post_json(f"{API}/counterparty", GOOD, headers=buyer, status=201).json["id"]
    refused = testapp.patch_json(f"{API}/user/ivan", {"counterparty": cp}, headers=ivan, status=422)
    assert "counterparty" in refused.json["errors"]


def test_a_portal_user_signing_in_is_told_where_they_are(app, testapp, buyer, login):
    ours = testapp.post_json(f"{API}/counterparty", GOOD, headers=buyer, status=201).json["id"]
    create_test_user(app.registry, "petr", roles=["portal"], counterparty=ours, fullname="Петров Пётр")
    login(testapp, "petr")
    home = testapp.get("/?_LOCALE_=en", status=403)
    assert "Петров Пётр, a portal user" in home.text
    assert "Portal account" in home.text
    ru = testapp.get("/?_LOCALE_=ru", status=403)
    assert "пользователь портала" in ru.text


def test_the_generic_pages_api_search_and_export_serve_counterparties(testapp, make_user, login, buyer):
    """The first real addon type gets every generic channel of the type registry, no view code."""
    created = testapp.post_json(f"{API}/counterparty", GOOD, headers=buyer, status=201).json
    testapp.post_json(f"{API}/counterparty/{created['id']}/actions/approve", {}, headers=buyer)
    login(testapp, "olga")
    home = testapp.get("/?_LOCALE_=ru")
    assert 'data-menu="type:counterparty"' in home.text and "Контрагенты" in home.text
    listing = testapp.get("/t/counterparty?_LOCALE_=ru")
    assert "Техснаб" in listing.text and "7707083893" in listing.text
    board = testapp.get("/t/counterparty/kanban?_LOCALE_=ru")
    assert "Одобрен" in board.text and "Техснаб" in board.text
    detail = testapp.get(f"/t/counterparty/{created['id']}?_LOCALE_=ru")
    assert "Банковские реквизиты" in detail.text and "30101810400000000225" in detail.text
    csv = testapp.get("/t/counterparty/export.csv?delimiter=,").body.decode("utf-8-sig")
    assert "7707083893" in csv and "Техснаб" in csv
    hits = testapp.get(f"{API}/search", {"q": "техснаба"}, headers=buyer).json  # a Russian word form
    assert any(h["id"] == created["id"] for h in hits["items"])
    spec = testapp.get(f"{API}/openapi.json", headers=buyer).json
    assert any("counterparty" in path for path in spec["paths"])
