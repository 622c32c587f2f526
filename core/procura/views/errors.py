"""Forbidden, not-found and bad-CSRF responses: HTML pages for the UI, problem+json for the API."""
from __future__ import annotations

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from procura.api.problems import problem_response
from procura.i18n import _


def _is_api(request):
    return request.path.startswith("/api/")


@forbidden_view_config()
def forbidden(exc, request):
    if _is_api(request):
        if request.identity is None:
            return problem_response(request, 401, _("Authentication required"),
                                    _("Sign in or send a valid API token in the Authorization header."))
        return problem_response(request, 403, _("Forbidden"), _("You do not have permission for this."))
    if request.identity is None and request.method == "GET":
        return HTTPSeeOther(request.route_url("login", _query={"came_from": request.path_qs}))
    request.response.status = 403
    from pyramid.renderers import render_to_response

    return render_to_response("procura:templates/error.pt", {
        "title": _("Access denied"), "message": _("You do not have permission to open this page."),
        "code": 403}, request=request, response=request.response)


@notfound_view_config()
def notfound(exc, request):
    if _is_api(request):
        return problem_response(request, 404, _("Not found"), _("There is nothing at this address."))
    from pyramid.renderers import render_to_response

    request.response.status = 404
    return render_to_response("procura:templates/error.pt", {
        "title": _("Page not found"), "message": _("There is nothing at this address."), "code": 404},
        request=request, response=request.response)


@exception_view_config(BadCSRFToken)
def bad_csrf(exc, request):
    """A POST without the session's CSRF token: an expired form, or one sent from another site."""
    message = _("The form has expired or was sent from another site. Reload the page and try again.")
    if _is_api(request):
        return problem_response(request, 403, _("Missing or invalid CSRF token"), message)
    from pyramid.renderers import render_to_response

    request.response.status = 403
    return render_to_response("procura:templates/error.pt", {
        "title": _("Form expired"), "message": message, "code": 403},
        request=request, response=request.response)
