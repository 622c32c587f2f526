"""Export (CSV, XLSX) and print (PDF) of typed objects, on the test-only type "gadget".

The 100,000-row streaming proof lives in tests/bench (it takes minutes); here a few thousand rows
show that the CSV is streamed (the first chunk leaves before the rows are all read) and that
memory stays flat when the row count grows five-fold.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import io
import tracemalloc
import types

import pytest
import transaction
from procura.content import APP_KEY
from procura.types import access
from procura.types.content import container_for
from procura.types.fields import Money
from webtest import TestApp


@pytest.fixture
def procura_overrides():
    return {"procura.extra_hooks": "sampletype", "procura.addons.disabled": "*"}


@pytest.fixture
def users(make_user):
    make_user("anna")
    make_user("bob")
    make_user("root", roles=["admin"])


def client(app, login, who):
    return login(TestApp(app, extra_environ={"HTTP_HOST": "localhost"}), who)


@contextlib.contextmanager
def acting(app, login="anna"):
    from pyramid.request import Request
    from pyramid.scripting import prepare

    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    request.tm.begin()
    request.session["userid"] = login
    try:
        yield request
        request.tm.commit()
    except BaseException:
        request.tm.abort()
        raise
    finally:
        env["closer"]()


def create(app, **values):
    with acting(app) as request:
        svc = request.types
        info = svc.info("gadget")
        status = values.pop("_status", None)
        obj = svc.create(info, svc.validate_json(info, values))
        if status == "active":
            svc.transition(obj, "start")
        return obj.id


def bulk_create(db, count, start=0, **extra):
    """``count`` gadgets written straight into the container and its catalog (no service, no search)."""
    from procura.addons import load  # noqa: F401 - the app is built; its registry has the type
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        root = conn.root()[APP_KEY]
        container = container_for(root, "gadget")
        info = _gadget_info()
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        for n in range(start, start + count):
            obj = info.content_class("gadget")
            obj.name = f"Изделие {n:06}"
            obj.notes = None
            obj.quantity = n % 10
            obj.price = Money(decimal.Decimal(n % 1000) + decimal.Decimal("0.50"), "RUB")
            obj.size = "sml"[n % 3]
            obj.due = dt.date(2026, 1, 1) + dt.timedelta(days=n % 365)
            obj.contact = None
            obj.urgent = bool(n % 2)
            obj.status = "new"
            obj.created = obj.modified = now + dt.timedelta(seconds=n)
            obj.created_by = obj.modified_by = obj.owner = "anna"
            obj.version = 1
            for key, value in extra.items():
                setattr(obj, key, value)
            container.add(f"B-{n:07}", obj)
            container.index(obj, info)
            if n % 50000 == 49999:
                tm.savepoint(optimistic=True)
                conn.cacheGC()
        tm.commit()
    finally:
        conn.close()


def _gadget_info():
    import sampletype

    return sampletype.GADGET


def read_csv(body: bytes, delimiter=";"):
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


# ---------------------------------------------------------------- CSV


def test_csv_has_translated_header_and_display_values(app, users, login):
    oid = create(app, name="Насос центробежный", notes="Для «Водоканала»; 2 шт.", quantity=3,
                 price={"amount": "1500.50", "currency": "RUB"}, size="m", due="2026-03-01",
                 contact="buyer@example.com", urgent=True)
    anna = client(app, login, "anna")
    response = anna.get("/t/gadget/export.csv")
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="gadget-')
    rows = read_csv(response.body)
    assert rows[0] == ["ID", "Name", "Notes", "Quantity", "Price", "Size", "Due", "Contact email", "Urgent",
                       "Status", "Created", "Modified"]
    assert rows[1][:10] == [oid, "Насос центробежный", "Для «Водоканала»; 2 шт.", "3", "1500.50 RUB", "Medium",
                            "2026-03-01", "buyer@example.com", "Yes", "New"]
    assert len(rows) == 2
    ru = anna.get("/t/gadget/export.csv", params={"_LOCALE_": "ru", "delimiter": ","})
    header = read_csv(ru.body, ",")[0]
    assert header[0] == "ID" and "Name" not in header  # column titles in the reader's language


def test_csv_follows_the_list_filters_sort_columns_and_search(app, users, login):
    a = create(app, name="Бета", size="m", quantity=1)
    b = create(app, name="Альфа", size="m", quantity=2, _status="active")
    create(app, name="Гамма", size="l", quantity=3)
    anna = client(app, login, "anna")

    def ids(**params):
        return [r[0] for r in read_csv(anna.get("/t/gadget/export.csv", params=params).body)[1:]]

    assert ids(size="m", sort="name") == [b, a]
    assert ids(size="m", sort="-name") == [a, b]
    assert ids(category="open", status="active") == [b]
    assert ids(q="альфой") == [b]
    picked = read_csv(anna.get("/t/gadget/export.csv", params={"columns": "name,quantity", "sort": "quantity"}).body)
    assert picked == [["Name", "Quantity"], ["Бета", "1"], ["Альфа", "2"], ["Гамма", "3"]]
    bad = anna.get("/t/gadget/export.csv", params={"quantity": "many"}, status=400)
    assert "quantity" in bad.text
    anna.get("/t/gadget/export.csv", params={"nosuchfield": "1"}, status=400)


def test_csv_cells_cannot_smuggle_formulas(app, users, login):
    create(app, name="=HYPERLINK(\"http://evil\")", notes="+1 call me")
    rows = read_csv(client(app, login, "anna").get("/t/gadget/export.csv").body)
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")" and rows[1][2] == "'+1 call me"


def test_denied_objects_and_hidden_fields_are_left_out(app, users, login, monkeypatch):
    create(app, name="Открытое", contact="a@example.com")
    create(app, name="Секретное", contact="b@example.com")
    real_can, real_field = access.can, access.field_access

    def can(request, action, info, obj=None):
        if obj is not None and request.identity.login == "bob" and obj.name == "Секретное":
            return False
        return real_can(request, action, info, obj)

    def field_access(request, info, field, obj=None):
        if field.name == "contact" and request.identity.login == "bob":
            return access.HIDDEN
        return real_field(request, info, field, obj)

    monkeypatch.setattr(access, "can", can)
    monkeypatch.setattr(access, "field_access", field_access)
    anna_rows = read_csv(client(app, login, "anna").get("/t/gadget/export.csv", params={"sort": "name"}).body)
    assert [r[1] for r in anna_rows[1:]] == ["Открытое", "Секретное"] and "Contact email" in anna_rows[0]
    bob = client(app, login, "bob")
    bob_rows = read_csv(bob.get("/t/gadget/export.csv").body)
    assert [r[1] for r in bob_rows[1:]] == ["Открытое"] and "Contact email" not in bob_rows[0]
    assert "b@example.com" not in bob.get("/t/gadget/export.xlsx").body.decode("latin-1")


def test_export_needs_the_export_permission_and_read(app, users, login, monkeypatch):
    create(app, name="X")
    anon = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    assert anon.get("/t/gadget/export.csv", status="*").status_int in (302, 303, 401, 403)
    anna = client(app, login, "anna")
    anna.get("/t/nosuchtype/export.csv", status=404)
    monkeypatch.setattr(access, "can", lambda request, action, info, obj=None: False)
    anna.get("/t/gadget/export.csv", status=403)
    monkeypatch.undo()
    from procura.testing import set_grants

    set_grants(app.registry, "user", permissions={"procura.export": False})
    anna.get("/t/gadget/export.csv", status=403)
    client(app, login, "root").get("/t/gadget/export.csv", status=200)  # admins hold every permission


def test_csv_delimiter_setting(tmp_path, make_user, login):
    from procura import make_app
    from procura.db import open_db
    from procura.testing import make_settings

    settings = make_settings(tmp_path, **{"procura.extra_hooks": "sampletype", "procura.addons.disabled": "*",
                                          "procura.export.csv_delimiter": ","})
    db = open_db(settings["procura.zodb_uri"])
    try:
        app = make_app(settings, db=db)
        bulk_create(db, 3)
        from procura.testing import create_test_user

        create_test_user(app.registry, "anna", "secret-pass-1")
        body = client(app, login, "anna").get("/t/gadget/export.csv").body
        assert read_csv(body, ",")[0][:2] == ["ID", "Name"] and len(read_csv(body, ",")) == 4
    finally:
        db.close()


# ---------------------------------------------------------------- streaming and memory


def export_request(app, login="anna", **params):
    from urllib.parse import urlencode

    from pyramid.request import Request
    from pyramid.scripting import prepare

    request = Request.blank("/t/gadget/export.csv?" + urlencode(params))
    env = prepare(request=request, registry=app.registry)
    request.session["userid"] = login
    request.matchdict = {"type": "gadget", "format": "csv"}
    return request, env


def run_view(app, **params):
    """The export view called as the router would: returns the response; the request is over."""
    from procura.export.views import export_view

    request, env = export_request(app, **params)
    request.tm.begin()
    try:
        response = export_view(request)
    finally:
        request.tm.abort()
        env["closer"]()  # closes the request's connection, as Pyramid does before the body is sent
    return response


def peak_while_streaming(app, **params) -> tuple[int, int]:
    """Peak traced memory while the body of one export is read, and the body's size."""
    response = run_view(app, **params)
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.app_iter)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


