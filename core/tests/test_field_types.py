"""Every field type, through the one write path, on the test-only type "specimen"
(core/tests/fieldtypes_hooks.py): JSON -> storage -> JSON round trips, field-level errors that store
nothing, OpenAPI 3.1 (JSON Schema 2020-12) fragments, display/export in ru and en, Deform forms,
catalog filters, Markdown sanitising, durations, addresses, names, links, files and images.

One application (FileStorage with blobs in a temporary folder) serves the whole module to keep it fast.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import json
import zipfile
from html.parser import HTMLParser

import colander
import pytest
import transaction
from jsonschema import Draft202012Validator
from procura.types import fields as f
from procura.types.address import Address, format_address
from procura.types.files import StoredFile, sniff_content_type
from procura.types.markdown import render_markdown, sanitize_html
from procura.types.names import PersonName, format_person_name
from procura.types.query import ListQuery, run_query
from procura.types.service import TypeService, ValidationFailed

# --------------------------------------------------------------------------- fixtures


def _png(width=3, height=2, fmt="PNG") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from procura import make_app
    from procura.db import open_db
    from procura.testing import create_test_user, make_settings

    tmp = tmp_path_factory.mktemp("fieldtypes")
    var = tmp / "var"
    var.mkdir()
    settings = make_settings(tmp, **{
        "procura.zodb_uri": f"file://{var}/Data.fs?blobstorage_dir={var}/blobs",
        "procura.extra_hooks": "fieldtypes_hooks",
        "procura.addons.disabled": "*",
    })
    db = open_db(settings["procura.zodb_uri"])
    app = make_app(settings, db=db)
    create_test_user(app.registry, "anna", fullname="Анна Петрова")
    create_test_user(app.registry, "gone", active=False)

    def team(request):
        request.types.create(request.types.info("team"), {"name": "buyers", "label": "Закупки", "kind": "team"})

    from procura.types.system import in_own_transaction

    in_own_transaction(app.registry, team)
    with Env(app, "en") as (svc, request):
        part = svc.info("specimen_part")
        for name in ("Болт", "Гайка", "Шайба"):
            svc.create(part, svc.validate_json(part, {"name": name}))
        svc.delete(svc.container(part)["P-003"])
        request.tm.commit()
    yield app
    db.close()


class Env:
    """A TypeService on a real request (locale ``locale``), signed in as anna, in a transaction."""

    def __init__(self, app, locale="en", user="anna"):
        self.app, self.locale, self.user = app, locale, user

    def __enter__(self):
        from pyramid.request import Request
        from pyramid.scripting import prepare

        self.request = Request.blank(f"/?_LOCALE_={self.locale}")
        self.closer = prepare(request=self.request, registry=self.app.registry)["closer"]
        self.request.tm.begin()
        self.request.session["userid"] = self.user
        return TypeService(self.request), self.request

    def __exit__(self, *exc):
        from transaction.interfaces import NoTransaction

        try:
            self.request.tm.abort()
        except NoTransaction:  # the test committed
            pass
        self.closer()


@pytest.fixture
def svc(env):
    with Env(env, "en") as (service, _request):
        yield service


@pytest.fixture
def ru(env):
    with Env(env, "ru") as (service, _request):
        yield service


def create(svc, body):
    info = svc.info("specimen")
    return svc.create(info, svc.validate_json(info, {"name": "x", **body}))


# --------------------------------------------------------------------------- the tables

PNG = _png()
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
ADDRESS = {"country": "RU", "region": "Московская обл.", "city": "Москва", "street": "ул. Ленина",
           "building": "д. 1", "postcode": "123456"}
ADDRESS_OUT = dict(ADDRESS)

GOOD = [  # (field, JSON in, JSON out (None: same as in))
    ("name", " Насос ", "Насос"),
    ("notes", "line 1\nline 2", None),
    ("body", "**bold** and [a link](https://example.com)", None),
    ("count", 7, None),
    ("weight", "1.2345", "1.235"),
    ("weight", 2, "2.000"),
    ("price", {"amount": "1500.5", "currency": "RUB"}, {"amount": "1500.50", "currency": "RUB"}),
    ("discount", "12.5", "12.50"),
    ("active", True, None),
    ("due", "2026-03-05", None),
    ("at", "2026-03-05T10:30:00+03:00", "2026-03-05T07:30:00Z"),
    ("effort", "1d 2h 30m", 1590),
    ("effort", "2:30", 150),
    ("effort", 90, None),
    ("effort", "PT2H30M", 150),
    ("effort", "1,5 ч", 90),
    ("size", "l", None),
    ("tags", ["b", "a"], ["a", "b"]),
    ("email", "anna@example.com", None),
    ("phone", "8 (495) 123-45-67", "+74951234567"),
    ("site", "https://example.com/x?y=1", None),
    ("address", ADDRESS, ADDRESS_OUT),
    ("address", {"country": "de", "city": "Berlin", "postcode": "10115"},
     {"country": "DE", "region": "", "city": "Berlin", "street": "", "building": "", "postcode": "10115"}),
    ("contact", {"last": "Иванов", "first": "Иван", "middle": "Петрович"}, None),
    ("contact", {"first": "Anna"}, {"last": "", "first": "Anna", "middle": ""}),
    ("part", "P-001", None),
    ("parts", [{"id": "P-001", "quantity": 2, "role": "main"}, {"id": "P-002", "quantity": 1}],
     [{"id": "P-001", "quantity": 2, "role": "main"}, {"id": "P-002", "quantity": 1, "role": None}]),
    ("part_set", ["P-002", "P-001", "P-002"], ["P-001", "P-002"]),
    ("part_set", [], None),
    ("parent", {"type": "specimen_part", "id": "P-002"}, None),
    ("responsible", "anna", None),
    ("attachment", {"filename": "../../etc/report.pdf", "content_base64": b64(PDF)},
     {"filename": "report.pdf", "content_type": "application/pdf", "size": len(PDF)}),
    ("photo", {"filename": "p.png", "content_base64": b64(PNG)},
     {"filename": "p.png", "content_type": "image/png", "size": len(PNG), "width": 3, "height": 2}),
    ("ean", "4006381333931", None),
    ("ean", "4 006381 333931", "4006381333931"),
    ("ean_short", "96385074", None),
    ("code", "ABC-123/x", None),
    ("qr", "https://example.com/?q=тест", None),
    ("location", {"lat": 55.7558, "lon": 37.6173}, None),
    ("location", {"lat": "-33,8688", "lon": "151.2093"}, {"lat": -33.8688, "lon": 151.2093}),
    ("extra", {"b": [1, 2.5, None, True], "a": "текст"}, None),
    ("extra", [1, 2], None),
    ("extra", "just text", None),
    ("extra", False, None),
    ("extra", 0, None),
]

BAD = [  # (field, JSON in, error key (None: the field name))
    ("name", "", None),
    ("name", "x" * 256, None),
    ("notes", 5, None),
    ("body", "x" * 100_001, None),
    ("count", 100_001, None),
    ("count", "seven", None),
    ("count", True, None),
    ("weight", "1.2.3", None),
    ("weight", True, None),
    ("price", {"amount": "10", "currency": "XXX"}, None),
    ("price", {"amount": "10.001", "currency": "RUB"}, None),
    ("price", "ten", None),
    ("discount", "120", None),
    ("active", "yes", None),
    ("due", "2026-02-30", None),
    ("at", "yesterday", None),
    ("effort", "soon", None),
    ("effort", "1h 2h", None),
    ("effort", "P1M", None),
    ("effort", -5, None),
    ("effort", True, None),
    ("effort", [1], None),
    ("size", "xl", None),
    ("tags", ["a", "zzz"], None),
    ("tags", "a", None),
    ("email", "not-an-email", None),
    ("phone", "call me", None),
    ("site", "javascript:alert(1)", None),
    ("address", {"country": "RU", "postcode": "12345", "city": "Москва"}, None),
    ("address", {"country": "XX", "city": "Nowhere"}, None),
    ("address", {"country": "RU", "city": "Москва", "planet": "Earth"}, None),
    ("address", "Москва, ул. Ленина", None),
    ("address", {"country": "RU", "city": 5}, None),
    ("contact", {"middle": "Петрович"}, None),
    ("contact", {"last": "R2D2"}, None),
    ("contact", ["Иванов"], None),
    ("part", "P-999", None),
    ("part", "P-003", None),  # in the trash
    ("part", 5, None),
    ("part_set", ["P-001", "P-999"], None),
    ("part_set", ["P-003"], None),  # in the trash
    ("part_set", "P-001", None),
    ("part_set", [1], None),
    ("parts", [{"id": "P-001", "quantity": 0}], "parts.0.quantity"),
    ("parts", [{"id": "P-001", "quantity": 1}, {"id": "P-404", "quantity": 1}], "parts.1.id"),
    ("parts", [{"id": "P-001", "quantity": 1}, {"id": "P-001", "quantity": 2}], "parts.1.id"),
    ("parts", [{"id": "P-001", "quantity": 1, "role": "boss"}], "parts.0.role"),
    ("parts", [{"id": "P-001"}], "parts.0.quantity"),
    ("parts", {"id": "P-001"}, None),
    ("parts", [{"id": "P-001", "quantity": 1}] * 501, None),
    ("parent", {"type": "gadget", "id": "P-001"}, None),
    ("parent", {"type": "specimen_part", "id": "P-404"}, None),
    ("parent", "P-001", None),
    ("responsible", "nobody", None),
    ("responsible", "gone", None),  # deactivated
    ("team", "sellers", None),  # no such team
    ("attachment", {"filename": "a.txt", "content_base64": "not base64!"}, None),
    ("attachment", {"filename": "big.txt", "content_base64": b64(b"x" * 5000)}, None),
    ("attachment", {"filename": "empty.txt", "content_base64": ""}, None),
    ("attachment", {"content_base64": b64(b"hello")}, None),
    ("attachment", "hello", None),
    ("photo", {"filename": "fake.png", "content_base64": b64(PDF)}, None),
    ("photo", {"filename": "broken.png", "content_base64": b64(PNG[:40])}, None),
    ("ean", "4006381333932", None),
    ("ean", "400638133393", None),
    ("ean_short", "96385075", None),
    ("code", "кириллица", None),
    ("qr", "x" * 2001, None),
    ("location", {"lat": 91, "lon": 0}, None),
    ("location", {"lat": 0, "lon": -181}, None),
    ("location", {"lat": "north", "lon": 0}, None),
    ("location", {"lat": 1}, None),
    ("extra", {"big": "x" * 3000}, None),
    ("extra", float("nan"), None),
]


def _expected(body_in, body_out):
    return body_in if body_out is None else body_out


def _subset(actual, expected):
    """``expected`` is contained in ``actual`` (dicts compared on expected's keys)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _subset(actual[k], v) for k, v in expected.items())
    return actual == expected


# --------------------------------------------------------------------------- JSON round trips and errors


def test_every_field_type_is_exercised():
    from fieldtypes_hooks import SPECIMEN

    kinds = {fld.kind for fld in SPECIMEN.fields} | {"role_grants"}  # a role's own field: test_security_roles
    assert set(f.FIELD_TYPES) <= kinds, sorted(set(f.FIELD_TYPES) - kinds)
    assert {name for name, *_rest in GOOD} | {"team"} == set(SPECIMEN.field_names)
    assert {name for name, *_rest in BAD} == set(SPECIMEN.field_names)


@pytest.mark.parametrize("name,raw,out", GOOD, ids=[f"{c[0]}-{i}" for i, c in enumerate(GOOD)])
def test_good_values_round_trip(svc, name, raw, out):
    info = svc.info("specimen")
    field = info.field(name)
    obj = create(svc, {name: raw})
    data = svc.to_json(obj)
    expected = _expected(raw, out)
    assert _subset(data[name], expected), data[name]
    Draft202012Validator(field.openapi()).validate(data[name])
    # and the JSON we send is accepted back unchanged
    values = svc.validate_json(info, {name: data[name]}, obj, partial=True)
    svc.update(obj, values)
    assert svc.to_json(obj)[name] == data[name]
    # the stored value feeds the catalog, search and display without errors
    value = getattr(obj, name)
    field.index_value(value)
    assert isinstance(field.search_text(value), str)


@pytest.mark.parametrize("name,raw,key", BAD, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD)])
def test_bad_values_give_a_field_error_and_store_nothing(env, name, raw, key):
    for locale in ("en", "ru"):
        with Env(env, locale) as (svc, _request):
            info = svc.info("specimen")
            container = svc.container(info)
            before = len(container)
            with pytest.raises(ValidationFailed) as exc:
                create(svc, {name: raw})
            errors = exc.value.errors
            assert list(errors) == [key or name], errors
            message = errors[key or name]
            assert isinstance(message, str) and message.strip() and "${" not in message
            assert len(container) == before


