"""REST API of the core under /api/v1. Types get their endpoints from the type registry."""
from __future__ import annotations

import colander
from pyramid.view import view_config

from procura.api.problems import problem_response
from procura.i18n import LANGUAGES, _


def includeme(config):
    from procura.api import feed, types

    # Order matters: the fixed paths come before the generic /api/v1/{type} routes (which, besides,
    # only match registered type names, so an addon's own /api/v1/... routes are never shadowed).
    config.add_route("api_me", "/api/v1/me")
    config.add_route("api_addons", "/api/v1/addons")
    types.includeme(config)
    feed.include_routes(config)  # /api/v1/{type}/{id}/feed, .../comments...: before the generic type routes
    types.include_type_routes(config)
    config.scan("procura.api")


def user_json(user):
    return {
        "login": user.login,
        "fullname": user.fullname,
        "email": user.email,
        "roles": list(user.roles),
        "locale": user.locale,
        "timezone": user.timezone,
    }


class MePatch(colander.MappingSchema):
    fullname = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing=colander.drop)
    email = colander.SchemaNode(colander.String(), validator=colander.Email(), missing=colander.drop)
    locale = colander.SchemaNode(colander.String(), validator=colander.OneOf(list(LANGUAGES)), missing=colander.drop)


@view_config(route_name="api_me", request_method="GET", renderer="json", permission="procura.view")
def me_get(request):
    return user_json(request.identity)


@view_config(route_name="api_me", request_method="PATCH", renderer="json", permission="procura.view")
def me_patch(request):
    try:
        body = request.json_body
    except ValueError:
        return problem_response(request, 400, _("Invalid JSON"), _("The request body is not valid JSON."))
    if not isinstance(body, dict):
        return problem_response(request, 400, _("Invalid JSON"), _("The request body must be a JSON object."))
    unknown = sorted(set(body) - {"fullname", "email", "locale"})
    if unknown:
        return problem_response(request, 422, _("Validation failed"), _("Unknown fields."),
                                errors={k: _("Unknown field") for k in unknown})
    try:
        data = MePatch().deserialize(body)
    except colander.Invalid as exc:
        return problem_response(request, 422, _("Validation failed"), _("Some fields are not valid."),
                                errors=exc.asdict(translate=request.localizer.translate))
    user = request.identity
    for key, value in data.items():
        setattr(user, key, value)
    return user_json(user)


@view_config(route_name="api_addons", request_method="GET", renderer="json", permission="procura.view")
def addons_get(request):
    t = request.localizer.translate
    return {"items": [
        {"name": a.name, "title": t(a.title), "version": a.version, "depends": a.depends}
        for a in request.registry.procura_addons
    ]}