def test_csv_is_streamed_and_memory_stays_flat(app, users, procura_db, monkeypatch):
    from procura.export import views

    bulk_create(procura_db, 5000)
    produced = {"rows": 0}
    real_rows = views.export_rows

    def counting_rows(*args, **kw):
        for row in real_rows(*args, **kw):
            produced["rows"] += 1
            yield row

    monkeypatch.setattr(views, "export_rows", counting_rows)
    response = run_view(app, sort="name")
    assert isinstance(response.app_iter, types.GeneratorType)
    assert produced["rows"] == 0  # nothing is read before the server asks for the body
    chunks = iter(response.app_iter)
    first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbfID;Name;") and 0 < produced["rows"] <= 1000
    rest = b"".join(chunks)
    rows = read_csv(first + rest)
    assert len(rows) == 5001 and produced["rows"] == 5001
    assert rows[1][1] == "Изделие 000000" and rows[-1][1] == "Изделие 004999"
    monkeypatch.undo()

    from procura.export import rows as rows_module

    # The 100,000-row path (a scan of the sort index, batches released as they go), with windows
    # small enough that 5,000 rows are many of them.
    monkeypatch.setattr(rows_module, "SCAN_MIN", 1000)
    monkeypatch.setattr(rows_module, "BATCH", 100)
    monkeypatch.setattr(rows_module, "MINIMIZE_EVERY", 1)
    monkeypatch.setattr(rows_module, "SCAN_CHUNK", 100)
    small_peak, small_size = peak_while_streaming(app, quantity="3", size="s")  # 1/30 of the rows
    big_peak, big_size = peak_while_streaming(app)
    assert big_size > 25 * small_size
    # what holding rows costs, per row (measured on the small export)
    response = run_view(app, quantity="3", size="s")
    tracemalloc.start()
    try:
        kept = list(csv.reader(io.StringIO(b"".join(response.app_iter).decode("utf-8-sig")), delimiter=";"))
        per_row = tracemalloc.get_traced_memory()[0] / len(kept)
    finally:
        tracemalloc.stop()
    growth_per_row = (big_peak - small_peak) / (5000 - len(kept) + 1)
    assert growth_per_row < per_row / 5, (small_peak, big_peak, per_row, growth_per_row)


