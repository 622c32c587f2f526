"""The administrator's security settings: password rules, lockout, recovery, sessions, second
factor methods. Page ``/admin/security``; API ``GET|PUT /api/v1/settings/security``."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from procura.i18n import _
from procura.security.permissions import ADMIN
from procura.security.store import auth_store, security_settings
from procura.views.forms import CSRFSchema, make_form, render_form

METHOD_CHOICES = [("totp", _("Authenticator app")), ("email", _("Code by email")), ("telegram", _("Code by Telegram"))]


def _int(name, title, minimum, maximum, description="", missing=colander.required):
    return colander.SchemaNode(colander.Integer(), name=name, title=title, description=description,
                               validator=colander.Range(minimum, maximum), missing=missing)


def _bool(name, title, description=""):
    return colander.SchemaNode(colander.Boolean(), name=name, title=title, description=description, missing=False)


def settings_schema(with_csrf=True) -> colander.SchemaNode:
    schema = CSRFSchema() if with_csrf else colander.SchemaNode(colander.Mapping(unknown="raise"))
    schema.add(_int("min_length", _("Minimum password length"), 6, 200))
    schema.add(_bool("require_lower", _("Require a lower-case letter")))
    schema.add(_bool("require_upper", _("Require an upper-case letter")))
    schema.add(_bool("require_digit", _("Require a digit")))
    schema.add(_bool("require_symbol", _("Require a symbol")))
    schema.add(_bool("forbid_login", _("Refuse passwords that contain the login")))
    schema.add(_int("lockout_threshold", _("Failed sign-ins before the account is locked"), 0, 100,
                    _("0 never locks.")))
    schema.add(_int("lockout_minutes", _("Minutes an account stays locked"), 1, 10080))
    schema.add(_bool("password_recovery", _("Users may reset a forgotten password by email")))
    schema.add(_int("reset_link_minutes", _("Minutes a password reset link is valid"), 5, 10080))
    schema.add(_int("session_max_age", _("Longest sign-in, seconds"), 300, 31 * 24 * 3600))
    schema.add(_int("session_idle_timeout", _("Sign out after inactivity, seconds"), 0, 31 * 24 * 3600,
                    _("0 never.")))
    schema.add(colander.SchemaNode(
        colander.Set(), name="second_factor_methods", title=_("Second-factor methods users may use"),
        widget=deform.widget.CheckboxChoiceWidget(values=METHOD_CHOICES, inline=False),
        validator=colander.ContainsOnly([m for m, _t in METHOD_CHOICES]), missing=()))
    schema.add(_int("code_minutes", _("Minutes a code by email or Telegram is valid"), 1, 60))
    schema.add(_int("code_attempts", _("Wrong codes before the sign-in starts over"), 1, 20))
    return schema


def save(request, data: dict) -> None:
    stored = auth_store(request.app_root).settings
    for key, value in data.items():
        if key == "csrf_token":
            continue
        stored[key] = sorted(value) if isinstance(value, (set, frozenset)) else value


def _status(request):
    settings = request.registry.settings
    t = request.localizer.translate
    return [
        (t(_("Outgoing mail")), settings.get("procura.smtp.host") or t(_("not configured: mail goes to var/outbox"))),
        (t(_("Telegram bot")),
         t(_("configured")) if settings.get("procura.telegram.token") else t(_("not configured"))),
        (t(_("LDAP / Active Directory")), settings.get("procura.ldap.url") or t(_("not configured"))),
        (t(_("OpenID Connect providers")), settings.get("procura.oidc.providers") or t(_("not configured"))),
    ]


def _ldap(request) -> dict | None:
    """The directory synchronisation box: whether LDAP is set and how the last run went."""
    from procura.security.directory import configured, last_sync
    from procura.types.formatting import format_datetime

    if not configured(request):
        return None
    last = last_sync(request.app_root)
    if not last:
        return {"last": None, "ok": True, "detail": ""}
    t = request.localizer.translate
    if last.get("ok"):
        detail = t(_("created ${created}, updated ${updated}, deactivated ${deactivated}, reactivated "
                     "${reactivated}, unchanged ${unchanged}, skipped ${skipped}",
                     mapping={k: last.get(k, 0) for k in ("created", "updated", "deactivated", "reactivated",
                                                          "unchanged", "skipped")}))
    else:
        detail = t(_("failed: ${error}", mapping={"error": last.get("error") or ""}))
    return {"last": format_datetime(last.get("at"), request) if last.get("at") else None,
            "ok": bool(last.get("ok")), "detail": detail}


@view_config(route_name="admin_security_ldap_sync", request_method="POST", permission=ADMIN, require_csrf=True)
def admin_security_ldap_sync(request):
    """The "Synchronise now" button: the directory synchronisation job, run after this request."""
    from procura.jobs import enqueue
    from procura.security.directory import SYNC_JOB, configured

    t = request.localizer.translate
    if not configured(request):
        request.session.flash(t(_("LDAP / Active Directory is not configured.")), "warning")
    else:
        enqueue(request, SYNC_JOB, True)
        request.session.flash(t(_("Synchronisation with the directory started; reload this page in a moment to "
                                  "see its result.")), "success")
    return HTTPSeeOther(request.route_url("admin_security"))


@view_config(route_name="admin_security", renderer="procura:templates/auth/admin_security.pt", permission=ADMIN)
def admin_security_view(request):
    form = make_form(request, settings_schema(), formid="security-settings",
                     buttons=(deform.Button("save", _("Save"), css_class="btn-primary"),))
    if request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as exc:
            return {"form": render_form(exc), "status": _status(request), "ldap": _ldap(request)}
        save(request, data)
        request.session.flash(request.localizer.translate(_("Security settings saved.")), "success")
        return HTTPSeeOther(request.route_url("admin_security"))
    values = security_settings(request)
    values["second_factor_methods"] = set(values["second_factor_methods"])
    return {"form": render_form(form, values), "status": _status(request), "ldap": _ldap(request)}
