"""List, trash and kanban pages of every type, bulk actions, saved views and column choice.

Every result set comes from ``run_query`` (catalog indexes, one page of objects loaded).
"""
from __future__ import annotations

import math
import secrets
from urllib.parse import parse_qsl, urlencode

from persistent.list import PersistentList
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.view import view_config
from webob.multidict import MultiDict

from procura.i18n import _
from procura.types import access
from procura.types.query import ListQuery, parse_list_params, run_query
from procura.types.service import (
    AccessDenied,
    NotFound,
    ServiceError,
    StaleVersion,
    TransitionRefused,
    ValidationFailed,
)
from procura.types.views.common import (
    PAGE_SIZES,
    SYSTEM_COLUMNS,
    SYSTEM_SORTS,
    field_value,
    flash,
    prefs,
    redirect,
    safe_next,
    short_date,
    show_number,
    status_info,
    t,
    title_of,
    type_info,
    user_names,
    when,
)

# Field kinds a list filter makes no sense for as one exact value (ranges and free text belong to search).
UNFILTERABLE_KINDS = {"money", "decimal", "percent", "text", "datetime", "markdown", "richtext", "file", "files",
                      "image", "address", "person_name"}
NOT_SAVED = {"page", "view", "_LOCALE_", "csrf_token"}
KANBAN_LIMIT = 50


def quick_search_ids(request, info, container, q: str) -> set:
    """Ids whose title starts with ``q`` (case-insensitive) or whose number is ``q``: catalog only.

    The global full-text search (whoosh) answers free text elsewhere; the list's quick search only
    needs the catalog's title index, so it is transactional and never scans the container.
    """
    key = q.strip().casefold()
    ids = set()
    if access.field_access(request, info, info.field(info.title_field)) != access.HIDDEN:  # no oracle
        result = container.catalog["title"].inrange(key, key + "\U0010ffff").execute()
        ids = {container.docids[d] for d in result.ids if d in container.docids}
    for candidate in {q.strip(), q.strip().upper()}:
        if candidate in container.docid_of:
            ids.add(candidate)
    return ids


def text_search_ids(request, info, container, q: str) -> set:
    """Ids for a list's free-text search: the full-text index's word-form matches (when the type is
    searchable) plus the catalog's title-prefix and exact-number matches, which are transactional
    and so also find what the search worker has not indexed yet."""
    ids = quick_search_ids(request, info, container, q)
    search = getattr(request.registry, "procura_search", None)
    if search is not None:
        ids.update(search.search_ids(request, info.name, q))
    return ids


def filter_controls(request, info):
    """The filter bar's controls for the type's indexed fields (and the status)."""
    controls = []
    for field in request.types.visible_fields(info):
        kind = getattr(field, "kind", "")
        if not field.indexed or kind in UNFILTERABLE_KINDS:
            continue
        choices = getattr(field, "choices", None)
        if choices:
            options = [(str(v), t(request, title)) for v, title in choices]
            controls.append({"name": field.name, "title": t(request, field.title), "control": "select",
                             "options": options})
        elif kind == "boolean":
            controls.append({"name": field.name, "title": t(request, field.title), "control": "select",
                             "options": [("true", t(request, _("Yes"))), ("false", t(request, _("No")))]})
        elif kind == "date":
            controls.append({"name": field.name, "title": t(request, field.title), "control": "date"})
        elif kind == "integer":
            controls.append({"name": field.name, "title": t(request, field.title), "control": "number"})
        else:
            controls.append({"name": field.name, "title": t(request, field.title), "control": "text"})
    return controls


