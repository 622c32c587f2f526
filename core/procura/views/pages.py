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
from procura.views.forms import CSRFSchema, make_form, render_form


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


def _timezones():
    from zoneinfo import available_timezones

    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


@colander.deferred
def _tz_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", "—")] + [(z, z) for z in _timezones()])


@colander.deferred
def _theme_widget(node, kw):
    themes = kw["request"].registry.procura_themes
    return deform.widget.SelectWidget(values=[(n, t["title"]) for n, t in sorted(themes.items())])


def _tz_validator(node, value):
    if value and value not in _timezones():
        raise colander.Invalid(node, _("Unknown time zone"))


class ProfileSchema(CSRFSchema):
    fullname = colander.SchemaNode(colander.String(), title=_("Full name"), validator=colander.Length(max=200),
                                   missing="")
    email = colander.SchemaNode(colander.String(), title=_("Email"), validator=colander.Email(), missing="")
    locale = colander.SchemaNode(
        colander.String(), title=_("Language"), validator=colander.OneOf(list(LANGUAGES)),
        widget=deform.widget.SelectWidget(values=list(LANGUAGES.items())),
    )
    timezone = colander.SchemaNode(colander.String(), title=_("Time zone"), widget=_tz_widget,
                                   validator=_tz_validator, missing="")
    theme = colander.SchemaNode(colander.String(), title=_("Theme"), widget=_theme_widget, missing="default")


@view_config(route_name="profile", renderer="procura:templates/profile.pt", permission="procura.view")
def profile_view(request):
    user = request.identity
    form = make_form(request, ProfileSchema(), buttons=(deform.Button("save", _("Save"), css_class="btn-primary"),),
                     formid="profile-form")
    if request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as exc:
            return {"form": render_form(exc)}
        for key in ("fullname", "email", "locale", "timezone", "theme"):
            setattr(user, key, data[key] or None if key == "timezone" else data[key])
        # The session stores a flash as a plain string (JSON): translate it now, into the chosen language.
        localizer = make_localizer(data["locale"], request.registry.queryUtility(ITranslationDirectories, default=[]))
        request.session.flash(localizer.translate(_("Profile saved.")), "success")
        response = HTTPSeeOther(request.route_url("profile"))
        response.set_cookie(LOCALE_COOKIE, data["locale"], max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
    appstruct = {
        "fullname": user.fullname or "", "email": user.email or "",
        "locale": request.localizer.locale_name,
        "timezone": user.timezone or "", "theme": getattr(user, "theme", None) or "default",
    }
    return {"form": render_form(form, appstruct)}


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
