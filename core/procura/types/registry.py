"""Type declarations: a business type is declared once and the core derives the rest from it.

A ``TypeInfo`` names the type, lists its fields (``procura.types.fields``), its workflow and its
id pattern. Addons return TypeInfos from the ``procura_register_types`` hook; the core checks the
names, derives permissions ``<addon>.<action>-<type>`` and keeps them in ``registry.procura_types``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RESERVED_TYPE_NAMES = {"types", "search", "openapi.json", "me", "addons", "trash", "recent", "users",
                       "settings", "auth"}
SYSTEM_ATTRS = {
    "id", "type", "type_name", "version", "status", "created", "modified", "created_by", "modified_by",
    "owner", "record_teams", "deleted", "deleted_at", "deleted_by", "history", "feed", "actions", "title",
    "__name__", "__parent__", "data", "owners", "counterparties",
}
ACTIONS = ("create", "read", "edit", "delete")
# Scopes a role grants per type and action, from the widest; several roles combine to the widest.
# "counterparty" is the scope of portal users: the records of their own counterparty.
SCOPES = ("all", "team", "counterparty", "own", "none")
SCOPE_RANK = {s: len(SCOPES) - i for i, s in enumerate(SCOPES)}


class TypeError_(Exception):
    """A type declaration that cannot be used; the message names the type and the problem."""


@dataclass(frozen=True)
class Status:
    name: str
    title: Any
    category: str = "open"  # "open" or "closed": the all/open/closed filter of every list
    color: str = "secondary"  # Bootstrap colour name for the badge


@dataclass(frozen=True)
class Transition:
    """A permitted move ``sources`` -> ``target``. ``permission`` defaults to ``<addon>.edit-<type>``.

    ``guard(obj, request)`` may return a translatable reason to refuse (or None to allow);
    ``comment_required`` makes a comment mandatory (rejections, returns).
    """

    name: str
    title: Any
    sources: tuple[str, ...]
    target: str
    permission: str | None = None
    guard: Callable[[Any, Any], Any] | None = None
    comment_required: bool = False
    style: str = "primary"


@dataclass
class Operation:
    """A type-specific command on one record beyond editing and workflow transitions (set a user's
    password, revoke their tokens, start an approval). Offered on the detail page (a button, or a
    form when it has a ``schema``) and in the REST API as ``POST /api/v1/<type>/<id>/actions/<name>``.

    - ``action``: what the caller needs on the record: an action of the type ("edit", "approve")
      or a full named permission ("procura.admin").
    - ``schema(request)``: a Colander mapping of the operation's input (None: no input).
    - ``run(request, obj, appstruct)``: does the work through the service path; may return a dict
      (shown once on the result page and returned in the API response under ``result``).
    - ``available(request, obj)``: whether it applies to the record now (default: always).
    - ``result_titles``: the result keys the web UI shows (once) on a result page, with labels.
    """

    name: str
    title: Any
    run: Callable[[Any, Any, dict], dict | None]
    action: str = "edit"
    schema: Callable[[Any], Any] | None = None
    available: Callable[[Any, Any], bool] | None = None
    description: Any = ""
    icon: str = ""
    style: str = "outline-secondary"
    confirm: Any = None
    menu: bool = True
    result_titles: dict[str, Any] = field(default_factory=dict)  # result key -> label on the result page


@dataclass
class Workflow:
    statuses: list[Status]
    transitions: list[Transition]
    initial: str | None = None

    def __post_init__(self):
        names = [s.name for s in self.statuses]
        if len(set(names)) != len(names):
            raise TypeError_(f"duplicate status names in workflow: {names}")
        self.initial = self.initial or names[0]
        for t in self.transitions:
            for s in (*t.sources, t.target):
                if s not in names:
                    raise TypeError_(f"transition '{t.name}' names unknown status '{s}'")

    def status(self, name) -> Status | None:
        return next((s for s in self.statuses if s.name == name), None)

    def transition(self, name) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def transitions_from(self, status) -> list[Transition]:
        return [t for t in self.transitions if status in t.sources]

    def between(self, source, target) -> list[Transition]:
        return [t for t in self.transitions if source in t.sources and t.target == target]

    def statuses_in(self, category) -> list[str]:
        return [s.name for s in self.statuses if s.category == category]


@dataclass
class TypeInfo:
    """Everything the core needs to serve one business type.

    - ``name``: API and URL name (snake_case, unique in the installation).
    - ``fields``: ``procura.types.fields.Field`` instances in form order.
    - ``title_field``: the field shown as the object's title (default: first field).
    - ``workflow``: statuses and transitions, or None for a type without status.
    - ``id_pattern``: ``"uuid"`` or a pattern such as ``"REQ-{year}-{seq:06}"``.
    - ``list_columns``: default list columns (field names); ``searchable``: in global search.
    - ``default_roles``: ``{action: [role, ...]}`` (scope "all") or ``{action: {role: scope}}``
      granted by default; admins change them per role at run time. Actions are create, read, edit,
      delete, the type's ``extra_actions`` and the actions named by its transitions' permissions.
    - ``content_class``: the persistent class (default ``procura.types.content.Content``).
    - ``id_field``: the object's id is this (string) field's value, fixed at creation (users, roles).
    - ``owner_fields``: user fields whose users count as the record's own (besides its creator and
      ``owner``), for the scope "own" (e.g. ``["requester", "assignee"]``).
    - ``team_fields``: team fields whose teams the record belongs to (besides its creator's teams),
      for the scope "team".
    - ``counterparty_fields``: link fields naming the counterparty a record belongs to, for the
      portal scope "counterparty".
    - ``extra_actions``: ``{action: title}`` type-specific actions with their own permission
      ``<addon>.<action>-<type>`` (e.g. approve).
    - ``system_only``: records are written by the system only (login audit): no role may create,
      edit or delete them, administrators included.
    - ``field_guard(request, obj, field)``: returns "hidden" or "read" to restrict a field for
      everybody, administrators included (sealed bids before the opening), or None.
    - ``admin``: the type belongs to the administration section of the menu.
    - ``default_fields``: ``{role: {field: "read"|"hidden"}}`` field access a role has by default
      (fields not named are editable wherever the record is).
    - ``derive(request, obj)``: called by the write path after the values are set and before the
      record is indexed, to keep derived values (totals, owners) in step.
    - ``operations``: :class:`Operation` commands on a record (UI and API).
    - ``personal``: every record belongs to one user (notifications): whatever the roles say, a
      user, administrators included, reaches only their own records (system work reaches all).
    - ``validate(request, obj, values)``: rules across fields (an INN of 12 digits needs no KPP);
      ``values`` are the record's values after the write (``obj`` is None on create); returns
      ``{field: message}`` for the fields in error, and the write stores nothing then.
    """

    name: str
    title: Any
    plural: Any
    fields: list
    title_field: str | None = None
    workflow: Workflow | None = None
    id_pattern: str = "uuid"
    list_columns: list[str] | None = None
    icon: str = "bi-file-earmark"
    searchable: bool = True
    menu: bool = True
    menu_order: int = 100
    default_roles: dict[str, list[str]] = field(default_factory=dict)
    content_class: Any = None
    description: Any = ""
    id_field: str | None = None
    owner_fields: list[str] = field(default_factory=list)
    team_fields: list[str] = field(default_factory=list)
    counterparty_fields: list[str] = field(default_factory=list)
    extra_actions: dict[str, Any] = field(default_factory=dict)
    system_only: bool = False
    field_guard: Callable[[Any, Any, Any], str | None] | None = None
    admin: bool = False
    default_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    derive: Callable[[Any, Any], None] | None = None
    operations: list[Operation] = field(default_factory=list)
    validate: Callable[[Any, Any, dict], dict | None] | None = None
    personal: bool = False
    addon: str = ""  # set by the core from the registering plugin

    def __post_init__(self):
        self._fields = {}
        for f in self.fields:
            if f.name in self._fields:
                raise TypeError_(f"type '{self.name}': field '{f.name}' declared twice")
            if f.name in SYSTEM_ATTRS or f.name.startswith("_"):
                raise TypeError_(f"type '{self.name}': field name '{f.name}' is reserved")
            self._fields[f.name] = f
        if not self.fields:
            raise TypeError_(f"type '{self.name}' has no fields")
        self.title_field = self.title_field or self.fields[0].name
        if self.title_field not in self._fields:
            raise TypeError_(f"type '{self.name}': title_field '{self.title_field}' is not a field")
        self.list_columns = self.list_columns or [f.name for f in self.fields[:4]]
        for c in self.list_columns:
            if c not in self._fields and c not in ("status", "created", "modified", "id"):
                raise TypeError_(f"type '{self.name}': list column '{c}' is not a field")
        for attr in ("owner_fields", "team_fields", "counterparty_fields"):
            for name in getattr(self, attr):
                if name not in self._fields and not (attr == "counterparty_fields" and name == "id"):
                    raise TypeError_(f"type '{self.name}': {attr} names unknown field '{name}'")
        for role, levels in self.default_fields.items():
            for name, level in levels.items():
                if name not in self._fields or level not in ("edit", "read", "hidden"):
                    raise TypeError_(f"type '{self.name}': default_fields of '{role}': bad '{name}': {level!r}")
        if self.id_field is not None and self.id_field not in self._fields:
            raise TypeError_(f"type '{self.name}': id_field '{self.id_field}' is not a field")
        for action, roles in self.default_roles.items():
            scopes = roles.values() if isinstance(roles, dict) else ["all"]
            bad = [s for s in scopes if s not in SCOPES]
            if bad:
                raise TypeError_(f"type '{self.name}': unknown scope {bad[0]!r} for action '{action}'")
        if self.content_class is None:
            from procura.types.content import Content

            self.content_class = Content

    def add_fields(self, fields, addon: str):
        """Fields another addon contributes to this type (``procura_extend_types``). A field may carry
        ``role_access = {role: "read"|"hidden"}``: its default access for those roles."""
        for f in fields:
            if f.name in self._fields or f.name in SYSTEM_ATTRS or f.name.startswith("_"):
                raise TypeError_(f"addon '{addon}' adds field '{f.name}' to type '{self.name}', "
                                 "which already has it or reserves the name")
            f.added_by = addon
            self.fields.append(f)
            self._fields[f.name] = f
            for role, level in (getattr(f, "role_access", None) or {}).items():
                self.default_fields.setdefault(role, {})[f.name] = level

    def field(self, name):
        return self._fields.get(name)

    def operation(self, name) -> Operation | None:
        return next((o for o in self.operations if o.name == name), None)

    @property
    def field_names(self):
        return list(self._fields)

    def permission(self, action: str) -> str:
        return f"{self.addon}.{action}-{self.name.replace('_', '-')}"

    def transition_permission(self, transition: Transition) -> str:
        return transition.permission or self.permission("edit")

    def actions(self) -> list[tuple[str, Any]]:
        """``(action, title)`` of every action a role can be granted on this type, in order."""
        from procura.i18n import _

        out = [("create", _("Create")), ("read", _("Read")), ("edit", _("Edit")), ("delete", _("Delete"))]
        seen = {a for a, _t in out}
        for action, title in self.extra_actions.items():
            if action not in seen:
                out.append((action, title))
                seen.add(action)
        if self.workflow:
            for t in self.workflow.transitions:
                action = self.action_of(t.permission) if t.permission else None
                if action and action not in seen:
                    out.append((action, t.title))
                    seen.add(action)
        return out

    def action_of(self, permission: str) -> str | None:
        """The action of one of this type's permission names (``<addon>.<action>-<type>``), else None."""
        suffix = "-" + self.name.replace("_", "-")
        prefix = self.addon + "."
        if permission.startswith(prefix) and permission.endswith(suffix):
            action = permission[len(prefix):-len(suffix)]
            return action or None
        return None

    def default_field_access(self, role: str, field_name: str) -> str:
        return self.default_fields.get(role, {}).get(field_name, "edit")

    def default_scope(self, action: str, role: str) -> str:
        """The scope ``role`` has for ``action`` by this type's declaration (before admins' changes)."""
        roles = self.default_roles.get(action)
        if roles is None:
            return "none"
        if isinstance(roles, dict):
            return roles.get(role, "none")
        return "all" if role in roles else "none"

    def indexed_fields(self):
        return [f for f in self.fields if f.indexed]


class TypeRegistry:
    """The types of one application, in registration (addon dependency) order."""

    def __init__(self):
        self._types: dict[str, TypeInfo] = {}
        self._permissions: dict[str, tuple[str, str]] | None = None

    def permission_map(self) -> dict[str, tuple[str, str]]:
        """Permission name -> (type name, action) for every type permission (built once)."""
        if self._permissions is None:
            out = {}
            for info in self._types.values():
                for action, _title in info.actions():
                    out[info.permission(action)] = (info.name, action)
            self._permissions = out
        return self._permissions

    def add(self, info: TypeInfo, addon: str):
        if not info.name.isidentifier() or info.name != info.name.lower():
            raise TypeError_(f"type name '{info.name}' (addon {addon}) must be a lower-case identifier")
        if info.name in RESERVED_TYPE_NAMES:
            raise TypeError_(f"type name '{info.name}' (addon {addon}) is reserved")
        if info.name in self._types:
            other = self._types[info.name].addon
            raise TypeError_(f"type '{info.name}' is declared by both '{other}' and '{addon}'")
        info.addon = addon
        self._types[info.name] = info

    def get(self, name) -> TypeInfo | None:
        return self._types.get(name)

    def __getitem__(self, name) -> TypeInfo:
        return self._types[name]

    def __contains__(self, name):
        return name in self._types

    def __iter__(self):
        return iter(self._types.values())

    def __len__(self):
        return len(self._types)

    def names(self):
        return list(self._types)


def collect_types(pm) -> TypeRegistry:
    """Ask every plugin for its types, remembering which addon declared which, then let addons add
    fields to other addons' types (``procura_extend_types``)."""
    registry = TypeRegistry()
    impls = pm.hook.procura_register_types.get_hookimpls()  # registration (dependency) order
    for impl in impls:
        for info in impl.function() or []:
            registry.add(info, impl.plugin_name)
    for impl in pm.hook.procura_extend_types.get_hookimpls():
        for type_name, fields in (impl.function() or {}).items():
            info = registry.get(type_name)
            if info is None:  # extending a type of an addon that is not installed: nothing to do
                continue
            if not getattr(info, "_extended_copy", False):
                # declarations are module constants shared by every app in a process: extend a copy
                addon = info.addon
                info = dataclasses.replace(info, fields=list(info.fields), default_fields={
                    role: dict(levels) for role, levels in info.default_fields.items()})
                info.addon, info._extended_copy = addon, True
                registry._types[type_name] = info
            info.add_fields(fields, impl.plugin_name)
    return registry
