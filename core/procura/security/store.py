"""The persistent side of authentication at ``root["auth"]``: the API token index, pending
second-factor challenges, Telegram link codes and the administrator's security settings.

Security settings have defaults here and in the ini/environment settings (``procura.session_*``);
what an administrator saves on the security settings page is stored and wins.
"""
from __future__ import annotations

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.mapping import PersistentMapping

AUTH_KEY = "auth"

DEFAULT_SECURITY = {
    # password policy (see procura.security.passwords.PasswordPolicy)
    "min_length": 10,
    "require_lower": True,
    "require_upper": True,
    "require_digit": True,
    "require_symbol": False,
    "forbid_login": True,
    # lockout
    "lockout_threshold": 5,  # failed sign-ins in a row that lock the account (0: never)
    "lockout_minutes": 15,
    # password recovery by email
    "password_recovery": True,
    "reset_link_minutes": 60,
    # sessions (None: the ini settings procura.session_max_age / procura.session_idle_timeout)
    "session_max_age": None,
    "session_idle_timeout": None,
    # second factor methods users may choose
    "second_factor_methods": ["totp", "email", "telegram"],
    "code_minutes": 10,  # lifetime of a code sent by email or Telegram
    "code_attempts": 5,  # wrong codes before the sign-in has to start again
}


class AuthStore(Persistent):
    def __init__(self):
        self.tokens = OOBTree()  # sha256(token) -> login
        self.challenges = OOBTree()  # challenge id -> {login, method, digest, expires, attempts}
        self.telegram_links = OOBTree()  # one-time code -> {login, expires}
        self.settings = PersistentMapping()


def auth_store(app_root) -> AuthStore:
    store = app_root.get(AUTH_KEY) if hasattr(app_root, "get") else None
    if store is None:
        raise KeyError("the database has no auth store: run `procura upgrade`")
    return store


def ensure_auth_store(app_root) -> AuthStore:
    if AUTH_KEY not in app_root:
        app_root.add(AUTH_KEY, AuthStore())
    return app_root[AUTH_KEY]


def security_settings(request_or_root, settings: dict | None = None) -> dict:
    """The effective security settings: stored values over the defaults over the ini settings."""
    if hasattr(request_or_root, "app_root"):
        root = request_or_root.app_root
        settings = request_or_root.registry.settings
    else:
        root = request_or_root
    out = dict(DEFAULT_SECURITY)
    settings = settings or {}
    out["session_max_age"] = int(settings.get("procura.session_max_age", 28800) or 28800)
    out["session_idle_timeout"] = int(settings.get("procura.session_idle_timeout", 3600) or 0)
    try:
        stored = auth_store(root).settings
    except KeyError:
        stored = {}
    for key, value in stored.items():
        if key in out and value is not None:
            out[key] = value
    return out
