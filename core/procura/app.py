"""Pyramid configuration of the core; addons are included in dependency order."""
from __future__ import annotations

import secrets
from pathlib import Path

from pyramid.config import Configurator
from pyramid.events import BeforeRender, NewResponse
from pyramid.session import SignedCookieSessionFactory

from procura import addons as addon_loader
from procura.i18n import negotiate_locale
from procura.security import SecurityPolicy, app_root_of
from procura.settings import as_bool

# JavaScript/CSS libraries installed from the npm registry (package.json), served read-only.
VENDOR_DIRS = {
    "bootstrap": "bootstrap/dist",
    "bootstrap-icons": "bootstrap-icons/font",
    "htmx": "htmx.org/dist",
    "jquery": "jquery/dist",
    "sortablejs": "sortablejs",
}


def read_secret(settings: dict) -> str:
    path = Path(settings["procura.secret_file"])
    if path.exists():
        return path.read_text().strip()
    if settings.get("procura.testing"):
        return secrets.token_hex(32)
    raise RuntimeError(f"No installation secret at {path}: run `procura init` first")


def build_config(settings: dict) -> Configurator:
    enabled, available, pm = addon_loader.load(settings)
    settings = dict(settings)
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    settings.setdefault("retry.attempts", settings.get("procura.retry_attempts", "5"))
    config = Configurator(settings=settings, root_factory=root_factory)
    registry = config.registry
    registry.procura_addons = enabled
    registry.procura_available = available
    registry.procura_pm = pm
    from procura.types.registry import collect_types

    registry.procura_types = collect_types(pm)

    config.include("pyramid_chameleon")
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    from pyramid_retry import IBeforeRetry

    config.add_subscriber("procura.views.errors.retry_backoff", IBeforeRetry)

    secure = settings.get("procura.session_secure", "auto")
    registry.procura_secret = read_secret(settings)
    config.set_session_factory(
        SignedCookieSessionFactory(
            registry.procura_secret,
            cookie_name="procura_session",
            httponly=True,
            samesite="Lax",
            secure=as_bool(secure) if secure != "auto" else False,
            max_age=None,
            # lifetime and idle timeout are enforced by procura.security.sessions (admin-editable);
            # the cookie's own timeout is only the outer bound
            timeout=max(int(settings.get("procura.session_max_age", 28800) or 28800), 7 * 24 * 3600),
            reissue_time=60,
        )
    )
    config.set_security_policy(SecurityPolicy())
    # CSRF on every unsafe request that a session cookie could authenticate. Bearer-token calls and
    # calls without a session cookie carry no ambient credentials (the latter then get a clean 401).
    config.set_default_csrf_options(require_csrf=True, callback=csrf_applies)
    config.set_locale_negotiator(negotiate_locale)
    config.add_translation_dirs("deform:locale/", "colander:locale/", "procura:locale/")
    config.add_request_method(app_root_of, "app_root", reify=True)
    config.add_request_method(lambda r: r.registry.procura_pm, "pm", reify=True)
    config.add_request_method(lambda r: secrets.token_urlsafe(16), "csp_nonce", reify=True)
    config.add_request_method(render_widget, "render_widget")
    from procura.security.grants import grants_for

    config.add_request_method(grants_for, "grants", property=True)

    node_modules = Path(settings["procura.node_modules"])
    for name, sub in VENDOR_DIRS.items():
        config.add_static_view(f"static/vendor/{name}", str(node_modules / sub), cache_max_age=86400)
    config.add_static_view("static/deform", "deform:static/", cache_max_age=86400)
    config.add_static_view("static/core", "procura:static/", cache_max_age=3600)
    from procura.themes import include_themes

    include_themes(config)

    # Search and export first: their fixed paths (/t/{type}/export.csv) must precede the generic
    # /t/{type}/{id} routes of the type views.
    config.include("procura.search")
    config.include("procura.export")
    config.include("procura.types")
    config.include("procura.views")
    config.include("procura.api")
    config.include("procura.security.views")
    config.include("procura.notify.views")
    config.add_subscriber("procura.app.add_renderer_globals", BeforeRender)
    config.add_subscriber("procura.app.security_headers", NewResponse)
    for addon in enabled:
        config.include(addon.package)
    from procura.security.permissions import collect_permissions

    registry.procura_permissions = collect_permissions(pm)
    return config


def csrf_applies(request) -> bool:
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return False  # the identity is then the token's only (SecurityPolicy), never the cookie's
    return "procura_session" in request.cookies or not request.path.startswith("/api/")


def render_widget(request, widget):
    from pyramid.renderers import render

    return render(widget.template, dict(widget.values, widget=widget), request=request)


def root_factory(request):
    return request.app_root


def add_renderer_globals(event):
    request = event.get("request")
    if request is None:
        return
    from procura.themes import layout_for
    from procura.views.layout import LayoutHelper

    event.setdefault("layout", layout_for(request))
    event.setdefault("ui", LayoutHelper(request))
    event.setdefault("_", request.localizer.translate)


def security_headers(event):
    request, response = event.request, event.response
    nonce = request.csp_nonce
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if request.scheme == "https" and request.registry.settings.get("procura.session_secure", "auto") == "auto":
        cookies = headers.getall("Set-Cookie")
        if any(c.startswith("procura_session=") and "secure" not in c.lower() for c in cookies):
            del headers["Set-Cookie"]
            for c in cookies:
                if c.startswith("procura_session=") and "secure" not in c.lower():
                    c += "; Secure"
                headers.add("Set-Cookie", c)