def test_openapi_fragments_are_valid_json_schema(svc):
    info = svc.info("specimen")
    for field in info.fields:
        schema = field.openapi()
        Draft202012Validator.check_schema(schema)
        if not field.required and field.kind not in ("multi_enum", "link_many", "link_set", "json"):
            Draft202012Validator(schema).validate(None)
    required = f.AddressField("a", "A", required=True).openapi()
    assert required["type"] == "object" and set(required["properties"]) == {
        "country", "region", "city", "street", "building", "postcode"}


# --------------------------------------------------------------------------- display and export

SAMPLE = {
    "name": "Насос", "notes": "a\nb", "body": "**Жирный** текст", "count": 1234, "weight": "1234.5",
    "price": {"amount": "1500", "currency": "RUB"}, "discount": "7.5", "active": True,
    "due": "2026-03-05", "at": "2026-03-05T07:30:00Z", "effort": "1d 2h 30m", "size": "l",
    "tags": ["a", "b"], "email": "a@example.com", "phone": "+74951234567", "site": "https://example.com",
    "address": ADDRESS, "contact": {"last": "Иванов", "first": "Иван", "middle": "Петрович"},
    "part": "P-001", "parts": [{"id": "P-002", "quantity": 3, "role": "spare"}], "part_set": ["P-002", "P-001"],
    "parent": {"type": "specimen_part", "id": "P-001"}, "responsible": "anna",
    "attachment": {"filename": "r.pdf", "content_base64": b64(PDF)},
    "photo": {"filename": "p.png", "content_base64": b64(PNG)}, "ean": "4006381333931",
    "ean_short": "96385074", "code": "ABC", "qr": "qr text", "location": {"lat": 55.7558, "lon": 37.6173},
    "extra": {"k": [1, 2]},
}

