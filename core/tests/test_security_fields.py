"""Field-level access in every channel, on the test type "dossier" (core/tests/secmatrix_hooks.py).

- A field a role has "hidden" appears nowhere: list (column, filter, sort, column choice), detail,
  edit form, activity feed, REST API (object, list, filter, sort, type description, feed), export
  (columns, filter), print, and global search: no snippet, no value, and no record is found by the
  hidden field's content although the search index holds it.
- A "read" field cannot be changed by a crafted form POST (ignored) or an API write (422), and the
  stored value stays as it was.
- A hidden title field leaves the record known by its number only, in every channel.
- ``field_guard`` binds administrators too.
- A link to a record the reader may not read shows its id, not its title.
- Nobody but an administrator changes the fields of their own user record that decide their rights,
  whatever a role grants on users.
"""
from __future__ import annotations

import csv
import io

import pytest
import transaction
from procura.content import APP_KEY
from procura.testing import set_grants
from webtest import TestApp

API = "/api/v1"
SECRET, VERDICT_OPEN, VERDICT_DONE, JOTTING_LINE = "blackbird", "kestrel", "osprey", "nightingale"


@pytest.fixture
def procura_overrides():
    return {"procura.extra_hooks": "secmatrix_hooks", "procura.addons.disabled": "*"}


class Browser:
    """A signed-in user's browser: pages, form posts with the CSRF token, API calls with the session."""

    def __init__(self, app, login):
        from procura.testing import do_login

        self.app = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
        do_login(self.app, login)
        self.csrf = self.app.get("/search").html.find("meta", attrs={"name": "csrf-token"})["content"]
        self.headers = {"X-CSRF-Token": self.csrf}

    def get(self, path, params=None, status=200):
        return self.app.get(path, params=params, status=status)

    def post(self, path, data=None, status=None):
        return self.app.post(path, {"csrf_token": self.csrf, **(data or {})}, status=status)

    def api_get(self, path, params=None, status=200):
        return self.app.get(API + path, params=params, headers=self.headers, status=status)

    def api_patch(self, path, body, status=200):
        return self.app.patch_json(API + path, body, headers=self.headers, status=status)

    def api_post(self, path, body=None, status=201):
        return self.app.post_json(API + path, body or {}, headers=self.headers, status=status)


def rows_of(response):
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))


@pytest.fixture
def world(app, procura_db, make_user):
    """cleo (role "clerk": dossiers all, "secret" hidden, "amount" read only; no jottings), sam (role
    "scribe": dossiers and jottings read, the dossiers' title field "subject" and their link to a
    jotting hidden), ada (administrator); two dossiers, one linked to a jotting."""
    from procura.types.system import in_own_transaction

    make_user("ada", roles=["admin"], fullname="Ada Admin")
    make_user("cleo", roles=["clerk"], fullname="Cleo Clerk")
    make_user("sam", roles=["scribe"], fullname="Sam Scribe")
    set_grants(app.registry, "clerk", types={"dossier": {"create": "all", "read": "all", "edit": "all"}},
               fields={"dossier": {"secret": "hidden", "amount": "read"}})
    set_grants(app.registry, "scribe", types={"dossier": {"read": "all"}, "jotting": {"read": "all"}},
               fields={"dossier": {"subject": "hidden", "jotting": "hidden"}})
    set_grants(app.registry, "user", types={"jotting": {"read": "none"}})

    def seed(request):
        svc = request.types
        jotting = svc.create(svc.info("jotting"), {"line": JOTTING_LINE})
        info = svc.info("dossier")
        open_ = svc.create(info, {"subject": "Harbour crane", "notes": "lorem", "secret": SECRET, "amount": 7,
                                  "verdict": VERDICT_OPEN, "jotting": jotting.id})
        done = svc.create(info, {"subject": "Quay lights", "notes": "ipsum", "secret": "magpie", "amount": 3,
                                 "verdict": VERDICT_DONE}, status="approved")
        return {"open": open_.id, "done": done.id, "jotting": jotting.id}

    ids = in_own_transaction(app.registry, seed, login="ada")

    def stored(oid):
        conn = procura_db.open(transaction.TransactionManager())
        try:
            obj = conn.root()[APP_KEY]["types"]["dossier"][oid]
            return {f: getattr(obj, f, None) for f in ("subject", "notes", "secret", "amount", "verdict")} | {
                "version": obj.version}
        finally:
            conn.close()

    return {"ids": ids, "stored": stored, "app": app}


