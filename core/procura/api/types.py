"""REST endpoints of every declared type, on the same service path as the UI (``request.types``).

::

    GET    /api/v1/types                         types, their fields, workflow and the caller's rights
    GET    /api/v1/<type>?q=&sort=-f&limit=&offset=&category=&<field>=<value>   {"items", "total", ...}
    POST   /api/v1/<type>                        201 + Location + ETag, the new object
    GET    /api/v1/<type>/<id>                   the object (ETag: "<version>")
    PATCH  /api/v1/<type>/<id>                   If-Match "<version>" (or "version" in the body); stale: 412
    DELETE /api/v1/<type>/<id>                   to the trash, 204
    POST   /api/v1/<type>/<id>/actions/<name>    a workflow transition, or copy / restore / purge
    GET    /api/v1/search?q=                     global search (the search service)

Errors are ``application/problem+json`` (``procura.api.problems``); a failed request never commits
(the transaction is doomed before the problem is returned). Objects the caller may not read and
objects that do not exist are both 404; a refused write on a readable object is 403. A record in
the trash can still be read by id (``"deleted": true``, with ``restore``/``purge`` among its actions
for those who may delete); lists show the trash with ``?deleted=true`` (delete permission needed).
"""
from __future__ import annotations

import functools
import re

from pyramid.response import Response
from pyramid.view import view_config

from procura.api.problems import problem_response
from procura.i18n import _
from procura.types.content import container_for
from procura.types.query import parse_list_params, run_query
from procura.types.service import (
    AccessDenied,
    NotFound,
    StaleVersion,
    TransitionRefused,
    ValidationFailed,
)
from procura.types.views.listing import text_search_ids

# Actions every type has besides its workflow transitions (POST .../actions/<name>).
BUILTIN_ACTIONS = ("copy", "restore", "purge")
LIST_RESERVED = ("q", "sort", "limit", "offset", "category", "deleted", "view", "columns", "page", "format",
                 "_LOCALE_")
MAX_SEARCH_LIMIT = 100


class type_route_predicate:
    """Route predicate ``procura_type=True``: the ``{type}`` part names a registered type.

    Type routes then never shadow other ``/api/v1/...`` routes an addon adds after the core.
    """

    def __init__(self, value, config):
        self.value = bool(value)

    def text(self):
        return f"procura_type = {self.value}"

    phash = text

    def __call__(self, info, request):
        known = info["match"].get("type") in request.registry.procura_types
        return known == self.value


def includeme(config):
    config.add_route_predicate("procura_type", type_route_predicate)
    config.add_route("api_types", "/api/v1/types")
    config.add_route("api_search", "/api/v1/search")
    config.add_route("api_openapi", "/api/v1/openapi.json")
    # The type routes come last: /types, /search, /openapi.json, /me, /addons are matched first.


def include_type_routes(config):
    config.add_route("api_type_list", "/api/v1/{type}", procura_type=True)
    config.add_route("api_type_item", "/api/v1/{type}/{id}", procura_type=True)
    config.add_route("api_type_action", "/api/v1/{type}/{id}/actions/{action}", procura_type=True)


# ---------------------------------------------------------------- errors


def problem(request, status, title, detail=None, errors=None, **extra):
    """A problem response; the request's transaction is doomed so nothing of it is committed."""
    request.tm.doom()
    return problem_response(request, status, title, detail, errors=errors, **extra)


def service_problem(request, exc):
    t = request.localizer.translate
    if isinstance(exc, ValidationFailed):
        return problem(request, 422, _("Validation failed"), _("Some fields are not valid."), errors=exc.errors)
    if isinstance(exc, StaleVersion):
        return problem(request, 412, _("The record was changed"), exc.message(request),
                       current_version=exc.current, expected_version=exc.expected,
                       changed_by=exc.changed_by, changed_fields=exc.changed_fields)
    if isinstance(exc, TransitionRefused):
        return problem(request, 409, _("Action refused"), t(exc.reason))
    if isinstance(exc, AccessDenied):
        return problem(request, 403, _("Forbidden"), _("You do not have permission for this."))
    if isinstance(exc, NotFound):
        return problem(request, 404, _("Not found"), _("There is nothing at this address."))
    raise exc


def api_view(fn):
    """Turn the service's exceptions into problem responses (and doom the transaction)."""

    @functools.wraps(fn)
    def wrapper(request):
        try:
            return fn(request)
        except (ValidationFailed, StaleVersion, TransitionRefused, AccessDenied, NotFound) as exc:
            return service_problem(request, exc)
        except BadRequest as exc:
            return problem(request, 400, exc.title, exc.detail)

    return wrapper


class BadRequest(Exception):
    def __init__(self, title, detail=None):
        super().__init__(str(title))
        self.title, self.detail = title, detail