DISPLAY = {  # field: (en, ru)
    "count": ("1,234", "1\u00a0234"),
    "weight": ("1,234.500", "1\u00a0234,500"),
    "price": ("1,500.00\u00a0₽", "1\u00a0500,00\u00a0₽"),
    "discount": ("7.50\u00a0%", "7,50\u00a0%"),
    "active": ("Yes", "Да"),
    "due": ("Mar 5, 2026", "5 мар. 2026\u202fг."),
    "effort": ("1 d 2 h 30 min", "1 д 2 ч 30 мин"),
    "size": ("Large", "Large"),
    "address": ("123456, Russia, Московская обл., Москва, ул. Ленина, д. 1",
                "123456, Россия, Московская обл., Москва, ул. Ленина, д. 1"),
    "contact": ("Иванов Иван Петрович", "Иванов Иван Петрович"),
    "part": ("Болт", "Болт"),
    "parts": ("Гайка (Quantity: 3, Role: Spare)", "Гайка (Quantity: 3, Роль: Spare)"),  # "Role" is a core message
    "part_set": ("Болт, Гайка", "Болт, Гайка"),
    "parent": ("Part: Болт", "Part: Болт"),
    "responsible": ("Анна Петрова", "Анна Петрова"),
    "attachment": (f"r.pdf ({len(PDF)}\u00a0B)", f"r.pdf ({len(PDF)}\u00a0B)"),
    "body": ("Жирный текст", "Жирный текст"),
    "location": ("55.7558, 37.6173", "55.7558, 37.6173"),
    "extra": ('{"k":[1,2]}', '{"k":[1,2]}'),
}
EXPORT_TYPES = (str, int, float, decimal.Decimal, dt.date, dt.datetime)


