"""Effective permissions of the signed-in user, computed once per request (``request.grants``).

A user's roles are their base role (``user`` for staff, ``portal`` for portal users), the roles
given to them, the roles of their teams, those of matching position rules and those their
directory groups give (``directory_roles``/``directory_teams``, see ``procura.security.directory``)
or their OpenID Connect claims (``external_roles``/``external_teams``, see ``procura.security.oidc``).
Only roles of the user's kind count (a portal user never becomes an administrator by mistake). For every type and
action each role has a scope (its explicit grant, else the type's declared default for a role of
that name); several roles combine to the widest scope. Field access combines the same way over
the roles that may read the type at all. Named permissions are granted if any role grants them.

Every channel asks here: the service path, list queries, forms, the REST API, search, export,
attachments and the activity feed (through ``procura.types.access``).
"""
from __future__ import annotations

from functools import cached_property

from procura.types.content import container_for, counterparties_of, owners_of
from procura.types.registry import SCOPE_RANK

LEVEL_RANK = {"hidden": 0, "read": 1, "edit": 2}


def _container(request, type_name):
    try:
        return container_for(request.app_root, type_name)
    except (KeyError, AttributeError):
        return None


class Grants:
    """What one user may do. Cheap to build; scopes and field levels are computed on first use."""

    def __init__(self, request, user):
        self.request = request
        self.user = user
        self.login = user.login if user is not None else None
        self.kind = getattr(user, "kind", "staff") if user is not None else None
        self.types = request.registry.procura_types
        self.permission_defs = getattr(request.registry, "procura_permissions", {})
        self._scopes: dict = {}
        self._fields: dict = {}
        self._perms: dict = {}

    # ---------------------------------------------------------------- principals
    @cached_property
    def roles(self) -> list:
        """``[(name, role object or None)]`` of the user's effective roles, base role first."""
        if self.user is None:
            return []
        from procura.security.principals import BASE_ROLE

        container = _container(self.request, "role")
        names = [BASE_ROLE.get(self.kind, "user")]
        names += list(getattr(self.user, "roles", ()) or ()) + list(getattr(self.user, "auto_roles", ()) or ())
        names += list(getattr(self.user, "directory_roles", ()) or ())  # from directory groups (LDAP)
        names += list(getattr(self.user, "external_roles", ()) or ())  # from OpenID Connect claims (oidc.py)
        teams = _container(self.request, "team")
        for team_name in self.direct_teams:
            team = teams.get(team_name) if teams is not None else None
            if team is not None and not team.deleted:
                names += list(getattr(team, "roles", ()) or ())
        out, seen = [], set()
        for name in names:
            if name in seen:
                continue
            seen.add(name)
            role = container.get(name) if container is not None else None
            if role is not None and role.deleted:
                continue
            if role is not None and getattr(role, "kind", "staff") != self.kind:
                continue  # staff roles mean nothing for portal users and the other way round
            if role is None and self.kind == "portal" and name != "portal":
                continue
            out.append((name, role))
        return out

    @cached_property
    def role_names(self) -> tuple[str, ...]:
        return tuple(name for name, _role in self.roles)

    @cached_property
    def superuser(self) -> bool:
        from procura.security.principals import SUPERUSER_ROLES

        return self.kind == "staff" and any(name in SUPERUSER_ROLES for name in self.role_names)

    @cached_property
    def direct_teams(self) -> frozenset[str]:
        if self.user is None:
            return frozenset()
        return (frozenset(getattr(self.user, "teams", ()) or ()) | frozenset(getattr(self.user, "auto_teams", ()) or ())
                | frozenset(getattr(self.user, "directory_teams", ()) or ())
                | frozenset(getattr(self.user, "external_teams", ()) or ()))

    @cached_property
    def teams(self) -> frozenset[str]:
        """The user's teams and every team below them (a department sees its sub-teams' records)."""
        direct = self.direct_teams
        if not direct:
            return direct
        container = _container(self.request, "team")
        if container is None:
            return direct
        children: dict = {}
        for name, team in container.items():
            parent = getattr(team, "parent", None)
            if parent and not team.deleted:
                children.setdefault(parent, []).append(name)
        out, todo = set(direct), list(direct)
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return frozenset(out)

    @cached_property
    def counterparty(self) -> str | None:
        return getattr(self.user, "counterparty", None) if self.kind == "portal" else None

    # ---------------------------------------------------------------- scopes
    def role_scope(self, name, role, info, action) -> str:
        grants = getattr(role, "grants", None) or {}
        explicit = (grants.get("types") or {}).get(info.name, {}).get(action)
        return explicit if explicit is not None else info.default_scope(action, name)

    def scope(self, info, action: str) -> str:
        key = (info.name, action)
        if key in self._scopes:
            return self._scopes[key]
        if self.user is None:
            scope = "none"
        elif info.system_only and action != "read":
            scope = "none"
        elif self.superuser:
            scope = "all"
        else:
            scope = "none"
            for name, role in self.roles:
                candidate = self.role_scope(name, role, info, action)
                if candidate == "counterparty" and self.kind != "portal":
                    candidate = "none"
                if SCOPE_RANK.get(candidate, 0) > SCOPE_RANK[scope]:
                    scope = candidate
        if info.personal and scope != "none":
            scope = "own"  # personal records (notifications) are nobody else's business, admins' neither
        self._scopes[key] = scope
        return scope

    def allows(self, info, action: str, obj=None) -> bool:
        """May the user take ``action`` on ``obj`` (or, without an object, on some record of the type)?"""
        scope = self.scope(info, action)
        if scope == "none":
            return False
        if obj is None or scope == "all":
            return True
        own = self.login in owners_of(obj, info)
        if scope == "own":
            return own
        if scope == "team":
            return own or bool(set(getattr(obj, "record_teams", ()) or ()) & self.teams)
        if scope == "counterparty":
            return own or (self.counterparty is not None and self.counterparty in counterparties_of(obj, info))
        return False

    def list_filter(self, info, catalog):
        """A hypatia query restricting lists to what the user may read, or None for everything."""
        scope = self.scope(info, "read")
        if scope == "all":
            return None
        if scope == "none" or self.login is None:
            return catalog["id"].eq("\0nothing")
        own = catalog["owners"].any([self.login])
        if scope == "own":
            return own
        if scope == "team":
            return own | catalog["record_teams"].any(sorted(self.teams)) if self.teams else own
        if scope == "counterparty":
            return own | catalog["counterparties"].any([self.counterparty]) if self.counterparty else own
        return catalog["id"].eq("\0nothing")

    # ---------------------------------------------------------------- fields
    def field_level(self, info, field_name: str) -> str:
        """``edit``, ``read`` or ``hidden`` for the field by the user's roles (before the record's state)."""
        key = (info.name, field_name)
        if key in self._fields:
            return self._fields[key]
        if self.superuser:
            level = "edit"
        else:
            level = "hidden"
            for name, role in self.roles:
                if self.role_scope(name, role, info, "read") == "none":
                    continue  # a role that cannot read the type says nothing about its fields
                grants = getattr(role, "grants", None) or {}
                explicit = (grants.get("fields") or {}).get(info.name, {}).get(field_name)
                candidate = explicit or info.default_field_access(name, field_name)
                if LEVEL_RANK.get(candidate, 0) > LEVEL_RANK[level]:
                    level = candidate
        self._fields[key] = level
        return level

    # ---------------------------------------------------------------- named permissions
    def has(self, permission: str) -> bool:
        if permission in self._perms:
            return self._perms[permission]
        if self.user is None:
            result = False
        elif self.superuser:
            result = True
        else:
            definition = self.permission_defs.get(permission)
            defaults = definition.default_roles if definition is not None else ()
            result = False
            for name, role in self.roles:
                grants = getattr(role, "grants", None) or {}
                explicit = (grants.get("permissions") or {}).get(permission)
                if explicit if explicit is not None else name in defaults:
                    result = True
                    break
        self._perms[permission] = result
        return result

    # ---------------------------------------------------------------- role settings
    def require_second_factor(self) -> bool:
        return any(getattr(role, "require_2fa", False) for _name, role in self.roles if role is not None)

    def login_hours_rule(self) -> tuple[str, str | None]:
        """The most permissive sign-in hours rule of the user's roles: ``(rule, calendar name)``.

        The base role (``user``, ``portal``) every user has counts only for users without other
        roles: otherwise its rule (by default "any") would overrule every role's restriction."""
        from procura.security.principals import BASE_ROLE

        order = {"any": 2, "flag": 1, "refuse": 0}
        best, calendar = None, None
        base = BASE_ROLE.get(self.kind, "user")
        for _name, role in [(n, r) for n, r in self.roles if n != base] or self.roles:
            rule = getattr(role, "login_hours", None) or "any" if role is not None else "any"
            if best is None or order[rule] > order[best]:
                best, calendar = rule, getattr(role, "calendar", None) if role is not None else None
        return best or "any", calendar


def grants_for(request) -> Grants:
    """``request.grants``: the current user's grants (cached on the request)."""
    cache = request.__dict__
    grants = cache.get("_procura_grants")
    identity = request.identity
    if grants is None or grants.user is not identity:
        grants = cache["_procura_grants"] = Grants(request, identity)
    return grants


def may_assign(request, target) -> bool:
    """May the current user make ``target`` (a user) the assignee of a record?"""
    from procura.security.permissions import ASSIGN_ANY, ASSIGN_TEAM

    grants = grants_for(request)
    if grants.login is not None and target.login == grants.login:
        return True
    if grants.has(ASSIGN_ANY):
        return True
    if grants.has(ASSIGN_TEAM):
        theirs = (set(getattr(target, "teams", ()) or ()) | set(getattr(target, "auto_teams", ()) or ())
                  | set(getattr(target, "directory_teams", ()) or ())
                  | set(getattr(target, "external_teams", ()) or ()))
        return bool(theirs & grants.teams)
    return False
