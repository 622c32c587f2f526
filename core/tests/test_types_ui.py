"""The generic web UI of declared types, driven through WebTest on the test-only type "gadget"
(core/tests/sampletype.py): add/edit forms with inline errors and optimistic concurrency, lists with
sort/filter/category/pagination, saved views and columns, detail with the activity feed, trash with
restore and purge, copy, transitions, bulk actions, kanban moves, permissions and recently viewed."""
from __future__ import annotations

import html
import re

import pytest
import transaction
from procura.content import APP_KEY
from procura.testing import set_grants


@pytest.fixture
def procura_overrides():
    return {"procura.extra_hooks": "sampletype", "procura.addons.disabled": "*"}


@pytest.fixture
def anna(testapp, make_user, login):
    make_user("anna", fullname="Anna Petrova")
    return login(testapp, "anna")


def seed(app, login, items, steps=()):
    """Create gadgets through the service as ``login`` (JSON values), then take ``steps`` transitions."""
    from pyramid.request import Request
    from pyramid.scripting import prepare

    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    try:
        request.tm.begin()
        request.session["userid"] = login
        svc = request.types
        info = svc.info("gadget")
        ids = []
        for values in items:
            obj = svc.create(info, svc.validate_json(info, values))
            for name in steps:
                svc.transition(obj, name, comment="seeded")
            ids.append(obj.id)
        request.tm.commit()
        return ids
    finally:
        env["closer"]()


def service_update(app, login, obj_id, values):
    from pyramid.request import Request
    from pyramid.scripting import prepare

    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    try:
        request.tm.begin()
        request.session["userid"] = login
        svc = request.types
        info = svc.info("gadget")
        obj = svc.get(info, obj_id)
        svc.update(obj, svc.validate_json(info, values, obj, partial=True))
        request.tm.commit()
    finally:
        env["closer"]()


def stored(procura_db, obj_id):
    conn = procura_db.open(transaction.TransactionManager())
    try:
        obj = conn.root()[APP_KEY]["types"]["gadget"].get(obj_id)
        if obj is None:
            return None
        return {"name": obj.name, "quantity": obj.quantity, "status": obj.status, "version": obj.version,
                "deleted": obj.deleted, "notes": obj.notes, "size": obj.size, "price": obj.price,
                "history": [dict(h) for h in obj.history]}
    finally:
        conn.close()


def count(procura_db):
    conn = procura_db.open(transaction.TransactionManager())
    try:
        return len(conn.root()[APP_KEY]["types"]["gadget"])
    finally:
        conn.close()


def row_ids(page):
    return re.findall(r'<tr data-id="([^"]+)"', page.text)


def csrf(page):
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


def toasts(page):
    return [html.unescape(re.sub(r"<[^>]+>", "", m)).strip()
            for m in re.findall(r'<div class="toast-body[^"]*">(.*?)</div>', page.text, re.S)]


