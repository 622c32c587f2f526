"""Opening the object database from a URI, bootstrapping it, and schema versions.

Start-up refuses, with one clear message, a database it cannot open, a ZODB that is not a Procura
database, and a database whose stored schema version of any enabled addon is newer than the code
(written by a newer release) or older (run ``procura upgrade``). Nothing is written before these
checks pass.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager

import transaction
import ZODB
import zodburi

from procura.addons import Addon, EvolveStep
from procura.content import APP_KEY, Root
from procura.settings import redact_uri

log = logging.getLogger(__name__)
CORE = "procura"


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what to do."""


def open_db(uri: str) -> ZODB.DB:
    try:
        factory, dbkw = zodburi.resolve_uri(uri)
    except zodburi.NoResolverForScheme:
        scheme = uri.split(":", 1)[0] if ":" in uri else uri
        raise DatabaseError(
            f"Unknown database URI scheme '{scheme}' in {redact_uri(uri)}; use file://, zeo:// or "
            "postgres:// (see the README, Configuration)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - zodburi raises plain ValueError/KeyError for bad options
        raise DatabaseError(f"Invalid database URI {redact_uri(uri)}: {one_line(exc)}") from None
    try:
        with quiet_driver_warnings():
            storage = factory()
    except Exception as exc:  # noqa: BLE001 - every driver has its own exceptions
        raise DatabaseError(
            f"Cannot open the database {redact_uri(uri)}: {exc.__class__.__name__}: {one_line(exc)}"
        ) from None
    try:
        return ZODB.DB(storage, **dbkw)
    except Exception as exc:  # noqa: BLE001
        storage.close()
        raise DatabaseError(f"Cannot open the database {redact_uri(uri)}: {one_line(exc)}") from None


def one_line(exc: BaseException) -> str:
    """A driver's message on one line (psycopg2's span several, with tabs)."""
    return " ".join(str(exc).split())


@contextmanager
def quiet_driver_warnings():
    """RelStorage logs a failed connection as a warning and then raises it; the error is enough."""
    logger = logging.getLogger("relstorage")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def target_versions(addons: list[Addon], pm) -> dict[str, int]:
    steps = collect_steps(pm)
    names = [CORE] + [a.name for a in addons]
    return {n: max((s.version for s in steps.get(n, [])), default=0) for n in names}


def collect_steps(pm) -> dict[str, list[EvolveStep]]:
    steps: dict[str, list[EvolveStep]] = {}
    for result in pm.hook.procura_evolve_steps():
        for step in result or []:
            steps.setdefault(step.addon, []).append(step)
    for name, items in steps.items():
        versions = [s.version for s in items]
        if len(set(versions)) != len(versions):
            raise DatabaseError(f"Addon '{name}' declares the same evolve step version twice: {sorted(versions)}")
        items.sort(key=lambda s: s.version)
    return steps


def check_versions(zodb_root, addons: list[Addon], pm) -> list[str]:
    """Names (core and addons, in order) not yet installed in this database.

    Raises DatabaseError for a foreign database or a version mismatch. Writes nothing.
    """
    if APP_KEY not in zodb_root:
        foreign = [k for k in zodb_root.keys() if not str(k).startswith("_")]
        if foreign:
            raise DatabaseError(
                "This ZODB is not a Procura database (its root holds: "
                + ", ".join(sorted(map(str, foreign))[:10])
                + "); point procura.zodb_uri at a Procura database or an empty one"
            )
        return [CORE] + [a.name for a in addons]
    app = zodb_root[APP_KEY]
    stored = getattr(app, "schema_versions", None)
    if stored is None:
        raise DatabaseError("The Procura database has no schema version record; it is damaged or of an unknown release")
    targets = target_versions(addons, pm)
    newer, older, missing = [], [], []
    for name, target in targets.items():
        have = stored.get(name)
        if have is None:
            missing.append(name)
        elif have > target:
            newer.append(f"{name} {have} > {target}")
        elif have < target:
            older.append(f"{name} {have} < {target}")
    if newer:
        raise DatabaseError(
            "The database was written by a newer Procura release than this one (schema "
            + ", ".join(newer)
            + "); install that release or restore a backup made for this one"
        )
    if older:
        raise DatabaseError(
            "The database needs an upgrade before this release can use it (schema "
            + ", ".join(older)
            + "); run: procura upgrade"
        )
    return missing


def install(zodb_root, names: list[str], addons: list[Addon], pm) -> None:
    """Create the root if needed and install the named addons (procura_install), recording versions."""
    if APP_KEY not in zodb_root:
        zodb_root[APP_KEY] = Root()
    app = zodb_root[APP_KEY]
    targets = target_versions(addons, pm)
    for name in names:
        pm.hook.procura_install(root=app, addon=name)
        app.schema_versions[name] = targets[name]
        log.info("Installed %s (schema %s)", name, targets[name])


def bootstrap(db: ZODB.DB, addons: list[Addon], pm) -> list[str]:
    """Check the database and install what is new; returns what was installed. Retries conflicts."""
    from ZODB.POSException import ConflictError

    for attempt in range(5):
        tm = transaction.TransactionManager()
        conn = db.open(tm)
        try:
            missing = check_versions(conn.root(), addons, pm)
            if missing:
                install(conn.root(), missing, addons, pm)
            made = ensure_type_containers(conn.root()[APP_KEY], pm) if APP_KEY in conn.root() else []
            if missing or made:
                tm.get().note("procura install " + ", ".join(missing + made))
                tm.commit()
            return missing
        except ConflictError:
            tm.abort()
            if attempt == 4:
                raise
        except BaseException:
            tm.abort()
            raise
        finally:
            conn.close()
    return []


def run_in_transaction(db, fn: Callable, *, attempts: int = 5, note: str = ""):
    """Run ``fn(connection, transaction_manager)`` and commit, in a transaction of its own on a fresh
    connection, retrying ZODB write conflicts (``attempts`` times); returns ``fn``'s result. The one
    retry loop of jobs (``procura.jobs.transact``) and system work (``in_own_transaction``)."""
    from ZODB.POSException import ConflictError

    for attempt in range(attempts):
        tm = transaction.TransactionManager()
        conn = db.open(tm)
        try:
            tm.begin()
            result = fn(conn, tm)
            if note:
                tm.get().note(note)
            tm.commit()
            return result
        except ConflictError:
            tm.abort()
            if attempt == attempts - 1:
                raise
            log.info("conflict in %s, retrying (%d)", note or fn, attempt + 1)
        except BaseException:
            tm.abort()
            raise
        finally:
            conn.close()
    return None


def ensure_type_containers(app, pm) -> list[str]:
    """Containers and catalog indexes for every registered type (created when missing)."""
    from procura.types.content import ensure_containers
    from procura.types.registry import collect_types

    return ensure_containers(app, collect_types(pm))


def pending_steps(zodb_root, addons: list[Addon], pm) -> list[EvolveStep]:
    steps = collect_steps(pm)
    app = zodb_root.get(APP_KEY)
    if app is None:
        return []
    out = []
    for name in [CORE] + [a.name for a in addons]:
        have = app.schema_versions.get(name)
        if have is None:
            continue
        out += [s for s in steps.get(name, []) if s.version > have]
    return out


def upgrade(db: ZODB.DB, addons: list[Addon], pm, echo: Callable[[str], None] = print) -> int:
    """Run every pending evolve step, one transaction each; returns the number run."""
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        root = conn.root()
        if APP_KEY not in root:
            raise DatabaseError("The database is empty; run procura init first")
        app = root[APP_KEY]
        targets = target_versions(addons, pm)
        for name, target in targets.items():
            have = app.schema_versions.get(name)
            if have is not None and have > target:
                raise DatabaseError(f"Schema of {name} in the database ({have}) is newer than this release ({target})")
        steps = pending_steps(root, addons, pm)
        for step in steps:
            echo(f"  {step.addon} {step.version}: {step.title}")
            try:
                step.run(app)
                app.schema_versions[step.addon] = step.version
                tm.get().note(f"procura upgrade {step.addon} to {step.version}")
                tm.commit()
            except Exception as exc:
                tm.abort()
                log.exception("evolve step %s %s failed", step.addon, step.version)
                raise DatabaseError(
                    f"Evolve step {step.addon} {step.version} ({step.title}) failed: "
                    f"{exc.__class__.__name__}: {exc}. The database stays at {step.addon} schema "
                    f"{app.schema_versions.get(step.addon)}; nothing of this step was saved"
                ) from exc
        missing = check_versions(root, addons, pm)
        if missing:
            install(root, missing, addons, pm)
            tm.commit()
        return len(steps)
    finally:
        tm.abort()
        conn.close()


@contextmanager
def app_root(db: ZODB.DB):
    """A connection's application root inside a transaction committed on success."""
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        with tm:
            yield conn.root()[APP_KEY]
    finally:
        conn.close()
