"""The one Celery app of Procura; addons contribute tasks in their ``tasks`` module.

Embedded (default): kombu's ``filesystem://`` transport in ``<var_dir>/celery`` (one folder for
in and out, plus a processed folder) and a ``file://`` result backend; no server needed.
Multi-node: a Redis broker URL. Tasks reach the database through :func:`transact`, which opens
the database once per worker process from the same settings as the web processes.
"""
from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

from celery import Celery

from procura.settings import is_embedded_broker, redact_uri

log = logging.getLogger(__name__)

celery_app = Celery("procura")
celery_app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    timezone="UTC",
    enable_utc=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

_state: dict = {"settings": None, "db": None, "pid": None}


class BrokerError(Exception):
    """The job broker cannot be reached; the message names it (without its password)."""


def configure(settings: dict, addons=(), pm=None) -> Celery:
    """Point the Celery app at the configured broker and import the core's and addons' tasks."""
    _state["settings"] = settings
    broker = settings["procura.broker_url"]
    conf = {"broker_url": broker, "result_backend": settings["procura.result_backend"]}
    if is_embedded_broker(settings):
        base = Path(settings["procura.var_dir"]) / "celery"
        queue, processed, results = base / "queue", base / "processed", base / "results"
        control = base / "control"
        for folder in (queue, processed, results, control):
            folder.mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(processed),
            # exchange tables (remote control, broadcast); kombu's default is ./control in the cwd
            "control_folder": str(control),
            "store_processed": False,
        }
    else:
        conf["broker_transport_options"] = {"visibility_timeout": 3600}
    conf["beat_schedule"] = beat_schedule(pm) if pm is not None else {}
    conf["beat_schedule_filename"] = str(Path(settings["procura.var_dir"]) / "celerybeat-schedule")
    celery_app.conf.update(conf)
    importlib.import_module("procura.jobs.tasks")
    for addon in addons:
        name = addon.package + ".tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return celery_app


def beat_schedule(pm) -> dict:
    schedule: dict = {}
    for result in pm.hook.procura_periodic_tasks():
        for name, entry in (result or {}).items():
            if name in schedule:
                raise RuntimeError(f"Two addons declare the periodic task '{name}'")
            schedule[name] = entry
    return schedule


def check_broker(timeout: float = 5.0) -> None:
    """Raise BrokerError unless the broker answers (a no-op check for the embedded queue)."""
    url = celery_app.conf.broker_url
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.5, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - kombu wraps every driver's errors differently
        raise BrokerError(
            f"Cannot reach the job broker {redact_uri(url)}: {exc.__class__.__name__}: {exc}"
        ) from None


def get_db():
    """The database of this worker process, opened on first use (after any fork)."""
    if _state["db"] is None or _state["pid"] != os.getpid():
        from procura.db import open_db

        settings = _state["settings"]
        if settings is None:
            raise RuntimeError("procura.jobs.configure() was not called in this process")
        _state["db"] = open_db(settings["procura.zodb_uri"])
        _state["pid"] = os.getpid()
    return _state["db"]


def transact(fn, attempts: int = 5, note: str = ""):
    """Run ``fn(app_root)`` in a transaction, retrying ZODB conflicts; returns its result."""
    from procura.content import APP_KEY
    from procura.db import run_in_transaction

    return run_in_transaction(get_db(), lambda conn, tm: fn(conn.root()[APP_KEY]), attempts=attempts, note=note)


# ---------------------------------------------------------------- jobs with a system request
JOBS: dict = {}
_worker: dict = {"registry": None, "pid": None}


def job(name: str, **task_options):
    """Register ``fn(request, *args)`` as the Celery task ``name``.

    The worker runs it with a system request (``procura.types.system``) bound to the application's
    registry, in a transaction of its own that is retried on write conflicts; so a job writes
    through the same service path as the web UI. Jobs must be idempotent: a task whose worker died
    is delivered again. ``enqueue`` queues one after the current transaction commits.
    """
    task_options.setdefault("bind", True)
    task_options.setdefault("max_retries", 5)
    task_options.setdefault("ignore_result", True)

    def decorate(fn):
        JOBS[name] = fn

        @celery_app.task(name=name, **task_options)
        def task(self, *args):
            from procura.types.system import in_own_transaction

            return in_own_transaction(worker_registry(), lambda request: fn(request, *args), note=name)

        fn.task = task
        return fn

    return decorate


def worker_registry():
    """The Pyramid registry of this worker process (the app's configuration, built once after fork)."""
    if _worker["registry"] is None or _worker["pid"] != os.getpid():
        from procura.app import build_config

        settings = _state["settings"]
        if settings is None:
            raise RuntimeError("procura.jobs.configure() was not called in this process")
        config = build_config(dict(settings, **{"procura.worker": "true"}))
        config.commit()
        registry = config.registry
        registry._zodb_databases = {"": get_db()}
        _worker["registry"], _worker["pid"] = registry, os.getpid()
    return _worker["registry"]


def enqueue(request, name: str, *args) -> None:
    """Run the job ``name`` once the current transaction has committed (never if it rolls back).

    With ``procura.jobs.inline`` (tests, single-process tools) it runs in this process right after
    the commit, in its own transaction; otherwise it goes to the broker.
    """
    from procura.settings import as_bool

    registry = request.registry
    inline = as_bool(registry.settings.get("procura.jobs.inline", "false")) or as_bool(
        registry.settings.get("procura.testing", "false"))

    def hook(success):
        if not success:
            return
        try:
            if inline:
                from procura.types.system import in_own_transaction

                in_own_transaction(registry, lambda system: JOBS[name](system, *args), note=name)
            else:
                celery_app.send_task(name, args=list(args))
        except Exception:  # noqa: BLE001 - the commit stands; the job's failure is logged
            log.exception("job %s%r failed to start", name, args)

    request.tm.get().addAfterCommitHook(hook)
