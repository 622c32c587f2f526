"""REST endpoints of the activity feed, on the same write path as the UI (``procura.types.feed``).

::

    GET    /api/v1/<type>/<id>/feed?limit=&offset=&kind=     entries visible to the caller, newest first
    POST   /api/v1/<type>/<id>/comments                      {text, internal, attachments: [{filename,
                                                              content_base64}]} -> 201 + Location
    GET    /api/v1/<type>/<id>/comments/<entry>              one comment
    PATCH  /api/v1/<type>/<id>/comments/<entry>              {text, internal} (author or admin)
    DELETE /api/v1/<type>/<id>/comments/<entry>              204 (author or admin)
    POST   /api/v1/<type>/<id>/comments/<entry>/reactions    {emoji} toggles the caller's reaction

Feed entries are either ``kind: "audit"`` (the record's history: action, version, changes of the
fields the caller may see, transition comment) or ``"comment"`` / ``"attachment"`` (see
``procura.types.feed.entry_json``). Internal entries are left out for portal users, as if they did
not exist (404 by id). Errors are problem+json; a failed request commits nothing.
"""
from __future__ import annotations

from pyramid.response import Response
from pyramid.view import view_config

from procura.api.types import api_view, json_body, type_info
from procura.i18n import _
from procura.types import feed as feedsvc
from procura.types.files import max_upload_bytes
from procura.types.service import ValidationFailed, iso

FEED_KINDS = ("audit", "comment", "attachment")
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def include_routes(config):
    """Before the generic ``/api/v1/{type}/{id}`` routes (``procura.api.types.include_type_routes``)."""
    config.add_route("api_type_feed", "/api/v1/{type}/{id}/feed", procura_type=True)
    config.add_route("api_type_comments", "/api/v1/{type}/{id}/comments", procura_type=True)
    config.add_route("api_type_comment", "/api/v1/{type}/{id}/comments/{entry_id}", procura_type=True)
    config.add_route("api_type_comment_reactions", "/api/v1/{type}/{id}/comments/{entry_id}/reactions",
                     procura_type=True)


def _object(request, *, writing=False):
    svc = request.types
    return svc.get(type_info(request), request.matchdict["id"], deleted=False if writing else None)


def audit_json(request, info, obj, record) -> dict:
    visible = {f.name for f in request.types.visible_fields(info, obj)} | {"status"}
    changes = {name: list(pair) for name, pair in (record.get("changes") or {}).items() if name in visible}
    out = {"kind": "audit", "id": f"v{record.get('version')}", "at": iso(record.get("at")), "by": record.get("by"),
           "action": record.get("action"), "version": record.get("version"), "changes": changes}
    if record.get("transition"):
        out["transition"] = record["transition"]
    if record.get("comment"):
        out["comment"] = record["comment"]
    return out


def _int_param(request, name, default, maximum=None):
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit():
        raise ValidationFailed({name: request.localizer.translate(_("Must be a whole number"))})
    value = int(raw)
    return min(value, maximum) if maximum else value


@view_config(route_name="api_type_feed", request_method="GET", renderer="json", permission="procura.view")
@api_view
def feed_get(request):
    obj = _object(request)
    info = request.types.info(obj.type_name)
    kinds = [k for v in request.GET.getall("kind") for k in v.split(",") if k] or list(FEED_KINDS)
    unknown = [k for k in kinds if k not in FEED_KINDS]
    if unknown:
        raise ValidationFailed({"kind": request.localizer.translate(
            _("Choose one of ${choices}", mapping={"choices": ", ".join(FEED_KINDS)}))})
    limit = max(1, _int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT))
    offset = _int_param(request, "offset", 0)
    items = []
    if "audit" in kinds:
        items += [audit_json(request, info, obj, r) for r in obj.history]
    items += [feedsvc.entry_json(request, obj, e) for e in feedsvc.entries(request, obj) if e.kind in kinds]
    items.sort(key=lambda e: e["at"] or "", reverse=True)
    return {"items": items[offset:offset + limit], "total": len(items), "limit": limit, "offset": offset}


def _uploads(request, raw) -> list:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationFailed({"attachments": request.localizer.translate(_("Expected a list of files"))})
    limit = max_upload_bytes(request)
    return [feedsvc.decode_base64_upload(item, limit) for item in raw]


def _bool(request, body, name):
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValidationFailed({name: request.localizer.translate(_("Must be true or false"))})
    return value


def _check_keys(request, body, allowed):
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        t = request.localizer.translate
        raise ValidationFailed({k: t(_("Unknown field")) for k in unknown})


def _entry_response(request, obj, entry, status=200):
    request.response.status = status
    if status == 201:
        request.response.headers["Location"] = request.route_url(
            "api_type_comment", type=obj.type_name, id=obj.id, entry_id=entry.id)
    return feedsvc.entry_json(request, obj, entry)


@view_config(route_name="api_type_comments", request_method="POST", renderer="json", permission="procura.view")
@api_view
def comment_post(request):
    obj = _object(request, writing=True)
    body = json_body(request)
    _check_keys(request, body, ("text", "internal", "attachments"))
    entry = feedsvc.add_comment(request, obj, body.get("text"), internal=bool(_bool(request, body, "internal")),
                                uploads=_uploads(request, body.get("attachments")))
    return _entry_response(request, obj, entry, 201)


@view_config(route_name="api_type_comment", request_method="GET", renderer="json", permission="procura.view")
@api_view
def comment_get(request):
    obj = _object(request)
    return feedsvc.entry_json(request, obj, feedsvc.find(request, obj, request.matchdict["entry_id"]))


@view_config(route_name="api_type_comment", request_method="PATCH", renderer="json", permission="procura.view")
@api_view
def comment_patch(request):
    obj = _object(request, writing=True)
    body = json_body(request)
    _check_keys(request, body, ("text", "internal"))
    entry_id = request.matchdict["entry_id"]
    entry = feedsvc.find(request, obj, entry_id)
    text = body["text"] if "text" in body else entry.text
    entry = feedsvc.edit_comment(request, obj, entry_id, text, internal=_bool(request, body, "internal"))
    return _entry_response(request, obj, entry)


@view_config(route_name="api_type_comment", request_method="DELETE", permission="procura.view")
@api_view
def comment_delete(request):
    obj = _object(request, writing=True)
    feedsvc.delete_comment(request, obj, request.matchdict["entry_id"])
    return Response(status=204)


@view_config(route_name="api_type_comment_reactions", request_method="POST", renderer="json",
             permission="procura.view")
@api_view
def reaction_post(request):
    obj = _object(request, writing=True)
    body = json_body(request)
    _check_keys(request, body, ("emoji",))
    entry_id = request.matchdict["entry_id"]
    active = feedsvc.toggle_reaction(request, obj, entry_id, body.get("emoji"))
    entry = feedsvc.find(request, obj, entry_id)
    data = feedsvc.entry_json(request, obj, entry)
    data["reacted"] = active
    return data