class ListPage:
    """Everything the list-like pages (list, trash, kanban) derive from the query string."""

    def __init__(self, request, info, *, route="type_list", deleted=False):
        self.request = request
        self.info = info
        self.route = route
        self.deleted = deleted
        self.svc = request.types
        self.container = self.svc.container(info)
        self.user_prefs = prefs(request.identity, info.name)
        self.errors = []
        self.page = 1
        self.params = [(k, v) for k, v in request.GET.items() if k != "_LOCALE_"]

    # ------------------------------------------------------------ URLs
    def url(self, route=None, *, set_=None, drop=(), keep_page=False):
        set_ = set_ or {}
        skip = set(drop) | set(set_)
        if not keep_page:
            skip.add("page")
        pairs = [(k, v) for k, v in self.params if k not in skip]
        for k, v in set_.items():
            if isinstance(v, (list, tuple)):
                pairs.extend((k, x) for x in v)
            elif v not in (None, ""):
                pairs.append((k, v))
        return self.request.route_url(route or self.route, type=self.info.name, _query=pairs)

    def saveable_query(self):
        return [(k, v) for k, v in self.params if k not in NOT_SAVED and v != ""]

    # ------------------------------------------------------------ query
    def parse(self, *, for_kanban=False) -> ListQuery | None:
        request = self.request
        try:
            query = parse_list_params(self.info, request.GET)
        except ValidationFailed as exc:
            self.errors = [t(request, m) for m in exc.errors.values()]
            return None
        query.deleted = self.deleted
        if for_kanban:
            query.filters.pop("status", None)
            query.category = None
        else:
            limit = request.GET.get("limit")
            query.limit = int(limit) if limit in {str(s) for s in PAGE_SIZES} else 50
            try:
                self.page = max(1, int(request.GET.get("page") or 1))
            except ValueError:
                self.page = 1
            query.offset = (self.page - 1) * query.limit
        if query.q:
            query.ids = text_search_ids(request, self.info, self.container, query.q)
        return query

    def run(self, query):
        try:
            return run_query(self.request, self.info, query)
        except ValidationFailed as exc:
            self.errors = [t(self.request, m) for m in exc.errors.values()]
            return None

    # ------------------------------------------------------------ columns
    def column_choices(self):
        info = self.info
        out = [{"name": f.name, "title": t(self.request, f.title), "locked": f.name == info.title_field}
               for f in self.svc.visible_fields(info) if f.in_list]
        for key, title in SYSTEM_COLUMNS.items():
            if key == "status" and not info.workflow:
                continue
            if key == "id" and not show_number(info):
                continue
            out.append({"name": key, "title": t(self.request, title), "locked": False})
        return out

    def columns(self, query):
        choices = {c["name"]: c for c in self.column_choices()}
        chosen = [c for c in (self.user_prefs.get("columns") or self.info.list_columns) if c in choices]
        if not chosen:
            chosen = [c for c in self.info.list_columns if c in choices] or [next(iter(choices))]
        if self.info.title_field in choices and self.info.title_field not in chosen:
            chosen.insert(0, self.info.title_field)
        current = query.sort if query else "-modified"
        out = []
        for name in chosen:
            field = self.info.field(name)
            if name in SYSTEM_SORTS:
                sort_key = name
            elif field is not None and field.indexed:
                sort_key = name
            elif name == self.info.title_field:
                sort_key = "title"
            else:
                sort_key = None
            direction = None
            if sort_key and current.lstrip("-") == sort_key:
                direction = "desc" if current.startswith("-") else "asc"
            kind = getattr(field, "kind", "") if field is not None else name
            out.append({
                "name": name, "title": choices[name]["title"], "sort_key": sort_key, "direction": direction,
                "sort_url": self.url(set_={"sort": ("-" + sort_key) if direction == "asc" else sort_key})
                if sort_key else None,
                "numeric": kind in ("integer", "decimal", "percent", "money"),
                "is_title": name == self.info.title_field,
            })
        if not any(c["is_title"] for c in out) and out:
            out[0]["is_title"] = True
        return out

    def row(self, obj, columns, detail_route="type_detail"):
        request, info = self.request, self.info
        names = user_names(request)
        cells = []
        for col in columns:
            name = col["name"]
            cell = {"name": name, "title": col["title"], "text": "", "html": None, "status": None,
                    "is_title": col["is_title"], "numeric": col["numeric"]}
            if name == "status":
                cell["status"] = status_info(request, info, obj.status)
            elif name == "id":
                cell["text"] = obj.id
            elif name in ("created", "modified"):
                cell["text"] = when(request, getattr(obj, name))
            elif access.field_access(request, info, info.field(name), obj) != access.HIDDEN:  # a record's guard
                value = field_value(request, info.field(name), obj)
                cell["text"], cell["html"] = value["text"], value["html"]
            if cell["is_title"] and not cell["text"] and cell["html"] is None and name != "status":
                cell["text"] = title_of(request, info, obj)
            cells.append(cell)
        return {
            "id": obj.id, "version": obj.version, "cells": cells, "title": title_of(request, info, obj),
            "url": request.route_url(detail_route, type=info.name, id=obj.id),
            "status": status_info(request, info, obj.status),
            "deleted_at": when(request, obj.deleted_at), "deleted_by": names(obj.deleted_by),
        }

    # ------------------------------------------------------------ filter bar
    def filter_bar(self, query, *, with_status=True):
        request, info = self.request, self.info
        controls = filter_controls(request, info)
        current = dict(query.filters) if query else {}
        for control in controls:
            control["value"] = (current.get(control["name"]) or [""])[0]
        status_options = []
        if info.workflow and with_status:
            status_options = [(s.name, t(request, s.title)) for s in info.workflow.statuses]
        chips = []
        if query and query.q:
            chips.append({"label": t(request, _("Search")), "value": query.q, "url": self.url(drop=("q",))})
        for name, values in (query.filters.items() if query else ()):
            if name == "status":
                label = t(request, _("Status"))
                shown = ", ".join((status_info(request, info, v) or {}).get("title", v) for v in values)
            else:
                field = info.field(name)
                label = t(request, field.title)
                shown = ", ".join(self._filter_display(field, v) for v in values)
            chips.append({"label": label, "value": shown, "url": self.url(drop=(name,))})
        categories = []
        if info.workflow and with_status:
            counts = self.category_counts(query)
            for name, title in (("all", _("All")), ("open", _("Open")), ("closed", _("Closed"))):
                active = (query.category or "all") == name if query else name == "all"
                categories.append({"name": name, "title": t(request, title), "active": active,
                                   "count": counts.get(name),
                                   "url": self.url(set_={"category": name if name != "all" else None},
                                                   drop=("category",))})
        more_active = any(c["value"] for c in controls)
        return {"controls": controls, "status_options": status_options,
                "status_value": (current.get("status") or [""])[0], "chips": chips, "categories": categories,
                "q": (query.q if query else "") or "", "more_active": more_active,
                "hidden": [(k, v) for k, v in self.params
                           if k in ("sort", "limit", "category")]}

    def _filter_display(self, field, raw):
        choices = dict(getattr(field, "choices", None) or ())
        if raw in choices:
            return t(self.request, choices[raw])
        if getattr(field, "kind", "") == "boolean":
            return t(self.request, _("Yes") if raw.lower() in ("true", "1", "yes") else _("No"))
        return raw

    def category_counts(self, query):
        if query is None or not self.info.workflow:
            return {}
        counts = {}
        for name in ("all", "open", "closed"):
            q = ListQuery(filters=dict(query.filters), category=None if name == "all" else name, sort="-modified",
                          limit=1, offset=0, q=query.q, deleted=self.deleted, ids=query.ids)
            result = self.run(q)
            counts[name] = result.total if result else 0
        return counts

    # ------------------------------------------------------------ saved views
    def saved_views(self):
        current = self.request.GET.get("view")
        out = []
        for view in self.user_prefs.get("views") or ():
            out.append({"id": view["id"], "name": view["name"], "active": view["id"] == current,
                        "url": self.request.route_url(self.route, type=self.info.name,
                                                      _query=[*view["query"], ("view", view["id"])])})
        return out

    # ------------------------------------------------------------ pagination
    def pagination(self, total, limit):
        pages = max(1, math.ceil(total / limit))
        page = min(self.page, pages)
        window = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
        links, last = [], 0
        for p in window:
            if p - last > 1:
                links.append({"gap": True})
            links.append({"gap": False, "page": p, "active": p == page,
                          "url": self.url(set_={"page": p if p > 1 else None})})
            last = p
        first_item = (page - 1) * limit + 1 if total else 0
        return {
            "page": page, "pages": pages, "links": links, "total": total, "limit": limit,
            "first": first_item, "last": min(total, page * limit),
            "prev": self.url(set_={"page": page - 1 if page > 2 else None}) if page > 1 else None,
            "next": self.url(set_={"page": page + 1}) if page < pages else None,
            "sizes": [{"size": s, "active": s == limit, "url": self.url(set_={"limit": s})} for s in PAGE_SIZES],
        }

    # ------------------------------------------------------------ bulk actions
    def bulk_actions(self):
        request, info, svc = self.request, self.info, self.svc
        actions = []
        delete_ok = svc.can("delete", info)
        if self.deleted:
            if delete_ok:
                actions.append({"value": "restore", "title": t(request, _("Restore")), "confirm": ""})
                actions.append({"value": "purge", "title": t(request, _("Delete for good")),
                                "confirm": t(request, _("Delete the selected records for good? This cannot be "
                                                        "undone."))})
            return actions
        if info.workflow:
            for tr in info.workflow.transitions:
                if not svc.can(info.transition_permission(tr), info):
                    continue
                target = status_info(request, info, tr.target)
                actions.append({"value": "transition:" + tr.name,
                                "title": t(request, _("${action} (to ${status})",
                                                      mapping={"action": t(request, tr.title),
                                                               "status": target["title"]})),
                                "comment_required": tr.comment_required, "confirm": ""})
        if delete_ok:
            actions.append({"value": "delete", "title": t(request, _("Move to trash")),
                            "confirm": t(request, _("Move the selected records to the trash?"))})
        return actions

    def page_common(self):
        request, info, svc = self.request, self.info, self.svc
        return {
            "info": info,
            "type_title": t(request, info.title),
            "plural": t(request, info.plural),
            "can_create": svc.can("create", info),
            "can_delete": svc.can("delete", info),
            "list_url": request.route_url("type_list", type=info.name),
            "kanban_url": request.route_url("type_kanban", type=info.name) if info.workflow else None,
            "trash_url": request.route_url("type_trash", type=info.name) if svc.can("delete", info) else None,
            "new_url": request.route_url("type_new", type=info.name),
            "bulk_url": request.route_url("type_bulk", type=info.name),
            "prefs_url": request.route_url("type_prefs", type=info.name),
            "came_from": request.path_qs,
            "errors": self.errors,
        }


