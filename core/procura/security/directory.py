"""Users from a directory (LDAP / Active Directory) signing in with their directory password, and
the scheduled synchronisation of those users.

With ``procura.ldap.url`` set, a password sign-in of a user whose ``auth_source`` is ``ldap`` is
checked by a bind at the directory; a login Procura does not know yet is looked up there and, if
the bind succeeds, the user is created with teams and roles mapped from their directory groups.
Without LDAP settings both functions refuse. A directory that cannot be reached refuses the
sign-in with a clear message and an ``external_failure`` record in the sign-in audit (it never
counts as a wrong password, so it locks nobody out).

Synchronisation (``sync``: the job ``procura.security.ldap_sync`` every ``procura.ldap.sync_interval``
minutes, ``procura ldap sync``, the "Synchronise now" button of the security settings page) reads
every directory user and group and, through the service path with a system request:

- creates the users Procura does not have yet (``auth_source`` ``ldap``) and updates name, email,
  phone and position of the others from the directory (only values the directory has);
- deactivates directory users that disappeared from the directory or are disabled there (Active
  Directory ``userAccountControl`` bit 2), and reactivates those it deactivated itself when they
  come back (never a user an administrator deactivated);
- sets the teams and roles the group map gives. They are kept apart from what an administrator
  gives by hand (the ``teams``/``roles`` fields) in ``directory_teams``/``directory_roles``, which
  the effective permissions count (``procura.security.grants``); so a change of groups takes away
  only what the directory gave. Teams and roles the map names that do not exist yet are created.

Users with another ``auth_source`` (a local user with the same login) are never taken over. It is
idempotent: a second run changes nothing. A directory that lists no user at all deactivates
nobody (a wrong base DN must not lock everybody out).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from persistent.mapping import PersistentMapping

from procura.i18n import _

log = logging.getLogger(__name__)

UNAVAILABLE = _("The directory server (LDAP) cannot be reached, so directory users cannot sign in now. "
                "Try again later or ask an administrator.")
MISCONFIGURED = _("Signing in with the directory (LDAP) is not set up correctly. Ask an administrator.")
SYNC_JOB = "procura.security.ldap_sync"
STATE_ATTR = "ldap_sync"


def configured(request_or_settings) -> bool:
    settings = getattr(getattr(request_or_settings, "registry", None), "settings", None)
    settings = settings if settings is not None else request_or_settings
    return bool((settings.get("procura.ldap.url") or "").strip())


def ldap_settings(request):
    from procura.security.ldap import LdapSettings

    return LdapSettings.from_settings(request.registry.settings)


def _directory(request):
    from procura.security.ldap import LdapDirectory

    return LdapDirectory(ldap_settings(request))


def _valid_login(login: str) -> bool:
    from procura.security.principals import LOGIN_RE

    return bool(re.match(LOGIN_RE, login or ""))


# ---------------------------------------------------------------- sign-in

def _refuse(request, login, exc):
    """Audit a directory that cannot be used and refuse the sign-in with a clear message."""
    from procura.security.audit import record_login_event
    from procura.security.auth import SignInRefused
    from procura.security.ldap import LdapConfigError

    log.warning("LDAP sign-in of %s impossible: %s", login, exc)
    record_login_event(request, "external_failure", login, success=False, method="ldap", detail=str(exc))
    raise SignInRefused(MISCONFIGURED if isinstance(exc, LdapConfigError) else UNAVAILABLE, "external_failure")


def _authenticate(request, login, password):
    from procura.security.ldap import LdapError

    try:
        return _directory(request).authenticate(login, password)
    except LdapError as exc:
        _refuse(request, login, exc)


def _system(request):
    """A system request sharing the web request's transaction (a sign-in is anonymous until done)."""
    from procura.types.system import system_request

    return system_request(request.registry, request.app_root, request.tm, base=request)


def check_password(request, user, password) -> bool:
    """Whether ``password`` is the directory password of ``user`` (an ``ldap`` user); on success the
    user's details, teams and roles are brought up to date from the directory.

    Raises ``SignInRefused`` when the directory cannot be used."""
    if not configured(request) or not password:
        return False
    person = _authenticate(request, user.login, password)
    if person is None:
        return False
    system = _system(request)
    apply_person(system, person, user, ldap_settings(request))
    return True


