"""Principals as types of the core: ``user``, ``team``, ``role``, ``position_rule`` and the
``login_event`` audit. Being registered types, they get the list/detail/forms, REST API
(``/api/v1/user`` ...), catalog, search, export and audit trail like every business type.

- A user's id is their login (lower case, fixed at creation). Staff users have the base role
  ``user``, portal users (``kind="portal"``, tied to a counterparty by the field the suppliers
  addon adds) the base role ``portal``; both get further roles directly, through their teams and
  through position rules.
- A role's grants (scopes per type and action, field access, named permissions) are one field,
  ``grants``, edited as a matrix; what a role does not state explicitly falls back to the defaults
  the types and permissions declare for a role of that name.
- The role ``admin`` is a superuser (every scope "all", every permission) except where a type's
  own rules restrict everybody (``TypeInfo.field_guard``, ``system_only``).
"""
from __future__ import annotations

import re

import colander
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from procura.i18n import LANGUAGES, _
from procura.security.grantsfield import RoleGrantsField
from procura.security.operations import USER_OPERATIONS
from procura.security.passwords import hash_password, verify_password
from procura.types import TypeInfo
from procura.types import fields as f
from procura.types.content import Content
from procura.types.names import NAME_ORDERS, format_person_name

LOGIN_RE = r"^[a-z0-9][a-z0-9._@+-]{0,99}$"
NAME_RE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SUPERUSER_ROLES = frozenset({"admin"})
BASE_ROLE = {"staff": "user", "portal": "portal"}

_ACCOUNT, _ORG, _PREFS, _ACCESS = _("Account"), _("Organisation"), _("Preferences"), _("Access")


def normalise_login(value: str) -> str:
    return (value or "").strip().lower()


class User(Content):
    """A person who signs in. Credentials and second-factor secrets are attributes, never fields:
    they appear in no form, list, export, search document or API response."""

    def __init__(self, type_name: str = "user"):
        super().__init__(type_name)
        self.password_hash = None
        self.password_changed = None
        self.api_tokens = PersistentMapping()  # sha256 hex -> {name, created, expires, revoked, last_used}
        self.failed_logins = 0
        self.locked_until = None
        self.last_login = None
        self.totp_secret = None
        self.second_factors = PersistentMapping()  # method -> {"since": datetime}
        self.recovery_codes = PersistentList()  # digests of unused recovery codes
        self.telegram_chat_id = None
        self.auto_teams = ()
        self.auto_roles = ()

    # fields with defaults, readable on objects made before a field existed
    kind = "staff"
    active = True
    locale = None
    timezone = None
    name_order = None
    auth_source = "local"
    external_subject = None
    roles = ()  # role names given directly (the field); teams and position rules add more
    teams = ()  # team names (the field)
    manager = None

    @property
    def login(self):
        return self.__name__

    @property
    def fullname(self):
        return format_person_name(getattr(self, "name", None)) if getattr(self, "name", None) else ""

    @property
    def display_name(self):
        return self.fullname or self.login or ""

    def set_password(self, password: str) -> None:
        import datetime as dt

        self.password_hash = hash_password(password)
        self.password_changed = dt.datetime.now(dt.UTC)

    def check_password(self, password: str) -> bool:
        ok, new_hash = verify_password(self.password_hash, password)
        if ok and new_hash:
            self.password_hash = new_hash
        return ok

    @property
    def has_second_factor(self) -> bool:
        return bool(self.second_factors)


class Team(Content):
    active = True

    @property
    def display_name(self):
        return getattr(self, "label", None) or self.__name__ or ""


class Role(Content):
    @property
    def display_name(self):
        return getattr(self, "label", None) or self.__name__ or ""

    @property
    def superuser(self) -> bool:
        return self.__name__ in SUPERUSER_ROLES


def _tz_choices():
    from zoneinfo import available_timezones

    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [(z, z) for z in zones]


# The fields of a user record that decide what the user may do (directly, through team roles and
# position rules, or by the kind of account).
RIGHTS_FIELDS = frozenset({"roles", "teams", "position", "kind", "active"})


def guard_user_fields(request, obj, field):
    """Nobody but an administrator changes the fields that decide their own rights, whatever their
    roles grant on users (a role that may edit one's own profile must not let one join a team with
    more roles). System work (directory synchronisation) is not a user changing themselves."""
    if field.name not in RIGHTS_FIELDS or obj is None or getattr(request, "procura_system", False):
        return None
    user = request.identity
    if user is None or user.login != obj.__name__:
        return None
    from procura.security.permissions import ADMIN

    return None if request.has_permission(ADMIN, request.app_root) else "read"


def derive_user(request, obj):
    """Owner of a user record is the user (scope "own": their own profile); position rules apply."""
    obj.owner = obj.__name__ or obj.owner
    from procura.security.rules import apply_position_rules

    apply_position_rules(request, obj)


