"""Users from a directory (LDAP / Active Directory) signing in with their directory password.

With ``procura.ldap.url`` set, a password sign-in of a user whose ``auth_source`` is ``ldap`` is
checked by a bind at the directory; a login Procura does not know yet is looked up there and, if
the bind succeeds, the user is created (``sign_in_external``) with teams and roles mapped from
their directory groups. Without LDAP settings both functions refuse.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def configured(request) -> bool:
    return bool((request.registry.settings.get("procura.ldap.url") or "").strip())


def _directory(request):
    from procura.security.ldap import LdapDirectory, LdapSettings

    return LdapDirectory(LdapSettings.from_settings(request.registry.settings))


def check_password(request, user, password) -> bool:
    if not configured(request) or not password:
        return False
    from procura.security.ldap import LdapError

    try:
        identity = _directory(request).authenticate(user.login, password)
    except LdapError:
        log.exception("LDAP sign-in of %s failed", user.login)
        return False
    if identity is None:
        return False
    from procura.security.external import update_from_identity

    update_from_identity(request, user, identity)
    return True


def sign_in_new_user(request, login, password):
    if not configured(request) or not password:
        return None
    from procura.security.ldap import LdapError

    try:
        identity = _directory(request).authenticate(login, password)
    except LdapError:
        log.exception("LDAP sign-in of %s failed", login)
        return None
    if identity is None:
        return None
    from procura.security.external import user_for_identity

    return user_for_identity(request, identity)