def _list_page(request, info, *, deleted):
    page = ListPage(request, info, route="type_trash" if deleted else "type_list", deleted=deleted)
    query = page.parse()
    result = page.run(query) if query is not None else None
    columns = page.columns(query)
    if deleted:
        columns = [c for c in columns if c["name"] not in ("created",)]
    rows = [page.row(obj, columns) for obj in result.items] if result else []
    total = result.total if result else 0
    limit = query.limit if query else 50
    filtered = bool(query and (query.q or query.filters or (query.category and not deleted)))
    values = page.page_common()
    values.update({
        "columns": columns, "rows": rows, "total": total, "filtered": filtered,
        "pager": page.pagination(total, limit),
        "filters": page.filter_bar(query) if not deleted else None,
        "clear_url": request.route_url(page.route, type=info.name),
        "views": page.saved_views() if not deleted else [],
        "view_query": urlencode(page.saveable_query()),
        "column_choices": [dict(c, checked=c["name"] in [x["name"] for x in columns])
                           for c in page.column_choices()],
        "bulk_actions": page.bulk_actions(),
        "deleted": deleted,
    })
    return values


@view_config(route_name="type_list", request_method="GET", renderer="procura:templates/types/list.pt",
             permission="procura.view")
def list_view(request):
    return _list_page(request, type_info(request), deleted=False)