USER = TypeInfo(
    name="user", title=_("User"), plural=_("Users"), icon="bi-person", admin=True, menu_order=10,
    id_field="login", content_class=User, title_field="name", derive=derive_user, team_fields=["teams"],
    operations=USER_OPERATIONS, field_guard=guard_user_fields,
    fields=[
        f.String("login", _("Login"), required=True, readonly=True, indexed=True, searchable=True,
                 pattern=LOGIN_RE, max_length=100, group=_ACCOUNT,
                 description=_("Lower-case letters, digits and . _ @ + -; cannot be changed later.")),
        f.PersonNameField("name", _("Name"), required=True, indexed=True, searchable=True, group=_ACCOUNT),
        f.Email("email", _("Email"), indexed=True, searchable=True, group=_ACCOUNT),
        f.Phone("phone", _("Phone"), searchable=True, group=_ACCOUNT),
        f.Enum("kind", _("Kind"), choices=[("staff", _("Employee")), ("portal", _("Portal user"))],
               default="staff", required=True, indexed=True, group=_ACCOUNT),
        f.Boolean("active", _("Active"), default=True, indexed=True, group=_ACCOUNT,
                  description=_("Inactive users cannot sign in; their records stay.")),
        f.String("position", _("Position"), indexed=True, searchable=True, group=_ORG),
        f.LinkSet("teams", _("Teams"), target="team", indexed=True, group=_ORG),
        f.UserField("manager", _("Manager"), indexed=True, group=_ORG),
        f.LinkSet("roles", _("Roles"), target="role", indexed=True, group=_ORG),
        f.Enum("locale", _("Language"), choices=list(LANGUAGES.items()), group=_PREFS),
        f.Enum("timezone", _("Time zone"), choices=_tz_choices(), group=_PREFS,
               invalid_message=_("Unknown time zone")),
        f.Enum("name_order", _("Name order"), choices=[
            ("last_first_middle", _("Last First Middle")), ("first_middle_last", _("First Middle Last")),
            ("first_last", _("First Last")), ("last_initials", _("Last F. M."))], group=_PREFS),
        f.Enum("auth_source", _("Signs in with"), readonly=True, default="local", indexed=True, group=_ACCESS,
               choices=[("local", _("Password")), ("ldap", _("LDAP / Active Directory")),
                        ("oidc", _("OpenID Connect"))]),
    ],
    list_columns=["name", "login", "position", "email"],
    default_roles={"create": ["admin"], "read": {"admin": "all", "user": "all", "portal": "own"},
                   "edit": {"admin": "all", "user": "own", "portal": "own"}, "delete": ["admin"]},
    default_fields={role: {name: "read" for name in ("login", "kind", "active", "position", "teams", "manager",
                                                     "roles", "auth_source")}
                    for role in ("user", "portal")},
)

TEAM = TypeInfo(
    name="team", title=_("Team"), plural=_("Teams"), icon="bi-people", admin=True, menu_order=11,
    id_field="name", content_class=Team, title_field="label",
    fields=[
        f.String("name", _("Short name"), required=True, readonly=True, indexed=True, pattern=NAME_RE,
                 max_length=64, description=_("Lower-case letters, digits, - and _; cannot be changed later.")),
        f.String("label", _("Name"), required=True, indexed=True, searchable=True),
        f.Enum("kind", _("Kind"), choices=[("department", _("Department")), ("team", _("Team"))],
               default="department", indexed=True),
        f.Link("parent", _("Part of"), target="team", indexed=True),
        f.UserField("manager", _("Head"), indexed=True,
                    description=_("Department head: approves for the department, receives escalations.")),
        f.LinkSet("roles", _("Roles of every member"), target="role", indexed=True),
        f.Link("calendar", _("Business calendar"), target="business_calendar", indexed=True,
               description=_("Working days and hours for the team's deadlines (empty: the parent team's, "
                             "else the default calendar).")),
        f.Email("email", _("Group mailbox")),
        f.Text("description", _("Description")),
    ],
    list_columns=["label", "kind", "parent", "manager"],
    default_roles={"create": ["admin"], "read": ["admin", "user"], "edit": ["admin"], "delete": ["admin"]},
)

