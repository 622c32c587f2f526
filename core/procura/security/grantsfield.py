"""The ``grants`` field of a role: scopes per type and action, field access, named permissions.

Stored (and in the REST API) as::

    {"types": {"<type>": {"<action>": "all|team|counterparty|own|none"}},
     "fields": {"<type>": {"<field>": "edit|read|hidden"}},
     "permissions": {"<permission>": true|false}}

Entries that are absent fall back to the defaults the types and permissions declare for a role of
that name, so a role keeps sensible rights for an addon installed after it was edited. The form
widget is the permission matrix: one row per type with a scope per action, the fields of each
type below it, and the named permissions as switches.
"""
from __future__ import annotations

import colander
import deform
from markupsafe import Markup, escape

from procura.i18n import _
from procura.types.fields import Field, field_type
from procura.types.registry import SCOPES

LEVELS = ("edit", "read", "hidden")
SCOPE_TITLES = {"all": _("All"), "team": _("Team"), "counterparty": _("Own counterparty"), "own": _("Own"),
                "none": _("None")}
LEVEL_TITLES = {"edit": _("Edit"), "read": _("Read only"), "hidden": _("Hidden")}


def empty_grants() -> dict:
    return {"types": {}, "fields": {}, "permissions": {}}


class _GrantsType(colander.SchemaType):
    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return empty_grants()
        return appstruct

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return colander.null
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, _("Expected an object with types, fields and permissions"))
        out = empty_grants()
        problems = []
        for key in cstruct:
            if key not in out:
                problems.append(_("unknown entry '${name}'", mapping={"name": str(key)}))
        for key in ("types", "fields"):
            value = cstruct.get(key) or {}
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                problems.append(_("'${name}' must hold an object per type", mapping={"name": key}))
                continue
            out[key] = {str(t): {str(k): v for k, v in entries.items()} for t, entries in value.items()}
        perms = cstruct.get("permissions") or {}
        if not isinstance(perms, dict) or not all(isinstance(v, bool) for v in perms.values()):
            problems.append(_("'permissions' must map each permission to true or false"))
        else:
            out["permissions"] = dict(perms)
        if problems:
            raise colander.Invalid(node, problems[0])  # the structure is wrong: the first reason says how
        return out


def check_grants(request, node, value) -> None:
    """Every type, action, scope, field, level and permission named must exist."""
    if value in (colander.null, None):
        return
    types = request.registry.procura_types
    known_perms = getattr(request.registry, "procura_permissions", {})
    problems = {}
    for type_name, actions in value["types"].items():
        info = types.get(type_name)
        if info is None:
            problems[f"types.{type_name}"] = _("Unknown type '${name}'", mapping={"name": type_name})
            continue
        allowed = {a for a, _t in info.actions()}
        for action, scope in actions.items():
            if action not in allowed:
                problems[f"types.{type_name}.{action}"] = _("Unknown action '${name}'", mapping={"name": action})
            elif scope not in SCOPES:
                problems[f"types.{type_name}.{action}"] = _("Unknown scope '${name}'", mapping={"name": str(scope)})
    for type_name, levels in value["fields"].items():
        info = types.get(type_name)
        if info is None:
            problems[f"fields.{type_name}"] = _("Unknown type '${name}'", mapping={"name": type_name})
            continue
        for field_name, level in levels.items():
            if info.field(field_name) is None:
                problems[f"fields.{type_name}.{field_name}"] = _("Unknown field '${name}'",
                                                                 mapping={"name": field_name})
            elif level not in LEVELS:
                problems[f"fields.{type_name}.{field_name}"] = _("Unknown access '${name}'",
                                                                 mapping={"name": str(level)})
    for name in value["permissions"]:
        if name not in known_perms:
            problems[f"permissions.{name}"] = _("Unknown permission '${name}'", mapping={"name": name})
    if problems:
        t = request.localizer.translate
        raise colander.Invalid(node, "; ".join(f"{where}: {t(p)}" for where, p in problems.items()))


def _role_name(request) -> str | None:
    matchdict = getattr(request, "matchdict", None) or {}
    if matchdict.get("type") == "role":
        return matchdict.get("id")
    return None