def test_the_scan_gives_the_same_order_as_the_sort(app, users, procura_db, monkeypatch):
    from procura.export import rows as rows_module

    bulk_create(procura_db, 300)
    bulk_create(procura_db, 20, start=300, due=None, quantity=None)  # no value: last, in both ways
    for sort in ("name", "-name", "-modified", "quantity", "-quantity", "due", "-due"):
        monkeypatch.setattr(rows_module, "SCAN_MIN", 10**9)
        sorted_rows = b"".join(run_view(app, sort=sort).app_iter)
        monkeypatch.setattr(rows_module, "SCAN_MIN", 1)
        monkeypatch.setattr(rows_module, "SCAN_CHUNK", 7)
        scanned_rows = b"".join(run_view(app, sort=sort).app_iter)
        assert len(read_csv(scanned_rows)) == 321
        key = [r[0] for r in read_csv(sorted_rows)[1:]]
        assert [r[0] for r in read_csv(scanned_rows)[1:]] == key, sort


# ---------------------------------------------------------------- XLSX


def test_xlsx_has_the_same_rows_with_typed_cells(app, users, login):
    from openpyxl import load_workbook

    oid = create(app, name="Задвижка клиновая", quantity=7, price={"amount": "99.90", "currency": "RUB"},
                 due="2026-05-09", urgent=False)
    create(app, name="Другая", size="l")
    response = client(app, login, "anna").get("/t/gadget/export.xlsx", params={"sort": "name"})
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert int(response.headers["Content-Length"]) == len(response.body)
    wb = load_workbook(io.BytesIO(response.body))
    ws = wb.active
    assert ws.title == "Gadgets" and ws.freeze_panes == "A2"  # the header stays in view
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][:4] == ["ID", "Name", "Notes", "Quantity"]
    row = next(r for r in rows[1:] if r[0] == oid)
    assert row[1] == "Задвижка клиновая" and row[3] == 7 and row[4] == "99.90 RUB"
    assert row[6] in (dt.date(2026, 5, 9), dt.datetime(2026, 5, 9)) and row[8] == "No"
    assert isinstance(row[10], dt.datetime)  # created, in the reader's time zone
    assert [r[1] for r in rows[1:]] == ["Другая", "Задвижка клиновая"]


