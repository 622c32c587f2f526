"""The activity feed (procura.types.feed, the feed views and /api/v1/<type>/<id>/feed|comments) and the
file downloads (/t/<type>/<id>/file/<field>, /t/<type>/<id>/attachment/<entry>).

Types: "gadget" (core/tests/sampletype.py, readable by every staff user) and "dossier", declared here
(this module is also the hook module, setting procura.extra_hooks), readable only with the role "buyer".
"""
from __future__ import annotations

import contextlib
import io
import re
from urllib.parse import quote

import pytest
import transaction
import transaction.interfaces
from apihelpers import bearer_client, problem, session_client
from procura import hookimpl
from procura.content import APP_KEY
from procura.i18n import _
from procura.testing import do_login
from procura.types import TypeInfo
from procura.types import fields as f
from procura.types.events import ObjectCommented
from webtest import TestApp

DOSSIER = TypeInfo(
    name="dossier",
    title=_("Dossier"),
    plural=_("Dossiers"),
    id_pattern="D-{seq:03}",
    fields=[f.String("name", _("Name"), required=True), f.FileField("doc", _("Document")),
            f.ImageField("photo", _("Photo"))],
    default_roles={"create": ["buyer"], "read": ["buyer"], "edit": ["buyer"], "delete": ["buyer"]},
    menu=False,
)


@hookimpl
def procura_register_types():
    return [DOSSIER]


MAX_BYTES = 50_000
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"PE\x00\x00"


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (3, 2), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def procura_overrides():
    return {"procura.extra_hooks": "sampletype,test_feed", "procura.addons.disabled": "*",
            "procura.upload_max_bytes": str(MAX_BYTES)}


@pytest.fixture
def events(app):
    collected = []
    app.registry.registerHandler(collected.append, (ObjectCommented,))
    return collected


def browser(testapp, login):
    """A separate signed-in browser (own cookies) with its CSRF token: (TestApp, token)."""
    other = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    client = session_client(other, login)
    return other, client.headers["X-CSRF-Token"]


def new_gadget(client, name="Насос") -> str:
    return client.post("/gadget", {"name": name}).json["id"]


def feed_of(procura_db, type_name, obj_id) -> list:
    tm = transaction.TransactionManager()
    conn = procura_db.open(tm)
    try:
        obj = conn.root()[APP_KEY]["types"][type_name][obj_id]
        return [(e.id, e.text, e.internal, tuple(e.mentions), [(x.filename, x.content_type, x.read()) for x in e.files])
                for e in obj.feed]
    finally:
        tm.abort()
        conn.close()


def b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------- comments, Markdown, mentions, events
def test_comment_markdown_is_sanitised_mentions_resolved_and_event_fired_after_commit(
        testapp, make_user, procura_db, events):
    make_user("anna", fullname="Анна Петрова")
    make_user("boris", fullname="Борис Орлов")
    make_user("gone", active=False)
    make_user("petr", roles=["portal"])
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_gadget(anna)
    text = ("**Срочно** <script>alert(1)</script> <img src=x onerror=alert(2)> "
            "[click](javascript:alert(3)) [ok](https://example.org)\n\n"
            "@boris and @gone and @nobody, mail x@boris.ru `@petr in code`")
    created = anna.post(f"/gadget/{oid}/comments", {"text": text})
    body = created.json
    assert created.headers["Location"].endswith(f"/api/v1/gadget/{oid}/comments/{body['id']}")
    html = body["html"]
    assert "<strong>Срочно</strong>" in html and 'href="https://example.org"' in html
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html  # raw HTML stays text
    assert not re.search(r"<[^>]+\sonerror=", html)
    assert re.findall(r'href="([^"]*)"', html) == ["https://example.org"]  # no javascript: link
    assert body["mentions"] == ["boris"]  # existing, active users only; not in e-mails or code
    assert '<span class="mention" data-login="boris" title="@boris">@Борис Орлов</span>' in html
    assert body["kind"] == "comment" and body["internal"] is False and body["by"] == "anna"
    assert anna.get(f"/gadget/{oid}").json["version"] == 1  # a comment is not an edit of the record
    assert [(e.type_name, e.id, e.user, e.entry_id, e.mentions) for e in events] == [
        ("gadget", oid, "anna", body["id"], ("boris",))]

    page = testapp.get(f"/t/gadget/{oid}")  # the detail page shows the same sanitised HTML
    login_page = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    session_client(login_page, "anna")
    page = login_page.get(f"/t/gadget/{oid}")
    feed = page.text[page.text.index('id="activity"'):]
    assert "<strong>Срочно</strong>" in feed and "@Борис Орлов</span>" in feed
    assert "<script>alert" not in page.text and "&lt;script&gt;" in feed
    assert "created this record" in feed and feed.index(f'id="entry-{body["id"]}"') < feed.index("created this record")
    assert re.search(r'<time class="feed-time"[^>]*>[^<]*(ago|just now)[^<]* · ', feed)  # relative · absolute

    # a refused comment (a bad file among good ones) stores nothing and notifies nobody
    bad = anna.post(f"/gadget/{oid}/comments", {"text": "@boris again", "attachments": [
        {"filename": "a.pdf", "content_base64": b64(PDF)}, {"filename": "b.pdf", "content_base64": "%%%"}]},
        status=422)
    assert "attachments.1" in problem(bad, 422)["errors"]
    assert len(events) == 1 and len(feed_of(procura_db, "gadget", oid)) == 1


