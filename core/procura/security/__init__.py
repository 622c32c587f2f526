"""Principals and the Pyramid 2 security policy.

Identity comes from the session (``userid``) or, on the REST API, from an
``Authorization: Bearer <token>`` header. Principals of a user: ``system.Everyone``,
``system.Authenticated``, ``user:<login>`` and ``role:<role>`` for each role; permissions are read
from ``__acl__`` along the resource's lineage. The access-control issue extends roles with scopes and
field-level access on top of this policy.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.security import Allowed

from procura.content import APP_KEY, Folder

_hasher = PasswordHasher()
TOKEN_PREFIX = "prc_"  # noqa: S105 - a public prefix that makes leaked tokens recognisable


class User(Persistent):
    def __init__(self, login, fullname="", email="", roles=(), locale=None, timezone=None):
        self.login = login
        self.fullname = fullname
        self.email = email
        self.roles = PersistentList(roles)
        self.locale = locale
        self.timezone = timezone
        self.active = True
        self.password_hash = None
        self.api_tokens = PersistentMapping()  # sha256 hex -> {name, created, expires, revoked}

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash or not password:
            return False
        try:
            ok = _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return ok

    @property
    def principals(self):
        # Every staff user has the pseudo-role "user" (what any signed-in employee may do).
        return [f"user:{self.login}", "role:user"] + [f"role:{r}" for r in self.roles if r != "user"]

    @property
    def display_name(self):
        return self.fullname or self.login


class Users(Folder):
    """The ``users`` folder at the root, keyed by login, with a token index for Bearer auth."""

    def __init__(self):
        super().__init__()
        from BTrees.OOBTree import OOBTree

        self.tokens = OOBTree()  # sha256 hex -> login

    def create_token(self, user: User, name: str = "", days: int | None = 90) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_digest(token)
        now = datetime.now(UTC)
        user.api_tokens[digest] = {
            "name": name,
            "created": now,
            "expires": now + timedelta(days=days) if days else None,
            "revoked": False,
        }
        self.tokens[digest] = user.login
        return token

    def user_for_token(self, token: str) -> User | None:
        digest = token_digest(token)
        login = self.tokens.get(digest)
        user = self.get(login) if login else None
        if user is None or not user.active:
            return None
        meta = user.api_tokens.get(digest)
        if meta is None or meta.get("revoked"):
            return None
        expires = meta.get("expires")
        if expires is not None and expires <= datetime.now(UTC):
            return None
        return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get_users(app_root) -> Users:
    return app_root["users"]


class SecurityPolicy:
    """Session or Bearer-token identity; ACL permissions with user and role principals."""

    def __init__(self):
        self.acl = ACLHelper()

    def identity(self, request):
        cache = request.__dict__
        if "_procura_identity" in cache:
            return cache["_procura_identity"]
        user = self._load_identity(request)
        cache["_procura_identity"] = user
        return user

    def _load_identity(self, request):
        try:
            users = get_users(request.app_root)
        except (KeyError, AttributeError):
            return None
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            request.environ["procura.bearer"] = True
            return users.user_for_token(auth[7:].strip())
        login = request.session.get("userid")
        if not login:
            return None
        user = users.get(login)
        if user is None or not user.active:
            return None
        return user

    def authenticated_userid(self, request):
        user = self.identity(request)
        return user.login if user is not None else None

    def effective_principals(self, request):
        user = self.identity(request)
        principals = [Everyone]
        if user is not None:
            principals += [Authenticated] + user.principals
        return principals

    def permits(self, request, context, permission):
        principals = self.effective_principals(request)
        result = self.acl.permits(context, principals, permission)
        if result:
            return result
        grants = getattr(request.registry, "procura_role_grants", {})
        for principal in principals:
            if principal.startswith("role:") and permission in grants.get(principal[5:], ()):
                return Allowed(f"role {principal[5:]} is granted {permission}")
        return result

    def remember(self, request, userid, **kw):
        # Rotate the session at sign-in: a fixated pre-login session id is worthless afterwards.
        request.session.invalidate()
        request.session["userid"] = userid
        request.session.new_csrf_token()
        request.__dict__.pop("_procura_identity", None)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        request.__dict__.pop("_procura_identity", None)
        return []


def app_root_of(request):
    from pyramid_zodbconn import get_connection

    return get_connection(request).root()[APP_KEY]