def plain(page):
    """The page's text without tags, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def deny(app, action, role="user", type_name="gadget"):
    """Take ``action`` on gadgets away from the role (as an administrator would)."""
    set_grants(app.registry, role, types={type_name: {action: "none"}})


# ---------------------------------------------------------------- navigation
def test_every_menu_type_is_in_the_navigation(anna, app):
    home = anna.get("/")
    assert 'data-menu="type:gadget"' in home.text and "/t/gadget" in home.text
    deny(app, "read")
    assert 'data-menu="type:gadget"' not in anna.get("/").text


# ---------------------------------------------------------------- add
def test_create_through_the_form(anna, procura_db):
    page = anna.get("/t/gadget/new")
    assert "New gadget" in page.text and 'name="csrf_token"' in page.text
    form = page.forms["type-form-gadget"]
    form["name"] = "Насос <ЦНС>"
    form["quantity"] = "4"
    form["amount"] = "1500.50"
    form["currency"] = "EUR"
    form["size"] = "m"
    form["due"] = "2026-05-01"
    form["notes"] = "first line\nsecond line"
    result = form.submit("save")
    assert result.status_int == 303
    obj_id = result.location.rsplit("/", 1)[1]
    assert re.fullmatch(r"GDG-\d{4}-0001", obj_id)
    data = stored(procura_db, obj_id)
    assert data["name"] == "Насос <ЦНС>" and data["quantity"] == 4 and data["size"] == "m"
    assert str(data["price"]) == "1500.50 EUR" and data["status"] == "new" and data["version"] == 1
    detail = result.follow()
    assert "Gadget “Насос &lt;ЦНС&gt;” created." in detail.text  # toast, escaped
    assert "<ЦНС>" not in detail.text
    assert "1,500.50" in detail.text and "Medium" in detail.text and "May 1, 2026" in detail.text


def test_invalid_form_shows_inline_errors_and_stores_nothing(anna, procura_db):
    form = anna.get("/t/gadget/new").forms["type-form-gadget"]
    form["quantity"] = "-3"
    form["contact"] = "not-an-email"
    form["amount"] = "12abc"
    page = form.submit("save")
    assert page.status_int == 200
    assert 'id="form-errors"' in page.text and "Nothing was saved" in page.text
    for message in ("Required", "-3 is less than minimum value 0", "Not a valid email address", "Not a number"):
        assert message in page.text, message
    # the errors sit on their fields, and the user's input is kept
    assert re.search(r'id="item-[^"]*".*?name="quantity".*?-3 is less than', page.text, re.S)
    assert 'value="not-an-email"' in page.text
    assert count(procura_db) == 0


def test_service_level_errors_are_shown_on_the_field(anna, procura_db, monkeypatch):
    from procura.types.service import TypeService, ValidationFailed

    def refuse(self, info, appstruct, obj=None):
        raise ValidationFailed({"name": "This name is taken", "other": "General problem"})

    monkeypatch.setattr(TypeService, "validate_form", refuse)
    form = anna.get("/t/gadget/new").forms["type-form-gadget"]
    form["name"] = "Pump"
    page = form.submit("save")
    assert "This name is taken" in page.text and "General problem" in page.text
    assert re.search(r'name="name".*?This name is taken', page.text, re.S)
    assert count(procura_db) == 0


def test_create_needs_the_create_permission(anna, app):
    deny(app, "create")
    anna.get("/t/gadget/new", status=403)
    assert 'id="new-record"' not in anna.get("/t/gadget").text


# ---------------------------------------------------------------- list
@pytest.fixture
def many(app, anna):
    """30 gadgets: quantities 1..30, sizes s/m/l in turn; the first 10 started, the next 5 finished."""
    sizes = "sml"
    items = [{"name": f"Item {i:02d}", "quantity": i, "size": sizes[i % 3]} for i in range(1, 31)]
    ids = seed(app, "anna", items[:10], steps=["start"])
    ids += seed(app, "anna", items[10:15], steps=["start", "finish"])
    ids += seed(app, "anna", items[15:])
    return ids


def test_list_sorts_filters_and_paginates(anna, many):
    page = anna.get("/t/gadget?limit=25&sort=quantity")
    assert len(row_ids(page)) == 25 and "1 – 25 of 30" in plain(page)
    assert row_ids(page)[0] == many[0] and 'aria-sort="ascending"' in page.text
    second = anna.get("/t/gadget?limit=25&sort=quantity&page=2")
    assert row_ids(second) == many[25:] and "26 – 30 of 30" in plain(second)
    assert anna.get("/t/gadget?sort=-quantity").text.count('<tr data-id') == 30
    assert row_ids(anna.get("/t/gadget?sort=-quantity"))[0] == many[-1]
    assert row_ids(anna.get("/t/gadget?sort=title"))[:2] == many[:2]  # Item 01, Item 02
    # filters: an indexed field, the status, the category, the quick search
    small = anna.get("/t/gadget?size=s")
    assert len(row_ids(small)) == 10 and "Size:" in small.text  # a removable filter chip
    assert set(row_ids(anna.get("/t/gadget?status=active"))) == set(many[:10])
    assert set(row_ids(anna.get("/t/gadget?category=closed"))) == set(many[10:15])
    open_page = anna.get("/t/gadget?category=open")
    assert len(row_ids(open_page)) == 25
    assert re.search(r'data-category="closed"[^>]*>\s*Closed <span class="count">5</span>', open_page.text)
    assert row_ids(anna.get("/t/gadget?q=item 1")) and set(row_ids(anna.get("/t/gadget?q=item 1"))) == set(many[9:19])
    assert row_ids(anna.get(f"/t/gadget?q={many[3]}")) == [many[3]]
    combined = anna.get("/t/gadget?size=m&category=closed&sort=quantity")
    assert row_ids(combined) == [many[12]]  # quantity 13: size m, finished
    # bad parameters are explained, not a crash
    bad = anna.get("/t/gadget?bogus=1&sort=notes")
    assert "Cannot filter by" in bad.text and "Cannot sort by" in bad.text and row_ids(bad) == []
    assert 'id="empty-filtered"' in anna.get("/t/gadget?size=l&status=done&quantity=2").text


def test_empty_list_says_what_to_do(anna):
    page = anna.get("/t/gadget")
    assert 'id="empty-list"' in page.text and "No gadgets yet." in plain(page) and "/t/gadget/new" in page.text


def test_column_choice_and_saved_views_are_per_user(anna, many, make_user, login, app):
    page = anna.get("/t/gadget")
    token = csrf(page)
    anna.post("/t/gadget/prefs", {"csrf_token": token, "action": "columns", "columns": ["name", "size", "id"],
                                  "came_from": "/t/gadget"}, status=303)
    page = anna.get("/t/gadget")
    assert re.findall(r'<th scope="col" data-column="([^"]+)"', page.text) == ["name", "size", "id"]
    # a saved view keeps the filters and the sort
    result = anna.post("/t/gadget/prefs", {"csrf_token": token, "action": "save_view", "name": "Small <ones>",
                                           "query": "size=s&sort=-quantity&page=3"}, status=303)
    assert "size=s" in result.location and "view=" in result.location and "page=" not in result.location
    page = result.follow()
    assert "Small &lt;ones&gt;" in page.text and len(row_ids(page)) == 10
    view_id = re.search(r"view=([0-9a-f]+)", result.location).group(1)
    # another user sees neither the columns nor the view
    make_user("boris")
    other = login(anna.__class__(app, extra_environ={"HTTP_HOST": "localhost"}), "boris")
    theirs = other.get("/t/gadget")
    assert "Small &lt;ones&gt;" not in theirs.text
    assert re.findall(r'<th scope="col" data-column="([^"]+)"', theirs.text) == ["name", "quantity", "price",
                                                                                 "status"]
    anna.post("/t/gadget/prefs", {"csrf_token": token, "action": "delete_view", "view_id": view_id}, status=303)
    assert "Small &lt;ones&gt;" not in anna.get("/t/gadget").text
    anna.post("/t/gadget/prefs", {"csrf_token": token, "action": "reset_columns"}, status=303)
    assert 'data-column="quantity"' in anna.get("/t/gadget").text
    anna.post("/t/gadget/prefs", {"action": "columns", "columns": ["name"]}, status=403)  # no CSRF token


# ---------------------------------------------------------------- detail, edit, stale edit
def test_detail_shows_panels_status_actions_and_activity(anna, app):
    [obj_id] = seed(app, "anna", [{"name": "Pump", "quantity": 2, "price": {"amount": "10.50", "currency": "RUB"},
                                   "size": "l", "notes": "<b>bold</b>"}])
    service_update(app, "anna", obj_id, {"quantity": 3, "size": "s"})
    page = anna.get(f"/t/gadget/{obj_id}")
    text = page.text
    assert 'id="record-title">Pump<' in text and obj_id in text and 'data-status="new"' in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<b>bold</b>" not in text
    assert "10.50" in text and "₽" in text
    assert 'data-transition="start"' in text and 'data-transition="drop"' in text
    assert 'data-transition="finish"' not in text and 'data-transition="reopen"' not in text
    assert 'id="edit-record"' in text and 'id="copy-record"' in text and 'id="delete-record"' in text
    feed = text[text.index('id="feed-entries"'):]
    assert "created this record" in feed and "Anna Petrova" in feed
    assert re.search(r"Quantity:</span>\s*<del[^>]*>2</del>.*?<span class=\"feed-new\">3</span>", feed, re.S)
    assert re.search(r"Size:</span>\s*<del[^>]*>Large</del>.*?<span class=\"feed-new\">Small</span>", feed, re.S)
    assert feed.index("changed") < feed.index("created this record")  # newest first
    anna.get("/t/gadget/GDG-2000-9999", status=404)
    anna.get("/t/nosuchtype", status=404)
    anna.get(f"/t/nosuchtype/{obj_id}", status=404)


def test_edit_saves_and_records_the_change(anna, app, procura_db):
    [obj_id] = seed(app, "anna", [{"name": "Pump", "quantity": 2}])
    form = anna.get(f"/t/gadget/{obj_id}/edit").forms["type-form-gadget"]
    assert form["version"].value == "1" and form["name"].value == "Pump"
    form["quantity"] = "7"
    page = form.submit("save").follow()
    assert "Changes saved." in toasts(page)
    data = stored(procura_db, obj_id)
    assert data["quantity"] == 7 and data["version"] == 2
    assert data["history"][-1]["changes"] == {"quantity": [2, 7]}
    # an unchanged form saves nothing
    form = anna.get(f"/t/gadget/{obj_id}/edit").forms["type-form-gadget"]
    assert "Nothing was changed." in toasts(form.submit("save").follow())
    assert stored(procura_db, obj_id)["version"] == 2


def test_invalid_edit_keeps_the_stored_values(anna, app, procura_db):
    [obj_id] = seed(app, "anna", [{"name": "Pump", "quantity": 2}])
    form = anna.get(f"/t/gadget/{obj_id}/edit").forms["type-form-gadget"]
    form["name"] = ""
    form["quantity"] = "x"
    page = form.submit("save")
    assert "Nothing was saved" in page.text and "Required" in page.text and '"x" is not a number' in page.text
    assert stored(procura_db, obj_id)["name"] == "Pump" and stored(procura_db, obj_id)["version"] == 1


def test_stale_edit_is_refused_with_the_users_input_kept(anna, app, procura_db, make_user):
    [obj_id] = seed(app, "anna", [{"name": "Pump", "quantity": 2}])
    form = anna.get(f"/t/gadget/{obj_id}/edit").forms["type-form-gadget"]
    make_user("boris", fullname="Boris Ivanov")
    service_update(app, "boris", obj_id, {"quantity": 5})  # someone else saves first
    form["quantity"] = "9"
    form["notes"] = "my careful notes"
    page = form.submit("save", status=409)
    assert "This record was changed by boris after you opened it" in page.text
    assert "version 2, you had 1" in page.text and "quantity" in page.text
    assert 'value="9"' in page.text and "my careful notes" in page.text  # nothing typed is lost
    assert 'name="version" value="1"' in page.text  # a second press does not overwrite either
    data = stored(procura_db, obj_id)
    assert data["quantity"] == 5 and data["notes"] is None and data["version"] == 2
    form.submit("save", status=409)
    assert stored(procura_db, obj_id)["quantity"] == 5


def test_edit_needs_the_edit_permission(anna, app):
    [obj_id] = seed(app, "anna", [{"name": "Pump"}])
    deny(app, "edit")
    anna.get(f"/t/gadget/{obj_id}/edit", status=403)
    assert 'id="edit-record"' not in anna.get(f"/t/gadget/{obj_id}").text


# ---------------------------------------------------------------- copy
def test_copy_opens_a_prefilled_add_form(anna, app, procura_db):
    [obj_id] = seed(app, "anna", [{"name": "Pump", "quantity": 2, "size": "m",
                                   "price": {"amount": "99.90", "currency": "USD"}}])
    page = anna.get(f"/t/gadget/{obj_id}/copy")
    assert "Copy of “Pump”" in page.text and obj_id in page.text
    form = page.forms["type-form-gadget"]
    assert form.action.endswith("/t/gadget/new") and "version" not in form.fields
    assert form["name"].value == "Pump" and form["quantity"].value == "2" and form["size"].value == "m"
    assert form["amount"].value == "99.90" and form["currency"].value == "USD"
    form["name"] = "Pump (copy)"
    new_id = form.submit("save").location.rsplit("/", 1)[1]
    assert new_id != obj_id and count(procura_db) == 2
    copy = stored(procura_db, new_id)
    assert copy["name"] == "Pump (copy)" and copy["quantity"] == 2 and copy["status"] == "new"
    assert stored(procura_db, obj_id)["name"] == "Pump"


# ---------------------------------------------------------------- trash
def test_delete_to_trash_restore_and_purge(anna, app, procura_db):
    [obj_id, other] = seed(app, "anna", [{"name": "Pump"}, {"name": "Valve"}])
    detail = anna.get(f"/t/gadget/{obj_id}")
    delete_form = detail.forms["delete-form"]
    assert re.search(r'<form[^>]*id="delete-form"[^>]*data-confirm="Move this record', detail.text)  # it asks first
    page = delete_form.submit().follow()
    assert "“Pump” moved to the trash. You can restore it from there." in toasts(page)
    assert row_ids(page) == [other] and stored(procura_db, obj_id)["deleted"] is True
    trash = anna.get("/t/gadget/trash")
    assert row_ids(trash) == [obj_id] and "Anna Petrova" in trash.text
    deleted = anna.get(f"/t/gadget/{obj_id}")
    assert 'id="deleted-banner"' in deleted.text and 'id="edit-record"' not in deleted.text
    anna.get(f"/t/gadget/{obj_id}/edit", status=404)
    token = csrf(trash)
    anna.post(f"/t/gadget/{other}/restore", {"csrf_token": token}, status=404)  # not in the trash
    anna.post(f"/t/gadget/{other}/purge", {"csrf_token": token}, status=404)
    page = anna.post(f"/t/gadget/{obj_id}/restore", {"csrf_token": token}, status=303).follow()
    assert "“Pump” restored." in toasts(page)
    assert stored(procura_db, obj_id)["deleted"] is False and len(row_ids(anna.get("/t/gadget"))) == 2
    anna.post(f"/t/gadget/{obj_id}/delete", {"csrf_token": token}, status=303)
    page = anna.post(f"/t/gadget/{obj_id}/purge", {"csrf_token": token}, status=303).follow()
    assert "“Pump” deleted for good." in toasts(page) and 'id="empty-trash"' in page.text
    assert stored(procura_db, obj_id) is None
    anna.get(f"/t/gadget/{obj_id}", status=404)
    anna.post(f"/t/gadget/{obj_id}/delete", {"csrf_token": token}, status=404)
    anna.post(f"/t/gadget/{other}/delete", {}, status=403)  # CSRF
    assert stored(procura_db, other)["deleted"] is False


def test_delete_restore_purge_need_the_delete_permission(anna, app, procura_db):
    [obj_id, trashed] = seed(app, "anna", [{"name": "Pump"}, {"name": "Valve"}])
    token = csrf(anna.get("/t/gadget"))
    anna.post(f"/t/gadget/{trashed}/delete", {"csrf_token": token}, status=303)
    deny(app, "delete")
    page = anna.get(f"/t/gadget/{obj_id}")
    assert 'id="delete-record"' not in page.text and 'id="trash-link"' not in anna.get("/t/gadget").text
    anna.post(f"/t/gadget/{obj_id}/delete", {"csrf_token": token}, status=403)
    anna.post(f"/t/gadget/{trashed}/restore", {"csrf_token": token}, status=403)
    anna.post(f"/t/gadget/{trashed}/purge", {"csrf_token": token}, status=403)
    anna.get("/t/gadget/trash", status=403)
    anna.get(f"/t/gadget/{trashed}", status=404)  # a deleted record is shown only to those who may restore it
    assert stored(procura_db, obj_id)["deleted"] is False and stored(procura_db, trashed)["deleted"] is True


def test_a_read_that_is_denied_is_a_404(anna, app):
    [obj_id] = seed(app, "anna", [{"name": "Pump"}])
    deny(app, "read")
    token = csrf(anna.get("/"))
    for url in ("/t/gadget", f"/t/gadget/{obj_id}", f"/t/gadget/{obj_id}/edit", "/t/gadget/kanban",
                f"/t/gadget/{obj_id}/copy", f"/t/gadget/{obj_id}/transition/start"):
        anna.get(url, status=404)
    anna.post(f"/t/gadget/{obj_id}/delete", {"csrf_token": token}, status=404)
    result = anna.post(f"/t/gadget/{obj_id}/move", {"csrf_token": token, "status": "active"}, status=404)
    assert result.json["ok"] is False


def test_signed_out_users_are_sent_to_sign_in(testapp, app, make_user):
    make_user("anna")
    [obj_id] = seed(app, "anna", [{"name": "Pump"}])
    result = testapp.get(f"/t/gadget/{obj_id}", status=303)
    assert "/login" in result.location


# ---------------------------------------------------------------- transitions
def test_transitions_with_and_without_a_comment(anna, app, procura_db):
    [obj_id] = seed(app, "anna", [{"name": "Pump"}])
    detail = anna.get(f"/t/gadget/{obj_id}")
    start = next(f for f in detail.forms.values() if f.action.endswith("/transition/start"))
    page = start.submit().follow()
    assert "Start: the status is now “Active”." in toasts(page)
    assert stored(procura_db, obj_id)["status"] == "active"
    # "drop" needs a comment: the page asks for it and refuses an empty one
    ask = anna.get(f"/t/gadget/{obj_id}/transition/drop")
    assert 'id="transition-form"' in ask.text and "required" in ask.text
    form = ask.forms["transition-form"]
    refused = form.submit(status=409)
    assert "needs a comment" in refused.text and stored(procura_db, obj_id)["status"] == "active"
    form = refused.forms["transition-form"]
    form["comment"] = "Супplier <gone>"
    page = form.submit().follow()
    assert stored(procura_db, obj_id)["status"] == "dropped"
    assert "Супplier &lt;gone&gt;" in page.text and 'class="feed-comment"' in page.text
    # a transition that is not possible from here is explained, nothing changes
    token = csrf(page)
    page = anna.post(f"/t/gadget/{obj_id}/transition/finish", {"csrf_token": token}, status=303).follow()
    assert any("is not possible from the status" in t for t in toasts(page))
    page = anna.post(f"/t/gadget/{obj_id}/transition/reopen", {"csrf_token": token}, status=303).follow()
    assert any("You are not allowed to" in t for t in toasts(page))
    assert stored(procura_db, obj_id)["status"] == "dropped"
    anna.post(f"/t/gadget/{obj_id}/transition/nonsense", {"csrf_token": token}, status=404)
    assert "You are not allowed to" in anna.get(f"/t/gadget/{obj_id}/transition/reopen").text
    assert "is not possible from the status" in anna.get(f"/t/gadget/{obj_id}/transition/finish").text


# ---------------------------------------------------------------- bulk
def test_bulk_transition_delete_restore_purge_report_each_failure(anna, app, procura_db):
    ids = seed(app, "anna", [{"name": f"Item {i}"} for i in range(4)])
    seed_started = ids[0]
    service_transition(app, "anna", seed_started, "start")
    page = anna.get("/t/gadget")
    form = page.forms["bulk-form"]
    options = [v for v, _sel, _t in form["action"].options]
    assert options == ["", "transition:start", "transition:finish", "transition:drop", "delete"]
    for field in form.fields["ids"]:
        if field._value in ids[:3]:
            field.checked = True
    form["action"] = "transition:start"
    page = form.submit().follow()
    assert "Start: 2 record(s) changed." in toasts(page)
    failure = next(t for t in toasts(page) if "not changed" in t)
    assert failure.startswith("1 record(s) not changed:") and seed_started in failure and "not possible" in failure
    assert [stored(procura_db, i)["status"] for i in ids] == ["active", "active", "active", "new"]
    # a transition that needs a comment is refused before anything is done
    token = csrf(page)
    page = anna.post("/t/gadget/bulk", {"csrf_token": token, "action": "transition:drop", "ids": ids[:2]},
                     status=303).follow()
    assert any("needs a comment" in t for t in toasts(page)) and stored(procura_db, ids[0])["status"] == "active"
    anna.post("/t/gadget/bulk", {"csrf_token": token, "action": "transition:drop", "ids": ids[:2],
                                 "comment": "no budget"}, status=303)
    assert stored(procura_db, ids[0])["status"] == "dropped"
    # delete: an unknown id is reported, the others go to the trash
    page = anna.post("/t/gadget/bulk", {"csrf_token": token, "action": "delete",
                                        "ids": [ids[2], ids[3], "GDG-1999-0001"]}, status=303).follow()
    assert "2 record(s) moved to the trash." in toasts(page) and any("GDG-1999-0001: not found" in t
                                                                         for t in toasts(page))
    assert set(row_ids(anna.get("/t/gadget/trash"))) == {ids[2], ids[3]}
    anna.post("/t/gadget/bulk", {"csrf_token": token, "action": "restore", "ids": [ids[2]]}, status=303)
    anna.post("/t/gadget/bulk", {"csrf_token": token, "action": "purge", "ids": [ids[3], ids[0]]}, status=303)
    assert stored(procura_db, ids[3]) is None and stored(procura_db, ids[2])["deleted"] is False
    assert stored(procura_db, ids[0])["deleted"] is False  # purge touches only the trash
    page = anna.post("/t/gadget/bulk", {"csrf_token": token, "action": "delete"}, status=303).follow()
    assert "Select at least one record first." in toasts(page)
    anna.post("/t/gadget/bulk", {"csrf_token": token, "action": "explode", "ids": ids}, status=400)
    deny(app, "delete")
    page = anna.post("/t/gadget/bulk", {"csrf_token": token, "action": "delete", "ids": [ids[1]]},
                     status=303).follow()
    assert any("not allowed" in t for t in toasts(page)) and stored(procura_db, ids[1])["deleted"] is False


def service_transition(app, login, obj_id, name, comment=None):
    from pyramid.request import Request
    from pyramid.scripting import prepare

    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    try:
        request.tm.begin()
        request.session["userid"] = login
        svc = request.types
        svc.transition(svc.get(svc.info("gadget"), obj_id), name, comment=comment)
        request.tm.commit()
    finally:
        env["closer"]()


# ---------------------------------------------------------------- kanban
def test_kanban_board_and_moves(anna, app, procura_db):
    new, active, done = seed(app, "anna", [{"name": "New one", "quantity": 5}, {"name": "Active one"},
                                           {"name": "Done one"}])
    service_transition(app, "anna", active, "start")
    service_transition(app, "anna", done, "start")
    service_transition(app, "anna", done, "finish")
    board = anna.get("/t/gadget/kanban")
    assert re.findall(r'<section class="kanban-column[^"]*"[^>]*data-status="([^"]+)"', board.text) == [
        "new", "active", "done", "dropped"]
    assert f'data-id="{new}"' in board.text and "Sortable.min.js" in board.text and "types.js" in board.text
    assert re.search(rf'data-id="{new}"[^>]*data-targets="active dropped"', board.text)
    assert "<script>" not in board.text and "<script type" not in board.text  # no inline scripts
    token = csrf(board)
    ok = anna.post(f"/t/gadget/{new}/move", {"csrf_token": token, "status": "active"})
    assert ok.json["ok"] is True and ok.json["status"] == "active" and ok.json["version"] == 2
    assert stored(procura_db, new)["status"] == "active"
    refused = anna.post(f"/t/gadget/{new}/move", {"csrf_token": token, "status": "new"}, status=409)
    assert refused.json == {"ok": False, "reason": "A record cannot move from 'Active' to 'New'",
                            "needs_comment": False}
    needs = anna.post(f"/t/gadget/{new}/move", {"csrf_token": token, "status": "dropped"}, status=409)
    assert needs.json["needs_comment"] is True and "needs a comment" in needs.json["reason"]
    dropped = anna.post(f"/t/gadget/{new}/move", {"csrf_token": token, "status": "dropped", "comment": "no"})
    assert dropped.json["ok"] and stored(procura_db, new)["history"][-1]["comment"] == "no"
    forbidden = anna.post(f"/t/gadget/{done}/move", {"csrf_token": token, "status": "active"}, status=409)
    assert forbidden.json["reason"] == "You are not allowed to 'Reopen' this record"
    assert stored(procura_db, done)["status"] == "done"
    same = anna.post(f"/t/gadget/{active}/move", {"csrf_token": token, "status": "active"})
    assert same.json["ok"] and stored(procura_db, active)["version"] == 2
    anna.post(f"/t/gadget/{active}/move", {"csrf_token": token, "status": "nowhere"}, status=400)
    anna.post("/t/gadget/GDG-1999-0001/move", {"csrf_token": token, "status": "active"}, status=404)
    anna.post(f"/t/gadget/{active}/move", {"status": "done"}, status=403)  # CSRF
    assert stored(procura_db, active)["status"] == "active"
    # the board takes the list's filters
    filtered = anna.get("/t/gadget/kanban?q=done")
    assert f'data-id="{done}"' in filtered.text and f'data-id="{active}"' not in filtered.text


def test_kanban_refused_reason_is_translated(anna, app):
    [obj_id] = seed(app, "anna", [{"name": "Pump"}])
    token = csrf(anna.get("/"))
    result = anna.post(f"/t/gadget/{obj_id}/move?_LOCALE_=ru", {"csrf_token": token, "status": "done"}, status=409)
    assert result.json["reason"].startswith("Запись нельзя перевести из статуса")


# ---------------------------------------------------------------- recently viewed
def test_recently_viewed_on_the_home_page(anna, app):
    first, second, third = seed(app, "anna", [{"name": "First <one>"}, {"name": "Second"}, {"name": "Third"}])
    assert 'id="recently-viewed"' not in anna.get("/").text
    for obj_id in (first, second, first, third):
        anna.get(f"/t/gadget/{obj_id}")
    home = anna.get("/")
    assert 'data-widget="recently_viewed"' in home.text
    listed = re.findall(r'<li[^>]*data-type="gadget" data-id="([^"]+)"', home.text)
    assert listed == [third, first, second]
    assert "First &lt;one&gt;" in home.text
    token = csrf(home)
    anna.post(f"/t/gadget/{second}/delete", {"csrf_token": token}, status=303)
    listed = re.findall(r'data-type="gadget" data-id="([^"]+)"', anna.get("/").text)
    assert listed == [third, first]


def test_recently_viewed_keeps_the_last_twenty(anna, app, procura_db):
    ids = seed(app, "anna", [{"name": f"Item {i}"} for i in range(23)])
    for obj_id in ids:
        anna.get(f"/t/gadget/{obj_id}")
    conn = procura_db.open(transaction.TransactionManager())
    try:
        from procura.security import get_user

        recent = list(get_user(conn.root()[APP_KEY], "anna").recently_viewed)
    finally:
        conn.close()
    assert [tuple(r) for r in recent] == [("gadget", i) for i in reversed(ids[3:])]


# ---------------------------------------------------------------- related lists
def _part_type():
    """A second test type whose indexed ``gadget`` field refers to gadgets (``references``)."""
    from procura.types import TypeInfo
    from procura.types import fields as f

    ref = f.String("gadget", "Gadget", indexed=True)
    ref.references = "gadget"
    return TypeInfo(name="gadget_part", title="Part", plural="Parts", fields=[f.String("name", "Name"), ref],
                    id_pattern="PRT-{seq:03}", menu=False,
                    default_roles={"create": ["user"], "read": ["user"], "edit": ["user"], "delete": ["user"]})


def _hooks_module():
    import types

    from procura import hookimpl

    module = types.ModuleType("procura_test_parts")
    module.procura_register_types = hookimpl(lambda: [_part_type()])
    return module


class TestRelatedLists:
    @pytest.fixture
    def procura_overrides(self):
        import sys

        sys.modules["procura_test_parts"] = _hooks_module()
        yield {"procura.extra_hooks": "sampletype,procura_test_parts", "procura.addons.disabled": "*"}
        sys.modules.pop("procura_test_parts", None)

    def test_records_pointing_here_are_listed(self, anna, app):
        [gadget, other] = seed(app, "anna", [{"name": "Pump"}, {"name": "Valve"}])
        from pyramid.request import Request
        from pyramid.scripting import prepare

        request = Request.blank("/")
        env = prepare(request=request, registry=app.registry)
        try:
            request.tm.begin()
            request.session["userid"] = "anna"
            svc = request.types
            info = svc.info("gadget_part")
            for name, target in (("Impeller", gadget), ("Seal <kit>", gadget), ("Spring", other)):
                svc.create(info, svc.validate_json(info, {"name": name, "gadget": target}))
            request.tm.commit()
        finally:
            env["closer"]()
        page = anna.get(f"/t/gadget/{gadget}")
        section = page.text[page.text.index('data-related="gadget_part-gadget"'):]
        section = section[:section.index("</section>")]
        assert "Impeller" in section and "Seal &lt;kit&gt;" in section and "Spring" not in section
        assert "/t/gadget_part/new" in section
        assert 'data-menu="type:gadget_part"' not in page.text  # menu=False