def json_body(request) -> dict:
    """The request's JSON object ({} for an empty body)."""
    if not request.body:
        return {}
    try:
        body = request.json_body
    except ValueError:
        raise BadRequest(_("Invalid JSON"), _("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise BadRequest(_("Invalid JSON"), _("The request body must be a JSON object."))
    return body


ETAG_RE = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def expected_version(request, body: dict | None = None) -> int | None:
    """The version the writer saw: ``If-Match`` ("3", 3 or W/"3"), else ``version`` in the body."""
    header = request.headers.get("If-Match")
    if header is not None and header.strip() != "*":
        match = ETAG_RE.match(header)
        if not match:
            raise BadRequest(_("Invalid If-Match header"),
                             _("If-Match must carry the record's version as its ETag, e.g. \"3\"."))
        return int(match.group(1))
    if body and body.get("version") is not None:
        version = body["version"]
        if isinstance(version, bool) or not isinstance(version, int | str) or not str(version).isdigit():
            raise ValidationFailed({"version": request.localizer.translate(_("Must be a whole number"))})
        return int(version)
    return None


# ---------------------------------------------------------------- representation


def type_info(request):
    return request.types.info(request.matchdict["type"])


def object_json(request, obj) -> dict:
    """The service's JSON of ``obj`` plus the built-in actions the caller may take on it now."""
    svc = request.types
    data = svc.to_json(obj)
    info = svc.info(obj.type_name)
    t = request.localizer.translate
    extra = []
    if obj.deleted:
        if svc.can("delete", info, obj):
            extra += [("restore", _("Restore")), ("purge", _("Delete for good"))]
    elif svc.can("create", info):
        extra.append(("copy", _("Copy")))
    taken = {a["name"] for a in data["actions"]}
    data["actions"] = list(data["actions"]) + [
        {"name": name, "title": t(title), "target": None, "comment_required": False}
        for name, title in extra if name not in taken]
    return data


def object_response(request, obj, status=200):
    response = request.response
    response.status = status
    response.headers["ETag"] = f'"{obj.version}"'
    if status == 201:
        response.headers["Location"] = request.route_url("api_type_item", type=obj.type_name, id=obj.id)
    return object_json(request, obj)


def field_json(request, f) -> dict:
    t = request.localizer.translate
    data = {
        "name": f.name,
        "kind": f.kind,
        "title": t(f.title),
        "description": t(f.description) if f.description else "",
        "required": bool(f.required),
        "readonly": bool(f.readonly),
        "indexed": bool(f.indexed),
        "searchable": bool(f.searchable),
        "group": t(f.group) if f.group else None,
        "schema": f.openapi(),
    }
    choices = getattr(f, "choices", None)
    if choices:
        data["choices"] = [{"value": value, "title": t(title)} for value, title in choices]
    return data


def type_json(request, info) -> dict:
    t = request.localizer.translate
    svc = request.types
    wf = info.workflow
    return {
        "name": info.name,
        "title": t(info.title),
        "plural": t(info.plural),
        "description": t(info.description) if info.description else "",
        "addon": info.addon,
        "icon": info.icon,
        "title_field": info.title_field,
        "list_columns": list(info.list_columns),
        "searchable": bool(info.searchable),
        "url": request.route_url("api_type_list", type=info.name),
        "permissions": {action: svc.can(action, info) for action in ("create", "read", "edit", "delete")},
        "fields": [field_json(request, f) for f in svc.visible_fields(info)],
        "workflow": None if wf is None else {
            "initial": wf.initial,
            "statuses": [{"name": s.name, "title": t(s.title), "category": s.category, "color": s.color}
                         for s in wf.statuses],
            "transitions": [{"name": tr.name, "title": t(tr.title), "sources": list(tr.sources),
                             "target": tr.target, "comment_required": tr.comment_required}
                            for tr in wf.transitions],
        },
    }


# ---------------------------------------------------------------- views


@view_config(route_name="api_types", request_method="GET", renderer="json", permission="procura.view")
def types_get(request):
    svc = request.types
    items = [type_json(request, info) for info in svc.registry
             if svc.can("read", info) or svc.can("create", info)]
    return {"items": items, "total": len(items)}


def search_service(request):
    return getattr(request.registry, "procura_search", None)


def search_unavailable(request):
    return problem(request, 501, _("Search is not available"),
                   _("Full-text search is not available in this installation."))


@view_config(route_name="api_type_list", request_method="GET", renderer="json", permission="procura.view")
@api_view
def list_get(request):
    svc = request.types
    info = type_info(request)
    params = request.GET
    query = parse_list_params(info, params, reserved=LIST_RESERVED)
    deleted = (params.get("deleted") or "").lower()
    if deleted not in ("", "false", "0", "true", "1"):
        raise ValidationFailed({"deleted": request.localizer.translate(_("Must be true or false"))})
    query.deleted = deleted in ("true", "1")
    svc.require("delete" if query.deleted else "read", info)
    if query.q:
        search = search_service(request)
        if search is None:
            return search_unavailable(request)
        query.ids = text_search_ids(request, info, container_for(request.app_root, info.name), query.q)
    result = run_query(request, info, query)
    return {"items": [object_json(request, obj) for obj in result.items], "total": result.total,
            "limit": query.limit, "offset": query.offset}


@view_config(route_name="api_type_list", request_method="POST", renderer="json", permission="procura.view")
@api_view
def create_post(request):
    svc = request.types
    info = type_info(request)
    svc.require("create", info)
    values = svc.validate_json(info, json_body(request))
    obj = svc.create(info, values)
    return object_response(request, obj, status=201)


@view_config(route_name="api_type_item", request_method="GET", renderer="json", permission="procura.view")
@api_view
def item_get(request):
    svc = request.types
    obj = svc.get(type_info(request), request.matchdict["id"], deleted=None)
    return object_response(request, obj)


@view_config(route_name="api_type_item", request_method="PATCH", renderer="json", permission="procura.view")
@api_view
def item_patch(request):
    svc = request.types
    info = type_info(request)
    obj = svc.get(info, request.matchdict["id"], action="edit")
    body = json_body(request)
    expected = expected_version(request, body)
    if expected is not None and expected != obj.version:
        raise StaleVersion(obj, expected)  # before validation: the form the writer saw is outdated
    values = svc.validate_json(info, body, obj, partial=True)
    svc.update(obj, values, expected_version=expected)
    return object_response(request, obj)


@view_config(route_name="api_type_item", request_method="DELETE", permission="procura.view")
@api_view
def item_delete(request):
    svc = request.types
    obj = svc.get(type_info(request), request.matchdict["id"], action="delete")
    svc.delete(obj, expected_version=expected_version(request))
    return Response(status=204)


@view_config(route_name="api_type_action", request_method="POST", renderer="json", permission="procura.view")
@api_view
def action_post(request):
    svc = request.types
    info = type_info(request)
    name = request.matchdict["action"]
    obj_id = request.matchdict["id"]
    body = json_body(request)
    transition = info.workflow.transition(name) if info.workflow else None
    operation = info.operation(name) if transition is None else None
    if operation is not None:
        obj = svc.get(info, obj_id)
        result = svc.run_operation(obj, name, body, expected_version=expected_version(request, body))
        data = object_response(request, obj)
        return {**data, "result": result} if result else data
    if transition is None and name not in BUILTIN_ACTIONS:
        return problem(request, 404, _("Unknown action"),
                       _("This type has no action '${name}'.", mapping={"name": name}))
    if transition is not None:
        obj = svc.get(info, obj_id)
        if not svc.can(info.transition_permission(transition), info, obj):
            raise AccessDenied(name, info)
        comment = body.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise ValidationFailed({"comment": request.localizer.translate(_("Must be text"))})
        svc.transition(obj, name, comment=comment, expected_version=expected_version(request, body))
        return object_response(request, obj)
    if name == "copy":
        source = svc.get(info, obj_id)
        svc.require("create", info)
        values = svc.copy_values(source)
        if body:
            values.update(svc.validate_json(info, body, partial=True))
        obj = svc.create(info, values)
        return object_response(request, obj, status=201)
    obj = svc.get(info, obj_id, deleted=None, action="delete")
    if name == "restore":
        if not obj.deleted:
            raise TransitionRefused(_("This record is not in the trash"))
        svc.restore(obj)
        return object_response(request, obj)
    svc.purge(obj)  # refused unless the record is in the trash
    return Response(status=204)


@view_config(route_name="api_search", request_method="GET", renderer="json", permission="procura.view")
@api_view
def search_get(request):
    t = request.localizer.translate
    q = (request.GET.get("q") or "").strip()
    errors = {}
    if not q:
        errors["q"] = t(_("Enter something to search for"))
    types = [n for v in request.GET.getall("types") for n in v.split(",") if n] or None
    unknown = [n for n in types or () if n not in request.registry.procura_types]
    if unknown:
        errors["types"] = t(_("Unknown types: ${names}", mapping={"names": ", ".join(unknown)}))
    try:
        limit = max(1, min(MAX_SEARCH_LIMIT, int(request.GET.get("limit") or 20)))
        offset = max(0, int(request.GET.get("offset") or 0))
    except ValueError:
        errors["limit"] = t(_("limit and offset must be whole numbers"))
    if errors:
        raise ValidationFailed(errors)
    search = search_service(request)
    if search is None:
        return search_unavailable(request)
    # The search service checks read access hit by hit; ``total`` stops counting at a cap
    # (``exact`` is then false).
    result = search.search_page(request, q, types=types, limit=limit, offset=offset)
    items = [{**hit, "api_url": request.route_url("api_type_item", type=hit["type"], id=hit["id"])}
             for hit in result.hits]
    return {"items": items, "total": result.total, "exact": result.exact, "limit": limit, "offset": offset}
