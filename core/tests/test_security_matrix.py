"""The access matrix, generated from the type registry of the test app.

For every registered type (the core's principals and the test types of ``secmatrix_hooks``),
every action a role can be granted on it (create, read, edit, delete, its extra actions and the
actions of its transitions' permissions) and every scope (all, team, own, none), a fresh role
grants exactly that scope (plus read "all" for the other actions, so that only the action's own
scope decides). A user with that role in a team of their own then meets records of their own, of a
teammate and of a stranger (and, where the type has them, records that are theirs or their team's
through ``owner_fields``/``team_fields``), and may do exactly what the scope allows, through every
channel: the web UI (list, detail, forms, delete, transitions, operations), the REST API, global
search, export and attachment downloads. A read that is refused answers exactly like a record that
does not exist.

The base role ``user`` is stripped of every type right (explicit "none") so that the role under
test is the only source of rights: that also proves an explicit "none" beats a type's default.
Data is built once per (type, action, scope) in one application shared by the module.
"""
from __future__ import annotations

import csv
import io
import itertools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import transaction
from procura.content import APP_KEY
from procura.testing import create_test_user, do_login, set_grants

HOOKS = {"procura.extra_hooks": "secmatrix_hooks", "procura.addons.disabled": "*"}
SCOPES = ("all", "team", "own", "none")
API = "/api/v1"
# Which of a combination's records a scope reaches: own (created by the user), mate (by a
# teammate), far (by a stranger in another team), handled (a stranger's, the user named in an
# owner field), desked (a stranger's, the user's team named in a team field).
REACH = {"all": {"own", "mate", "far", "handled", "desked"}, "team": {"own", "mate", "handled", "desked"},
         "own": {"own", "handled"}, "none": set()}
NONCE = re.compile(r"""nonce=["'][^"']*["']|'nonce-[^']*'""")


def _registry():
    """The test app's type registry, at collection time (the cases are generated from it)."""
    from procura.addons import load
    from procura.testing import make_settings
    from procura.types.registry import collect_types

    settings = make_settings(Path(tempfile.gettempdir()) / "procura-secmatrix-collect", **HOOKS)
    return collect_types(load(settings)[2])


REGISTRY = _registry()


# ---------------------------------------------------------------- how to make records of each type
@dataclass
class Recipe:
    values: Any  # (tok, kind, ctx) -> stored values of a record made through the service
    change: tuple  # (field, new value): a text field the edit tests change
    new: Any  # tok -> {field: value} of a new record (add form and API POST)


def _dossier(tok, kind, ctx):
    values = {"subject": f"{tok} {kind}", "notes": f"notes {tok}", "secret": "classified", "amount": 1}
    if kind == "handled":
        values["handler"] = ctx["me"]
    if kind == "desked":
        values["desk"] = ctx["team"]
    return values