def test_event_is_delivered_only_when_the_transaction_commits(app, make_user, events):
    from procura.types import feed as feedsvc
    from pyramid.request import Request
    from pyramid.scripting import prepare

    make_user("anna")
    make_user("boris")
    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    try:
        request.tm.begin()
        request.session["userid"] = "anna"
        svc = request.types
        info = svc.info("gadget")
        obj = svc.create(info, svc.validate_json(info, {"name": "A"}))
        request.tm.commit()
        request.tm.begin()
        obj = svc.get(info, obj.id)
        feedsvc.add_comment(request, obj, "hello @boris")
        request.tm.abort()  # rolled back: nothing delivered
        assert events == []
        request.tm.begin()
        obj = svc.get(info, obj.id)
        assert list(obj.feed) == []
        entry = feedsvc.add_comment(request, obj, "hello @boris")
        assert events == []  # not before the commit
        request.tm.commit()
        assert [(e.entry_id, e.mentions, e.internal) for e in events] == [(entry.id, ("boris",), False)]
    finally:
        with contextlib.suppress(transaction.interfaces.NoTransaction):
            request.tm.abort()
        env["closer"]()


# ---------------------------------------------------------------- internal entries and portal users
def test_internal_entries_are_invisible_to_portal_users(testapp, make_user, procura_db, events):
    make_user("anna")
    make_user("petr", roles=["portal"])
    web, token = browser(testapp, "anna")
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_gadget(anna)
    page = web.get(f"/t/gadget/{oid}")
    assert 'name="internal"' in page.text  # staff may write internal notes
    web.post(f"/t/gadget/{oid}/comments", {"csrf_token": token, "text": "Скидка 7% — только для нас",
                                           "internal": "1"}, status=303)
    web.post(f"/t/gadget/{oid}/comments", {"csrf_token": token, "text": "Поставка в пятницу"},
             upload_files=[("files", "note.txt", b"public file")], status=303)
    anna.post(f"/gadget/{oid}/comments", {"text": "secret file", "internal": True,
                                          "attachments": [{"filename": "s.txt", "content_base64": b64(b"secret")}]})
    entries = feed_of(procura_db, "gadget", oid)
    assert [e[2] for e in entries] == [True, False, True]
    internal_id, public_id, secret_id = (e[0] for e in entries)
    assert events[0].internal is True and events[1].internal is False

    staff_page = web.get(f"/t/gadget/{oid}").text
    assert "Скидка 7%" in staff_page and 'class="badge rounded-pill text-bg-warning feed-internal"' in staff_page

    # Portal users do not use the staff application nor the staff API (their pages come with the
    # portal addon, which reads the feed through procura.types.feed): there, internal entries,
    # their files and their reactions do not exist for them.
    portal_web = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    do_login(portal_web, "petr")
    for url in (f"/t/gadget/{oid}", f"/t/gadget/{oid}/feed", f"/t/gadget/{oid}/attachment/{public_id}"):
        assert "Скидка" not in portal_web.get(url, status=403).text
    petr = bearer_client(testapp, procura_db, "petr")
    assert "Скидка" not in petr.get(f"/gadget/{oid}/feed", status=403).text
    assert {i["id"] for i in anna.get(f"/gadget/{oid}/feed").json["items"] if i["kind"] != "audit"} == {
        internal_id, public_id, secret_id}

    from procura.types import feed
    from procura.types.service import NotFound, ValidationFailed
    from procura.types.system import system_request

    tm = transaction.TransactionManager()
    conn = procura_db.open(tm)
    try:
        request = system_request(testapp.app.registry, conn.root()[APP_KEY], tm, login="petr")
        request.procura_system = False  # petr's own rights, not the system's
        obj = request.types.get(request.types.info("gadget"), oid)
        assert [e.id for e in feed.entries(request, obj)] == [public_id]
        for entry_id in (internal_id, secret_id):
            with pytest.raises(NotFound):
                feed.find(request, obj, entry_id)
            with pytest.raises(NotFound):
                feed.attachment(request, obj, entry_id)
            with pytest.raises(NotFound):
                feed.toggle_reaction(request, obj, entry_id, "👍")
        with pytest.raises(ValidationFailed) as refused:
            feed.add_comment(request, obj, "x", internal=True)
        assert "internal" in refused.value.errors
    finally:
        tm.abort()
        conn.close()
    assert len(feed_of(procura_db, "gadget", oid)) == 3


