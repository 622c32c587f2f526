"""Home, language switch, profile, system status, health check."""
from __future__ import annotations

from datetime import UTC, datetime

import colander
import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.view import view_config

from procura.i18n import LANGUAGES, LOCALE_COOKIE, _
from procura.settings import redact_uri
from procura.views.auth import safe_came_from
from procura.views.forms import make_form, render_form


@view_config(route_name="home", renderer="procura:templates/home.pt", permission="procura.view")
def home_view(request):
    widgets = []
    for result in request.pm.hook.procura_dashboard_widgets(request=request):
        widgets.extend(result or [])
    widgets = [w for w in sorted(widgets, key=lambda w: (w.order, w.name))
               if not w.permission or request.has_permission(w.permission, request.root)]
    return {"widgets": widgets, "addons": request.registry.procura_addons}


@view_config(route_name="language", request_method=("GET", "POST"), require_csrf=False)
def language_view(request):
    """Switch the interface language: a cookie for everyone, and the profile of a signed-in user.

    A plain link (GET) so that it works from the sign-in page too; it changes only a preference.
    """
    code = request.matchdict["code"]
    response = HTTPSeeOther(safe_came_from(request, request.params.get("came_from", "")))
    if code in LANGUAGES:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        user = request.identity
        if user is not None and getattr(user, "locale", None) != code:
            user.locale = code
    return response


@colander.deferred
def _theme_widget(node, kw):
    themes = kw["request"].registry.procura_themes
    return deform.widget.SelectWidget(values=[(n, t["title"]) for n, t in sorted(themes.items())])


PROFILE_FIELDS = ("name", "email", "phone", "locale", "timezone", "name_order")


def profile_form(request, user):
    """The user's own record (the fields above, as far as their roles let them edit them) plus the theme."""
    from procura.views.forms import deferred_csrf_default

    svc = request.types
    info = svc.info("user")
    editable = {f.name: f for f in svc.editable_fields(info, user)}
    fields = [editable[n] for n in PROFILE_FIELDS if n in editable]
    schema = svc.schema(info, user, fields=fields)
    schema.title = ""  # the page has its own heading
    schema.add(colander.SchemaNode(colander.String(), name="theme", title=_("Theme"), widget=_theme_widget,
                                   missing="default"))
    schema.add(colander.SchemaNode(colander.Integer(), name="version", widget=deform.widget.HiddenWidget(),
                                   missing=colander.drop))
    schema.add(colander.SchemaNode(colander.String(), name="csrf_token", widget=deform.widget.HiddenWidget(),
                                   default=deferred_csrf_default, missing=colander.drop))
    form = make_form(request, schema, buttons=(deform.Button("save", _("Save"), css_class="btn-primary"),),
                     formid="profile-form")
    return form, fields


@view_config(route_name="profile", renderer="procura:templates/profile.pt", permission="procura.view")
def profile_view(request):
    from procura.types.service import StaleVersion, ValidationFailed
    from procura.types.views.record import failure_from_errors

    user = request.identity
    svc = request.types
    info = svc.info("user")
    form, fields = profile_form(request, user)
    if request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as exc:
            return {"form": render_form(exc)}
        theme = data.pop("theme", "default")
        version = data.pop("version", None)
        data.pop("csrf_token", None)
        try:
            values = svc._storage(fields, data)
            svc.update(user, values, expected_version=version)
        except ValidationFailed as exc:
            return {"form": failure_from_errors(request, form, exc.errors).render()}
        except StaleVersion as exc:
            request.session.flash(exc.message(request), "danger")
            return HTTPSeeOther(request.route_url("profile"))
        user.theme = theme if theme in request.registry.procura_themes else "default"
        locale = user.locale or request.localizer.locale_name
        # The session stores a flash as a plain string (JSON): translate it now, into the chosen language.
        localizer = make_localizer(locale, request.registry.queryUtility(ITranslationDirectories, default=[]))
        request.session.flash(localizer.translate(_("Profile saved.")), "success")
        response = HTTPSeeOther(request.route_url("profile"))
        if user.locale:
            response.set_cookie(LOCALE_COOKIE, user.locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
    appstruct = {f.name: f.to_appstruct(getattr(user, f.name, None)) for f in fields}
    appstruct.update(theme=getattr(user, "theme", None) or "default", version=user.version)
    if "locale" in appstruct and appstruct["locale"] is colander.null:
        appstruct["locale"] = request.localizer.locale_name
    return {"form": render_form(form, appstruct), "info": info}


def worker_status(request):
    beat = request.app_root.system.get("worker_heartbeat")
    if not beat:
        return None, None
    age = (datetime.now(UTC) - beat["at"]).total_seconds()
    return beat, age


@view_config(route_name="admin_status", renderer="procura:templates/status.pt", permission="procura.admin")
def status_view(request):
    settings = request.registry.settings
    beat, age = worker_status(request)
    checks = []
    for result in request.pm.hook.procura_status_checks(request=request):
        checks.extend(result or [])
    return {
        "enabled": request.registry.procura_addons,
        "available": request.registry.procura_available,
        "schema_versions": dict(request.app_root.schema_versions),
        "zodb_uri": redact_uri(settings["procura.zodb_uri"]),
        "broker_url": redact_uri(settings["procura.broker_url"]),
        "index_path": settings["procura.index_path"],
        "heartbeat": beat,
        "heartbeat_age": age,
        "checks": checks,
    }


@view_config(route_name="healthz", renderer="json", require_csrf=False)
def healthz(request):
    """Load-balancer probe: the process is up and its database answers."""
    len(request.app_root.schema_versions)  # opens a connection and loads the root
    return {"status": "ok"}