RECIPES = {
    "dossier": Recipe(_dossier, ("notes", "changed"), lambda tok: {"subject": f"{tok} new"}),
    "jotting": Recipe(lambda tok, kind, ctx: {"line": f"{tok} {kind}"}, ("body", "changed"),
                      lambda tok: {"line": f"{tok} new"}),
    "user": Recipe(None, ("email", "changed@example.org"), lambda tok: {"login": f"{tok}-new"}),
    "team": Recipe(lambda tok, kind, ctx: {"name": f"{tok}-rec-{kind}", "label": f"{tok} {kind}", "kind": "team"},
                   ("description", "changed"), lambda tok: {"name": f"{tok}-new", "label": f"{tok} new"}),
    "role": Recipe(lambda tok, kind, ctx: {"name": f"{tok}-{kind}", "label": f"{tok} {kind}", "kind": "staff",
                                           "login_hours": "any"},
                   ("description", "changed"), lambda tok: {"name": f"{tok}-new", "label": f"{tok} new"}),
    "position_rule": Recipe(lambda tok, kind, ctx: {"position": f"{tok} {kind}", "match": "exact", "active": True},
                            ("position", "changed"), lambda tok: {"position": f"{tok} new"}),
    "business_calendar": Recipe(lambda tok, kind, ctx: {"name": f"{tok}-{kind}", "label": f"{tok} {kind}"},
                                ("label", "changed"), lambda tok: {"name": f"{tok}-new", "label": f"{tok} new"}),
    "login_event": Recipe(lambda tok, kind, ctx: {"login": f"{tok}-{kind}", "event": "sign_in", "success": True},
                          ("detail", "changed"), lambda tok: {"login": f"{tok}-new"}),
    "notification": Recipe(lambda tok, kind, ctx: {"subject": f"{tok} {kind}", "text": "t", "event": "created"},
                           ("text", "changed"), lambda tok: {"subject": f"{tok} new"}),
    "notification_template": Recipe(
        lambda tok, kind, ctx: {"event": "created", "language": "en", "subject": f"{tok} {kind}", "body": "b"},
        ("body", "changed"), lambda tok: {"event": "created", "language": "en", "subject": f"{tok} new", "body": "b"}),
    "scheduled_job": Recipe(lambda tok, kind, ctx: {"label": f"{tok} {kind}", "job_type": "procura.purge_trash",
                                                    "schedule": "0 3 * * *"},
                            ("label", "changed"),
                            lambda tok: {"label": f"{tok} new", "job_type": "procura.purge_trash",
                                         "schedule": "0 3 * * *"}),
    "scheduled_job_run": Recipe(lambda tok, kind, ctx: {"job_type": "procura.purge_trash", "outcome": "ok",
                                                        "result": f"{tok} {kind}"},
                                ("result", "changed"), lambda tok: {"result": f"{tok} new"}),
}


def _cases():
    out = []
    for info in REGISTRY:
        for action, _title in info.actions():
            for scope in SCOPES:
                out.append(pytest.param(info.name, action, scope, id=f"{info.name}-{action}-{scope}"))
    return out


CASES = _cases()
BLIND = [pytest.param(info.name, action, id=f"{info.name}-{action}")
         for info in REGISTRY for action, _t in info.actions() if action not in ("create", "read")]


# ---------------------------------------------------------------- the shared application
@pytest.fixture(scope="module")
def procura_overrides():
    return dict(HOOKS)


class World:
    def __init__(self, app, db):
        self.app, self.db = app, db
        self.registry = app.registry
        self.types = app.registry.procura_types
        self.counter = itertools.count(1)
        self.indexing = False

    def system(self, fn, login=None):
        from procura.types.system import in_own_transaction

        return in_own_transaction(self.registry, fn, login=login)

    def read(self, fn):
        tm = transaction.TransactionManager()
        conn = self.db.open(tm)
        try:
            with tm:
                return fn(conn.root()[APP_KEY])
        finally:
            conn.close()

    def stored(self, type_name, oid):
        def get(root):
            obj = root["types"][type_name].get(oid)
            if obj is None:
                return None
            return {"deleted": obj.deleted, "status": obj.status, "version": obj.version,
                    "escalations": getattr(obj, "escalations", 0),
                    **{f.name: getattr(obj, f.name, None) for f in self.types[type_name].fields}}

        return self.read(get)

    def live_count(self, type_name):
        return self.read(lambda root: sum(1 for o in root["types"][type_name].values() if not o.deleted))

    def token(self):
        n, letters = next(self.counter), ""
        for _i in range(4):
            n, r = divmod(n, 26)
            letters = chr(97 + r) + letters
        return "zq" + letters  # letters only: it goes into people's names


@pytest.fixture(scope="module")
def world(tmp_path_factory, procura_overrides):
    from argon2 import PasswordHasher
    from procura import make_app
    from procura.security import passwords
    from procura.testing import make_settings, memory_db_with_blobs

    patch = pytest.MonkeyPatch()  # cheap hashes: every case signs a new user in through the form
    patch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    tmp = tmp_path_factory.mktemp("secmatrix")
    db = memory_db_with_blobs(tmp / "blobs")
    app = make_app(make_settings(tmp, **procura_overrides), db=db)
    w = World(app, db)
    # Search documents are kept up to date only while a read case builds its records: the other
    # cases never search, and indexing after every commit would take most of the module's time.
    import procura.search

    sync_now = procura.search.sync_now
    patch.setattr(procura.search, "sync_now", lambda *args: sync_now(*args) if w.indexing else None)
    assert sorted(w.types.names()) == sorted(REGISTRY.names())

    set_grants(w.registry, "user", types={info.name: {a: "none" for a, _t in info.actions()} for info in w.types})
    yield w
    db.close()
    patch.undo()