# ---------------------------------------------------------------- reactions
def test_reactions_toggle_per_user(testapp, make_user, procura_db):
    make_user("anna")
    make_user("boris", fullname="Борис Орлов")
    anna = bearer_client(testapp, procura_db, "anna")
    boris = bearer_client(testapp, procura_db, "boris")
    oid = new_gadget(anna)
    eid = anna.post(f"/gadget/{oid}/comments", {"text": "Готово"}).json["id"]
    url = f"/gadget/{oid}/comments/{eid}/reactions"
    on = anna.post(url, {"emoji": "👍"}, status=200).json
    assert on["reacted"] is True and on["reactions"] == {"👍": ["anna"]}
    assert boris.post(url, {"emoji": "👍"}, status=200).json["reactions"] == {"👍": ["anna", "boris"]}
    assert boris.post(url, {"emoji": "❤"}, status=200).json["reactions"]["❤️"] == ["boris"]  # without U+FE0F too
    off = anna.post(url, {"emoji": "👍"}, status=200).json
    assert off["reacted"] is False and off["reactions"] == {"👍": ["boris"], "❤️": ["boris"]}
    assert "emoji" in problem(anna.post(url, {"emoji": "💩"}, status=422), 422)["errors"]

    web, token = browser(testapp, "anna")  # htmx: the reactions bar comes back alone
    bar = web.post(f"/t/gadget/{oid}/comments/{eid}/react", {"csrf_token": token, "emoji": "🎉"},
                   headers={"HX-Request": "true"}).text
    assert bar.lstrip().startswith(f'<div class="feed-reactions" id="reactions-{eid}"') and "<html" not in bar
    assert re.search(r'aria-pressed="true"[^>]*data-emoji="🎉"', bar)
    assert re.search(r'aria-pressed="false"[^>]*title="[^"]*Борис Орлов"[^>]*data-emoji="👍"', bar)
    web.post(f"/t/gadget/{oid}/comments/{eid}/react", {"csrf_token": token, "emoji": "🎉"}, status=303)
    assert anna.get(f"/gadget/{oid}/comments/{eid}").json["reactions"] == {"👍": ["boris"], "❤️": ["boris"]}


# ---------------------------------------------------------------- attachments and downloads
def test_attachments_are_blobs_downloaded_with_safe_headers(testapp, make_user, procura_db):
    make_user("anna")
    web, token = browser(testapp, "anna")
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_gadget(anna)
    png = png_bytes()
    web.post(f"/t/gadget/{oid}/comments", {"csrf_token": token, "text": ""},
             upload_files=[("files", "Договор поставки №5.pdf", PDF), ("files", "фото.png", png)], status=303)
    [(eid, text, _internal, _m, files)] = feed_of(procura_db, "gadget", oid)
    assert text == "" and files == [("Договор поставки №5.pdf", "application/pdf", PDF), ("фото.png", "image/png", png)]

    pdf = web.get(f"/t/gadget/{oid}/attachment/{eid}")
    assert pdf.body == PDF and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert pdf.headers["Content-Disposition"] == (
        "attachment; filename=\"Dogovor postavki No5.pdf\"; filename*=UTF-8''"
        + quote("Договор поставки №5.pdf", safe=""))
    assert "sandbox" in pdf.headers["Content-Security-Policy"]
    image = web.get(f"/t/gadget/{oid}/attachment/{eid}/1")
    assert image.body == png and image.headers["Content-Type"] == "image/png"
    assert image.headers["Content-Disposition"] == (
        "inline; filename=\"foto.png\"; filename*=UTF-8''%D1%84%D0%BE%D1%82%D0%BE.png")
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    web.get(f"/t/gadget/{oid}/attachment/{eid}/2", status=404)
    web.get(f"/t/gadget/{oid}/attachment/nope", status=404)

    item = anna.get(f"/gadget/{oid}/feed", params={"kind": "attachment"}).json["items"][0]
    assert item["kind"] == "attachment" and [a["filename"] for a in item["attachments"]] == [
        "Договор поставки №5.pdf", "фото.png"]
    assert item["attachments"][1]["url"] == f"http://localhost/t/gadget/{oid}/attachment/{eid}/1"
    page = web.get(f"/t/gadget/{oid}").text
    assert f'href="http://localhost/t/gadget/{oid}/attachment/{eid}"' in page and 'class="feed-thumb"' in page