def test_display_and_export_in_ru_and_en(env):
    with Env(env, "en") as (svc, _request):
        obj = create(svc, SAMPLE)
        stored = {fld.name: getattr(obj, fld.name) for fld in svc.info("specimen").fields}
    for index, locale in enumerate(("en", "ru")):
        with Env(env, locale) as (svc, request):
            info = svc.info("specimen")
            for field in info.fields:
                value = stored[field.name]
                shown = field.display(value, request)
                assert isinstance(shown, str), field.name
                if field.name != "team":
                    assert shown, field.name
                if field.name in DISPLAY:
                    assert shown == DISPLAY[field.name][index], (locale, field.name, shown)
                exported = field.export_value(value, request)
                assert isinstance(exported, EXPORT_TYPES), (field.name, exported)
            assert info.field("body").display_html(stored["body"], request) == "<p><strong>Жирный</strong> текст</p>\n"
            assert info.field("effort").export_value(stored["effort"], request) == 1590
            assert info.field("at").export_value(stored["at"], request) == dt.datetime(2026, 3, 5, 10, 30)


# --------------------------------------------------------------------------- forms


class _Controls(HTMLParser):
    """The (name, value) pairs a browser would post for a rendered form (no file chosen)."""

    def __init__(self):
        super().__init__()
        self.controls, self._select, self._options, self._textarea = [], None, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "file" or (kind in ("checkbox", "radio") and "checked" not in a):
                return
            self.controls.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._options = a, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            chosen = [v for v, sel in self._options if sel] or [v for v, _s in self._options[:1]]
            self.controls += [(self._select["name"], v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea[1]
            self.controls.append((self._textarea[0], text[1:] if text.startswith("\n") else text))
            self._textarea = None


def test_deform_form_renders_every_widget_and_posts_back_the_same_values(env):
    from procura.views.forms import make_form

    with Env(env, "ru") as (svc, request):
        info = svc.info("specimen")
        obj = create(svc, SAMPLE)
        form = make_form(request, svc.schema(info, obj))
        appstruct = {fld.name: fld.to_appstruct(getattr(obj, fld.name)) for fld in info.fields}
        html = form.render(appstruct)
        for marker in ('name="country"', 'name="postcode"', 'name="last"', 'name="middle"', 'name="lat"',
                       'name="upload"', 'value="keep-', 'name="amount"', 'data-markdown="true"',
                       'placeholder="1d 2h 30m"', '<option value="P-001"', 'value="specimen_part/P-001"',
                       "Россия", 'value="anna"'):
            assert marker in html, marker
        readonly = form.render(appstruct, readonly=True)
        assert "123456, Россия, Московская обл., Москва, ул. Ленина, д. 1" in readonly
        assert "Иванов Иван Петрович" in readonly and "r.pdf" in readonly
        assert f"{len(PDF)}\u00a0B" in html  # the size of the current file
        parser = _Controls()
        parser.feed(html)
        posted = form.validate(parser.controls)
        values = svc.validate_form(info, posted, obj)
        assert set(values) == set(info.field_names) - {"attachment", "photo"}  # files kept: UNCHANGED
        for field in info.fields:
            if field.name in values:
                assert values[field.name] == getattr(obj, field.name), field.name
        # errors come back inline on the field, in the user's language
        controls = [(k, "99999" if k == "postcode" else v) for k, v in parser.controls]
        with pytest.raises(Exception) as exc:
            form.validate(controls)
        rendered = exc.value.render()
        assert "6 цифр" in rendered or "6 digits" in rendered


def test_form_upload_stores_a_blob_and_the_edit_form_keeps_or_removes_it(env):
    from procura.views.forms import make_form

    class Upload:
        def __init__(self, filename, data):
            self.filename, self.file, self.type, self.length = filename, io.BytesIO(data), "x/y", len(data)

    with Env(env, "en") as (svc, request):
        info = svc.info("specimen")
        form = make_form(request, svc.schema(info))
        controls = [("name", "with file"), ("__start__", "attachment:mapping"),
                    ("upload", Upload("C:\\Users\\a\\notes.txt", b"plain text\n")), ("__end__", "attachment:mapping")]
        values = svc.validate_form(info, form.validate(controls))
        obj = svc.create(info, values)
        obj_id = obj.id
        assert obj.attachment.content_type == "text/plain" and obj.attachment.filename == "notes.txt"
        assert svc.to_json(obj)["attachment"]["url"] == f"/t/specimen/{obj_id}/file/attachment"
        request.tm.commit()
    with Env(env, "en") as (svc, request):  # a new connection reads the committed blob
        info = svc.info("specimen")
        obj = svc.container(info)[obj_id]
        assert isinstance(obj.attachment, StoredFile) and obj.attachment.read() == b"plain text\n"
        uid = "keep-" + obj.attachment.sha256[:16]
        form = make_form(request, svc.schema(info, obj))
        keep = [("name", "with file"), ("__start__", "attachment:mapping"), ("uid", uid),
                ("__end__", "attachment:mapping")]
        values = svc.validate_form(info, form.validate(keep), obj)
        assert "attachment" not in values
        remove = keep[:2] + [("remove", "1")] + keep[2:]
        values = svc.validate_form(info, form.validate(remove), obj)
        assert values["attachment"] is None
        svc.update(obj, values)
        assert obj.attachment is None
        svc.purge(svc.delete(obj))
        request.tm.commit()


def test_file_api_keeps_the_file_when_its_json_comes_back(svc):
    info = svc.info("specimen")
    obj = create(svc, {"attachment": {"filename": "a.txt", "content_base64": b64(b"abc")}})
    sent = svc.to_json(obj)["attachment"]
    assert sent["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    values = svc.validate_json(info, {"attachment": sent}, obj, partial=True)
    assert values == {}
    copy = svc.create(info, svc.copy_values(obj))  # a copied record gets its own file record
    assert copy.attachment is not obj.attachment and copy.attachment.blob is obj.attachment.blob
    assert svc.to_json(copy)["attachment"]["url"] == f"/t/specimen/{copy.id}/file/attachment"


def test_file_field_refuses_when_the_database_has_no_blobs(svc, monkeypatch):
    from procura.types import files

    monkeypatch.setattr(files, "blob_support", lambda request: False)
    with pytest.raises(ValidationFailed) as exc:
        create(svc, {"attachment": {"filename": "a.txt", "content_base64": b64(b"abc")}})
    assert "blob" in exc.value.errors["attachment"]


def test_upload_limit_comes_from_the_setting(svc, monkeypatch):
    field = f.FileField("doc", "Doc")
    monkeypatch.setitem(svc.request.registry.settings, "procura.upload_max_bytes", "10")
    node = field.schema_node(svc.request, for_api=True)
    with pytest.raises(colander.Invalid):
        node.deserialize({"filename": "a.txt", "content_base64": b64(b"x" * 11)})
    assert node.deserialize({"filename": "a.txt", "content_base64": b64(b"x" * 10)}).data == b"x" * 10


def _zip(members: dict, first=None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if first:
            z.writestr(first, members.pop(first))
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data,filename,expected", [
    (PDF, "x.bin", "application/pdf"),
    (PNG, "x.pdf", "image/png"),
    (_png(fmt="JPEG"), "", "image/jpeg"),
    (_png(fmt="GIF"), "", "image/gif"),
    (_png(fmt="WEBP"), "", "image/webp"),
    (_zip({"[Content_Types].xml": "<x/>", "word/document.xml": "<x/>"}), "a.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (_zip({"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>"}), "a.zip",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (_zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}, first="mimetype"),
     "a.odt", "application/vnd.oasis.opendocument.text"),
    (_zip({"a.txt": "x"}), "a.docx", "application/zip"),
    ("Привет, мир\n".encode(), "a.exe", "text/plain"),
    ("Привет".encode("cp1251"), "a.txt", "text/plain"),
    (b"a;b\n1;2\n", "t.csv", "text/csv"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "a.pdf", "application/octet-stream"),
])
def test_content_type_comes_from_the_bytes(data, filename, expected):
    assert sniff_content_type(data, filename) == expected


# --------------------------------------------------------------------------- rich text


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script> text",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)" onclick="x()">a</a>',
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![img](https://example.com/t.png)",
])
def test_markdown_never_produces_scripts_handlers_or_unsafe_links(source):
    for html in (render_markdown(source), sanitize_html(source)):
        parser = _Tags()
        parser.feed(html)
        for tag, attrs in parser.tags:
            assert tag not in ("script", "img", "iframe", "style"), html
            assert not any(name.startswith("on") for name in attrs), html
            href = attrs.get("href")
            assert href is None or href.split(":")[0] in ("http", "https", "mailto"), html


def test_markdown_keeps_the_allowed_markup():
    html = render_markdown("# T\n\n**b** _i_ `c`\n\n> q\n\n- one\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n"
                           "[site](https://example.com) <mailto:a@b.c>")
    for fragment in ("<h1>T</h1>", "<strong>b</strong>", "<em>i</em>", "<code>c</code>", "<blockquote>",
                     "<li>one</li>", "<table>", '<td style="text-align:right">2</td>',
                     '<a href="https://example.com" rel="noopener noreferrer nofollow">site</a>',
                     'href="mailto:a@b.c"'):
        assert fragment in html, fragment
    assert render_markdown("") == "" and render_markdown(None) == ""


# --------------------------------------------------------------------------- durations, addresses, names


@pytest.mark.parametrize("text,minutes", [
    ("90", 90), ("0", 0), ("2:30", 150), ("1d 2h 30m", 1590), ("1d2h30m", 1590), ("2h", 120), ("45m", 45),
    ("1.5h", 90), ("1,5 ч", 90), ("1 д 2 ч 30 мин", 1590), ("2 часа 15 минут", 135), ("1w", 10080),
    ("PT2H30M", 150), ("P1DT1M", 1441), ("pt90m", 90), ("PT120S", 2), ("1 day, 2 hours", 1560),
])
def test_duration_parsing(text, minutes):
    assert f.parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "abc", "1h 1h", "2:75", "P1Y", "PT", "PT30S", "1x", "h", "-5", "1h foo"])