# ---------------------------------------------------------------- one combination's data and client
def _attach(request, obj):
    from procura.types import feed

    return feed.add_comment(request, obj, "", uploads=[feed.Upload("note.txt", b"plain text\n")]).id


class Combo:
    """A user with exactly one grant, their teammates and a stranger, and records of each."""

    def __init__(self, world, type_name, action, scope, *, read="all", sets=1, status=None, attach=False):
        self.world, self.type, self.action, self.scope = world, type_name, action, scope
        self.info = world.types[type_name]
        self.recipe = RECIPES.get(type_name)
        assert self.recipe is not None, f"add a recipe for the type '{type_name}' to the access matrix"
        self.tok = tok = world.token()
        self.team, self.far_team, self.role = f"{tok}-desk", f"{tok}-far", f"{tok}-role"
        reg = world.registry
        grants = {action: scope}
        if action != "read":
            grants["read"] = read
        self.me = create_test_user(reg, f"{tok}-me", roles=[self.role], teams=[self.team], fullname=f"{tok} Me",
                                   position=f"{tok} pos")
        set_grants(reg, self.role, types={type_name: grants})
        people = {"mate": [], "far": []}
        for n in range(sets):
            people["mate"].append(create_test_user(reg, f"{tok}-mate{n}", teams=[self.team], fullname=f"{tok} Mate",
                                                   position=f"{tok} pos"))
            people["far"].append(create_test_user(reg, f"{tok}-far{n}", teams=[self.far_team], fullname=f"{tok} Far",
                                                  position=f"{tok} pos"))
        self.sets: list[dict] = []
        self.entries: dict = {}
        for n in range(sets):
            if type_name == "user":
                records = {"mate": people["mate"][n], "far": people["far"][n]}
                if n == sets - 1:
                    records["own"] = self.me  # the user's own record: in the last set, dealt with last
                if attach:
                    for login in records.values():
                        self.entries[login] = world.system(
                            lambda request, login=login: _attach(request, request.identity), login=login)
            else:
                kinds = ["own", "mate", "far"]
                kinds += ["handled"] if self.info.owner_fields else []
                kinds += ["desked"] if self.info.team_fields else []
                owners = {"own": self.me, "mate": people["mate"][n]}
                records = {}
                for kind in kinds:
                    records[kind] = self._make(kind, owners.get(kind, people["far"][n]), status, attach,
                                               tok if n == 0 else f"{tok}-{n}")
            self.sets.append(records)

    def _make(self, kind, owner, status, attach, tok):
        ctx = {"me": self.me, "team": self.team}

        def create(request):
            svc = request.types
            obj = svc.create(self.info, self.recipe.values(tok, kind, ctx), status=status)
            if attach:
                self.entries[obj.id] = _attach(request, obj)
            return obj.id

        return self.world.system(create, login=owner)

    def refused(self, kind) -> int:
        """The status of a refused action on a record: 403 when the user may read it, else 404 (a record
        one may not read does not exist for one, whatever the action)."""
        return 403 if kind in self.reach("read") else 404

    def reach(self, action=None) -> set:
        action = action or self.action
        if self.info.system_only and action in ("create", "edit", "delete"):
            return set()
        scope = self.scope if action == self.action else "all"
        if self.info.personal and scope != "none":
            scope = "own"  # personal records (notifications): whatever the role says, only one's own
        return REACH[scope]

    # ------------------------------------------------------------ the user's browser
    def client(self, login=None):
        from webtest import TestApp

        app = TestApp(self.world.app, extra_environ={"HTTP_HOST": "localhost"})
        do_login(app, login or self.me)
        page = app.get("/search")
        self.csrf = page.html.find("meta", attrs={"name": "csrf-token"})["content"]
        self.app = app
        return app

    def api(self, method, path, body=None, status=None):
        headers = {"X-CSRF-Token": self.csrf}
        if method == "get":
            return self.app.get(API + path, headers=headers, status=status)
        if method == "delete":
            return self.app.delete(API + path, headers=headers, status=status)
        fn = getattr(self.app, f"{method}_json")
        return fn(API + path, body if body is not None else {}, headers=headers, status=status)

    def post(self, path, data=None, status=None):
        return self.app.post(path, {"csrf_token": self.csrf, **(data or {})}, status=status)