@pytest.mark.parametrize("name, data, message", [
    ("big.pdf", PDF + b"x" * MAX_BYTES, "is larger than"),
    ("invoice.pdf", ELF, "is a program or script"),
    ("invoice.pdf", MZ, "is a program or script"),
    ("run.bat", b"echo hello\r\n", "is a program or script"),
    ("blob.pdf", bytes(range(256)) * 4, "is of an unknown type"),
])
def test_oversize_executable_and_unknown_files_are_refused(testapp, make_user, procura_db, name, data, message):
    make_user("anna")
    web, token = browser(testapp, "anna")
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_gadget(anna)
    refused = anna.post(f"/gadget/{oid}/comments", {"text": "see file", "attachments": [
        {"filename": name, "content_base64": b64(data)}]}, status=422)
    assert message in problem(refused, 422)["errors"]["attachments.0"]
    page = web.post(f"/t/gadget/{oid}/comments", {"csrf_token": token, "text": "see the file"},
                    upload_files=[("files", name, data)], status=422)
    assert message in page.text and "see the file</textarea>" in page.text  # the draft is kept
    assert feed_of(procura_db, "gadget", oid) == []


def test_field_files_and_attachments_need_read_access(testapp, make_user, procura_db, monkeypatch):
    make_user("bella", roles=["buyer"])
    make_user("anna")  # staff, but not a buyer: may not read dossiers
    bella = bearer_client(testapp, procura_db, "bella")
    oid = bella.post("/dossier", {"name": "Тендер", "doc": {"filename": "ТЗ.pdf", "content_base64": b64(PDF)},
                                  "photo": {"filename": "p.png", "content_base64": b64(png_bytes())}}).json["id"]
    eid = bella.post(f"/dossier/{oid}/comments", {"attachments": [
        {"filename": "смета.txt", "content_base64": b64("Итого: 100".encode())}]}).json["id"]
    bella_web, _token = browser(testapp, "bella")
    doc = bella_web.get(f"/t/dossier/{oid}/file/doc")
    assert doc.body == PDF and doc.headers["Content-Disposition"].startswith('attachment; filename="TZ.pdf"')
    assert bella_web.get(f"/t/dossier/{oid}/file/photo").headers["Content-Disposition"].startswith("inline;")
    text = bella_web.get(f"/t/dossier/{oid}/attachment/{eid}")
    assert text.body == "Итого: 100".encode() and text.headers["Content-Type"] == "text/plain"
    assert text.headers["Content-Disposition"].startswith('attachment; filename="smeta.txt"')
    for missing in ("name", "nope"):  # not a file field
        bella_web.get(f"/t/dossier/{oid}/file/{missing}", status=404)
    bella_web.get("/t/dossier/NOPE/file/doc", status=404)

    anna_web, _token = browser(testapp, "anna")
    anna_web.get(f"/t/dossier/{oid}/file/doc", status=404)
    anna_web.get(f"/t/dossier/{oid}/attachment/{eid}", status=404)
    anna_web.get(f"/t/dossier/{oid}/feed", status=404)
    problem(bearer_client(testapp, procura_db, "anna").get(f"/dossier/{oid}/feed", status=404), 404)

    from procura.types import access

    monkeypatch.setattr(access, "field_access", lambda request, info, field, obj=None:
                        access.HIDDEN if field.name == "doc" else access.EDIT)
    bella_web.get(f"/t/dossier/{oid}/file/doc", status=404)
    assert bella_web.get(f"/t/dossier/{oid}/file/photo").status_int == 200


