"""Global search (procura.search): Russian and English word forms, updates after commit, removal
after trash/purge, the reader's permissions, the search types setting, the Celery path, the
results page and `procura reindex`.

Runs on the test-only type "gadget" (sampletype.py) and, for the types setting, a type "memo"
declared with ``searchable=False`` (search_hooks.py).
"""
from __future__ import annotations

import contextlib

import pytest
import transaction
from procura.content import APP_KEY
from procura.search import tasks
from procura.search.service import StaleRead
from procura.testing import make_settings
from procura.types import access
from procura.types.content import container_for

BASE = {"procura.extra_hooks": "sampletype,search_hooks", "procura.addons.disabled": "*"}


@pytest.fixture
def procura_overrides():
    return dict(BASE)


@contextlib.contextmanager
def acting(app, login):
    """A request signed in as ``login``: yields its TypeService; commits at the end (events fire)."""
    from pyramid.request import Request
    from pyramid.scripting import prepare

    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    request.tm.begin()
    request.session["userid"] = login
    try:
        yield request.types
        request.tm.commit()
    except BaseException:
        request.tm.abort()
        raise
    finally:
        env["closer"]()


@contextlib.contextmanager
def reader(app, login):
    """A read-only request signed in as ``login``."""
    from pyramid.request import Request
    from pyramid.scripting import prepare

    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    request.tm.begin()
    request.session["userid"] = login
    try:
        yield request
    finally:
        request.tm.abort()
        env["closer"]()


def create(app, login="anna", **values):
    with acting(app, login) as svc:
        info = svc.info("gadget")
        obj = svc.create(info, svc.validate_json(info, values))
        return obj.id


def found(app, q, login="anna", **kw):
    with reader(app, login) as request:
        hits, _total = request.registry.procura_search.search(request, q, **kw)
        return [h["id"] for h in hits]


@pytest.fixture
def users(make_user):
    make_user("anna")
    make_user("bob")
    return ("anna", "bob")


# ---------------------------------------------------------------- analysis


def test_russian_and_english_word_forms_match(app, users):
    ru = create(app, name="Договор поставки насосов", notes="Согласование с юристами, ёмкость 5 м³")
    en = create(app, name="Pump supply", notes="Framework contracts for pumping stations")
    assert found(app, "договор") == [ru]
    assert found(app, "договорами") == [ru]
    assert found(app, "поставка насоса") == [ru]  # every word, each in any of its forms
    assert found(app, "емкость") == [ru]  # «ё» and «е» are the same letter for search
    assert found(app, "contract") == [en]
    assert found(app, "contracts pumps") == [en]
    assert found(app, "pumping") == [en]
    assert found(app, "договор contract") == []
    assert found(app, "договор и поставка") == [ru]  # stop words of either language are skipped
    assert found(app, "the contracts") == [en]
    assert found(app, "договор OR contract") and len(found(app, "договор OR contract")) == 2
    # people's text, not a query language: no bare *, no field:value on internal fields
    assert found(app, "*") == [] and found(app, "owner:anna") == [] and found(app, "status:new") == []
    assert found(app, "") == [] and found(app, "   ") == []


def test_a_hit_carries_type_title_url_and_the_id_is_searchable(app, users):
    oid = create(app, name="Клапан обратный")
    with reader(app, "anna") as request:
        hits, total = request.registry.procura_search.search(request, "клапаны")
        assert total == 1
        hit = hits[0]
        assert hit["type"] == "gadget" and hit["id"] == oid and hit["title"] == "Клапан обратный"
        assert hit["url"].endswith(f"/t/gadget/{oid}") and hit["score"] > 0
        assert request.registry.procura_search.search_ids(request, "gadget", oid) == [oid]


# ---------------------------------------------------------------- after commit


def test_an_edit_is_found_under_its_new_words_only(app, users):
    oid = create(app, name="Alpha widget")
    assert found(app, "alpha") == [oid]
    with acting(app, "anna") as svc:
        info = svc.info("gadget")
        obj = svc.get(info, oid)
        svc.update(obj, svc.validate_json(info, {"name": "Бета виджет"}, obj, partial=True))
    assert found(app, "alpha") == []
    assert found(app, "бета") == [oid]


def test_a_rolled_back_change_is_not_indexed(app, users):
    with pytest.raises(RuntimeError), acting(app, "anna") as svc:
        info = svc.info("gadget")
        svc.create(info, svc.validate_json(info, {"name": "Призрак"}))
        raise RuntimeError("roll back")
    assert found(app, "призрак") == []


def test_trash_removes_restore_brings_back_purge_removes(app, users):
    oid = create(app, name="Фильтр сетчатый")
    assert found(app, "фильтры") == [oid]
    with acting(app, "anna") as svc:
        svc.delete(svc.get(svc.info("gadget"), oid))
    assert found(app, "фильтры") == []
    with acting(app, "anna") as svc:
        svc.restore(svc.get(svc.info("gadget"), oid, deleted=True))
    assert found(app, "фильтры") == [oid]
    with acting(app, "anna") as svc:
        obj = svc.get(svc.info("gadget"), oid)
        svc.delete(obj)
        svc.purge(obj)
    assert found(app, "фильтры") == []
    assert f"gadget:{oid}" not in app.registry.procura_search.index.all_uids()