@view_config(route_name="type_trash", request_method="GET", renderer="procura:templates/types/trash.pt",
             permission="procura.view")
def trash_view(request):
    info = type_info(request, "delete")
    return _list_page(request, info, deleted=True)


# ---------------------------------------------------------------- kanban
@view_config(route_name="type_kanban", request_method="GET", renderer="procura:templates/types/kanban.pt",
             permission="procura.view")
def kanban_view(request):
    info = type_info(request)
    if not info.workflow:
        raise HTTPNotFound()
    page = ListPage(request, info, route="type_kanban")
    base = page.parse(for_kanban=True)
    svc = request.types
    names = user_names(request)
    columns = []
    meta_fields = [info.field(c) for c in info.list_columns
                   if c != info.title_field and info.field(c) is not None][:3]
    visible = {f.name for f in svc.visible_fields(info)}
    meta_fields = [f for f in meta_fields if f.name in visible]
    for status in info.workflow.statuses:
        cards, total = [], 0
        if base is not None:
            query = ListQuery(filters={**base.filters, "status": [status.name]}, sort=base.sort or "-modified",
                              limit=KANBAN_LIMIT, q=base.q, ids=base.ids)
            result = page.run(query)
            if result is not None:
                total = result.total
                for obj in result.items:
                    meta = []
                    for f in meta_fields:
                        if access.field_access(request, info, f, obj) == access.HIDDEN:
                            continue
                        value = field_value(request, f, obj)
                        if not value["empty"] and value["html"] is None:
                            meta.append({"title": t(request, f.title), "text": value["text"]})
                    owner = names(obj.owner)
                    cards.append({
                        "id": obj.id, "title": title_of(request, info, obj), "version": obj.version,
                        "number": obj.id if show_number(info) else "",
                        "url": request.route_url("type_detail", type=info.name, id=obj.id),
                        "move_url": request.route_url("type_move", type=info.name, id=obj.id),
                        "targets": " ".join(sorted({a["target"] for a in svc.actions(obj)})),
                        "meta": meta, "owner": owner, "modified": when(request, obj.modified),
                        "modified_date": short_date(request, obj.modified),
                    })
        columns.append({"status": status.name, "title": t(request, status.title), "color": status.color,
                        "category": status.category, "cards": cards, "total": total,
                        "more": total > len(cards),
                        "list_url": request.route_url("type_list", type=info.name,
                                                      _query=[*page.saveable_query(), ("status", status.name)])})
    values = page.page_common()
    values.update({
        "columns": columns,
        "filters": page.filter_bar(base, with_status=False),
        "clear_url": request.route_url("type_kanban", type=info.name),
        "move_error": t(request, _("The move could not be saved. Reload the page and try again.")),
        "comment_prompt": t(request, _("This step needs a comment")),
        "limit": KANBAN_LIMIT,
    })
    return values


