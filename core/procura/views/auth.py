"""Sign-in and sign-out."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import view_config

from procura.i18n import _
from procura.security import get_users
from procura.views.forms import CSRFSchema, make_form, render_form


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


@view_config(route_name="login", renderer="procura:templates/login.pt", require_csrf=True)
def login_view(request):
    came_from = request.params.get("came_from", "")
    if request.identity is not None and request.method == "GET":
        return HTTPFound(safe_came_from(request, came_from))
    buttons = (deform.Button("submit", _("Sign in"), css_class="btn-primary w-100"),)
    form = make_form(request, LoginSchema(), buttons=buttons, formid="login-form")
    error = None
    if request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as exc:
            return {"form": render_form(exc), "error": None, "came_from": came_from}
        user = get_users(request.app_root).get(data["login"].strip())
        if user is not None and user.active and user.check_password(data["password"]):
            headers = remember(request, user.login)
            return HTTPSeeOther(safe_came_from(request, came_from), headers=headers)
        error = _("Wrong login or password.")
        form = make_form(request, LoginSchema(), buttons=buttons, formid="login-form")
        return {"form": render_form(form, {"login": data["login"]}), "error": error, "came_from": came_from}
    return {"form": render_form(form), "error": error, "came_from": came_from}


@view_config(route_name="logout", request_method="POST", require_csrf=True)
def logout_view(request):
    headers = forget(request)
    return HTTPSeeOther(request.route_url("login"), headers=headers)