def test_duration_parsing_refuses(text):
    with pytest.raises(ValueError):
        f.parse_duration(text)


def test_duration_working_days_and_compact_form():
    assert f.parse_duration("1d 1h", hours_per_day=8) == 540
    assert f.compact_duration(1590) == "1d 2h 30m" and f.compact_duration(0) == "0m"
    assert f.parse_duration(f.compact_duration(123456)) == 123456


def test_the_four_address_formats():
    a = Address(**ADDRESS)
    assert format_address(a, "ru") == "123456, Россия, Московская обл., Москва, ул. Ленина, д. 1"
    assert format_address(a, "international", "en") == "д. 1 ул. Ленина, Москва, Московская обл., 123456, Russia"
    assert format_address(a, "single_line") == format_address(a, "ru")
    assert format_address(a, "multi_line") == "ул. Ленина, д. 1\nМосква\nМосковская обл.\nРоссия\n123456"
    de = Address(country="DE", city="Berlin", street="Unter den Linden", building="77", postcode="10117")
    assert format_address(de, "single_line", "en") == "77 Unter den Linden, Berlin, 10117, Germany"
    assert format_address(de, "multi_line", "en") == "77 Unter den Linden\nBerlin 10117\nGermany"
    assert format_address(None, "ru") == "" and format_address(Address(), "ru") == ""
    import pickle

    assert pickle.loads(pickle.dumps(a)) == a and hash(a) == hash(Address(**ADDRESS))