@view_config(route_name="type_move", request_method="POST", renderer="json", permission="procura.view")
def move_view(request):
    """A kanban drop: the card's record moves to ``status`` through the transition matrix."""
    info = request.registry.procura_types.get(request.matchdict["type"])
    svc = request.types
    if info is None or not info.workflow or not svc.can("read", info):
        request.response.status = 404
        return {"ok": False, "reason": t(request, _("There is nothing at this address."))}
    try:
        obj = svc.get(info, request.matchdict["id"])
    except (NotFound, AccessDenied):
        request.response.status = 404
        return {"ok": False, "reason": t(request, _("This record no longer exists or you may not see it."))}
    target = request.POST.get("status", "")
    if info.workflow.status(target) is None:
        request.response.status = 400
        return {"ok": False, "reason": t(request, _("Unknown status"))}
    if obj.status == target:
        return {"ok": True, "status": obj.status, "version": obj.version}
    comment = (request.POST.get("comment") or "").strip() or None
    try:
        svc.move_to_status(obj, target, comment=comment)
    except TransitionRefused as exc:
        request.response.status = 409
        needs_comment = not comment and any(
            a["target"] == target and a["comment_required"] for a in svc.actions(obj))
        return {"ok": False, "reason": t(request, exc.reason), "needs_comment": needs_comment}
    except StaleVersion as exc:
        request.response.status = 409
        return {"ok": False, "reason": exc.message(request)}
    status = status_info(request, info, obj.status)
    return {"ok": True, "status": obj.status, "status_title": status["title"], "version": obj.version,
            "targets": sorted({a["target"] for a in svc.actions(obj)}),
            "message": t(request, _("Moved to “${status}”.", mapping={"status": status["title"]}))}


# ---------------------------------------------------------------- bulk actions
def _reason(request, exc):
    if isinstance(exc, TransitionRefused):
        return t(request, exc.reason)
    if isinstance(exc, StaleVersion):
        return exc.message(request)
    if isinstance(exc, AccessDenied):
        return t(request, _("not allowed"))
    if isinstance(exc, NotFound):
        return t(request, _("not found"))
    return t(request, _("failed"))


