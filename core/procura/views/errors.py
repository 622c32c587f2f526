"""Forbidden, not-found and bad-CSRF responses: HTML pages for the UI, problem+json for the API."""
from __future__ import annotations

import random
import time
from html import escape

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from ZODB.POSException import ConflictError

from procura.api.problems import problem_response
from procura.i18n import _


def _is_api(request):
    return request.path.startswith("/api/")


@forbidden_view_config()
def forbidden(exc, request):
    if _is_api(request):
        if request.identity is None:
            return token_problem(request)
        return problem_response(request, 403, _("Forbidden"), _("You do not have permission for this."))
    ended = request.environ.get("procura.session_ended")
    if request.identity is None and (request.method == "GET" or ended):
        # a form sent after the session ended is not saved: the user signs in again and is told why
        query = {"came_from": request.path_qs} if request.method == "GET" else {}
        if ended:
            query["ended"] = ended
        return HTTPSeeOther(request.route_url("login", _query=query))
    request.response.status = 403
    from pyramid.renderers import render_to_response

    user = request.identity
    if user is not None and getattr(user, "kind", "staff") == "portal":
        # portal users land here after signing in: say where they are instead of a bare refusal
        return render_to_response("procura:templates/error.pt", {
            "title": _("Portal account"),
            "message": _("You are signed in as ${name}, a portal user. The staff pages of Procura are for "
                         "employees; your organisation's pages are in the customer and supplier portal.",
                         mapping={"name": user.display_name}),
            "code": 403}, request=request, response=request.response)
    return render_to_response("procura:templates/error.pt", {
        "title": _("Access denied"), "message": _("You do not have permission to open this page."),
        "code": 403}, request=request, response=request.response)


TOKEN_REFUSED = {
    "expired": _("The API token has expired. Create a new one on your profile page."),
    "revoked": _("The API token has been revoked."),
    "inactive": _("The account of this API token is deactivated."),
    "unknown": _("The API token is not valid."),
}


def token_problem(request):
    """401 for an API call without a usable credential; a refused token is named and audited."""
    reason = request.environ.get("procura.token_refused")
    if reason is None:
        ended = request.environ.get("procura.session_ended")
        detail = (_("Your session ended; sign in again.") if ended
                  else _("Sign in or send a valid API token in the Authorization header."))
        return problem_response(request, 401, _("Authentication required"), detail)
    from procura.security.audit import record_login_event

    reason, _sep, login = reason.partition(":")
    record_login_event(request, "token_refused", login, success=False, method="token", detail=reason)
    detail = TOKEN_REFUSED.get(reason, TOKEN_REFUSED["unknown"])
    response = problem_response(request, 401, _("Invalid API token"), detail)
    response.headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{reason}"'
    return response


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


@exception_view_config(ConflictError)
def write_conflict(exc, request):
    """A write that still conflicted after every retry: say so clearly; nothing was saved.

    Earlier attempts also land here, but pyramid_retry discards their response and retries.
    The page is rendered without the database (the transaction has been aborted).
    """
    title = _("Saved by someone else at the same moment")
    message = _("Another change to the same record was saved at the same moment, so yours was not saved. "
                "Try again.")
    if _is_api(request):
        return problem_response(request, 409, title, message)
    t = request.localizer.translate
    body = (f'<!DOCTYPE html><html lang="{escape(request.localizer.locale_name)}"><head><meta charset="utf-8">'
            f'<title>{escape(t(title))}</title></head><body><h1>{escape(t(title))}</h1>'
            f'<p>{escape(t(message))}</p></body></html>')
    return Response(body, status=409, content_type="text/html", charset="utf-8")


def retry_backoff(event):
    """Before pyramid_retry tries a conflicting request again, wait a random, growing moment so
    that requests that collided do not collide again in lockstep."""
    attempt = event.request.environ.get("retry.attempt", 0)
    time.sleep(random.uniform(0, 0.01 * (2 ** attempt)))  # noqa: S311 - jitter, not security
