"""The LDAP / Active Directory client of Procura (ldap3): settings, user look-up, bind check,
group memberships and the group map.

Nothing here touches the database; ``procura.security.directory`` turns what this module reads
into Procura users. Every value typed by a user that goes into a search filter is escaped
(``escape_filter_chars``), so a login like ``*)(uid=*`` matches nobody. The service account's
password is never logged nor put into an error message.

The group map (``procura.ldap.group_map``) gives teams and roles to the members of directory
groups. Entries are separated by ``;`` or new lines; each is ``GROUP = TARGET TARGET ...``:

- ``GROUP`` is a group's DN (``cn=buyers,ou=groups,dc=example,dc=org``; compared without regard
  to case and spaces) or, without any ``=``, a group's name (the value of the first part of its
  DN, usually its ``cn``: ``Domain Admins``);
- each ``TARGET`` is ``team:<team name>`` or ``role:<role name>`` (short names as in Procura),
  separated by spaces or commas.

Example: ``cn=buyers,ou=groups,dc=example,dc=org = team:procurement role:buyer; managers = role:manager``.
"""
from __future__ import annotations

import logging
import re
import ssl
from dataclasses import dataclass, field, replace

from procura.security import principals

log = logging.getLogger(__name__)

NAME_RE = re.compile(principals.NAME_RE)  # team and role short names
# OpenLDAP people are inetOrgPerson; Active Directory people have objectCategory person (computers,
# also of the class user, do not). An attribute a server does not know makes its part "undefined".
DEFAULT_USER_FILTER = "(&(|(objectClass=inetOrgPerson)(objectCategory=person))(|(uid={login})(sAMAccountName={login})))"
DEFAULT_GROUP_FILTER = ("(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)"
                        "(objectClass=group))")
ATTRIBUTE_DEFAULTS = {
    "login": "uid, sAMAccountName",
    "first_name": "givenName",
    "last_name": "sn",
    "middle_name": "middleName",
    "full_name": "displayName, cn",
    "email": "mail",
    "phone": "telephoneNumber, mobile",
    "position": "title",
}
ACCOUNT_DISABLED = 0x2  # Active Directory userAccountControl: ACCOUNTDISABLE
INVALID_CREDENTIALS = 49
PAGE_SIZE = 500


class LdapError(Exception):
    """The directory cannot be used; the message names the server, never a password."""


class LdapUnavailable(LdapError):
    """The directory server cannot be reached (or answered with an error)."""


class LdapConfigError(LdapError):
    """The LDAP settings are missing or wrong."""


def as_list(value) -> list[str]:
    return [v.strip() for v in re.split(r"[,\s]+", value or "") if v.strip()]


def norm_dn(dn: str) -> str:
    """A DN compared without regard to case and spaces around its parts."""
    from ldap3.utils.dn import parse_dn

    text = (dn or "").strip()
    try:
        parts = parse_dn(text, escape=False, strip=True)
    except Exception:  # noqa: BLE001 - ldap3 raises several kinds for a malformed DN
        return " ".join(text.split()).casefold()
    return ",".join(f"{a.strip().casefold()}={v.strip().casefold()}" for a, v, _sep in parts)


def group_name(dn: str) -> str:
    """The value of the first part of a DN (a group's ``cn``), case-folded."""
    first = norm_dn(dn).split(",", 1)[0]
    return first.partition("=")[2] if "=" in first else first


@dataclass(frozen=True)
class GroupRule:
    group: str  # normalised DN, or a case-folded group name
    by_dn: bool
    teams: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def matches(self, group_dns) -> bool:
        if self.by_dn:
            return self.group in group_dns
        return any(group_name(dn) == self.group for dn in group_dns)


def parse_group_map(text: str) -> tuple[GroupRule, ...]:
    """The rules of ``procura.ldap.group_map`` (see the module's documentation)."""
    rules = []
    for raw in re.split(r"[;\n]", text or ""):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        group, sep, targets = entry.rpartition("=")
        group = group.strip()
        if not sep or not group:
            raise LdapConfigError(f"procura.ldap.group_map: '{entry}' is not 'GROUP = team:NAME role:NAME'")
        teams, roles = [], []
        for token in as_list(targets):
            kind, _colon, name = token.partition(":")
            name = name.strip().lower()
            if kind.lower() not in ("team", "role") or not NAME_RE.match(name):
                raise LdapConfigError(f"procura.ldap.group_map: '{token}' in '{entry}' is not team:NAME or role:NAME")
            (teams if kind.lower() == "team" else roles).append(name)
        if not teams and not roles:
            raise LdapConfigError(f"procura.ldap.group_map: '{entry}' gives no team or role")
        by_dn = "=" in group
        rules.append(GroupRule(norm_dn(group) if by_dn else " ".join(group.split()).casefold(), by_dn,
                               tuple(teams), tuple(roles)))
    return tuple(rules)


