"""Declared roles and their creation at start-up.

Types and permissions grant their defaults to role *names*; ``procura_register_roles`` gives those
names a title. ``ensure_roles`` creates the declared roles a database lacks (in the installation's
default language), so that administrators find them in the role list and can change them; roles
an administrator deleted to the trash are not brought back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procura.i18n import _


@dataclass(frozen=True)
class RoleDecl:
    name: str
    title: Any
    description: Any = ""
    kind: str = "staff"  # "staff" or "portal"


CORE_ROLES = [
    RoleDecl("admin", _("Administrator"), _("Every module and setting.")),
    RoleDecl("user", _("Employee"), _("What every employee may do: given to all staff users.")),
    RoleDecl("portal", _("Portal user"), _("What every portal user may do: given to all portal users."), "portal"),
]


def declared_roles(pm) -> list[RoleDecl]:
    out, seen = [], set()
    for result in pm.hook.procura_register_roles():
        for decl in result or []:
            if decl.name not in seen:
                seen.add(decl.name)
                out.append(decl)
    return out


def ensure_roles(registry) -> list[str]:
    """Create the declared roles the database does not have yet; returns their names."""
    from procura.types.content import container_for
    from procura.types.system import in_own_transaction

    decls = declared_roles(registry.procura_pm)

    def create(request):
        container = container_for(request.app_root, "role")
        missing = [d for d in decls if d.name not in container]
        if not missing:
            return []
        t = request.localizer.translate
        info = request.types.info("role")
        for decl in missing:
            request.types.create(info, {"name": decl.name, "label": t(decl.title),
                                        "description": t(decl.description) if decl.description else None,
                                        "kind": decl.kind, "login_hours": "any"})
        return [d.name for d in missing]

    return in_own_transaction(registry, create, note="procura roles")