# ---------------------------------------------------------------- edit and delete
def test_only_the_author_or_an_admin_edits_and_deletes(testapp, make_user, procura_db, events):
    make_user("anna")
    make_user("boris")
    make_user("root", roles=["admin"])
    anna = bearer_client(testapp, procura_db, "anna")
    boris = bearer_client(testapp, procura_db, "boris")
    oid = new_gadget(anna)
    eid = anna.post(f"/gadget/{oid}/comments", {"text": "Первый вариант"}).json["id"]
    url = f"/gadget/{oid}/comments/{eid}"
    problem(boris.patch(url, {"text": "чужая правка"}, status=403), 403)
    problem(boris.delete(url, status=403), 403)
    assert anna.get(url).json["can_edit"] is True and boris.get(url).json["can_edit"] is False
    edited = anna.patch(url, {"text": "Второй вариант, @boris"}).json
    assert edited["text"] == "Второй вариант, @boris" and edited["edited_at"] and edited["mentions"] == ["boris"]
    assert events[-1].mentions == ("boris",)  # the newly mentioned user hears of it
    anna.patch(url, {"text": "Третий вариант, @boris"})
    assert len(events) == 2  # nobody new: no event
    assert "text" in problem(anna.patch(url, {"text": "  "}, status=422), 422)["errors"]
    bearer_client(testapp, procura_db, "root").patch(url, {"text": "Исправлено админом"})

    boris_web, boris_token = browser(testapp, "boris")
    page = boris_web.get(f"/t/gadget/{oid}").text
    assert f"/comments/{eid}/edit" not in page and f"/comments/{eid}/delete" not in page
    boris_web.post(f"/t/gadget/{oid}/comments/{eid}/delete", {"csrf_token": boris_token}, status=403)
    anna_web, token = browser(testapp, "anna")
    assert f"/comments/{eid}/edit" in anna_web.get(f"/t/gadget/{oid}").text
    anna_web.post(f"/t/gadget/{oid}/comments/{eid}/edit", {"csrf_token": token, "text": "Из формы"}, status=303)
    assert feed_of(procura_db, "gadget", oid)[0][1] == "Из формы"
    anna_web.post(f"/t/gadget/{oid}/comments/{eid}/delete", {"csrf_token": token}, status=303)
    assert feed_of(procura_db, "gadget", oid) == []
    problem(anna.delete(url, status=404), 404)


# ---------------------------------------------------------------- htmx and the merged feed
def test_htmx_composer_answers_with_the_panel(testapp, make_user, procura_db):
    make_user("anna")
    web, token = browser(testapp, "anna")
    oid = new_gadget(bearer_client(testapp, procura_db, "anna"))
    hx = {"HX-Request": "true"}
    panel = web.post(f"/t/gadget/{oid}/comments", {"csrf_token": token, "text": "Через htmx"}, headers=hx).text
    assert panel.lstrip().startswith('<section class="card activity-feed" id="activity"') and "<html" not in panel
    assert "<p>Через htmx</p>" in panel and 'id="feed-composer-form"' in panel
    assert web.get(f"/t/gadget/{oid}/feed").text.count('class="feed-entry"') == 2  # comment + creation
    # refused: the panel again (htmx swaps only 2xx answers) with the message and the draft
    again = web.post(f"/t/gadget/{oid}/comments", {"csrf_token": token, "text": "x" * 20_001}, headers=hx)
    assert again.status_int == 200 and 'id="feed-composer-error"' in again.text and "x" * 20_001 in again.text
    web.post(f"/t/gadget/{oid}/comments", {"text": "no token"}, headers=hx, status=403)  # CSRF
    assert len(feed_of(procura_db, "gadget", oid)) == 1


def test_api_feed_merges_audit_and_comments_newest_first(testapp, make_user, procura_db):
    make_user("anna")
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_gadget(anna)
    anna.post(f"/gadget/{oid}/comments", {"text": "первый"})
    anna.patch(f"/gadget/{oid}", {"quantity": 5})
    anna.post(f"/gadget/{oid}/comments", {"text": "второй"})
    items = anna.get(f"/gadget/{oid}/feed").json["items"]
    assert [(i["kind"], i.get("text") or i.get("action")) for i in items] == [
        ("comment", "второй"), ("audit", "update"), ("comment", "первый"), ("audit", "create")]
    assert items[1]["changes"] == {"quantity": [None, 5]}
    page = anna.get(f"/gadget/{oid}/feed", params={"limit": 1, "offset": 1}).json
    assert page["total"] == 4 and [i["kind"] for i in page["items"]] == ["audit"]
    assert "kind" in problem(anna.get(f"/gadget/{oid}/feed", params={"kind": "bogus"}, status=422), 422)["errors"]
    anna.delete(f"/gadget/{oid}")  # in the trash: readable, but no new comments
    assert anna.get(f"/gadget/{oid}/feed").json["total"] == 5
    problem(anna.post(f"/gadget/{oid}/comments", {"text": "поздно"}, status=404), 404)