ROLE = TypeInfo(
    name="role", title=_("Role"), plural=_("Roles"), icon="bi-shield-lock", admin=True, menu_order=12,
    id_field="name", content_class=Role, title_field="label", searchable=False,
    fields=[
        f.String("name", _("Short name"), required=True, readonly=True, indexed=True, pattern=NAME_RE,
                 max_length=64, description=_("Lower-case letters, digits, - and _; cannot be changed later.")),
        f.String("label", _("Name"), required=True, indexed=True),
        f.Enum("kind", _("For"), choices=[("staff", _("Employees")), ("portal", _("Portal users"))],
               default="staff", required=True, indexed=True),
        f.Text("description", _("Description")),
        f.Boolean("require_2fa", _("Second factor required"),
                  description=_("Members must sign in with a second factor (they enrol at their next sign-in).")),
        f.Enum("login_hours", _("Sign-in outside working hours"), default="any", choices=[
            ("any", _("Allowed")), ("flag", _("Allowed and flagged in the sign-in audit")),
            ("refuse", _("Refused"))], group=_ACCESS),
        f.Link("calendar", _("Working hours from"), target="business_calendar", group=_ACCESS,
               description=_("Business calendar for the sign-in hours rule (default: the default calendar).")),
        RoleGrantsField("grants", _("Permissions"), group=_("Permissions")),
    ],
    list_columns=["label", "name", "kind"],
    default_roles={"create": ["admin"], "read": ["admin"], "edit": ["admin"], "delete": ["admin"]},
)

POSITION_RULE = TypeInfo(
    name="position_rule", title=_("Position rule"), plural=_("Position rules"), icon="bi-signpost-split",
    admin=True, menu_order=13, searchable=False,
    fields=[
        f.String("position", _("Position"), required=True, indexed=True,
                 description=_("Compared without regard to case and extra spaces.")),
        f.Enum("match", _("Match"), default="exact", required=True,
               choices=[("exact", _("Exactly")), ("contains", _("Contains")), ("starts", _("Starts with"))]),
        f.LinkSet("teams", _("Put into teams"), target="team"),
        f.LinkSet("roles", _("Give roles"), target="role"),
        f.Boolean("active", _("Active"), default=True, indexed=True),
    ],
    list_columns=["position", "match", "teams", "roles"],
    default_roles={"create": ["admin"], "read": ["admin"], "edit": ["admin"], "delete": ["admin"]},
)

LOGIN_EVENTS = [
    ("sign_in", _("Signed in")), ("failure", _("Wrong password")), ("unknown_login", _("Unknown login")),
    ("locked", _("Account locked")), ("refused_locked", _("Refused: account locked")),
    ("refused_inactive", _("Refused: account inactive")), ("unlocked", _("Unlocked")),
    ("outside_hours", _("Outside working hours")), ("refused_hours", _("Refused: outside working hours")),
    ("second_factor", _("Second factor accepted")), ("second_factor_failure", _("Wrong second-factor code")),
    ("second_factor_enrolled", _("Second factor set up")), ("second_factor_removed", _("Second factor removed")),
    ("recovery_code", _("Recovery code used")), ("sign_out", _("Signed out")),
    ("idle_timeout", _("Session ended: idle")), ("session_expired", _("Session ended: lifetime")),
    ("password_changed", _("Password changed")), ("password_reset_requested", _("Password reset requested")),
    ("password_reset", _("Password reset")), ("token_refused", _("API token refused")),
    ("token_created", _("API token created")), ("token_revoked", _("API token revoked")),
    ("external_failure", _("External sign-in failed")),
]

LOGIN_EVENT = TypeInfo(
    name="login_event", title=_("Sign-in event"), plural=_("Sign-in audit"), icon="bi-journal-check",
    admin=True, menu_order=14, system_only=True, searchable=False, title_field="login",
    fields=[
        f.String("login", _("Login"), indexed=True, max_length=200),
        f.Enum("event", _("Event"), choices=LOGIN_EVENTS, indexed=True),
        f.Boolean("success", _("Succeeded"), indexed=True),
        f.Boolean("flagged", _("Flagged"), indexed=True),
        # Addons' sign-in methods (procura_auth_methods) are stored by name and shown as such.
        f.Enum("method", _("Method"), indexed=True, choices=[
            ("password", _("Password")), ("ldap", _("LDAP / Active Directory")), ("oidc", _("OpenID Connect")),
            ("token", _("API token")), ("totp", _("Authenticator app")), ("email", _("Code by email")),
            ("telegram", _("Code in Telegram")), ("recovery", _("Recovery code"))]),
        f.String("ip", _("IP address"), indexed=True, max_length=100),
        f.String("user_agent", _("Browser"), max_length=500),
        f.Text("detail", _("Detail"), max_length=2000),
    ],
    list_columns=["created", "login", "event", "ip"],
    default_roles={"read": ["admin"]},
)

PRINCIPAL_TYPES = [USER, TEAM, ROLE, POSITION_RULE, LOGIN_EVENT]


def login_validator(node, value):
    if not re.match(LOGIN_RE, value or ""):
        raise colander.Invalid(node, _("Not a valid login"))


__all__ = ["LOGIN_EVENTS", "NAME_ORDERS", "PRINCIPAL_TYPES", "Role", "Team", "User", "normalise_login"]