# ---------------------------------------------------------------- permissions


def test_hits_the_reader_may_not_read_never_appear(app, users, monkeypatch):
    ids = [create(app, name=f"Задвижка {n}", notes="secret" if n % 3 == 0 else "") for n in range(12)]
    secret = {ids[n] for n in range(12) if n % 3 == 0}
    real_can = access.can

    def can(request, action, info, obj=None):
        user = request.identity
        if obj is not None and user is not None and user.login == "bob" and obj.notes == "secret":
            return False
        return real_can(request, action, info, obj)

    monkeypatch.setattr(access, "can", can)
    assert set(found(app, "задвижка", "anna", limit=50)) == set(ids)
    bobs = found(app, "задвижка", "bob", limit=50)
    assert set(bobs) == set(ids) - secret
    with reader(app, "bob") as request:
        service = request.registry.procura_search
        hits, total = service.search(request, "задвижка", limit=3, offset=0)
        assert total == 8 and len(hits) == 3  # the count never includes denied hits
        pages = [h["id"] for off in range(0, 8, 3) for h in service.search(request, "задвижка", limit=3, offset=off)[0]]
        assert len(pages) == 8 and set(pages) == set(ids) - secret  # pages stay full and do not overlap


def test_a_user_who_may_not_read_the_type_finds_nothing(app, users, monkeypatch):
    oid = create(app, name="Редуктор")
    real_can = access.can
    monkeypatch.setattr(access, "can", lambda request, action, info, obj=None: (
        False if request.identity and request.identity.login == "bob" else real_can(request, action, info, obj)))
    assert found(app, "редуктор", "anna") == [oid]
    assert found(app, "редуктор", "bob") == []
    with reader(app, "bob") as request:
        assert request.registry.procura_search.search_ids(request, "gadget", "редуктор") == []


def test_search_ids_restrict_a_list_query(app, users):
    from procura.types.query import ListQuery, run_query

    a = create(app, name="Шланг напорный", quantity=5)
    create(app, name="Шланг всасывающий", quantity=50)
    create(app, name="Хомут", quantity=5)
    with reader(app, "anna") as request:
        ids = request.registry.procura_search.search_ids(request, "gadget", "шланги")
        assert len(ids) == 2
        info = request.registry.procura_types["gadget"]
        result = run_query(request, info, ListQuery(filters={"quantity": ["5"]}, ids=set(ids)))
        assert [o.id for o in result.items] == [a]


# ---------------------------------------------------------------- which types


def test_types_not_declared_searchable_stay_out_of_the_index(app, users):
    with acting(app, "anna") as svc:
        svc.create(svc.info("memo"), {"subject": "Протокол совещания"})
    service = app.registry.procura_search
    assert "gadget" in service.type_names and "memo" not in service.type_names
    assert found(app, "протокол") == []
    assert service.index.doc_count("memo") == 0


@pytest.mark.parametrize(("setting", "expected"), [("memo", ["memo"]), ("gadget, memo", ["gadget", "memo"]),
                                                   ("nothing_like_it", [])])
def test_the_search_types_setting_chooses_the_types(tmp_path, setting, expected, make_user):
    from procura import make_app
    from procura.db import open_db

    settings = make_settings(tmp_path / "other", **BASE, **{"procura.search.types": setting})
    db = open_db(settings["procura.zodb_uri"])
    try:
        app = make_app(settings, db=db)
        assert app.registry.procura_search.type_names == expected
        from procura.testing import create_test_user

        create_test_user(app.registry, "anna")
        with acting(app, "anna") as svc:
            svc.create(svc.info("memo"), {"subject": "Протокол совещания"})
            svc.create(svc.info("gadget"), {"name": "Протокол испытаний"})
        with reader(app, "anna") as request:
            hits, _total = app.registry.procura_search.search(request, "протокол")
        assert sorted(h["type"] for h in hits) == expected
    finally:
        db.close()


# ---------------------------------------------------------------- the worker's path


