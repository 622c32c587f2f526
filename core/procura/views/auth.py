"""Sign-in and sign-out pages (the logic is in ``procura.security.auth``)."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.security import forget
from pyramid.view import view_config

from procura.i18n import _
from procura.views.forms import CSRFSchema, make_form, render_form

SESSION_ENDED = {
    "idle_timeout": _("You were signed out after a period of inactivity. Please sign in again."),
    "session_expired": _("Your sign-in has expired. Please sign in again."),
}


class LoginSchema(CSRFSchema):
    login = colander.SchemaNode(
        colander.String(), title=_("Login"), validator=colander.Length(max=200),
        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "username", "autofocus": "autofocus"}),
    )
    password = colander.SchemaNode(
        colander.String(), title=_("Password"), validator=colander.Length(max=1000),
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "current-password"}),
    )


def safe_came_from(request, value):
    """Only a local path: never redirect a user off-site after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return request.application_url + value
    return request.route_url("home")


def _page(request, form_html, *, error=None, came_from="", login=""):
    from procura.security.auth import auth_methods
    from procura.security.store import security_settings

    notice = SESSION_ENDED.get(request.params.get("ended", ""))
    rules = security_settings(request)
    return {
        "form": form_html, "error": error, "came_from": came_from, "notice": notice,
        "methods": [m for m in auth_methods(request)],
        "forgot_url": request.route_url("password_forgot") if rules["password_recovery"] else None,
    }


@view_config(route_name="login", renderer="procura:templates/login.pt", require_csrf=True)
def login_view(request):
    from procura.security.auth import SignInRefused, complete_sign_in, password_sign_in

    came_from = request.params.get("came_from", "")
    if request.identity is not None and request.method == "GET":
        return HTTPFound(safe_came_from(request, came_from))
    buttons = (deform.Button("submit", _("Sign in"), css_class="btn-primary w-100"),)
    form = make_form(request, LoginSchema(), buttons=buttons, formid="login-form")
    if request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as exc:
            return _page(request, render_form(exc), came_from=came_from)
        try:
            user = password_sign_in(request, data["login"], data["password"])
            return complete_sign_in(request, user, "password", came_from=came_from)
        except SignInRefused as refused:
            form = make_form(request, LoginSchema(), buttons=buttons, formid="login-form")
            request.response.status = 200
            return _page(request, render_form(form, {"login": data["login"]}), error=refused.message,
                         came_from=came_from)
    return _page(request, render_form(form), came_from=came_from)


@view_config(route_name="logout", request_method="POST", require_csrf=True)
def logout_view(request):
    from procura.security.audit import record_login_event

    user = request.identity
    if user is not None:
        record_login_event(request, "sign_out", user.login, success=True)
    headers = forget(request)
    return HTTPSeeOther(request.route_url("login"), headers=headers)
