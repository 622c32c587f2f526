"""REST endpoints of the signed-in user's tokens and of the security settings::

    GET    /api/v1/me/tokens            the caller's tokens (never the secret)
    POST   /api/v1/me/tokens            {"name", "days"} -> 201 {"token": "prc_...", ...} (shown once)
    DELETE /api/v1/me/tokens/{id}       revoke
    GET    /api/v1/settings/security    the security settings (procura.admin)
    PUT    /api/v1/settings/security    replace them (every key; validation errors as problem+json)
"""
from __future__ import annotations

import colander
from pyramid.response import Response
from pyramid.view import view_config

from procura.api.problems import problem_response
from procura.i18n import _
from procura.security import create_token, revoke_token
from procura.security.audit import record_login_event
from procura.security.permissions import ADMIN, API_TOKENS
from procura.security.store import security_settings
from procura.security.views.admin import save, settings_schema


def _problem(request, status, title, detail=None, errors=None):
    request.tm.doom()
    return problem_response(request, status, title, detail, errors=errors)


def token_json(meta, digest):
    def iso(v):
        return v.isoformat().replace("+00:00", "Z") if v else None

    return {"id": meta.get("id", digest[:12]), "name": meta.get("name") or "", "created": iso(meta.get("created")),
            "expires": iso(meta.get("expires")), "revoked": bool(meta.get("revoked"))}


@view_config(route_name="api_me_tokens", request_method="GET", renderer="json", permission="procura.view")
def tokens_get(request):
    user = request.identity
    items = [token_json(meta, digest) for digest, meta in user.api_tokens.items()]
    return {"items": items, "total": len(items)}


@view_config(route_name="api_me_tokens", request_method="POST", renderer="json", permission="procura.view")
def tokens_post(request):
    user = request.identity
    if not request.grants.has(API_TOKENS):
        return _problem(request, 403, _("Forbidden"), _("Your role may not use the REST API."))
    try:
        body = request.json_body if request.body else {}
    except ValueError:
        return _problem(request, 400, _("Invalid JSON"), _("The request body is not valid JSON."))
    schema = colander.SchemaNode(colander.Mapping(unknown="raise"))
    schema.add(colander.SchemaNode(colander.String(), name="name", missing="", validator=colander.Length(max=100)))
    schema.add(colander.SchemaNode(colander.Integer(), name="days", missing=90, validator=colander.Range(1, 730)))
    try:
        data = schema.deserialize(body if isinstance(body, dict) else None)
    except colander.Invalid as exc:
        return _problem(request, 422, _("Validation failed"), _("Some fields are not valid."),
                        errors=exc.asdict(translate=request.localizer.translate))
    token = create_token(request.app_root, user, name=data["name"], days=data["days"])
    record_login_event(request, "token_created", user.login, success=True, method="token", detail=data["name"])
    from procura.security import token_digest

    digest = token_digest(token)
    request.response.status = 201
    return {**token_json(user.api_tokens[digest], digest), "token": token}


@view_config(route_name="api_me_token", request_method="DELETE", permission="procura.view")
def token_delete(request):
    user = request.identity
    if not revoke_token(request.app_root, user, request.matchdict["id"]):
        return _problem(request, 404, _("Not found"), _("There is nothing at this address."))
    record_login_event(request, "token_revoked", user.login, success=True, method="token")
    return Response(status=204)


@view_config(route_name="api_security_settings", request_method="GET", renderer="json", permission=ADMIN)
def settings_get(request):
    return security_settings(request)


@view_config(route_name="api_security_settings", request_method="PUT", renderer="json", permission=ADMIN)
def settings_put(request):
    try:
        body = request.json_body
    except ValueError:
        return _problem(request, 400, _("Invalid JSON"), _("The request body is not valid JSON."))
    try:
        data = settings_schema(with_csrf=False).deserialize(body if isinstance(body, dict) else None)
    except colander.Invalid as exc:
        return _problem(request, 422, _("Validation failed"), _("Some fields are not valid."),
                        errors=exc.asdict(translate=request.localizer.translate))
    save(request, data)
    return security_settings(request)