def test_person_name_orders_and_the_user_preference(env):
    name = PersonName("Иванов", "Иван", "Петрович")
    assert format_person_name(name, "last_first_middle") == "Иванов Иван Петрович"
    assert format_person_name(name, "first_middle_last") == "Иван Петрович Иванов"
    assert format_person_name(name, "first_last") == "Иван Иванов"
    assert format_person_name(name, "last_initials") == "Иванов И. П."
    assert format_person_name(PersonName("Салтыков-Щедрин", "Михаил"), "last_initials") == "Салтыков-Щедрин М."
    assert format_person_name({"last": "Smith", "first": "Anna-Maria"}, "last_initials") == "Smith A.-M."
    assert format_person_name(None, "first_last") == ""
    with Env(env, "en") as (svc, request):
        field = svc.info("specimen").field("contact")
        assert field.display(name, request) == "Иванов Иван Петрович"  # the installation default
        request.registry.settings["procura.name_order"] = "first_last"
        try:
            assert field.display(name, request) == "Иван Иванов"
            request.identity.name_order = "last_initials"  # the user's own choice wins
            assert field.display(name, request) == "Иванов И. П."
        finally:
            del request.registry.settings["procura.name_order"]
        assert field.index_value(name) == "иванов иван петрович"


# --------------------------------------------------------------------------- links, users, teams


