"""Global full-text search over every searchable type (whoosh; see ``index`` and ``service``).

- ``registry.procura_search``: the ``SearchService`` (``search``, ``search_page``, ``search_ids``).
- After every commit that creates, changes, trashes, restores or purges an object of a searchable
  type, a job ``procura.search.index_object`` / ``procura.search.remove_object`` brings its
  document up to date in the worker, the index's only writer. With ``procura.search.sync`` (and
  in tests) the web process does it itself right after the commit instead: meant for tests and
  single-process tools only.
- ``procura reindex`` rebuilds the index (and the catalogs) from the database.
- ``GET /search?q=`` is the results page; the top bar of the layout carries the search box.
"""
from __future__ import annotations

import logging

from procura.types.events import ObjectCommented, ObjectDeleted, ObjectEvent, ObjectPurged

log = logging.getLogger(__name__)


def includeme(config):
    from procura.search.service import SearchService

    registry = config.registry
    service = SearchService(registry.settings, registry.procura_types, registry)
    registry.procura_search = service
    config.add_subscriber(after_commit, ObjectEvent)
    config.add_route("search", "/search")
    config.scan("procura.search.views")
    if not service.sync:
        ensure_jobs_configured(registry)


def ensure_jobs_configured(registry):
    """Web processes queue search jobs: point Celery at the broker if nothing in this process did
    (``procura serve`` and the CLI configure it themselves; a WSGI server importing the app does not)."""
    from procura import jobs

    if jobs._state["settings"] is None:
        jobs.configure(registry.settings, registry.procura_addons, registry.procura_pm)


def after_commit(event):
    """Keep the index in step with a committed change (queued job, or in-process when sync)."""
    if isinstance(event, ObjectCommented):
        return
    registry = event.registry
    service = getattr(registry, "procura_search", None)
    if service is None or not service.is_searchable(event.type_name):
        return
    removal = isinstance(event, (ObjectDeleted, ObjectPurged))
    if service.sync:
        sync_now(registry, service, event)
        return
    from procura.search import tasks

    task = tasks.remove_object if removal else tasks.index_object
    task.apply_async(args=[event.type_name, event.id, event.version])


def sync_now(registry, service, event):
    import transaction

    from procura.content import APP_KEY

    db = registry._zodb_databases[""]
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        tm.begin()
        service.sync_objects(conn.root()[APP_KEY], [(event.type_name, event.id)])
    finally:
        tm.abort()
        conn.close()
