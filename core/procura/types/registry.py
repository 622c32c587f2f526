"""Type declarations: a business type is declared once and the core derives the rest from it.

A ``TypeInfo`` names the type, lists its fields (``procura.types.fields``), its workflow and its
id pattern. Addons return TypeInfos from the ``procura_register_types`` hook; the core checks the
names, derives permissions ``<addon>.<action>-<type>`` and keeps them in ``registry.procura_types``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RESERVED_TYPE_NAMES = {"types", "search", "openapi.json", "me", "addons", "trash", "recent", "users"}
SYSTEM_ATTRS = {
    "id", "type", "type_name", "version", "status", "created", "modified", "created_by", "modified_by",
    "owner", "teams", "deleted", "deleted_at", "deleted_by", "history", "feed", "actions", "title",
    "__name__", "__parent__", "data",
}
ACTIONS = ("create", "read", "edit", "delete")


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
    - ``default_roles``: ``{action: [role, ...]}`` granted by default (admins may change them).
    - ``content_class``: the persistent class (default ``procura.types.content.Content``).
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
        if self.content_class is None:
            from procura.types.content import Content

            self.content_class = Content

    def field(self, name):
        return self._fields.get(name)

    @property
    def field_names(self):
        return list(self._fields)

    def permission(self, action: str) -> str:
        return f"{self.addon}.{action}-{self.name.replace('_', '-')}"

    def transition_permission(self, transition: Transition) -> str:
        return transition.permission or self.permission("edit")

    def indexed_fields(self):
        return [f for f in self.fields if f.indexed]


class TypeRegistry:
    """The types of one application, in registration (addon dependency) order."""

    def __init__(self):
        self._types: dict[str, TypeInfo] = {}

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
    """Ask every plugin for its types, remembering which addon declared which."""
    registry = TypeRegistry()
    impls = pm.hook.procura_register_types.get_hookimpls()  # registration (dependency) order
    for impl in impls:
        for info in impl.function() or []:
            registry.add(info, impl.plugin_name)
    return registry
