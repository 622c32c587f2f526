"""Signing in: password check with lockout, then the steps every sign-in method shares.

``password_sign_in`` checks a login and password (local argon2 hash, or an LDAP bind for users
from the directory) and counts failures: after ``lockout_threshold`` failures in a row the account
is locked for ``lockout_minutes``. ``complete_sign_in`` is what every method (password, OIDC, an
addon's method) ends with: it refuses inactive accounts, applies the sign-in hours rule of the
user's roles, asks for the second factor when the user has one or a role requires it, and only
then signs the user in. Every outcome is recorded in the sign-in audit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import remember

from procura.i18n import _
from procura.security import get_user, normalise_login
from procura.security.audit import record_login_event
from procura.security.passwords import burn_time
from procura.security.store import security_settings

SECOND_FACTOR_KEY = "procura.second_factor"


@dataclass(frozen=True)
class AuthMethod:
    """A sign-in method shown as a button on the sign-in page (``procura_auth_methods``)."""

    name: str
    title: Any
    url: str
    icon: str = "bi-box-arrow-in-right"
    order: int = 100


class SignInRefused(Exception):
    def __init__(self, message, event: str = "failure"):
        super().__init__(str(message))
        self.message, self.event = message, event


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def locked_until(user) -> dt.datetime | None:
    until = getattr(user, "locked_until", None)
    return until if until is not None and until > now_utc() else None


def _local_time(request, moment, user=None) -> str:
    """``moment`` in the time zone of ``user`` (who is not signed in yet), named after it."""
    from zoneinfo import ZoneInfo

    from babel import dates as babel_dates

    from procura.types.fields import user_tz_name

    zone = ZoneInfo(getattr(user, "timezone", None) or user_tz_name(request))
    local = moment.astimezone(zone)
    return f"{babel_dates.format_datetime(local, format='medium', locale=request.localizer.locale_name)} ({zone.key})"


def _locked_message(request, user, until):
    return _("This account is locked after repeated failed sign-ins until ${when}. Try again then, or ask an "
             "administrator to unlock it.", mapping={"when": _local_time(request, until, user)})


def password_sign_in(request, login: str, password: str):
    """The user whose login and password these are; raises ``SignInRefused`` with the reason."""
    login = normalise_login(login)
    user = get_user(request.app_root, login)
    wrong = _("Wrong login or password.")
    from_directory = False
    if user is None:
        user = _directory_sign_in(request, login, password)
        if user is None:
            burn_time(password)
            record_login_event(request, "unknown_login", login, success=False, method="password")
            raise SignInRefused(wrong, "unknown_login")
        from_directory = True  # the directory has just accepted this password (a bind as the user)
    until = locked_until(user)
    if until is not None:
        record_login_event(request, "refused_locked", user.login, success=False, method="password")
        raise SignInRefused(_locked_message(request, user, until), "refused_locked")
    if from_directory:
        ok = True
    elif user.auth_source == "ldap":
        ok = _ldap_password_ok(request, user, password)
    else:
        ok = user.check_password(password)
    if not ok:
        if count_failure(request, user):  # this failure locked the account: say so, and until when
            raise SignInRefused(_locked_message(request, user, user.locked_until), "locked")
        raise SignInRefused(wrong, "failure")
    # the count is reset only when the whole sign-in succeeds (finish_sign_in): wrong second-factor
    # codes count too, so knowing the password does not buy fresh guesses at the code
    return user


def count_failure(request, user, method: str = "password", audit: bool = True) -> bool:
    """Count a failed sign-in (a wrong password or code); True when it locked the account."""
    rules = security_settings(request)
    user.failed_logins = int(getattr(user, "failed_logins", 0) or 0) + 1
    threshold = int(rules.get("lockout_threshold") or 0)
    if threshold and user.failed_logins >= threshold:
        user.locked_until = now_utc() + dt.timedelta(minutes=int(rules.get("lockout_minutes") or 15))
        user.failed_logins = 0
        record_login_event(request, "locked", user.login, success=False, method=method,
                           detail=_("${count} failed sign-ins in a row", mapping={"count": threshold}))
        return True
    if audit:
        record_login_event(request, "failure", user.login, success=False, method=method,
                           detail=_("Failed sign-ins in a row: ${count}", mapping={"count": user.failed_logins}))
    return False


def _directory_sign_in(request, login, password):
    """A user not known yet who signs in with directory (LDAP) credentials is created from it."""
    from procura.security import directory

    return directory.sign_in_new_user(request, login, password)


def _ldap_password_ok(request, user, password) -> bool:
    from procura.security import directory

    return directory.check_password(request, user, password)


def complete_sign_in(request, user, method: str, came_from: str = ""):
    """Finish a sign-in whose credentials were accepted: the response to send (a redirect)."""
    from procura.security.grants import Grants
    from procura.security.hours import sign_in_hours

    if not user.active:
        record_login_event(request, "refused_inactive", user.login, success=False, method=method)
        raise SignInRefused(_("This account is deactivated. Ask an administrator."), "refused_inactive")
    grants = Grants(request, user)
    flagged = False
    outcome = sign_in_hours(request, grants)
    if outcome == "refuse":
        record_login_event(request, "refused_hours", user.login, success=False, method=method)
        raise SignInRefused(_("Signing in outside working hours is not allowed for your role."), "refused_hours")
    if outcome == "flag":
        flagged = True
    from procura.security import twofactor

    if user.has_second_factor or grants.require_second_factor():
        return twofactor.start(request, user, method=method, came_from=came_from, flagged=flagged,
                               enrol=not user.has_second_factor)
    return finish_sign_in(request, user, method, came_from=came_from, flagged=flagged)


def finish_sign_in(request, user, method: str, *, came_from: str = "", flagged: bool = False,
                   detail: str = ""):
    from procura.views.auth import safe_came_from

    headers = remember(request, user.login)
    user.last_login = now_utc()
    user.failed_logins = 0
    record_login_event(request, "outside_hours" if flagged else "sign_in", user.login, success=True,
                       method=method, flagged=flagged, detail=detail)
    return HTTPSeeOther(safe_came_from(request, came_from), headers=headers)


def auth_methods(request) -> list[AuthMethod]:
    out = []
    for result in request.pm.hook.procura_auth_methods(request=request):
        out.extend(result or [])
    return sorted(out, key=lambda m: (m.order, m.name))