def sign_in_new_user(request, login, password):
    """The user for a login Procura does not know, created from the directory if the bind
    succeeds; None when the directory does not know the login or the password is wrong.

    Raises ``SignInRefused`` when the directory cannot be used."""
    from procura.security import get_user, normalise_login

    if not configured(request) or not password or not _valid_login(login):
        return None
    person = _authenticate(request, login, password)
    if person is None or person.disabled:
        return None
    found = normalise_login(person.login)
    if not _valid_login(found):
        log.warning("LDAP: the directory login %r cannot be a Procura login", person.login)
        return None
    user = get_user(request.app_root, found)
    if user is not None and user.auth_source != "ldap":
        return None  # a local user with that login is never taken over by the directory
    if user is None and found in _users(request.app_root):
        return None  # a user in the trash keeps their login
    user, _outcome = apply_person(_system(request), person, user, ldap_settings(request))
    return user


# ---------------------------------------------------------------- applying a directory user

def _users(app_root):
    from procura.types.content import container_for

    return container_for(app_root, "user")


def _person_body(person) -> dict:
    """The user's fields as the directory gives them (JSON values for the service's validation)."""
    body = {"name": {"last": person.last_name[:100], "first": person.first_name[:100],
                     "middle": person.middle_name[:100]}}
    if person.email:
        body["email"] = person.email.strip().lower()
    if person.phone:
        body["phone"] = person.phone
    if person.position:
        body["position"] = person.position[:200]
    return body


def _validated(svc, info, body: dict, obj) -> dict:
    """``body`` validated like an API write; values the fields refuse (a malformed phone) are left out."""
    from procura.types.service import ValidationFailed

    for _attempt in range(len(body) + 1):
        try:
            return svc.validate_json(info, body, obj, partial=True)
        except ValidationFailed as exc:
            bad = [key for key in exc.errors if key in body and key not in ("login", "name")]
            if not bad:
                raise
            log.info("LDAP: directory values of %s refused: %s", body.get("login") or obj.login, ", ".join(bad))
            body = {k: v for k, v in body.items() if k not in bad}
    return svc.validate_json(info, body, obj, partial=True)


def _ensure_principals(request, teams, roles) -> None:
    """Create the teams and roles the group map names that do not exist yet."""
    from procura.types.content import container_for

    svc = request.types
    for type_name, names in (("team", teams), ("role", roles)):
        if not names:
            continue
        box = container_for(request.app_root, type_name)
        info = svc.info(type_name)
        for name in names:
            if name in box:
                continue
            values = {"name": name, "label": name.replace("_", " ").replace("-", " ").capitalize()}
            values.update({"kind": "team"} if type_name == "team" else {"kind": "staff", "login_hours": "any"})
            svc.create(info, values)


def apply_person(request, person, user, settings) -> tuple:
    """Create or update the Procura user of ``person`` with the system ``request``.

    Returns ``(user, outcome)``, outcome one of ``created``, ``updated``, ``deactivated``,
    ``reactivated``, ``unchanged``."""
    from procura.security import normalise_login

    svc = request.types
    info = svc.info("user")
    teams, roles = settings.map_groups(person.groups)
    _ensure_principals(request, teams, roles)
    if user is None:
        body = {"login": normalise_login(person.login), "kind": "staff", "active": True, "auth_source": "ldap",
                **_person_body(person)}
        user = svc.create(info, _validated(svc, info, body, None))
        user.ldap_dn = person.dn
        user.ldap_deactivated = False
        _set_directory_groups(request, user, teams, roles, audit=False)
        return user, "created"
    outcome = "unchanged"
    _obj, changes = svc.update(user, _validated(svc, info, _person_body(person), user))
    if changes:
        outcome = "updated"
    if getattr(user, "ldap_dn", None) != person.dn:
        user.ldap_dn = person.dn
    if person.disabled and user.active:
        svc.update(user, {"active": False})
        user.ldap_deactivated = True
        outcome = "deactivated"
    elif not person.disabled and not user.active and getattr(user, "ldap_deactivated", False):
        svc.update(user, {"active": True})
        user.ldap_deactivated = False
        outcome = "reactivated"
    if _set_directory_groups(request, user, teams, roles) and outcome == "unchanged":
        outcome = "updated"
    return user, outcome


def info_index(request, user) -> None:
    _users(request.app_root).index(user, request.types.info("user"))


def _set_directory_groups(request, user, teams, roles, *, audit=True) -> bool:
    """Set the directory-given teams and roles; True when they changed (recorded in the history)."""
    old = (tuple(getattr(user, "directory_teams", ()) or ()), tuple(getattr(user, "directory_roles", ()) or ()))
    if old == (tuple(teams), tuple(roles)):
        return False
    user.directory_teams, user.directory_roles = tuple(teams), tuple(roles)
    if audit:
        svc = request.types
        svc._touch(user)
        svc._audit(user, "operation", {"directory_teams": [list(old[0]), list(teams)],
                                       "directory_roles": [list(old[1]), list(roles)]}, operation="directory_groups")
        info_index(request, user)
    return True


