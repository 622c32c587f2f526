"""Principals, sign-in state and the Pyramid 2 security policy.

Identity comes from the session (``userid``, with lifetime and idle limits) or, on the REST API,
from an ``Authorization: Bearer <token>`` header. Permissions: ``procura.view`` (the staff
application) for signed-in employees; type permissions ``<addon>.<action>-<type>`` by the scope
the user's roles give, checked against the record when the context is one; named permissions by
the roles (``procura.security.grants``). See docs/architecture.md, "Security".
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from pyramid.security import Allowed, Denied

from procura.content import APP_KEY
from procura.security.principals import User, normalise_login  # noqa: F401 - re-exported

log = logging.getLogger(__name__)
TOKEN_PREFIX = "prc_"  # noqa: S105 - a public prefix that makes leaked tokens recognisable
VIEW = "procura.view"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def users_container(app_root):
    from procura.types.content import container_for

    return container_for(app_root, "user")


def get_user(app_root, login: str | None):
    """The live (not trashed) user with that login, or None."""
    if not login:
        return None
    try:
        user = users_container(app_root).get(normalise_login(login))
    except KeyError:
        return None
    if user is None or user.deleted:
        return None
    return user


def create_token(app_root, user, name: str = "", days: int | None = 90) -> str:
    """A new API token for ``user`` (returned once; only its SHA-256 digest is stored)."""
    from procura.security.store import auth_store

    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = token_digest(token)
    now = dt.datetime.now(dt.UTC)
    user.api_tokens[digest] = {
        "name": name, "created": now, "expires": now + dt.timedelta(days=days) if days else None,
        "revoked": False, "last_used": None, "id": digest[:12],
    }
    auth_store(app_root).tokens[digest] = user.login
    return token


def check_token(app_root, token: str):
    """``(user, None)`` for a valid token, else ``(None, reason)``: unknown, revoked, expired, inactive.

    For a known token that is refused, ``reason`` is ``"<reason>:<login>"`` (for the audit)."""
    from procura.security.store import auth_store

    digest = token_digest(token)
    try:
        login = auth_store(app_root).tokens.get(digest)
    except KeyError:
        return None, "unknown"
    user = get_user(app_root, login)
    if user is None:
        return None, "unknown"
    meta = user.api_tokens.get(digest)
    if meta is None:
        return None, "unknown"
    if meta.get("revoked"):
        return None, f"revoked:{user.login}"
    expires = meta.get("expires")
    if expires is not None and expires <= dt.datetime.now(dt.UTC):
        return None, f"expired:{user.login}"
    if not user.active:
        return None, f"inactive:{user.login}"
    return user, None


def revoke_token(app_root, user, token_id: str) -> bool:
    for digest, meta in user.api_tokens.items():
        if meta.get("id", digest[:12]) == token_id and not meta.get("revoked"):
            user.api_tokens[digest] = dict(meta, revoked=True)
            return True
    return False


class SecurityPolicy:
    """Session or Bearer-token identity; permissions from the user's roles (``request.grants``)."""

    def identity(self, request):
        cache = request.__dict__
        if "_procura_identity" in cache:
            return cache["_procura_identity"]
        cache["_procura_identity"] = None  # a failing load (no database) leaves nobody signed in
        user = self._load_identity(request)
        cache["_procura_identity"] = user
        return user

    def _load_identity(self, request):
        try:
            app_root = request.app_root
        except (KeyError, AttributeError):
            return None
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            request.environ["procura.bearer"] = True
            user, reason = check_token(app_root, auth[7:].strip())
            if user is None:
                request.environ["procura.token_refused"] = reason
            return user
        login = request.session.get("userid")
        if not login:
            return None
        user = get_user(app_root, login)
        if user is None or not user.active:
            request.session.invalidate()
            return None
        from procura.security.sessions import check_session

        if not check_session(request, user):
            return None
        return user

    def authenticated_userid(self, request):
        user = self.identity(request)
        return user.login if user is not None else None

    def permits(self, request, context, permission):
        user = self.identity(request)
        if getattr(request, "procura_system", False):
            return Allowed("system")
        if user is None:
            return Denied("not signed in")
        if permission == VIEW:
            return Allowed("signed in") if user.kind == "staff" else Denied("portal users use the portal")
        from procura.security.grants import grants_for
        from procura.types.content import Content

        grants = grants_for(request)
        mapped = request.registry.procura_types.permission_map().get(permission)
        if mapped is not None:
            type_name, action = mapped
            info = request.registry.procura_types[type_name]
            obj = context if isinstance(context, Content) and context.type_name == type_name else None
            if grants.allows(info, action, obj):
                return Allowed(f"{permission}: scope {grants.scope(info, action)}")
            return Denied(f"{permission}: scope {grants.scope(info, action)}")
        if grants.has(permission):
            return Allowed(f"granted {permission}")
        return Denied(f"not granted {permission}")

    def remember(self, request, userid, **kw):
        # Rotate the session at sign-in: a fixated pre-login session id is worthless afterwards.
        from procura.security.sessions import start_session

        request.session.invalidate()
        start_session(request, userid)
        request.__dict__.pop("_procura_identity", None)
        request.__dict__.pop("_procura_grants", None)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        request.__dict__.pop("_procura_identity", None)
        request.__dict__.pop("_procura_grants", None)
        return []


def app_root_of(request):
    from pyramid_zodbconn import get_connection

    return get_connection(request).root()[APP_KEY]
