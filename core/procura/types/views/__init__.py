"""The generic web UI every declared type gets, with no per-type view code.

Routes (prefix ``/t``)::

    /t/{type}                        list: sort, filters, all/open/closed, saved views, columns, bulk
    /t/{type}/new                    add form (Deform); ``?copy=<id>`` via /t/{type}/{id}/copy
    /t/{type}/kanban                 board by workflow status (types with a workflow)
    /t/{type}/trash                  deleted records: restore, delete for good
    /t/{type}/bulk            POST   bulk delete / transition / restore / purge of selected ids
    /t/{type}/prefs           POST   saved views and column choice of the current user
    /t/{type}/{id}                   detail: field panels, related lists, activity feed
    /t/{type}/{id}/edit              edit form with optimistic concurrency (hidden version)
    /t/{type}/{id}/copy              the add form prefilled from this record
    /t/{type}/{id}/delete     POST   to the trash;  /restore, /purge (POST) likewise
    /t/{type}/{id}/transition/{name} GET: comment form; POST: take the transition
    /t/{type}/{id}/move       POST   kanban drop: JSON ``{"ok": true}`` or 409 ``{"ok": false, "reason"}``
    /t/{type}/{id}/op/{name}         an operation of the type: its input form (GET), run it (POST)

Every write goes through ``request.types`` (``procura.types.service.TypeService``); lists go through
``procura.types.query.run_query``. The menu entries and the "recently viewed" dashboard widget
come from ``procura.types.views.hooks``, registered with the application's plugin manager here.
"""
from __future__ import annotations

PREFIX = "/t/{type}"


def includeme(config):
    add = config.add_route
    add("type_list", PREFIX)
    add("type_new", PREFIX + "/new")
    add("type_kanban", PREFIX + "/kanban")
    add("type_trash", PREFIX + "/trash")
    add("type_bulk", PREFIX + "/bulk")
    add("type_prefs", PREFIX + "/prefs")
    add("type_detail", PREFIX + "/{id}")
    add("type_edit", PREFIX + "/{id}/edit")
    add("type_copy", PREFIX + "/{id}/copy")
    add("type_delete", PREFIX + "/{id}/delete")
    add("type_restore", PREFIX + "/{id}/restore")
    add("type_purge", PREFIX + "/{id}/purge")
    add("type_transition", PREFIX + "/{id}/transition/{name}")
    add("type_move", PREFIX + "/{id}/move")
    add("type_operation", PREFIX + "/{id}/op/{name}")
    config.include("procura.types.views.feed")
    config.include("procura.types.views.feedviews")  # comments, attachments, file downloads
    config.scan("procura.types.views")

    from procura.types.views import hooks

    pm = config.registry.procura_pm
    if not pm.is_registered(hooks):
        pm.register(hooks, name="procura.types.views")
