"""Celery jobs that keep the search index in line with the database (run by the worker, the
index's only writer). Both are idempotent: each reads the object's current state and indexes or
removes it, so duplicates and out-of-order delivery leave the right result."""
from __future__ import annotations

import logging

from whoosh.index import LockError

from procura.jobs import celery_app, transact

log = logging.getLogger(__name__)

_state: dict = {"service": None, "settings": None}


def worker_service():
    """The worker process's SearchService, built from the settings ``procura.jobs.configure`` got."""
    from procura import jobs

    settings = jobs._state["settings"]
    if settings is None:
        raise RuntimeError("procura.jobs.configure() was not called in this process")
    if _state["service"] is None or _state["settings"] is not settings:
        from procura.addons import load
        from procura.search.service import SearchService
        from procura.types.registry import collect_types

        _enabled, _available, pm = load(settings)
        _state["service"] = SearchService(settings, collect_types(pm))
        _state["settings"] = settings
    return _state["service"]


def _sync(task, type_name, obj_id, version=None):
    from procura.search.service import StaleRead

    service = worker_service()
    versions = {(type_name, obj_id): int(version)} if version else None
    try:
        return transact(lambda root: service.sync_objects(root, [(type_name, obj_id)], versions))
    except (LockError, StaleRead) as exc:
        log.info("search job for %s:%s retried: %s", type_name, obj_id, exc)
        raise task.retry(exc=exc, countdown=1 + task.request.retries * 2) from None


@celery_app.task(name="procura.search.index_object", bind=True, max_retries=8, ignore_result=True)
def index_object(self, type_name: str, obj_id: str, version: int | None = None):
    """(Re)index one object after a commit (or remove it if it is gone or in the trash)."""
    return _sync(self, type_name, obj_id, version)


@celery_app.task(name="procura.search.remove_object", bind=True, max_retries=8, ignore_result=True)
def remove_object(self, type_name: str, obj_id: str, version: int | None = None):
    """Remove one object's document after it went to the trash or was purged (a restored object
    that is live again is indexed instead: the job follows the database, not the message)."""
    return _sync(self, type_name, obj_id, version)