def shape(response, *ids) -> str:
    """A page without what differs between two responses anyway (CSP nonces) and the ids asked for."""
    text = NONCE.sub("", response.text)
    for oid in ids:  # in paths only: a user's login is also in the page's header
        text = text.replace("/" + oid, "/<ID>").replace("%2F" + oid, "%2F<ID>")
    return text


def stored(combo, oid):
    return combo.world.stored(combo.type, oid)


# ---------------------------------------------------------------- the matrix
@pytest.mark.parametrize(("type_name", "action", "scope"), CASES)
def test_matrix(world, type_name, action, scope):
    info = world.types[type_name]
    if action == "read":
        world.indexing = True
        try:
            combo = Combo(world, type_name, action, scope, attach=True)
        finally:
            world.indexing = False
        check_read(combo)
    elif action == "create":
        check_create(Combo(world, type_name, action, scope, sets=0))
    elif action == "edit":
        check_edit(Combo(world, type_name, action, scope, sets=2))
    elif action == "delete":
        check_delete(Combo(world, type_name, action, scope, sets=2))
    else:
        transitions = [t for t in (info.workflow.transitions if info.workflow else ())
                       if t.permission and info.action_of(t.permission) == action]
        operations = [op for op in info.operations if op.action == action]
        assert transitions or operations, f"{type_name}: no transition or operation exercises the action '{action}'"
        for transition in transitions:
            check_transition(Combo(world, type_name, action, scope, sets=2, status=transition.sources[0]),
                             transition.name)
        for op in operations:
            check_operation(Combo(world, type_name, action, scope, sets=2), op.name)


def check_read(c: Combo):
    app = c.client()
    t, reach = c.type, c.reach()
    records = c.sets[0]
    ours = set(records.values())
    expected = {oid for kind, oid in records.items() if kind in reach}
    missing = f"{c.tok}-missing"

    # detail page, API object, its feed and the attachment: 200, or the very 404 of a missing record
    # (pages of an administrative type the user may not read at all: 403, missing records alike)
    refused = 403 if c.info.admin and c.scope == "none" else 404
    absent_page = shape(app.get(f"/t/{t}/{missing}", status=refused), missing)
    absent_api = c.api("get", f"/{t}/{missing}", status=404).json
    absent_feed = c.api("get", f"/{t}/{missing}/feed", status=404).json
    for kind, oid in records.items():
        ok = kind in reach
        where = f"{t} {kind} record, read scope {c.scope}"
        page = app.get(f"/t/{t}/{oid}", status=200 if ok else refused)
        got = c.api("get", f"/{t}/{oid}", status=200 if ok else 404)
        feed = c.api("get", f"/{t}/{oid}/feed", status=200 if ok else 404)
        download = app.get(f"/t/{t}/{oid}/attachment/{c.entries[oid]}", status=200 if ok else 404)
        if ok:
            assert got.json["id"] == oid, where
            assert download.body == b"plain text\n", where
        else:
            assert shape(page, oid) == absent_page, where
            assert got.json == absent_api and feed.json == absent_feed, where
            assert shape(download, oid, c.entries[oid]) == shape(
                app.get(f"/t/{t}/{missing}/attachment/{c.entries[oid]}", status=404), missing, c.entries[oid]), where

    # list page, API list and export: exactly the reachable records
    exact = c.scope != "all" or c.info.personal
    total = len(expected) if exact else c.world.live_count(t)
    if c.scope == "none":
        listing = app.get(f"/t/{t}", status=refused)
        if refused == 404:
            assert shape(listing, t) == shape(app.get("/t/nosuchtype", status=404), "nosuchtype")
        c.api("get", f"/{t}", status=403)
        app.get(f"/t/{t}/export.csv", status=403)
    else:
        page = app.get(f"/t/{t}", {"sort": "-created", "limit": "200"})
        listed = set(re.findall(rf'href="[^"]*/t/{t}/([^/"?#]+)"', page.text))
        assert listed & ours == expected, f"list page of {t}, scope {c.scope}"
        body = c.api("get", f"/{t}?sort=-created&limit=500").json
        assert {i["id"] for i in body["items"]} & ours == expected
        assert body["total"] == total
        export = app.get(f"/t/{t}/export.csv", {"sort": "-created"})
        rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff")), delimiter=";"))[1:]
        assert {r[0] for r in rows} & ours == expected, f"export of {t}, scope {c.scope}"
        assert len(rows) == total

    # global search: the API and the results page find exactly the reachable records
    searchable = c.world.registry.procura_search.is_searchable(t)
    hits = c.api("get", f"/search?q={c.tok}&limit=100").json["items"]
    found = {h["id"] for h in hits if h["type"] == t}
    page = app.get("/search", {"q": c.tok})
    shown = set(re.findall(rf'data-type="{t}" data-id="([^"]+)"', page.text))
    for hits, channel in ((found, "API"), (shown, "page")):
        where = f"search {channel} over {t}, scope {c.scope}"
        assert hits & ours == (expected if searchable else set()), where
        if exact:  # nothing else of the type (with "all", the type's other records match the token too)
            assert hits == (expected if searchable else set()), where