def _deactivate(request, user) -> None:
    request.types.update(user, {"active": False})
    user.ldap_deactivated = True


# ---------------------------------------------------------------- synchronisation

@dataclass
class SyncResult:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    deactivated: list = field(default_factory=list)
    reactivated: list = field(default_factory=list)
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # (login, reason)

    def summary(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated), "deactivated": len(self.deactivated),
                "reactivated": len(self.reactivated), "unchanged": self.unchanged, "skipped": len(self.skipped)}


def sync(request, directory=None) -> SyncResult:
    """Bring Procura's directory users in line with the directory (``request``: a system request).

    Raises ``LdapError`` when the directory cannot be read; nothing is changed then."""
    from procura.security import normalise_login
    from procura.types.service import ServiceError

    settings = ldap_settings(request)
    if directory is None:
        from procura.security.ldap import LdapDirectory

        directory = LdapDirectory(settings)
    people = directory.all_users()
    users = _users(request.app_root)
    result = SyncResult()
    seen: set[str] = set()
    for person in people:
        login = normalise_login(person.login)
        if not _valid_login(login):
            result.skipped.append((person.login, "not a valid login"))
            continue
        if login in seen:
            result.skipped.append((login, "several directory entries"))
            continue
        seen.add(login)
        user = users.get(login)
        if user is not None and (user.deleted or user.auth_source != "ldap"):
            result.skipped.append((login, "in the trash" if user.deleted else "a local user"))
            continue
        if user is None and person.disabled:
            continue
        savepoint = request.tm.savepoint()
        try:
            user, outcome = apply_person(request, person, user, settings)
        except ServiceError as exc:
            savepoint.rollback()
            log.warning("LDAP synchronisation: user %s not written: %s", login, exc)
            result.skipped.append((login, str(exc)))
            continue
        if outcome == "unchanged":
            result.unchanged += 1
        else:
            getattr(result, outcome).append(login)
    if not people:
        log.warning("LDAP synchronisation: the directory lists no user; nobody is deactivated")
        return result
    index = users.catalog["auth_source"]
    for docid in index.eq("ldap").execute().ids:
        login = users.docids.get(docid)
        user = users.get(login) if login else None
        if user is None or user.deleted or login in seen or not user.active:
            continue
        _deactivate(request, user)
        result.deactivated.append(login)
    return result


def _state(app_root, create=False):
    from procura.security.store import auth_store

    try:
        store = auth_store(app_root)
    except KeyError:
        return None
    state = getattr(store, STATE_ATTR, None)
    if state is None and create:
        state = PersistentMapping()
        setattr(store, STATE_ATTR, state)
    return state


def last_sync(app_root) -> dict | None:
    """``{"at", "ok", "error", "created", ...}`` of the last synchronisation, or None."""
    state = _state(app_root)
    return dict(state) if state else None


def due(request, now=None) -> bool:
    """Whether the scheduled synchronisation should run now (LDAP set, an interval, time elapsed)."""
    if not configured(request):
        return False
    try:
        interval = int(request.registry.settings.get("procura.ldap.sync_interval") or 0)
    except ValueError:
        interval = 60  # a wrong setting: an hourly run records the error for the administrator
    if interval <= 0:
        return False
    state = _state(request.app_root) or {}
    at = state.get("started") or state.get("at")
    now = now or dt.datetime.now(dt.UTC)
    return at is None or now - at >= dt.timedelta(minutes=interval) - dt.timedelta(seconds=30)


def run_sync(request, *, force: bool = True) -> dict | None:
    """Synchronise and record the outcome for the security settings page; the summary, or None when
    the schedule says it is not time yet. A directory that cannot be read is recorded, not raised."""
    from procura.security.ldap import LdapError

    if not force and not due(request):
        return None
    started = dt.datetime.now(dt.UTC)
    try:
        result = sync(request)
    except LdapError as exc:
        log.warning("LDAP synchronisation failed: %s", exc)
        summary = {"ok": False, "error": str(exc)}
    else:
        summary = {"ok": True, "error": "", **result.summary()}
        log.info("LDAP synchronisation: %s", summary)
    record_sync(request.app_root, summary, started)
    return summary


def record_sync(app_root, summary: dict, started) -> None:
    """Keep the outcome of a synchronisation for the security settings page and the schedule."""
    state = _state(app_root, create=True)
    if state is not None:
        state.clear()
        state.update(summary, started=started, at=dt.datetime.now(dt.UTC))