@view_config(route_name="type_bulk", request_method="POST", permission="procura.view")
def bulk_view(request):
    """Apply one action to the selected records, each through the service; report each failure."""
    info = type_info(request)
    svc = request.types
    action = request.POST.get("action", "")
    ids = [i for i in request.POST.getall("ids") if i][:500]
    trash = action in ("restore", "purge")
    back = safe_next(request, request.POST.get("came_from"),
                     request.route_url("type_trash" if trash else "type_list", type=info.name))
    if not ids:
        flash(request, _("Select at least one record first."), "warning")
        return redirect(back)
    comment = (request.POST.get("comment") or "").strip() or None
    transition = None
    if action.startswith("transition:"):
        transition = info.workflow.transition(action.split(":", 1)[1]) if info.workflow else None
        if transition is None:
            raise HTTPBadRequest()
        if transition.comment_required and not comment:
            flash(request, _("'${action}' needs a comment", mapping={"action": t(request, transition.title)}),
                  "danger")
            return redirect(back)
    elif action not in ("delete", "restore", "purge"):
        raise HTTPBadRequest()
    done, failed = [], []
    for obj_id in ids:
        try:
            if action == "delete":
                obj = svc.get(info, obj_id, action="delete")
                svc.delete(obj)
            elif action == "restore":
                obj = svc.get(info, obj_id, deleted=True, action="delete")
                svc.restore(obj)
            elif action == "purge":
                obj = svc.get(info, obj_id, deleted=True, action="delete")
                svc.purge(obj)
            else:
                obj = svc.get(info, obj_id)
                svc.transition(obj, transition.name, comment=comment)
            done.append(obj_id)
        except ServiceError as exc:
            failed.append((obj_id, _reason(request, exc)))
    messages = {
        "delete": _("${count} record(s) moved to the trash.", mapping={"count": len(done)}),
        "restore": _("${count} record(s) restored.", mapping={"count": len(done)}),
        "purge": _("${count} record(s) deleted for good.", mapping={"count": len(done)}),
    }
    if done:
        message = messages.get(action) or _("${action}: ${count} record(s) changed.",
                                            mapping={"action": t(request, transition.title), "count": len(done)})
        flash(request, message, "success")
    if failed:
        shown = "; ".join(f"{i}: {reason}" for i, reason in failed[:10])
        more = len(failed) - 10
        detail = shown + (f"; … (+{more})" if more > 0 else "")
        flash(request, _("${count} record(s) not changed: ${detail}",
                         mapping={"count": len(failed), "detail": detail}), "warning")
    return redirect(back)


# ---------------------------------------------------------------- saved views and columns
@view_config(route_name="type_prefs", request_method="POST", permission="procura.view")
def prefs_view(request):
    info = type_info(request)
    user = request.identity
    back = safe_next(request, request.POST.get("came_from"), request.route_url("type_list", type=info.name))
    action = request.POST.get("action", "")
    entry = prefs(user, info.name, create=True)
    if action == "columns":
        allowed = {c["name"] for c in ListPage(request, info).column_choices()}
        chosen = [c for c in request.POST.getall("columns") if c in allowed]
        if chosen:
            entry["columns"] = chosen
            flash(request, _("Columns saved."))
        else:
            flash(request, _("Choose at least one column."), "warning")
    elif action == "reset_columns":
        entry.pop("columns", None)
        flash(request, _("Default columns restored."))
    elif action == "save_view":
        name = (request.POST.get("name") or "").strip()[:80]
        if not name:
            flash(request, _("Give the view a name."), "warning")
            return redirect(back)
        params = _params(request.POST.get("query", ""))
        try:
            parse_list_params(info, params)  # only filters the list understands are saved
        except ValidationFailed:
            flash(request, _("This view has filters that no longer work; it was not saved."), "warning")
            return redirect(back)
        pairs = [(k, v) for k, v in params.items() if k not in NOT_SAVED and v]
        views = [v for v in entry.get("views") or () if v["name"] != name]
        view = {"id": secrets.token_hex(4), "name": name, "query": pairs}
        views.append(view)
        entry["views"] = PersistentList(views[-30:])
        flash(request, _("View “${name}” saved.", mapping={"name": name}))
        return redirect(request.route_url("type_list", type=info.name, _query=[*pairs, ("view", view["id"])]))
    elif action == "delete_view":
        view_id = request.POST.get("view_id")
        views = [v for v in entry.get("views") or () if v["id"] != view_id]
        entry["views"] = PersistentList(views)
        flash(request, _("View deleted."))
        return redirect(request.route_url("type_list", type=info.name))
    else:
        raise HTTPBadRequest()
    return redirect(back)


def _params(query_string):
    return MultiDict(parse_qsl(query_string.lstrip("?"), keep_blank_values=False))
