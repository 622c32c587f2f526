"""The activity feed of a record's detail page.

Entries come from *feed sources*: functions ``source(request, info, obj) -> list[dict]``. The core's
own source turns the audit history (``obj.history``) into entries. Comments, attachments and
reactions add their own source and, for the form above the feed, a *composer* template::

    config.add_feed_source(my_comments_source)            # entries merged by time, newest first
    config.add_feed_composer("my_pkg:templates/composer.pt")  # rendered above the entries

An entry is a dict with at least ``at`` (aware datetime) and ``by`` (login); the detail page fills in
``by_name``, ``when`` and ``initials``. Entries with a ``template`` (asset spec) are rendered by that
template with ``entry``, ``info``, ``obj`` and ``request`` (the template escapes what it shows);
the others are drawn by the ``entry`` macro of ``procura:templates/types/feed.pt``: ``icon``,
``summary`` (text), optional ``changes`` ([{field, old, new}]) and ``comment`` (text).
"""
from __future__ import annotations

import datetime as dt

from procura.i18n import _
from procura.types.views.common import initials, status_info, t, user_names, when

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_VALUE_CHARS = 300

ACTION_STYLE = {
    "create": ("bi-plus-circle", "success", _("created this record")),
    "update": ("bi-pencil", "primary", _("changed")),
    "transition": ("bi-arrow-right-circle", "info", _("changed the status")),
    "delete": ("bi-trash", "danger", _("moved this record to the trash")),
    "restore": ("bi-arrow-counterclockwise", "success", _("restored this record")),
}


def includeme(config):
    registry = config.registry
    if not hasattr(registry, "procura_feed_sources"):
        registry.procura_feed_sources = [history_entries]
        registry.procura_feed_composers = []

    def add_feed_source(config, source):
        config.registry.procura_feed_sources.append(source)

    def add_feed_composer(config, template):
        config.registry.procura_feed_composers.append(template)

    config.add_directive("add_feed_source", add_feed_source)
    config.add_directive("add_feed_composer", add_feed_composer)


def json_as_text(request, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return t(request, _("Yes") if value else _("No"))
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            return f"{value['amount']} {value['currency']}"
        return ", ".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(json_as_text(request, v) for v in value)
    return str(value)


def display_json(request, field, value) -> str:
    """A JSON value of the audit trail shown the way the field shows stored values."""
    if value is None or value == "" or value == []:
        return ""
    text = None
    try:
        node = field.schema_node(request, for_api=True)
        stored = field.to_storage(node.typ.deserialize(node, field.from_json(value)))
        text = field.display(stored, request)
    except Exception:  # noqa: BLE001 - an old value the field no longer reads: show it as it was stored
        text = None
    text = text if text not in (None, "") else json_as_text(request, value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def history_entries(request, info, obj) -> list[dict]:
    out = []
    visible = {f.name for f in request.types.visible_fields(info, obj)}  # changes of hidden fields are not shown
    for record in obj.history:
        action = record.get("action", "")
        icon, color, summary = ACTION_STYLE.get(action, ("bi-dot", "secondary", None))
        entry = {"kind": "audit", "action": action, "at": record.get("at"), "by": record.get("by"),
                 "icon": icon, "color": color, "version": record.get("version"),
                 "summary": t(request, summary) if summary else action, "changes": [],
                 "comment": record.get("comment")}
        changes = record.get("changes") or {}
        if action == "transition":
            old, new = changes.get("status", [None, None])
            transition = info.workflow.transition(record.get("transition")) if info.workflow else None
            if transition is not None:
                entry["summary"] = t(request, _("${action}: status changed",
                                                mapping={"action": t(request, transition.title)}))
            entry["status_old"] = status_info(request, info, old)
            entry["status_new"] = status_info(request, info, new)
        elif action == "update":
            for name, pair in changes.items():
                field = info.field(name)
                if field is None or name not in visible:
                    continue
                old, new = (list(pair) + [None, None])[:2]
                entry["changes"].append({"field": t(request, field.title), "old": display_json(request, field, old),
                                         "new": display_json(request, field, new)})
        out.append(entry)
    return out


def feed_entries(request, info, obj) -> list[dict]:
    names = user_names(request)
    entries = []
    for source in getattr(request.registry, "procura_feed_sources", [history_entries]):
        entries.extend(source(request, info, obj) or [])
    for entry in entries:
        entry.setdefault("by_name", names(entry.get("by")) or t(request, _("System")))
        entry.setdefault("initials", initials(entry["by_name"]))
        entry.setdefault("when", when(request, entry.get("at")))
        entry.setdefault("iso", entry["at"].isoformat() if entry.get("at") else "")
    entries.sort(key=lambda e: e.get("at") or EPOCH, reverse=True)
    return entries
