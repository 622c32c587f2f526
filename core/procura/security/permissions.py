"""Named permissions: what a role may do beyond the create/read/edit/delete/actions of types.

Type permissions (``<addon>.<action>-<type>``) come from the type registry with a scope each;
named permissions are yes/no per role. The core's own are in ``CORE_PERMISSIONS`` below, the
reviewable role -> permission table of the core; addons add theirs through
``procura_register_permissions``. ``docs/permissions.md`` lists them all (a test keeps it current).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procura.i18n import _


@dataclass(frozen=True)
class Permission:
    """A named permission. ``name`` is ``<addon>.<verb>-<noun>``; ``default_roles`` the roles that
    have it until an administrator changes the role; ``group`` a heading on the role editor."""

    name: str
    title: Any
    description: Any = ""
    default_roles: tuple[str, ...] = ()
    group: Any = None
    addon: str = ""


ADMIN = "procura.admin"
EXPORT = "procura.export"
MASS_UPDATE = "procura.mass-update"
ASSIGN_ANY = "procura.assign-any"
ASSIGN_TEAM = "procura.assign-team"
GROUP_MAILBOXES = "procura.read-group-mailboxes"
API_TOKENS = "procura.use-api"

_GENERAL = _("General")

CORE_PERMISSIONS = [
    Permission(ADMIN, _("Administer Procura"),
               _("Users, teams, roles, security settings, system status, print templates and every "
                 "other administration page. Does not lift rules that types enforce for everybody, "
                 "such as sealed bids."), ("admin",), _GENERAL),
    Permission(EXPORT, _("Export lists"), _("Download lists as CSV and XLSX (only the records and fields "
                                            "the user may read)."), ("admin", "user"), _GENERAL),
    Permission(MASS_UPDATE, _("Change many records at once"),
               _("Bulk actions on lists: change status, move to the trash."), ("admin",), _GENERAL),
    Permission(ASSIGN_ANY, _("Assign records to anyone"),
               _("Choose any user as the assignee or responsible person."), ("admin",), _GENERAL),
    Permission(ASSIGN_TEAM, _("Assign records to own teams"),
               _("Choose members of one's own teams as the assignee or responsible person (without "
                 "either assignment permission a user may assign only themselves)."), ("user",), _GENERAL),
    Permission(GROUP_MAILBOXES, _("Read group mailboxes"),
               _("Read the mail of shared mailboxes (service desk, purchasing) besides one's own."),
               ("admin",), _GENERAL),
    Permission(API_TOKENS, _("Use the REST API"),
               _("Create personal API tokens for integrations."), ("admin", "user"), _GENERAL),
]


def collect_permissions(pm) -> dict[str, Permission]:
    """Every named permission of the core and the enabled addons, by name (duplicates refused)."""
    out: dict[str, Permission] = {}
    for impl in pm.hook.procura_register_permissions.get_hookimpls():
        for perm in impl.function() or []:
            if perm.name in out:
                raise ValueError(f"permission '{perm.name}' is declared by both '{out[perm.name].addon}' and "
                                 f"'{impl.plugin_name}'")
            if "." not in perm.name:
                raise ValueError(f"permission '{perm.name}' of '{impl.plugin_name}' must be '<addon>.<verb>-<noun>'")
            out[perm.name] = Permission(perm.name, perm.title, perm.description, tuple(perm.default_roles),
                                        perm.group, impl.plugin_name)
    return out