def test_commits_queue_jobs_and_the_job_indexes_what_the_database_holds(app, users, procura_db,
                                                                         procura_settings, monkeypatch):
    from procura import jobs

    service = app.registry.procura_search
    monkeypatch.setattr(service, "sync", False)
    queued = []
    monkeypatch.setattr(tasks.index_object, "apply_async", lambda args: queued.append(("index", *args)))
    monkeypatch.setattr(tasks.remove_object, "apply_async", lambda args: queued.append(("remove", *args)))
    oid = create(app, name="Компрессор винтовой")
    assert queued == [("index", "gadget", oid, 1)]
    assert found(app, "компрессор") == []  # nothing is indexed in the web process
    # the worker: same settings and database
    monkeypatch.setitem(jobs._state, "settings", procura_settings)
    monkeypatch.setitem(jobs._state, "db", procura_db)
    monkeypatch.setitem(jobs._state, "pid", __import__("os").getpid())
    monkeypatch.setitem(tasks._state, "service", None)
    assert tasks.index_object("gadget", oid, 1) == {"indexed": 1, "removed": 0}
    assert found(app, "компрессоры") == [oid]
    assert tasks.index_object("gadget", oid, 1) == {"indexed": 1, "removed": 0}  # idempotent
    assert found(app, "компрессоры") == [oid]
    with acting(app, "anna") as svc:
        svc.delete(svc.get(svc.info("gadget"), oid))
    assert queued[-1] == ("remove", "gadget", oid, 2)
    assert tasks.remove_object("gadget", oid, 2) == {"indexed": 0, "removed": 1}
    assert found(app, "компрессоры") == []
    with acting(app, "anna") as svc:
        svc.restore(svc.get(svc.info("gadget"), oid, deleted=True))
    # a late "remove" delivered after the restore follows the database, not the message
    assert tasks.remove_object("gadget", oid, 2) == {"indexed": 1, "removed": 0}
    assert found(app, "компрессоры") == [oid]


def test_a_job_that_reads_an_older_state_than_its_commit_refuses(app, users, procura_db):
    oid = create(app, name="Насос")
    conn = procura_db.open(transaction.TransactionManager())
    try:
        root = conn.root()[APP_KEY]
        with pytest.raises(StaleRead):
            app.registry.procura_search.sync_objects(root, [("gadget", oid)], {("gadget", oid): 5})
    finally:
        conn.close()


# ---------------------------------------------------------------- the page


def test_results_page_and_search_box(testapp, users, login, app):
    oid = create(app, name="Договор аренды склада")
    login(testapp, "anna")
    home = testapp.get("/")
    box = home.html.find("form", attrs={"role": "search"})
    assert box is not None and box["action"].endswith("/search") and box.find("input", attrs={"name": "q"})
    page = testapp.get("/search", params={"q": "договорами"})
    hits = page.html.select("#search-results .search-hit")
    assert [h["data-id"] for h in hits] == [oid]
    assert hits[0].find("a")["href"].endswith(f"/t/gadget/{oid}")
    empty = testapp.get("/search", params={"q": "нетничего"})
    assert empty.html.find(id="search-nothing") is not None
    assert testapp.get("/search").html.find(id="search-empty") is not None


def test_results_page_needs_a_sign_in(testapp):
    response = testapp.get("/search", params={"q": "x"}, status="*")
    assert response.status_int in (302, 303, 401, 403)


# ---------------------------------------------------------------- procura reindex


def test_reindex_rebuilds_catalog_and_index_from_the_database(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from procura.cli import main
    from procura.db import open_db
    from procura.search.index import SearchIndex
    from procura.types.query import ListQuery, run_query

    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("PROCURA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PROCURA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PROCURA_EXTRA_HOOKS", "sampletype,search_hooks")
    monkeypatch.setenv("PROCURA_ADDONS_DISABLED", "*")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    settings = make_settings(tmp_path, **BASE)
    settings = {**settings, "procura.zodb_uri": f"file://{tmp_path}/var/Data.fs?blobstorage_dir={tmp_path}/var/blobs"}
    from procura.addons import load
    from procura.types.registry import collect_types

    info = collect_types(load(settings)[2])["gadget"]
    db = open_db(settings["procura.zodb_uri"])
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    container = container_for(conn.root()[APP_KEY], "gadget")
    for n in range(30):  # written behind the service's back: neither catalog nor index knows them
        obj = info.content_class("gadget")
        obj.name, obj.notes, obj.status, obj.version = f"Подшипник {n}", "", "new", 1
        container.add(f"GDG-{n:04}", obj)
    tm.commit()
    conn.close()
    db.close()

    result = runner.invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "Catalog gadget: 30 object(s)" in result.output and "Search index: 30 document(s)" in result.output
    index = SearchIndex(str(tmp_path / "var" / "index"))
    assert index.doc_count("gadget") == 30
    with index.searcher() as s:
        assert len(s.search(index.query("подшипники"), limit=None)) == 30

    result = runner.invoke(main, ["reindex", "--type", "gadget", "--no-catalog"])
    assert result.exit_code == 0, result.output
    assert "Catalog" not in result.output and index.doc_count("gadget") == 30

    bad = runner.invoke(main, ["reindex", "--type", "nope"])
    assert bad.exit_code == 1 and "Unknown type(s): nope" in bad.output

    db = open_db(settings["procura.zodb_uri"])
    try:
        from procura import make_app
        from pyramid.request import Request
        from pyramid.scripting import prepare

        app = make_app({**settings, "_procura_owns_db": False}, db=db)
        request = Request.blank("/")
        env = prepare(request=request, registry=app.registry)
        request.procura_system = True  # the rebuilt catalog, read without a user's scope
        try:
            assert run_query(request, info, ListQuery(sort="title")).total == 30
        finally:
            env["closer"]()
    finally:
        db.close()
