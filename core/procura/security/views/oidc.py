"""Sign-in with an OpenID Connect provider: the start (a redirect to the provider) and the callback.

The logic is in ``procura.security.oidc``. Both are GET requests: the start changes nothing but the
session, and the callback is bound to its sign-in by the ``state`` kept in the session (plus the
PKCE verifier and the ID token's ``nonce``), which is what a CSRF token would do. A refusal never
ends in an error page: the user is back on the sign-in page with the reason, and the sign-in audit
has it.
"""
from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from transaction.interfaces import TransientError

from procura.i18n import _
from procura.security import oidc
from procura.security.audit import record_login_event

log = logging.getLogger(__name__)


def includeme(config):
    config.add_route("login_oidc", "/login/oidc/{provider}")
    config.add_route("login_oidc_callback", "/login/oidc/{provider}/callback")
    oidc.providers(config.registry)  # a mistake in the provider settings stops the start, with its reason


def _provider(request) -> oidc.Provider:
    provider = oidc.providers(request.registry).get(request.matchdict["provider"])
    if provider is None:
        raise HTTPNotFound()
    return provider


def _back_to_login(request, message, came_from: str = ""):
    request.tm.doom()  # nothing a refused sign-in did is kept (its audit record has its own transaction)
    request.session.flash(request.localizer.translate(message), "danger")
    query = {"came_from": came_from} if came_from else {}
    return HTTPSeeOther(request.route_url("login", _query=query))


def _refused(request, provider, failure: oidc.OidcFailure, came_from: str = ""):
    record_login_event(request, "external_failure", failure.login, success=False, method=oidc.METHOD,
                       detail=f"{provider.name}: {failure.detail}"[:2000])
    return _back_to_login(request, failure.message, came_from)


def _unexpected(provider, exc: Exception) -> oidc.OidcFailure:
    log.exception("OpenID Connect sign-in with %s failed unexpectedly", provider.name)
    return oidc.OidcFailure(_("The sign-in with “${provider}” failed. Try again, or ask an administrator.",
                              mapping={"provider": provider.label}),
                            f"unexpected error: {exc.__class__.__name__}")


@view_config(route_name="login_oidc", request_method="GET")
def oidc_start_view(request):
    provider = _provider(request)
    came_from = request.params.get("came_from", "")
    try:
        url = oidc.start(request, provider, came_from)
    except oidc.OidcFailure as failure:
        return _refused(request, provider, failure, came_from)
    except TransientError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user gets the sign-in page with a message, never a 500
        return _refused(request, provider, _unexpected(provider, exc), came_from)
    return HTTPSeeOther(url)


@view_config(route_name="login_oidc_callback", request_method="GET")
def oidc_callback_view(request):
    from procura.security.auth import SignInRefused, complete_sign_in

    provider = _provider(request)
    came_from = ""
    try:
        claims, came_from = oidc.finish(request, provider)
        user = oidc.user_for_claims(request, provider, claims)
    except oidc.OidcFailure as failure:
        return _refused(request, provider, failure, came_from)
    except TransientError:
        raise  # a write conflict: pyramid_retry runs the request again
    except Exception as exc:  # noqa: BLE001 - the user gets the sign-in page with a message, never a 500
        return _refused(request, provider, _unexpected(provider, exc), came_from)
    try:
        return complete_sign_in(request, user, oidc.METHOD, came_from=came_from)
    except SignInRefused as refused:  # inactive, outside working hours: audited by complete_sign_in
        return _back_to_login(request, refused.message, came_from)