def test_link_widget_is_a_select_for_small_containers_and_an_id_input_for_large(svc, monkeypatch):
    import deform

    field = svc.info("specimen").field("part")
    widget = field.widget(svc.request)
    assert isinstance(widget, deform.widget.SelectWidget)
    assert widget.values == [("", "—"), ("P-001", "Болт"), ("P-002", "Гайка")]  # not the deleted one
    monkeypatch.setattr(f, "SELECT_LIMIT", 2)
    widget = field.widget(svc.request)
    assert isinstance(widget, deform.widget.TextInputWidget)
    assert widget.attributes["data-link-type"] == "specimen_part"


def test_link_validation_without_a_request_is_deferred_to_bind(svc):
    field = svc.info("specimen").field("part")
    node = field.schema_node(None, for_api=True)
    bound = colander.SchemaNode(colander.Mapping(), node).bind(request=svc.request)
    with pytest.raises(colander.Invalid):
        bound.deserialize({"part": "P-404"})
    assert bound.deserialize({"part": "P-001"}) == {"part": "P-001"}


def test_team_field_checks_the_team_exists(svc):
    obj = create(svc, {"team": "buyers"})
    assert obj.team == "buyers" and svc.info("specimen").field("team").display("buyers", svc.request) == "Закупки"
    with pytest.raises(ValidationFailed) as exc:
        create(svc, {"team": "sellers"})
    assert "sellers" in exc.value.errors["team"]