class GrantsWidget(deform.widget.Widget):
    """The permission matrix (template ``procura:templates/deform/role_grants.pt``)."""

    template = "procura:templates/deform/role_grants.pt"
    readonly_template = "procura:templates/deform/role_grants.pt"

    def __init__(self, request=None, **kw):
        super().__init__(**kw)
        self.request = request

    def matrix(self, cstruct) -> dict:
        """What the template shows: types grouped by addon with each cell's current choice."""
        request = self.request
        t = request.localizer.translate
        cstruct = cstruct if isinstance(cstruct, dict) else empty_grants()
        role = _role_name(request)
        groups: dict = {}
        for info in request.registry.procura_types:
            explicit = cstruct.get("types", {}).get(info.name, {})
            fields_explicit = cstruct.get("fields", {}).get(info.name, {})
            row = {
                "name": info.name, "title": t(info.plural), "icon": info.icon,
                "actions": [{"name": a, "title": t(title),
                             "value": explicit.get(a) or (info.default_scope(a, role) if role else "none")}
                            for a, title in info.actions()],
                "fields": [{"name": fl.name, "title": t(fl.title),
                            "value": fields_explicit.get(fl.name) or (info.default_field_access(role, fl.name)
                                                                      if role else "edit")}
                           for fl in info.fields],
                "system_only": info.system_only,
            }
            groups.setdefault(info.addon, []).append(row)
        perms = []
        explicit_perms = cstruct.get("permissions", {})
        for name, perm in sorted(getattr(request.registry, "procura_permissions", {}).items()):
            value = explicit_perms.get(name)
            if value is None:
                value = bool(role and role in perm.default_roles)
            perms.append({"name": name, "title": t(perm.title),
                          "description": t(perm.description) if perm.description else "", "value": value})
        addons = {a.name: t(a.title) for a in request.registry.procura_addons}
        return {
            "groups": [{"addon": addon, "title": addons.get(addon, t(_("Platform"))), "types": rows}
                       for addon, rows in groups.items()],
            "permissions": perms,
            "scopes": [(s, t(SCOPE_TITLES[s])) for s in SCOPES],
            "levels": [(lv, t(LEVEL_TITLES[lv])) for lv in LEVELS],
        }

    def serialize(self, field, cstruct, **kw):
        readonly = kw.get("readonly", self.readonly)
        values = self.get_template_values(field, cstruct, kw)
        values["matrix"] = self.matrix(cstruct)
        values["readonly"] = readonly
        return field.renderer(self.template, **values)

    def deserialize(self, field, pstruct):
        if pstruct is colander.null:
            return colander.null
        if not isinstance(pstruct, dict):
            raise colander.Invalid(field.schema, _("Expected the permission matrix"), pstruct)
        out = empty_grants()
        for key, value in pstruct.items():
            kind, _sep, rest = key.partition(":")
            type_name, _sep, name = rest.partition(":")
            if kind == "t" and name:
                out["types"].setdefault(type_name, {})[name] = value
            elif kind == "f" and name:
                out["fields"].setdefault(type_name, {})[name] = value
        for name in getattr(self.request.registry, "procura_permissions", {}):
            out["permissions"][name] = pstruct.get(f"p:{name}") == "1"
        return out


@field_type
class RoleGrantsField(Field):
    kind = "role_grants"
    json_type = {"type": "object"}

    def colander_type(self):
        return _GrantsType()

    def request_validators(self, request):
        def check(node, value):
            if request is not None:
                check_grants(request, node, value)

        return [check]

    def widget(self, request=None):
        return GrantsWidget(request=request) if request is not None else None

    def from_json(self, raw):
        return colander.null if raw is None else raw

    def to_json(self, value):
        return value or empty_grants()

    def to_appstruct(self, value):
        return value or empty_grants()

    def openapi(self):
        scope = {"type": "string", "enum": list(SCOPES)}
        return {
            "type": "object", "additionalProperties": False,
            "description": "Entries left out fall back to the defaults declared for a role of this name.",
            "properties": {
                "types": {"type": "object", "additionalProperties": {"type": "object",
                                                                     "additionalProperties": scope}},
                "fields": {"type": "object", "additionalProperties": {
                    "type": "object", "additionalProperties": {"type": "string", "enum": list(LEVELS)}}},
                "permissions": {"type": "object", "additionalProperties": {"type": "boolean"}},
            },
        }

    def index_value(self, value):
        return None

    def display(self, value, request):
        if not value:
            return ""
        t = request.localizer.translate if request is not None else str
        parts = []
        for type_name, actions in sorted(value.get("types", {}).items()):
            granted = [f"{a}: {t(SCOPE_TITLES.get(s, s))}" for a, s in actions.items() if s != "none"]
            if granted:
                parts.append(f"{type_name} ({', '.join(granted)})")
        perms = [n for n, v in value.get("permissions", {}).items() if v]
        if perms:
            parts.append(", ".join(perms))
        return "; ".join(parts)

    def display_html(self, value, request):
        if request is None:
            return None
        widget = GrantsWidget(request=request)
        matrix = widget.matrix(value or empty_grants())
        t = request.localizer.translate
        rows = []
        for group in matrix["groups"]:
            for row in group["types"]:
                cells = [a for a in row["actions"] if a["value"] != "none"]
                if not cells:
                    continue
                scopes = dict(matrix["scopes"])
                text = ", ".join(f"{escape(a['title'])}: {escape(scopes.get(a['value'], a['value']))}" for a in cells)
                rows.append(f"<tr><th scope='row'>{escape(row['title'])}</th><td>{text}</td></tr>")
        perms = [escape(p["title"]) for p in matrix["permissions"] if p["value"]]
        html = ""
        if rows:
            html += ("<table class='table table-sm mb-2 grants-summary'><tbody>" + "".join(rows) + "</tbody></table>")
        if perms:
            html += f"<p class='mb-0 small'>{escape(t(_('Permissions')))}: {', '.join(perms)}</p>"
        return Markup(html or escape(t(_("No access"))))  # noqa: S704 - built from escaped parts only