def _form_fill(form, values):
    for name, value in values.items():
        form[name] = value


def check_create(c: Combo):
    app = c.client()
    t = c.type
    allowed = bool(c.reach())
    new = c.recipe.new(c.tok)
    before = c.world.live_count(t)
    page = app.get(f"/t/{t}/new", status=200 if allowed else 403)
    if allowed:
        form = page.forms[f"type-form-{t}"]
        if t == "user":
            form.fields["last"][0].value = "Newman"
        _form_fill(form, new)
        result = form.submit("save")
        assert result.status_int == 303, result.text[:3000]
    else:
        c.post(f"/t/{t}/new", {**new, "save": "save"}, status=403)
    api_new = c.recipe.new(c.tok + "x")
    if t == "user":
        api_new["name"] = {"last": "Newman", "first": "", "middle": ""}
    c.api("post", f"/{t}", api_new, status=201 if allowed else 403)
    assert c.world.live_count(t) == before + (2 if allowed else 0)


def check_edit(c: Combo):
    app = c.client()
    t, reach = c.type, c.reach()
    name, value = c.recipe.change
    for kind, oid in c.sets[0].items():
        ok = kind in reach
        before = stored(c, oid)
        page = app.get(f"/t/{t}/{oid}/edit", status=200 if ok else c.refused(kind))
        if ok:
            form = page.forms[f"type-form-{t}"]
            form[name] = value
            result = form.submit("save")
            assert result.status_int == 303, result.text[:3000]
            assert stored(c, oid)[name] == value
        else:
            c.post(f"/t/{t}/{oid}/edit", {name: value, "version": str(before["version"]), "save": "save"},
                   status=c.refused(kind))
            assert stored(c, oid) == before, f"{t} {kind}: a refused edit changed the record"
    edit_transitions = [tr for tr in (c.info.workflow.transitions if c.info.workflow else ())
                        if tr.permission is None and c.info.workflow.initial in tr.sources]
    for kind, oid in sorted(c.sets[1].items(), key=lambda kv: kv[0] == "own"):
        ok = kind in reach
        before = stored(c, oid)
        c.api("patch", f"/{t}/{oid}", {name: value}, status=200 if ok else c.refused(kind))
        for tr in edit_transitions:  # transitions without a permission of their own need "edit"
            c.api("post", f"/{t}/{oid}/actions/{tr.name}", status=200 if ok else c.refused(kind))
        after = stored(c, oid)
        if ok:
            assert after[name] == value
        else:
            assert after == before, f"{t} {kind}: a refused API edit changed the record"