@dataclass(frozen=True)
class LdapSettings:
    urls: tuple[str, ...]
    bind_dn: str = ""
    bind_password: str = field(default="", repr=False)
    user_base: str = ""
    user_filter: str = DEFAULT_USER_FILTER
    group_base: str = ""
    group_filter: str = DEFAULT_GROUP_FILTER
    attributes: dict = field(default_factory=lambda: {k: as_list(v) for k, v in ATTRIBUTE_DEFAULTS.items()})
    group_map: tuple[GroupRule, ...] = ()
    starttls: bool = False
    ca_file: str = ""
    timeout: int = 10  # seconds (ldap3 wants whole seconds for the receive timeout)
    sync_interval: int = 0

    @classmethod
    def from_settings(cls, settings: dict) -> LdapSettings:
        from procura.settings import as_bool

        def get(key, default=""):
            value = settings.get("procura.ldap." + key)
            return default if value is None else str(value).strip()

        urls = tuple(as_list(get("url")))
        if not urls:
            raise LdapConfigError("procura.ldap.url is not set")
        for url in urls:
            if not url.lower().startswith(("ldap://", "ldaps://")):
                raise LdapConfigError(f"procura.ldap.url: '{url}' is not an ldap:// or ldaps:// address")
        user_base = get("user_base")
        if not user_base:
            raise LdapConfigError("procura.ldap.user_base is not set")
        user_filter = get("user_filter") or DEFAULT_USER_FILTER
        if "{login}" not in user_filter:
            raise LdapConfigError("procura.ldap.user_filter must contain {login}")
        attributes = {key: as_list(get("attr." + key, default)) for key, default in ATTRIBUTE_DEFAULTS.items()}
        if not attributes["login"]:
            raise LdapConfigError("procura.ldap.attr.login is empty")
        try:
            timeout = round(float(get("timeout", "10") or 10))
            interval = int(get("sync_interval", "0") or 0)
        except ValueError as exc:
            raise LdapConfigError(f"procura.ldap.timeout / sync_interval: {exc}") from None
        return cls(
            urls=urls, bind_dn=get("bind_dn"), bind_password=settings.get("procura.ldap.bind_password") or "",
            user_base=user_base, user_filter=user_filter, group_base=get("group_base"),
            group_filter=get("group_filter") or DEFAULT_GROUP_FILTER, attributes=attributes,
            group_map=parse_group_map(settings.get("procura.ldap.group_map") or ""),
            starttls=as_bool(get("starttls", "false") or "false"), ca_file=get("ca_file"),
            timeout=max(timeout, 1), sync_interval=max(interval, 0))

    def map_groups(self, group_dns) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(teams, roles)`` the group map gives to a member of ``group_dns`` (normalised DNs)."""
        teams, roles = set(), set()
        for rule in self.group_map:
            if rule.matches(group_dns):
                teams.update(rule.teams)
                roles.update(rule.roles)
        return tuple(sorted(teams)), tuple(sorted(roles))


@dataclass(frozen=True)
class DirectoryUser:
    """A person as the directory describes them."""

    dn: str
    login: str
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    email: str = ""
    phone: str = ""
    position: str = ""
    groups: frozenset = frozenset()  # normalised DNs of the groups they belong to
    disabled: bool = False


def _values(attributes: dict, name: str) -> list:
    for key, value in attributes.items():
        if key.casefold() == name.casefold():
            if value is None:
                return []
            values = value if isinstance(value, (list, tuple)) else [value]
            return [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values]
    return []


def _first(attributes: dict, names) -> str:
    for name in names:
        for value in _values(attributes, name):
            text = " ".join(str(value).split())
            if text:
                return text
    return ""


class LdapDirectory:
    """One directory (possibly several servers, tried in order). Opens a connection per operation."""

    def __init__(self, settings: LdapSettings):
        self.settings = settings

    # ---------------------------------------------------------------- connections
    def _tls(self):
        from ldap3 import Tls

        return Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.settings.ca_file or None)

    def _open(self, user: str | None = None, password: str | None = None):
        """An open connection (after StartTLS if set), not bound yet; LdapUnavailable if no server answers."""
        from ldap3 import NONE, Connection, Server
        from ldap3.core.exceptions import LDAPException

        problems = []
        for url in self.settings.urls:
            secure = url.lower().startswith("ldaps://") or self.settings.starttls
            server = Server(url, connect_timeout=self.settings.timeout, get_info=NONE,
                            tls=self._tls() if secure else None)
            conn = Connection(server, user=user, password=password, receive_timeout=self.settings.timeout,
                              raise_exceptions=False, read_only=True, auto_referrals=False)
            try:
                conn.open()
                if self.settings.starttls and not url.lower().startswith("ldaps://") and not conn.start_tls():
                    raise LdapUnavailable(f"StartTLS refused by {url}: {conn.result.get('description')}")
                return conn
            except LDAPException as exc:
                problems.append(f"{url}: {exc.__class__.__name__}: {exc}")
                try:
                    conn.unbind()
                except Exception:  # noqa: BLE001, S110 - closing a connection that never opened
                    pass
            except LdapUnavailable as exc:
                problems.append(str(exc))
                conn.unbind()
        raise LdapUnavailable("Cannot reach the directory: " + "; ".join(problems))

    def _service(self):
        """A connection bound as the service account (anonymous without ``bind_dn``)."""
        from ldap3.core.exceptions import LDAPException

        bind_dn = self.settings.bind_dn or None
        conn = self._open(bind_dn, self.settings.bind_password if bind_dn else None)
        try:
            ok = conn.bind()
        except LDAPException as exc:
            conn.unbind()
            raise LdapUnavailable(f"Directory bind as {bind_dn or 'anonymous'} failed: "
                                  f"{exc.__class__.__name__}: {exc}") from None
        if not ok:
            result = dict(conn.result or {})
            conn.unbind()
            if result.get("result") == INVALID_CREDENTIALS:
                raise LdapConfigError(f"The directory refused the service account {bind_dn or 'anonymous'} "
                                      "(procura.ldap.bind_dn / bind_password)")
            raise LdapUnavailable(f"Directory bind as {bind_dn or 'anonymous'} failed: {result.get('description')}")
        return conn

    def _search(self, conn, base: str, search_filter: str, attributes) -> list[tuple[str, dict]]:
        """Every entry (paged, so that Active Directory's 1000-entry limit does not cut the list)."""
        from ldap3 import SUBTREE
        from ldap3.core.exceptions import LDAPException

        out, cookie = [], None
        while True:
            try:
                conn.search(base, search_filter, search_scope=SUBTREE, attributes=list(attributes),
                            paged_size=PAGE_SIZE, paged_cookie=cookie)
            except LDAPException as exc:
                raise LdapUnavailable(f"Directory search under {base} failed: "
                                      f"{exc.__class__.__name__}: {exc}") from None
            result = conn.result or {}
            code = result.get("result", 0)
            if code == 32:  # noSuchObject
                raise LdapConfigError(f"The directory has no entry {base} (procura.ldap.user_base / group_base)")
            if code not in (0, 4):  # 4: sizeLimitExceeded (a server without paging) keeps what came
                raise LdapUnavailable(f"Directory search under {base} failed: {result.get('description')} "
                                      f"{result.get('message') or ''}".strip())
            for entry in conn.response or ():
                if entry.get("type") == "searchResEntry":
                    out.append((entry["dn"], dict(entry.get("attributes") or {})))
            controls = result.get("controls") or {}
            cookie = (controls.get("1.2.840.113556.1.4.319") or {}).get("value", {}).get("cookie")
            if not cookie:
                return out

    def _user_attributes(self) -> list[str]:
        names = {"memberOf", "userAccountControl"}
        for values in self.settings.attributes.values():
            names.update(values)
        return sorted(names)

    def _user_filter(self, login: str | None) -> str:
        from ldap3.utils.conv import escape_filter_chars

        # None lists everybody: the filter with a presence test (uid=*) in place of the login
        value = "*" if login is None else escape_filter_chars(login)
        return self.settings.user_filter.replace("{login}", value)

    def _person(self, dn: str, attributes: dict, groups=()) -> DirectoryUser | None:
        names = self.settings.attributes
        login = _first(attributes, names["login"])
        if not login:
            return None
        control = _first(attributes, ["userAccountControl"])
        try:
            disabled = bool(int(control) & ACCOUNT_DISABLED) if control else False
        except ValueError:
            disabled = False
        member_of = {norm_dn(v) for v in _values(attributes, "memberOf") if v}
        last = _first(attributes, names["last_name"])
        first = _first(attributes, names["first_name"])
        if not last and not first:
            last = _first(attributes, names["full_name"]) or login
        return DirectoryUser(
            dn=dn, login=login, last_name=last, first_name=first, middle_name=_first(attributes, names["middle_name"]),
            email=_first(attributes, names["email"]), phone=_first(attributes, names["phone"]),
            position=_first(attributes, names["position"]), groups=frozenset(member_of | set(groups)),
            disabled=disabled)

    # ---------------------------------------------------------------- groups
    def _groups_of(self, conn, dn: str, login: str) -> set[str]:
        from ldap3.utils.conv import escape_filter_chars

        if not self.settings.group_base:
            return set()
        member = escape_filter_chars(dn)
        uid = escape_filter_chars(login)
        search_filter = (f"(&{self.settings.group_filter}(|(member={member})(uniqueMember={member})"
                         f"(memberUid={uid})))")
        return {norm_dn(gdn) for gdn, _attrs in self._search(conn, self.settings.group_base, search_filter, ["cn"])}

    def _all_groups(self, conn) -> list[tuple[str, set[str], set[str]]]:
        """``[(group dn, member dns, member uids)]`` with normalised values."""
        if not self.settings.group_base:
            return []
        out = []
        for gdn, attrs in self._search(conn, self.settings.group_base, self.settings.group_filter,
                                       ["member", "uniqueMember", "memberUid"]):
            members = {norm_dn(v) for v in _values(attrs, "member") + _values(attrs, "uniqueMember") if v}
            uids = {str(v).strip().casefold() for v in _values(attrs, "memberUid") if v}
            out.append((norm_dn(gdn), members, uids))
        return out

    # ---------------------------------------------------------------- public
    def _lookup(self, conn, login: str) -> DirectoryUser | None:
        entries = self._search(conn, self.settings.user_base, self._user_filter(login), self._user_attributes())
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("LDAP: %d directory entries match the login %r; refusing it", len(entries), login)
            return None
        dn, attributes = entries[0]
        person = self._person(dn, attributes)
        if person is None:
            return None
        groups = self._groups_of(conn, dn, person.login)
        return replace(person, groups=frozenset(person.groups | groups))

    def find_user(self, login: str) -> DirectoryUser | None:
        """The one directory user with that login, or None (none or several)."""
        if not login:
            return None
        conn = self._service()
        try:
            return self._lookup(conn, login)
        finally:
            conn.unbind()

    def authenticate(self, login: str, password: str) -> DirectoryUser | None:
        """The directory user if ``password`` is theirs (checked by a bind as their DN), else None.

        Raises LdapError when the directory cannot be asked (unreachable, wrong settings)."""
        from ldap3.core.exceptions import LDAPException

        if not login or not password:  # an empty password would be an "unauthenticated bind" that succeeds
            return None
        person = self.find_user(login)
        if person is None:
            return None
        conn = self._open(person.dn, password)
        try:
            ok = conn.bind()
            result = dict(conn.result or {})
        except LDAPException as exc:
            raise LdapUnavailable(f"Directory bind failed: {exc.__class__.__name__}: {exc}") from None
        finally:
            conn.unbind()
        if ok:
            return person
        if result.get("result") == INVALID_CREDENTIALS:
            return None
        if result.get("result") in (48, 50, 53):  # inappropriateAuthentication, insufficientAccess, unwilling
            return None
        raise LdapUnavailable(f"Directory bind failed: {result.get('description')}")

    def all_users(self) -> list[DirectoryUser]:
        """Every user the user filter finds, with their groups."""
        conn = self._service()
        try:
            entries = self._search(conn, self.settings.user_base, self._user_filter(None), self._user_attributes())
            groups = self._all_groups(conn)
        finally:
            conn.unbind()
        out = []
        for dn, attributes in entries:
            person = self._person(dn, attributes)
            if person is None:
                continue
            key, uid = norm_dn(dn), person.login.casefold()
            theirs = {gdn for gdn, members, uids in groups if key in members or uid in uids}
            out.append(replace(person, groups=frozenset(person.groups | theirs)))
        return out

    def check(self) -> None:
        """Raise LdapError unless the service account can bind."""
        self._service().unbind()
