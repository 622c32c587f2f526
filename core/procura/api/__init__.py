"""REST API of the core under /api/v1. Types get their endpoints from the type registry."""
from __future__ import annotations

from pyramid.view import view_config

from procura.i18n import _


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


def user_json(request, user):
    """The caller's user record (as ``GET /api/v1/user/<login>`` shows it) plus what they may do."""
    grants = request.grants
    data = request.types.to_json(user)
    data.update({
        "login": user.login,
        "fullname": user.fullname,
        "effective_roles": list(grants.role_names),
        "effective_teams": sorted(grants.teams),
        "second_factor": sorted(user.second_factors),
    })
    return data


ME_FIELDS = ("name", "email", "phone", "locale", "timezone", "name_order")


@view_config(route_name="api_me", request_method="GET", renderer="json", permission="procura.view")
def me_get(request):
    return user_json(request, request.identity)


@view_config(route_name="api_me", request_method="PATCH", renderer="json", permission="procura.view")
def me_patch(request):
    """Change one's own profile fields (the same rules as ``PATCH /api/v1/user/<login>``)."""
    from procura.api.types import api_view, expected_version, json_body
    from procura.types.service import ValidationFailed

    @api_view
    def run(request):
        body = json_body(request)
        user = request.identity
        unknown = sorted(k for k in body if k not in ME_FIELDS and k != "version")
        if unknown:
            t = request.localizer.translate
            raise ValidationFailed({k: t(_("Not a profile field: use PATCH /api/v1/user/<login>")) for k in unknown})
        svc = request.types
        info = svc.info("user")
        values = svc.validate_json(info, {k: v for k, v in body.items() if k != "version"}, user, partial=True)
        svc.update(user, values, expected_version=expected_version(request, body))
        return user_json(request, user)

    return run(request)


@view_config(route_name="api_addons", request_method="GET", renderer="json", permission="procura.view")
def addons_get(request):
    t = request.localizer.translate
    return {"items": [
        {"name": a.name, "title": t(a.title), "version": a.version, "depends": a.depends}
        for a in request.registry.procura_addons
    ]}