def check_delete(c: Combo):
    c.client()
    t, reach = c.type, c.reach()
    for kind, oid in c.sets[0].items():
        ok = kind in reach
        c.post(f"/t/{t}/{oid}/delete", status=303 if ok else c.refused(kind))
        assert stored(c, oid)["deleted"] is ok, f"UI delete of the {kind} {t}, scope {c.scope}"
    for kind, oid in sorted(c.sets[1].items(), key=lambda kv: kv[0] == "own"):  # one's own user record last
        ok = kind in reach
        c.api("delete", f"/{t}/{oid}", status=204 if ok else c.refused(kind))
        assert stored(c, oid)["deleted"] is ok, f"API delete of the {kind} {t}, scope {c.scope}"


def check_transition(c: Combo, name):
    c.client()
    t, reach = c.type, c.reach()
    target = c.info.workflow.transition(name).target
    for kind, oid in c.sets[0].items():
        ok = kind in reach
        before = stored(c, oid)["status"]
        c.post(f"/t/{t}/{oid}/transition/{name}", {"comment": "ok"}, status=303)
        assert stored(c, oid)["status"] == (target if ok else before), f"UI {name} of the {kind} {t}"
    for kind, oid in c.sets[1].items():
        ok = kind in reach
        before = stored(c, oid)["status"]
        c.api("post", f"/{t}/{oid}/actions/{name}", {"comment": "ok"}, status=200 if ok else c.refused(kind))
        assert stored(c, oid)["status"] == (target if ok else before), f"API {name} of the {kind} {t}"


def check_operation(c: Combo, name):
    c.client()
    t, reach = c.type, c.reach()
    for kind, oid in c.sets[0].items():
        ok = kind in reach
        result = c.post(f"/t/{t}/{oid}/op/{name}", status="*")
        assert result.status_int == 303 if ok else result.status_int in (403, 404), result.status
        assert stored(c, oid)["escalations"] == (1 if ok else 0), f"UI {name} of the {kind} {t}"
    for kind, oid in c.sets[1].items():
        ok = kind in reach
        c.api("post", f"/{t}/{oid}/actions/{name}", status=200 if ok else c.refused(kind))
        assert stored(c, oid)["escalations"] == (1 if ok else 0), f"API {name} of the {kind} {t}"


# ---------------------------------------------------------------- acting without reading
@pytest.mark.parametrize(("type_name", "action"), BLIND)
def test_no_action_without_read(world, type_name, action):
    """A role that may act on every record but read none: nothing happens, and every channel
    answers 404 as for a record that does not exist."""
    info = world.types[type_name]
    status = None
    if info.workflow:
        sources = [tr.sources[0] for tr in info.workflow.transitions
                   if tr.permission and info.action_of(tr.permission) == action]
        status = sources[0] if sources else None
    c = Combo(world, type_name, action, "all", read="none", status=status)
    app = c.client()
    t = c.type
    name, value = c.recipe.change
    missing = f"{c.tok}-missing"
    absent = c.api("get", f"/{t}/{missing}", status=404).json
    refused = 403 if info.admin else 404  # pages of administrative types the user may not read
    for kind, oid in c.sets[0].items():
        before = stored(c, oid)
        where = f"{action} on the {kind} {t} without read"
        app.get(f"/t/{t}/{oid}", status=refused)
        app.get(f"/t/{t}/{oid}/edit", status=refused)
        c.post(f"/t/{t}/{oid}/edit", {name: value, "version": str(before["version"]), "save": "save"},
               status=refused)
        c.post(f"/t/{t}/{oid}/delete", status=refused)
        assert c.api("patch", f"/{t}/{oid}", {name: value}, status=404).json == absent, where
        assert c.api("delete", f"/{t}/{oid}", status=404).json == absent, where
        for tr in info.workflow.transitions if info.workflow else ():
            c.post(f"/t/{t}/{oid}/transition/{tr.name}", {"comment": "x"}, status=refused)
            assert c.api("post", f"/{t}/{oid}/actions/{tr.name}", {"comment": "x"}, status=404).json == absent
        for op in info.operations:
            c.post(f"/t/{t}/{oid}/op/{op.name}", status=refused)
            assert c.api("post", f"/{t}/{oid}/actions/{op.name}", status=404).json == absent, where
        assert stored(c, oid) == before, where


