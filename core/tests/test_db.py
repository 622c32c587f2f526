"""Opening the database, installing, schema version checks and `procura upgrade`.

Every test uses a FileStorage in tmp_path, so "nothing was written" is checked on the file itself
(its size and the storage's last transaction id) rather than trusted.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
import transaction
from persistent.mapping import PersistentMapping
from procura import hookimpl, make_app
from procura.addons import Addon, EvolveStep, make_plugin_manager
from procura.content import APP_KEY
from procura.db import DatabaseError, bootstrap, check_versions, open_db, upgrade
from procura.testing import make_settings

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
REAL_ADDONS = {"suppliers", "contracts", "helpdesk", "courier", "kb", "portal"}


def _load_fake_addons():
    spec = importlib.util.spec_from_file_location("procura_fake_addons", FIXTURES / "fake_addons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fake = _load_fake_addons()


# ---------------------------------------------------------------- helpers


class EvolvePlugin:
    """Hook implementations of a fake addon ``name`` with evolve steps 1..versions.

    Each step appends ``(name, version)`` to ``root.system['evolved']``; ``fail_at`` raises after
    appending, so a rollback is visible.
    """

    def __init__(self, name, versions, fail_at=None):
        self.name, self.versions, self.fail_at = name, versions, fail_at

    def _run(self, version):
        def run(root):
            root.system["evolved"] = list(root.system.get("evolved", [])) + [(self.name, version)]
            if version == self.fail_at:
                raise RuntimeError(f"step {version} of {self.name} is broken")
        return run

    @hookimpl
    def procura_evolve_steps(self):
        return [EvolveStep(self.name, v, f"{self.name} step {v}", self._run(v))
                for v in range(1, self.versions + 1)]

    @hookimpl
    def procura_install(self, root, addon):
        if addon == self.name:
            root.system["installed"] = list(root.system.get("installed", [])) + [addon]


def fake_addon(name, *depends):
    return Addon(name=name, title=name, version="1.0", depends=list(depends), package=f"fk_{name}_pkg")


def plugin_manager(*plugins):
    pm = make_plugin_manager([])
    for plugin in plugins:
        pm.register(plugin, name=f"test-{plugin.name}")
    return pm


def file_uri(tmp_path):
    return f"file://{tmp_path}/Data.fs"


def fs_state(tmp_path):
    """(size of Data.fs, last transaction id): both change on any commit."""
    path = tmp_path / "Data.fs"
    from ZODB.FileStorage import FileStorage

    storage = FileStorage(str(path), read_only=True)
    try:
        last = storage.lastTransaction()
    finally:
        storage.close()
    return os.path.getsize(path), last


def edit_app_root(tmp_path, change):
    """Open the FileStorage, call change(app_root), commit, close."""
    db = open_db(file_uri(tmp_path))
    try:
        tm = transaction.TransactionManager()
        conn = db.open(tm)
        with tm:
            change(conn.root()[APP_KEY])
        conn.close()
    finally:
        db.close()


def read_app_root(tmp_path, read):
    db = open_db(file_uri(tmp_path))
    try:
        conn = db.open()
        try:
            return read(conn.root()[APP_KEY])
        finally:
            conn.close()
    finally:
        db.close()


def transaction_notes(tmp_path):
    from ZODB.FileStorage import FileStorage

    storage = FileStorage(str(tmp_path / "Data.fs"), read_only=True)
    try:
        return [t.description.decode() for t in storage.iterator()]
    finally:
        storage.close()


@pytest.fixture
def fs_db(tmp_path):
    db = open_db(file_uri(tmp_path))
    yield db
    db.close()


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A folder on sys.path for fake addon distributions (found by make_app's discovery)."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("fk_")]:
        del sys.modules[name]


def settings_for(tmp_path, **overrides):
    return make_settings(tmp_path, **{"procura.zodb_uri": file_uri(tmp_path), **overrides})


# ---------------------------------------------------------------- installing


def test_fresh_database_is_installed_with_versions_of_core_and_addons(tmp_path):
    app = make_app(settings_for(tmp_path))
    app.registry._zodb_databases[""].close()

    versions = read_app_root(tmp_path, lambda root: dict(root.schema_versions))
    assert set(versions) == {"procura"} | REAL_ADDONS
    assert all(v == 0 for v in versions.values())
    assert read_app_root(tmp_path, lambda root: {"user", "team", "role"} <= set(root["types"]))
    assert any(note.startswith("procura install procura") for note in transaction_notes(tmp_path))


def test_fresh_install_records_the_code_version_without_running_steps(fs_db, tmp_path):
    pm = plugin_manager(EvolvePlugin("fk_evo", 3))
    installed = bootstrap(fs_db, [fake_addon("fk_evo")], pm)
    assert installed == ["procura", "fk_evo"]
    conn = fs_db.open()
    app = conn.root()[APP_KEY]
    assert dict(app.schema_versions) == {"procura": 0, "fk_evo": 3}
    assert app.system["installed"] == ["fk_evo"]
    assert "evolved" not in app.system  # a fresh database is already at the current schema
    conn.close()


def test_second_bootstrap_installs_nothing_and_writes_nothing(fs_db, tmp_path):
    pm = plugin_manager(EvolvePlugin("fk_evo", 2))
    bootstrap(fs_db, [fake_addon("fk_evo")], pm)
    before = fs_db.storage.lastTransaction()
    size = os.path.getsize(tmp_path / "Data.fs")
    assert bootstrap(fs_db, [fake_addon("fk_evo")], pm) == []
    assert fs_db.storage.lastTransaction() == before
    assert os.path.getsize(tmp_path / "Data.fs") == size


def test_an_addon_new_to_the_database_is_installed_alone(fs_db):
    bootstrap(fs_db, [fake_addon("fk_one")], plugin_manager(EvolvePlugin("fk_one", 1)))
    pm = plugin_manager(EvolvePlugin("fk_one", 1), EvolvePlugin("fk_two", 2))
    assert bootstrap(fs_db, [fake_addon("fk_one"), fake_addon("fk_two")], pm) == ["fk_two"]
    conn = fs_db.open()
    app = conn.root()[APP_KEY]
    assert dict(app.schema_versions) == {"procura": 0, "fk_one": 1, "fk_two": 2}
    assert app.system["installed"] == ["fk_one", "fk_two"]
    conn.close()


# ---------------------------------------------------------------- version checks


def test_database_newer_than_the_code_is_refused_by_make_app(tmp_path):
    make_app(settings_for(tmp_path)).registry._zodb_databases[""].close()
    edit_app_root(tmp_path, lambda root: root.schema_versions.__setitem__("kb", 5))
    before = fs_state(tmp_path)

    with pytest.raises(DatabaseError) as err:
        make_app(settings_for(tmp_path))
    message = str(err.value)
    assert "newer" in message
    assert "kb 5 > 0" in message
    assert fs_state(tmp_path) == before
    # make_app closed the database it opened: the file is not left locked.
    read_app_root(tmp_path, lambda root: None)


def test_database_newer_than_the_code_is_refused_by_bootstrap(fs_db):
    addons = [fake_addon("fk_evo")]
    bootstrap(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 4)))
    before = fs_db.storage.lastTransaction()
    with pytest.raises(DatabaseError, match="newer.*fk_evo 4 > 2"):
        bootstrap(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 2)))
    assert fs_db.storage.lastTransaction() == before


def test_database_older_than_the_code_is_refused_by_bootstrap(fs_db):
    addons = [fake_addon("fk_evo")]
    bootstrap(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 1)))
    before = fs_db.storage.lastTransaction()
    with pytest.raises(DatabaseError) as err:
        bootstrap(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 3)))
    message = str(err.value)
    assert "fk_evo 1 < 3" in message
    assert "procura upgrade" in message
    assert fs_db.storage.lastTransaction() == before


def test_database_older_than_an_installed_addon_is_refused_by_make_app(tmp_path, fake_site):
    fake.write_addon(fake_site, "fk_evo", hooks=fake.evolve_hooks("fk_evo", 3))
    make_app(settings_for(tmp_path)).registry._zodb_databases[""].close()
    assert read_app_root(tmp_path, lambda root: root.schema_versions["fk_evo"]) == 3
    edit_app_root(tmp_path, lambda root: root.schema_versions.__setitem__("fk_evo", 1))
    before = fs_state(tmp_path)

    with pytest.raises(DatabaseError) as err:
        make_app(settings_for(tmp_path))
    assert "fk_evo 1 < 3" in str(err.value)
    assert "procura upgrade" in str(err.value)
    assert fs_state(tmp_path) == before


def test_version_of_a_disabled_addon_is_not_checked(tmp_path):
    make_app(settings_for(tmp_path)).registry._zodb_databases[""].close()
    edit_app_root(tmp_path, lambda root: root.schema_versions.__setitem__("kb", 5))
    app = make_app(settings_for(tmp_path, **{"procura.addons.disabled": "kb"}))
    app.registry._zodb_databases[""].close()


def test_procura_database_without_version_record_is_refused(fs_db):
    bootstrap(fs_db, [], plugin_manager())
    tm = transaction.TransactionManager()
    conn = fs_db.open(tm)
    with tm:
        del conn.root()[APP_KEY].schema_versions
    before = fs_db.storage.lastTransaction()
    with pytest.raises(DatabaseError, match="no schema version record"):
        bootstrap(fs_db, [], plugin_manager())
    assert fs_db.storage.lastTransaction() == before
    conn.close()


def test_foreign_zodb_is_refused_and_left_alone(tmp_path):
    db = open_db(file_uri(tmp_path))
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    with tm:
        conn.root()["catalog"] = PersistentMapping(size=3)
        conn.root()["wiki"] = PersistentMapping()
    conn.close()
    db.close()
    before = fs_state(tmp_path)

    with pytest.raises(DatabaseError) as err:
        make_app(settings_for(tmp_path))
    message = str(err.value)
    assert "not a Procura database" in message
    assert "catalog" in message and "wiki" in message
    assert fs_state(tmp_path) == before

    db = open_db(file_uri(tmp_path))
    conn = db.open()
    assert sorted(conn.root().keys()) == ["catalog", "wiki"]
    conn.close()
    db.close()


def test_empty_zodb_is_accepted(fs_db):
    conn = fs_db.open()
    assert check_versions(conn.root(), [fake_addon("fk_evo")], plugin_manager()) == ["procura", "fk_evo"]
    conn.close()


# ---------------------------------------------------------------- bad URIs


def test_unknown_uri_scheme(tmp_path):
    with pytest.raises(DatabaseError) as err:
        open_db("foo://x")
    assert "Unknown database URI scheme 'foo'" in str(err.value)
    assert "file://" in str(err.value)  # says what would work
    with pytest.raises(DatabaseError, match="scheme 'foo'"):
        make_app(make_settings(tmp_path, **{"procura.zodb_uri": "foo://x"}))


def test_filestorage_in_a_missing_folder(tmp_path):
    uri = f"file://{tmp_path}/no/such/folder/Data.fs"
    with pytest.raises(DatabaseError) as err:
        open_db(uri)
    assert "Cannot open the database" in str(err.value)
    assert f"{tmp_path}/no/such/folder/Data.fs" in str(err.value)
    assert not (tmp_path / "no").exists()


def test_file_that_is_not_a_filestorage(tmp_path):
    path = tmp_path / "Data.fs"
    path.write_bytes(b"this is a spreadsheet, not a database\n")
    with pytest.raises(DatabaseError) as err:
        open_db(file_uri(tmp_path))
    assert "Cannot open the database" in str(err.value)
    assert "FileStorageFormatError" in str(err.value)
    assert path.read_bytes() == b"this is a spreadsheet, not a database\n"


def test_unknown_uri_option(tmp_path):
    with pytest.raises(DatabaseError, match="Invalid database URI .*cache_size"):
        open_db(file_uri(tmp_path) + "?cache_size=abc")


def test_password_is_not_shown_in_uri_errors():
    with pytest.raises(DatabaseError) as err:
        open_db("foo://user:hunter2@db.example/x")
    assert "hunter2" not in str(err.value)


# ---------------------------------------------------------------- procura upgrade


def install_at(db, plugins, addons, stored: dict):
    """Install with ``plugins`` and then set the stored versions to ``stored``."""
    bootstrap(db, addons, plugin_manager(*plugins))
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    with tm:
        conn.root()[APP_KEY].schema_versions.update(stored)
    conn.close()


def stored_state(db):
    conn = db.open()
    try:
        app = conn.root()[APP_KEY]
        return dict(app.schema_versions), list(app.system.get("evolved", []))
    finally:
        conn.close()


def test_upgrade_runs_pending_steps_in_order_one_transaction_each(fs_db, tmp_path):
    addons = [fake_addon("fk_evo")]
    install_at(fs_db, [EvolvePlugin("fk_evo", 1)], addons, {})
    lines = []
    count = upgrade(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 4)), echo=lines.append)

    assert count == 3
    versions, evolved = stored_state(fs_db)
    assert versions["fk_evo"] == 4
    assert evolved == [("fk_evo", 2), ("fk_evo", 3), ("fk_evo", 4)]
    assert [line.strip() for line in lines] == ["fk_evo 2: fk_evo step 2", "fk_evo 3: fk_evo step 3",
                                                "fk_evo 4: fk_evo step 4"]
    notes = transaction_notes(tmp_path)
    assert notes[-3:] == ["procura upgrade fk_evo to 2", "procura upgrade fk_evo to 3",
                          "procura upgrade fk_evo to 4"]
    # Now start-up accepts it, and a second upgrade has nothing to do.
    assert bootstrap(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 4))) == []
    assert upgrade(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 4)), echo=lines.append) == 0


def test_upgrade_runs_core_first_then_addons_in_dependency_order(fs_db):
    addons = [fake_addon("fk_base"), fake_addon("fk_top", "fk_base")]
    old = [EvolvePlugin("procura", 1), EvolvePlugin("fk_base", 1), EvolvePlugin("fk_top", 1)]
    install_at(fs_db, old, addons, {})
    new = [EvolvePlugin("fk_top", 3), EvolvePlugin("fk_base", 2), EvolvePlugin("procura", 2)]
    assert upgrade(fs_db, addons, plugin_manager(*new), echo=lambda line: None) == 4
    versions, evolved = stored_state(fs_db)
    assert evolved == [("procura", 2), ("fk_base", 2), ("fk_top", 2), ("fk_top", 3)]
    assert versions == {"procura": 2, "fk_base": 2, "fk_top": 3}


def test_failing_step_leaves_the_version_of_the_last_successful_step(fs_db, tmp_path):
    addons = [fake_addon("fk_evo")]
    install_at(fs_db, [EvolvePlugin("fk_evo", 1)], addons, {})
    expected = "Evolve step fk_evo 3 .*step 3 of fk_evo is broken.*stays at fk_evo schema 2"
    with pytest.raises(DatabaseError, match=expected):
        upgrade(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 4, fail_at=3)), echo=lambda line: None)
    versions, evolved = stored_state(fs_db)
    assert versions["fk_evo"] == 2
    assert evolved == [("fk_evo", 2)]  # step 3's own change was rolled back with it
    assert "procura upgrade fk_evo to 3" not in transaction_notes(tmp_path)
    # Start-up still refuses it...
    with pytest.raises(DatabaseError, match="fk_evo 2 < 4"):
        bootstrap(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 4)))
    # ...and a fixed release continues where the failed run stopped.
    assert upgrade(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 4)), echo=lambda line: None) == 2
    versions, evolved = stored_state(fs_db)
    assert versions["fk_evo"] == 4
    assert evolved == [("fk_evo", 2), ("fk_evo", 3), ("fk_evo", 4)]


def test_upgrade_refuses_a_newer_database_and_writes_nothing(fs_db):
    addons = [fake_addon("fk_evo")]
    install_at(fs_db, [EvolvePlugin("fk_evo", 5)], addons, {})
    before = fs_db.storage.lastTransaction()
    with pytest.raises(DatabaseError, match="newer"):
        upgrade(fs_db, addons, plugin_manager(EvolvePlugin("fk_evo", 3)), echo=lambda line: None)
    assert fs_db.storage.lastTransaction() == before


def test_upgrade_of_an_empty_database_says_to_init(fs_db):
    with pytest.raises(DatabaseError, match="procura init"):
        upgrade(fs_db, [], plugin_manager(), echo=lambda line: None)


def test_upgrade_also_installs_addons_new_to_the_database(fs_db):
    install_at(fs_db, [EvolvePlugin("fk_evo", 1)], [fake_addon("fk_evo")], {})
    addons = [fake_addon("fk_evo"), fake_addon("fk_new")]
    pm = plugin_manager(EvolvePlugin("fk_evo", 2), EvolvePlugin("fk_new", 3))
    assert upgrade(fs_db, addons, pm, echo=lambda line: None) == 1
    versions, evolved = stored_state(fs_db)
    assert versions == {"procura": 0, "fk_evo": 2, "fk_new": 3}
    assert evolved == [("fk_evo", 2)]


def test_duplicate_step_versions_are_refused(fs_db):
    class Twice(EvolvePlugin):
        @hookimpl
        def procura_evolve_steps(self):
            return [EvolveStep(self.name, 1, "one", self._run(1)), EvolveStep(self.name, 1, "again", self._run(1))]

    with pytest.raises(DatabaseError, match="fk_dup.*same evolve step version twice"):
        bootstrap(fs_db, [fake_addon("fk_dup")], plugin_manager(Twice("fk_dup", 1)))