# ---------------------------------------------------------------- PDF


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_pdf_prints_the_object_with_cyrillic_fonts_and_history(app, users, login):
    oid = create(app, name="Насос погружной", notes="Поставка до 1 марта", quantity=4,
                 price={"amount": "12000", "currency": "RUB"}, _status="active")
    response = client(app, login, "anna").get(f"/t/gadget/{oid}/print.pdf")
    assert response.content_type == "application/pdf"
    assert response.body.startswith(b"%PDF") and b"/FontFile2" in response.body  # an embedded TrueType font
    text = pdf_text(response.body)
    for needle in ("Gadget", oid, "Active", "Насос погружной", "Поставка до 1 марта", "Quantity", "4",
                   "History", "Created", "Status changed: New » Active", "anna"):
        assert needle in text, (needle, text)


def test_print_templates_are_edited_by_admins_and_chosen_by_name(app, users, login):
    oid = create(app, name="Клапан", notes="Заметка", quantity=2)
    anna = client(app, login, "anna")
    anna.get("/admin/print-templates", status=403)
    anna.get("/admin/print-templates/gadget/new", status=403)
    root = client(app, login, "root")
    listing = root.get("/admin/print-templates")
    assert listing.html.select_one('tr[data-type="gadget"] a[data-template="default"]') is not None
    form = root.get("/admin/print-templates/gadget/new").forms["print-template-form"]
    form["name"] = "short"
    form["title"] = "Паспорт ${title}"
    form["header"] = "Отдел закупок · ${id} · ${quantity} шт."
    form["footer"] = "Стр. ${page}"
    form["show_history"] = False
    for checkbox in form.fields.get("checkbox", []):
        checkbox.checked = checkbox._value in ("name", "quantity")
    saved = form.submit("save")
    assert saved.status_int == 303
    text = pdf_text(anna.get(f"/t/gadget/{oid}/print.pdf", params={"template": "short"}).body)
    assert "Паспорт Клапан" in text and f"Отдел закупок · {oid} · 2 шт." in text and "Стр. 1" in text
    assert "Quantity" in text and "Notes" not in text and "History" not in text
    assert "Notes" in pdf_text(anna.get(f"/t/gadget/{oid}/print.pdf").body)  # the built-in default
    anna.get(f"/t/gadget/{oid}/print.pdf", params={"template": "nope"}, status=404)
    again = root.get("/admin/print-templates/gadget/new").forms["print-template-form"]
    again["name"] = "short"
    assert "exists" in again.submit("save").text
    edit = root.get("/admin/print-templates/gadget/short").forms["print-template-form"]
    assert edit.submit("delete").status_int == 303
    anna.get(f"/t/gadget/{oid}/print.pdf", params={"template": "short"}, status=404)


def test_print_of_a_missing_or_denied_object_is_not_found(app, users, login, monkeypatch):
    oid = create(app, name="Тайное")
    anna = client(app, login, "anna")
    anna.get("/t/gadget/GDG-0000-9999/print.pdf", status=404)
    anna.get(f"/t/nosuchtype/{oid}/print.pdf", status=404)
    monkeypatch.setattr(access, "can", lambda request, action, info, obj=None: obj is None)
    anna.get(f"/t/gadget/{oid}/print.pdf", status=404)