# ---------------------------------------------------------------- rules that bind administrators
def test_system_only_binds_administrators(world):
    """Nobody creates, edits or deletes sign-in events, administrators included; they may read them."""
    types = [info.name for info in world.types if info.system_only]
    assert "login_event" in types and "scheduled_job_run" in types  # the run history of scheduled jobs too
    tok = world.token()
    admin = create_test_user(world.registry, f"{tok}-admin", roles=["admin"])
    oid = world.system(lambda request: request.types.create(
        request.types.info("login_event"), RECIPES["login_event"].values(tok, "own", {})).id, login=admin)
    c = Combo.__new__(Combo)
    c.world, c.type = world, "login_event"
    app = c.client(admin)
    before = stored(c, oid)
    app.get(f"/t/login_event/{oid}", status=200)
    c.api("get", f"/login_event/{oid}", status=200)
    app.get("/t/login_event/new", status=403)
    c.post("/t/login_event/new", {"login": "forged", "save": "save"}, status=403)
    c.api("post", "/login_event", {"login": "forged"}, status=403)
    app.get(f"/t/login_event/{oid}/edit", status=403)
    c.post(f"/t/login_event/{oid}/edit", {"detail": "forged", "version": "1", "save": "save"}, status=403)
    c.api("patch", f"/login_event/{oid}", {"detail": "forged"}, status=403)
    c.post(f"/t/login_event/{oid}/delete", status=403)
    c.api("delete", f"/login_event/{oid}", status=403)
    c.post("/t/login_event/bulk", {"action": "delete", "ids": oid}, status=303)
    c.api("post", f"/login_event/{oid}/actions/copy", status=403)
    assert stored(c, oid) == before
    assert world.read(lambda root: sum(1 for e in root["types"]["login_event"].values() if e.login == "forged")) == 0


def test_roles_combine_to_the_widest_scope(world):
    """Two roles of one user ("own" and "team"): the widest scope wins."""
    c = Combo(world, "jotting", "read", "own", attach=False)
    other = f"{c.tok}-wide"
    create_test_user(world.registry, f"{c.tok}-spare", roles=[other])
    set_grants(world.registry, other, types={"jotting": {"read": "team"}})

    def give(request):
        user = request.app_root["types"]["user"][c.me]
        request.types.update(user, {"roles": (c.role, other)})

    world.system(give)
    c.client()
    ids = {i["id"] for i in c.api("get", "/jotting?limit=500").json["items"]}
    assert ids & set(c.sets[0].values()) == {c.sets[0]["own"], c.sets[0]["mate"]}


def test_team_scope_reaches_sub_teams(world):
    """A department's member with the scope "team" reaches the records of its sub-teams, not the
    other way round."""
    tok = world.token()
    reg = world.registry
    dept, sub = f"{tok}-dept", f"{tok}-sub"
    boss = create_test_user(reg, f"{tok}-boss", roles=[f"{tok}-role"], teams=[dept], fullname=f"{tok} Boss")
    worker = create_test_user(reg, f"{tok}-worker", roles=[f"{tok}-role"], teams=[sub], fullname=f"{tok} Worker")
    set_grants(reg, f"{tok}-role", types={"jotting": {"read": "team"}})
    world.system(lambda request: request.types.update(request.app_root["types"]["team"][sub], {"parent": dept}))
    mine = {}
    for login in (boss, worker):
        mine[login] = world.system(lambda request: request.types.create(
            request.types.info("jotting"), {"line": f"{tok} line"}).id, login=login)
    for login, expected in ((boss, {mine[boss], mine[worker]}), (worker, {mine[worker]})):
        c = Combo.__new__(Combo)
        c.world = world
        c.client(login)
        assert {i["id"] for i in c.api("get", "/jotting?limit=500").json["items"]} == expected, login