# --------------------------------------------------------------------------- catalog


def test_catalog_filters_find_the_object(svc):
    info = svc.info("specimen")
    obj = create(svc, SAMPLE)
    create(svc, {"name": "other"})
    for name, raw in [("address", "RU"), ("address", "city:МОСКВА"), ("parts", "P-002"), ("part", "P-001"),
                      ("parent", "specimen_part/P-001"), ("effort", "1d 2h 30m"), ("contact", "Иванов  Иван Петрович"),
                      ("responsible", "anna"), ("attachment", "application/pdf"), ("ean", "4006381333931"),
                      ("location", "ucfv0n014"), ("extra", '{"k": [1, 2]}'), ("price", "1500 RUB")]:
        result = run_query(svc.request, info, ListQuery(filters={name: [raw]}))
        assert [o.id for o in result.items] == [obj.id], (name, raw)


def test_parent_filter_refuses_unknown_types(svc):
    with pytest.raises(ValueError):
        svc.info("specimen").field("parent").filter_value("gadget/1")


def test_field_declarations_refuse_bad_options():
    with pytest.raises(TypeError):
        f.Link("l", "L")
    with pytest.raises(TypeError):
        f.Barcode("b", "B", symbology="upc")
    with pytest.raises(TypeError):
        f.AddressField("a", "A", format="fancy")
    with pytest.raises(TypeError):
        f.ImageField("i", "I", content_types=["application/pdf"])
    with pytest.raises(TypeError):
        f.LinkMany("m", "M", target="x", extra=[f.Integer("id", "Id")])


def test_values_are_immutable_and_compare_by_value():
    assert PersonName("A", "B") == PersonName("A", "B")
    assert f.GeoPoint(1.0, 2.0) == f.GeoPoint(1.0, 2.0)
    with pytest.raises(AttributeError):
        PersonName("A").last = "B"
    assert json.loads(json.dumps(f.JSONField("j", "J").to_json({"a": 1}))) == {"a": 1}


def test_the_standard_test_database_stores_blobs(procura_db):
    """procura.testing's in-memory database has blob support, so every addon can test file fields."""
    from ZODB.interfaces import IBlobStorage

    assert IBlobStorage.providedBy(procura_db.storage)
    tm = transaction.TransactionManager()
    conn = procura_db.open(tm)
    conn.root()["file"] = StoredFile("a.txt", "text/plain", b"hello")
    tm.commit()
    conn.close()
    conn = procura_db.open()
    assert conn.root()["file"].read() == b"hello"
    conn.close()