def test_hidden_field_in_every_channel(world):
    app, oid, done = world["app"], world["ids"]["open"], world["ids"]["done"]
    ada = Browser(app, "ada")
    ada.api_patch(f"/dossier/{oid}", {"secret": "bluejay"})  # a change in the history cleo must not see
    ada.api_patch(f"/dossier/{oid}", {"secret": SECRET})
    cleo = Browser(app, "cleo")

    # web UI: list (no column, no value, no filter or sort by it, no column choice of it), detail, edit form
    page = cleo.get("/t/dossier")
    assert "Harbour crane" in page.text
    assert SECRET not in page.text and "bluejay" not in page.text and ">Secret<" not in page.text
    assert 'name="secret"' not in page.text  # no filter control
    for params in ({"secret": SECRET}, {"sort": "secret"}, {"sort": "-secret"}):
        page = cleo.get("/t/dossier", params)
        assert "Harbour crane" not in page.text and "Cannot" in page.text, params
    cleo.post("/t/dossier/prefs", {"action": "columns", "columns": ["secret", "subject"]}, status=303)
    page = cleo.get("/t/dossier")
    assert SECRET not in page.text and ">Secret<" not in page.text
    kanban = cleo.get("/t/dossier/kanban")
    assert SECRET not in kanban.text
    detail = cleo.get(f"/t/dossier/{oid}")
    assert "lorem" in detail.text
    assert SECRET not in detail.text and "bluejay" not in detail.text and ">Secret<" not in detail.text
    assert SECRET not in cleo.get(f"/t/dossier/{oid}/feed").text
    form = cleo.get(f"/t/dossier/{oid}/edit")
    assert "secret" not in form.forms["type-form-dossier"].fields and SECRET not in form.text
    assert "secret" not in cleo.get(f"/t/dossier/{oid}/copy").forms["type-form-dossier"].fields

    # REST API: object, list, filter, sort, the type's description, the activity feed
    body = cleo.api_get(f"/dossier/{oid}").json
    assert "secret" not in body and body["notes"] == "lorem"
    items = cleo.api_get("/dossier").json["items"]
    assert items and all("secret" not in item for item in items)
    for params in ({"secret": SECRET}, {"sort": "secret"}):
        assert cleo.api_get("/dossier", params, status=422).json["errors"], params
    described = next(t for t in cleo.api_get("/types").json["items"] if t["name"] == "dossier")
    assert "secret" not in {f["name"] for f in described["fields"]}
    feed = cleo.api_get(f"/dossier/{oid}/feed").json["items"]
    assert all("secret" not in (entry.get("changes") or {}) for entry in feed)
    assert SECRET not in str(feed) and "bluejay" not in str(feed)

    # export: no column (not even when asked for), no value, no filter by it
    for params in ({}, {"columns": "secret,subject"}):
        export = cleo.get("/t/dossier/export.csv", params)
        assert "Secret" not in rows_of(export)[0] and SECRET not in export.text, params
    assert "Harbour crane" in export.text
    cleo.get("/t/dossier/export.csv", {"secret": SECRET}, status=400)

    # global search and the lists' text search: nothing is found by the hidden value...
    assert cleo.api_get("/search", {"q": SECRET}).json["items"] == []
    assert f'data-id="{oid}"' not in cleo.get("/search", {"q": SECRET}).text
    assert cleo.api_get("/dossier", {"q": SECRET}).json["total"] == 0
    assert "Harbour crane" not in cleo.get("/t/dossier", {"q": SECRET}).text
    assert len(rows_of(cleo.get("/t/dossier/export.csv", {"q": SECRET}))) == 1
    # ... although the index holds it (an administrator finds it), and visible text still finds the record
    assert {h["id"] for h in ada.api_get("/search", {"q": SECRET}).json["items"]} == {oid}
    assert {h["id"] for h in cleo.api_get("/search", {"q": "crane"}).json["items"]} == {oid}
    assert {h["id"] for h in cleo.api_get("/search", {"q": "crane OR magpie"}).json["items"]} == {oid}
    assert cleo.api_get("/search", {"q": f"crane {SECRET}"}).json["items"] == []
    assert done not in {i["id"] for i in cleo.api_get("/dossier", {"q": "magpie"}).json["items"]}

    # print
    from pypdf import PdfReader

    pdf = cleo.get(f"/t/dossier/{oid}/print.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body)).pages)
    assert "lorem" in text and SECRET not in text and "bluejay" not in text


def test_read_only_field_cannot_be_changed(world):
    app, oid, stored = world["app"], world["ids"]["open"], world["stored"]
    cleo = Browser(app, "cleo")
    before = stored(oid)
    detail = cleo.get(f"/t/dossier/{oid}")
    assert "Amount" in detail.text  # shown, not editable
    assert "amount" not in cleo.get(f"/t/dossier/{oid}/edit").forms["type-form-dossier"].fields

    # a crafted form: the read-only (and the hidden) field is ignored, the rest saved
    cleo.post(f"/t/dossier/{oid}/edit", {"subject": "Harbour crane", "notes": "changed", "amount": "99",
                                         "secret": "forged", "version": str(before["version"]), "save": "save"},
              status=303)
    after = stored(oid)
    assert after["notes"] == "changed" and after["amount"] == 7 and after["secret"] == SECRET

    # the API refuses the write (422, field by field) and stores nothing
    for body in ({"amount": 99}, {"amount": 99, "notes": "again"}, {"secret": "forged"}):
        errors = cleo.api_patch(f"/dossier/{oid}", body, status=422).json["errors"]
        assert set(errors) == set(body) - {"notes"}, body
    assert stored(oid) == after
    cleo.api_patch(f"/dossier/{oid}", {"amount": 7, "notes": "same amount"})  # unchanged value: fine
    assert stored(oid)["amount"] == 7 and stored(oid)["notes"] == "same amount"

    # nor on create or copy
    for body in ({"subject": "New", "amount": 5}, {"subject": "New", "secret": "forged"}):
        cleo.api_post("/dossier", body, status=422)
    cleo.api_post(f"/dossier/{oid}/actions/copy", {"amount": 99}, status=422)
    created = cleo.post("/t/dossier/new", {"subject": "Crafted", "amount": "5", "secret": "forged", "save": "save"},
                        status=303)
    new_id = created.location.rsplit("/", 1)[-1]
    assert stored(new_id)["amount"] is None and stored(new_id)["secret"] is None


def test_hidden_title_field(world):
    """The title field hidden: the record is known by its number everywhere."""
    app, oid = world["app"], world["ids"]["open"]
    sam = Browser(app, "sam")
    body = sam.api_get(f"/dossier/{oid}").json
    assert "subject" not in body and body["title"] == oid
    assert all(i["title"] == i["id"] for i in sam.api_get("/dossier").json["items"])
    for page in (sam.get("/t/dossier"), sam.get(f"/t/dossier/{oid}"), sam.get("/t/dossier/kanban")):
        assert "Harbour crane" not in page.text and oid in page.text
    assert "Harbour crane" not in sam.get("/t/dossier", {"q": "harbour"}).text  # no title-prefix oracle
    assert "Cannot" in sam.get("/t/dossier", {"sort": "title"}).text
    sam.api_get("/dossier", {"sort": "-title"}, status=422)
    assert sam.api_get("/search", {"q": "crane"}).json["items"] == []
    hits = sam.api_get("/search", {"q": "lorem"}).json["items"]
    assert [(h["id"], h["title"]) for h in hits] == [(oid, oid)]
    assert "Harbour crane" not in sam.get("/search", {"q": "lorem"}).text
    assert "Harbour crane" not in sam.get("/t/dossier/export.csv").text


def test_field_guard_binds_administrators(world):
    """``verdict`` is hidden from everybody while a dossier is not approved, administrators included."""
    app, oid, done = world["app"], world["ids"]["open"], world["ids"]["done"]
    for login in ("ada", "cleo"):
        user = Browser(app, login)
        detail = user.get(f"/t/dossier/{oid}")
        assert VERDICT_OPEN not in detail.text and ">Verdict<" not in detail.text
        assert VERDICT_DONE in user.get(f"/t/dossier/{done}").text
        assert "verdict" not in user.api_get(f"/dossier/{oid}").json
        assert user.api_get(f"/dossier/{done}").json["verdict"] == VERDICT_DONE
        assert "verdict" not in user.get(f"/t/dossier/{oid}/edit").forms["type-form-dossier"].fields
        user.api_patch(f"/dossier/{oid}", {"verdict": "forged"}, status=422)
        assert world["stored"](oid)["verdict"] == VERDICT_OPEN
        assert VERDICT_OPEN not in user.get("/t/dossier/export.csv").text
        assert VERDICT_OPEN not in user.get("/t/dossier", {"columns": "verdict"}).text
        assert user.api_get("/search", {"q": VERDICT_OPEN}).json["items"] == []
        assert {h["id"] for h in user.api_get("/search", {"q": VERDICT_DONE}).json["items"]} == {done}
        assert user.api_get("/dossier", {"q": VERDICT_OPEN}).json["total"] == 0


def test_link_to_an_unreadable_record_shows_its_id(world):
    app, oid, jotting = world["app"], world["ids"]["open"], world["ids"]["jotting"]
    cleo = Browser(app, "cleo")
    cleo.get(f"/t/jotting/{jotting}", status=404)
    detail = cleo.get(f"/t/dossier/{oid}")
    assert JOTTING_LINE not in detail.text and jotting in detail.text
    assert JOTTING_LINE not in cleo.get("/t/dossier/export.csv").text
    assert cleo.api_get(f"/dossier/{oid}").json["jotting"] == jotting
    assert JOTTING_LINE in Browser(app, "ada").get(f"/t/dossier/{oid}").text


def test_related_list_through_a_hidden_link(world):
    """Which dossiers point at a jotting is the value of their (hidden) link field."""
    app, oid, jotting = world["app"], world["ids"]["open"], world["ids"]["jotting"]
    assert f"/t/dossier/{oid}" in Browser(app, "ada").get(f"/t/jotting/{jotting}").text
    page = Browser(app, "sam").get(f"/t/jotting/{jotting}")
    assert JOTTING_LINE in page.text and f"/t/dossier/{oid}" not in page.text


def test_no_one_raises_their_own_rights(world, make_user):
    """A role that may edit one's own user record does not let one join a team with more roles, take
    a position that rules give roles to, or change one's kind of account; an administrator may, and
    the role may still change those fields of other users as granted."""
    from procura.types.system import in_own_transaction

    app = world["app"]

    def team(request):
        svc = request.types
        svc.create(svc.info("team"), {"name": "ops", "label": "Ops", "kind": "team", "roles": ("admin",)})

    in_own_transaction(app.registry, team)
    make_user("hana", roles=["hr"], fullname="Hana Human")
    make_user("otto", fullname="Otto Other")
    set_grants(app.registry, "hr", types={"user": {"read": "all", "edit": "all"}})
    hana = Browser(app, "hana")
    for body in ({"teams": ["ops"]}, {"position": "Director"}, {"kind": "portal"}, {"active": False}):
        assert set(hana.api_patch("/user/hana", body, status=422).json["errors"]) == set(body), body
    version = hana.api_get("/user/hana").json["version"]
    hana.post("/t/user/hana/edit", {"teams": "ops", "position": "Director", "phone": "", "version": str(version),
                                    "save": "save"}, status="*")
    me = hana.api_get("/me").json
    assert me["teams"] == [] and "admin" not in me["effective_roles"] and not me.get("position")
    hana.api_patch("/user/otto", {"teams": ["ops"]})  # someone else's record: as the role grants
    ada = Browser(app, "ada")
    ada.api_patch("/user/ada", {"position": "Director"})
    assert ada.api_get("/user/ada").json["position"] == "Director"
