"""The OpenAPI 3.1 document of the REST API, generated on each request from the type registry.

Every declared type gets ``components.schemas``: ``<Type>`` (an object as the API returns it: the
system properties plus each field's ``Field.openapi()``), ``<Type>Input`` (what POST takes, with the
required fields), ``<Type>Patch`` (what PATCH takes) and ``<Type>List`` (a list page), and paths for
its list, create, read, update, delete and actions (its workflow transitions plus copy, restore and
purge). Texts are in the caller's language. Served at ``GET /api/v1/openapi.json``.
"""
from __future__ import annotations

import copy
from importlib.metadata import PackageNotFoundError, version

from pyramid.view import view_config

from procura.api.types import BUILTIN_ACTIONS, LIST_RESERVED
from procura.i18n import _
from procura.types.query import MAX_LIMIT, SYSTEM_SORTS

API = "/api/v1"
PROBLEM = "application/problem+json"
JSON = "application/json"


def schema_name(type_name: str) -> str:
    """``purchase_request`` -> ``PurchaseRequest`` (component names of a type)."""
    return "".join(part[:1].upper() + part[1:] for part in type_name.split("_"))


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def app_version() -> str:
    try:
        return version("procura")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0.0.0"


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


# ---------------------------------------------------------------- shared components


def problem_schema() -> dict:
    return {
        "type": "object",
        "description": "RFC 9457 problem details, in the caller's language.",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {
                "type": "object",
                "description": "Field name (dotted for parts of a field) -> why its value was refused.",
                "additionalProperties": {"type": "string"},
            },
            "current_version": {"type": "integer", "description": "412: the record's version now."},
            "expected_version": {"type": "integer", "description": "412: the version the request named."},
            "changed_by": {"type": "array", "items": {"type": "string"},
                           "description": "412: who changed the record since that version."},
            "changed_fields": {"type": "array", "items": {"type": "string"},
                               "description": "412: which fields changed since that version."},
        },
        "required": ["type", "title", "status"],
    }


def common_schemas() -> dict:
    string_or_null = {"type": ["string", "null"]}
    return {
        "Problem": problem_schema(),
        "Action": {
            "type": "object",
            "description": "An action the caller may take on the record now (POST .../actions/{name}).",
            "properties": {
                "name": {"type": "string"},
                "title": {"type": "string"},
                "target": {**string_or_null, "description": "The status a workflow transition leads to."},
                "comment_required": {"type": "boolean"},
            },
            "required": ["name", "title", "target", "comment_required"],
        },
        "ActionInput": {
            "type": "object",
            "properties": {
                "comment": {"type": "string", "description": "Why (required by some transitions)."},
                "version": {"type": "integer", "description": "The version the caller saw (or If-Match)."},
            },
        },
        "FieldDescription": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "kind": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "required": {"type": "boolean"},
                "readonly": {"type": "boolean"},
                "indexed": {"type": "boolean"},
                "searchable": {"type": "boolean"},
                "group": string_or_null,
                "schema": {"type": "object", "description": "The field's JSON Schema."},
                "choices": {"type": "array", "items": {
                    "type": "object", "properties": {"value": {"type": "string"}, "title": {"type": "string"}},
                    "required": ["value", "title"]}},
            },
            "required": ["name", "kind", "title", "required", "readonly", "indexed", "schema"],
        },
        "TypeDescription": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "title": {"type": "string"},
                "plural": {"type": "string"},
                "description": {"type": "string"},
                "addon": {"type": "string"},
                "icon": {"type": "string"},
                "title_field": {"type": "string"},
                "list_columns": {"type": "array", "items": {"type": "string"}},
                "searchable": {"type": "boolean"},
                "url": {"type": "string", "format": "uri"},
                "permissions": {"type": "object", "additionalProperties": {"type": "boolean"}},
                "fields": {"type": "array", "items": ref("FieldDescription")},
                "workflow": {"anyOf": [{"type": "null"}, {
                    "type": "object",
                    "properties": {
                        "initial": {"type": "string"},
                        "statuses": {"type": "array", "items": {"type": "object", "properties": {
                            "name": {"type": "string"}, "title": {"type": "string"},
                            "category": {"type": "string", "enum": ["open", "closed"]},
                            "color": {"type": "string"}}, "required": ["name", "title", "category"]}},
                        "transitions": {"type": "array", "items": {"type": "object", "properties": {
                            "name": {"type": "string"}, "title": {"type": "string"},
                            "sources": {"type": "array", "items": {"type": "string"}},
                            "target": {"type": "string"}, "comment_required": {"type": "boolean"}},
                            "required": ["name", "title", "sources", "target"]}},
                    },
                    "required": ["initial", "statuses", "transitions"],
                }]},
            },
            "required": ["name", "title", "plural", "fields", "permissions", "workflow"],
        },
        "TypeList": {
            "type": "object",
            "properties": {"items": {"type": "array", "items": ref("TypeDescription")},
                           "total": {"type": "integer", "minimum": 0}},
            "required": ["items", "total"],
        },
        "SearchHit": {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "type_title": {"type": "string"},
                "id": {"type": "string"},
                "title": {"type": "string"},
                "score": {"type": "number"},
                "status": string_or_null,
                "status_title": {"type": "string"},
                "url": {"type": "string", "format": "uri", "description": "The record's page."},
                "api_url": {"type": "string", "format": "uri", "description": "The record in this API."},
            },
            "required": ["type", "id", "title", "score", "api_url"],
        },
        "SearchResults": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": ref("SearchHit")},
                "total": {"type": "integer", "minimum": 0,
                          "description": "Readable hits counted (counting stops at a cap: see exact)."},
                "exact": {"type": "boolean", "description": "False: there are more than total."},
                "limit": {"type": "integer", "minimum": 1},
                "offset": {"type": "integer", "minimum": 0},
            },
            "required": ["items", "total"],
        },
        "User": {
            "type": "object",
            "properties": {
                "login": {"type": "string"},
                "fullname": {"type": "string"},
                "email": {"type": "string"},
                "roles": {"type": "array", "items": {"type": "string"}},
                "locale": string_or_null,
                "timezone": string_or_null,
            },
            "required": ["login", "fullname", "email", "roles", "locale", "timezone"],
        },
        "UserPatch": {
            "type": "object",
            "properties": {
                "fullname": {"type": "string", "maxLength": 200},
                "email": {"type": "string", "format": "email"},
                "locale": {"type": "string", "enum": ["ru", "en"]},
            },
            "additionalProperties": False,
        },
        "AddonList": {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "title": {"type": "string"}, "version": {"type": "string"},
                "depends": {"type": "array", "items": {"type": "string"}}},
                "required": ["name", "title", "version", "depends"]}}},
            "required": ["items"],
        },
    }


def problem_responses() -> dict:
    def problem(description):
        return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}

    return {
        "BadRequest": problem("The body is not a JSON object, or a header is malformed."),
        "Unauthorized": problem("No valid session or API token."),
        "Forbidden": problem("The caller may read the record (or type) but not do this."),
        "NotFound": problem("No such record, or one the caller may not read."),
        "Conflict": problem("The action is refused now; `detail` says why."),
        "PreconditionFailed": problem(
            "The record changed since the version named by If-Match (or `version`): `current_version`, "
            "`changed_by` and `changed_fields` say how. Nothing was stored."),
        "ValidationFailed": problem("Some values are not valid: `errors` maps each field to the reason. "
                                    "Nothing was stored."),
        "SearchUnavailable": problem("Full-text search is not available in this installation."),
    }


def errors(*names) -> dict:
    codes = {"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
             "Conflict": "409", "PreconditionFailed": "412", "ValidationFailed": "422",
             "SearchUnavailable": "501"}
    return {codes[n]: {"$ref": f"#/components/responses/{n}"} for n in names}


def json_response(description, schema, headers=None) -> dict:
    out = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


ETAG = {"ETag": {"$ref": "#/components/headers/ETag"}}
CREATED = {"ETag": {"$ref": "#/components/headers/ETag"}, "Location": {"$ref": "#/components/headers/Location"}}
IF_MATCH = {"$ref": "#/components/parameters/IfMatch"}
ID = {"$ref": "#/components/parameters/Id"}


# ---------------------------------------------------------------- per type


class TypeDoc:
    """Schemas and paths of one type, texts translated with ``t``."""

    def __init__(self, info, t, request=None):
        self.info, self.t, self.request = info, t, request
        self.name = schema_name(info.name)

    def field_schema(self, f) -> dict:
        schema = copy.deepcopy(f.openapi())
        schema.setdefault("title", self.t(f.title))
        if f.description:
            schema.setdefault("description", self.t(f.description))
        return schema

    def schemas(self) -> dict:
        info, t = self.info, self.t
        wf = info.workflow
        status = {"type": "string", "enum": [s.name for s in wf.statuses]} if wf else {"type": "null"}
        system = {
            "id": {"type": "string"},
            "type": {"type": "string", "const": info.name},
            "version": {"type": "integer", "minimum": 1,
                        "description": "Grows by one with every change; send it back in If-Match."},
            "title": {"type": "string"},
            "status": status,
            "created": {"type": "string", "format": "date-time"},
            "modified": {"type": "string", "format": "date-time"},
            "created_by": {"type": ["string", "null"]},
            "modified_by": {"type": ["string", "null"]},
            "deleted": {"type": "boolean", "description": "In the trash."},
            "actions": {"type": "array", "items": ref("Action"),
                        "description": "What the caller may do with the record now."},
        }
        output = dict(system)
        for f in info.fields:
            schema = self.field_schema(f)
            if f.readonly:
                schema["readOnly"] = True
            output[f.name] = schema
        inputs = {f.name: self.field_schema(f) for f in info.fields}
        patch = {}
        for f in info.fields:
            schema = self.field_schema(f)
            if f.readonly:
                schema["description"] = (schema.get("description", "") + " "
                                         "Read-only after creation: only its current value is accepted.").strip()
            patch[f.name] = schema
        required = [f.name for f in info.fields if f.required]
        patch["version"] = {"type": "integer", "description": "The version the caller saw (instead of If-Match)."}
        return {
            self.name: {
                "type": "object",
                "title": t(info.title),
                "properties": output,
                "required": list(system),
            },
            f"{self.name}Input": {
                "type": "object",
                "title": t(info.title),
                "description": "A new record. Unknown fields are refused (422); the object's system "
                               "properties may be sent and are ignored.",
                "properties": inputs,
                **({"required": required} if required else {}),
            },
            f"{self.name}Patch": {
                "type": "object",
                "title": t(info.title),
                "description": "The fields to change; the others keep their values.",
                "properties": patch,
            },
            f"{self.name}List": {
                "type": "object",
                "properties": {
                    "items": {"type": "array", "items": ref(self.name)},
                    "total": {"type": "integer", "minimum": 0, "description": "All matching records."},
                    "limit": {"type": "integer", "minimum": 1},
                    "offset": {"type": "integer", "minimum": 0},
                },
                "required": ["items", "total"],
            },
        }

    # ------------------------------------------------------------ list parameters
    def sort_keys(self) -> list[str]:
        keys = sorted(SYSTEM_SORTS) + [f.name for f in self.info.indexed_fields() if f.name not in SYSTEM_SORTS]
        return keys + ["-" + k for k in keys]

    @staticmethod
    def filter_value_schema(f) -> dict:
        schema = f.openapi()
        if "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            schema = options[0] if len(options) == 1 else {"type": "string"}
        if schema.get("type") == "array":
            schema = schema.get("items") or {"type": "string"}
        if schema.get("type") in ("string", "integer", "number", "boolean"):
            return {k: copy.deepcopy(v) for k, v in schema.items() if k in ("type", "enum", "format")}
        return {"type": "string"}

    def list_parameters(self) -> list[dict]:
        info, t = self.info, self.t
        params = [
            {"name": "q", "in": "query", "schema": {"type": "string"},
             "description": "Free text, answered by the search index (501 when search is not available)."},
            {"name": "sort", "in": "query", "schema": {"type": "string", "enum": self.sort_keys(),
                                                         "default": "-modified"},
             "description": "Sort key; a leading '-' sorts descending."},
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}},
            {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
            {"name": "deleted", "in": "query", "schema": {"type": "boolean", "default": False},
             "description": "List the trash instead (needs the delete permission)."},
        ]
        if info.workflow:
            params += [
                {"name": "category", "in": "query", "schema": {"type": "string", "enum": ["all", "open", "closed"]},
                 "description": "Open or closed statuses only."},
                {"name": "status", "in": "query", "style": "form", "explode": True,
                 "schema": {"type": "array", "items": {"type": "string",
                                                       "enum": [s.name for s in info.workflow.statuses]}},
                 "description": "Records in any of these statuses."},
            ]
        for f in info.indexed_fields():
            if f.name in LIST_RESERVED or f.name == "status":
                continue
            params.append({
                "name": f.name, "in": "query", "style": "form", "explode": True,
                "schema": {"type": "array", "items": self.filter_value_schema(f)},
                "description": t(_("Records whose '${field}' is one of the values",
                                   mapping={"field": t(f.title)})),
            })
        return params

    # ------------------------------------------------------------ paths
    def paths(self) -> dict:
        info, t, name = self.info, self.t, self.name
        tag = [info.name]
        one = ref(name)
        base = f"{API}/{info.name}"
        paths = {
            base: {
                "get": {
                    "operationId": f"list_{info.name}", "tags": tag,
                    "summary": t(_("List ${plural}", mapping={"plural": t(info.plural)})),
                    "parameters": self.list_parameters(),
                    "responses": {"200": json_response("A page of records.", ref(f"{name}List")),
                                  **errors("Unauthorized", "Forbidden", "ValidationFailed", "SearchUnavailable")},
                },
                "post": {
                    "operationId": f"create_{info.name}", "tags": tag,
                    "summary": t(_("Create: ${type}", mapping={"type": t(info.title)})),
                    "requestBody": {"required": True, "content": {JSON: {"schema": ref(f"{name}Input")}}},
                    "responses": {"201": json_response("Created.", one, CREATED),
                                  **errors("BadRequest", "Unauthorized", "Forbidden", "ValidationFailed")},
                },
            },
            f"{base}/{{id}}": {
                "parameters": [ID],
                "get": {
                    "operationId": f"get_{info.name}", "tags": tag,
                    "summary": t(info.title),
                    "responses": {"200": json_response("The record.", one, ETAG),
                                  **errors("Unauthorized", "NotFound")},
                },
                "patch": {
                    "operationId": f"update_{info.name}", "tags": tag,
                    "summary": t(_("Edit: ${type}", mapping={"type": t(info.title)})),
                    "parameters": [IF_MATCH],
                    "requestBody": {"required": True, "content": {JSON: {"schema": ref(f"{name}Patch")}}},
                    "responses": {"200": json_response("The changed record.", one, ETAG),
                                  **errors("BadRequest", "Unauthorized", "Forbidden", "NotFound",
                                           "PreconditionFailed", "ValidationFailed")},
                },
                "delete": {
                    "operationId": f"delete_{info.name}", "tags": tag,
                    "summary": t(_("Move to the trash: ${type}", mapping={"type": t(info.title)})),
                    "parameters": [IF_MATCH],
                    "responses": {"204": {"description": "In the trash."},
                                  **errors("BadRequest", "Unauthorized", "Forbidden", "NotFound",
                                           "PreconditionFailed")},
                },
            },
        }
        transitions = info.workflow.transitions if info.workflow else []
        for tr in transitions:
            if tr.name in BUILTIN_ACTIONS:
                continue
            paths[f"{base}/{{id}}/actions/{tr.name}"] = {"parameters": [ID], "post": {
                "operationId": f"{tr.name}_{info.name}", "tags": tag,
                "summary": t(tr.title),
                "description": f"Workflow transition {', '.join(tr.sources)} -> {tr.target}"
                               + (" (a comment is required)." if tr.comment_required else "."),
                "parameters": [IF_MATCH],
                "requestBody": {"required": False, "content": {JSON: {"schema": ref("ActionInput")}}},
                "responses": {"200": json_response("The record in its new status.", one, ETAG),
                              **errors("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict",
                                       "PreconditionFailed", "ValidationFailed")},
            }}
        for op in info.operations:
            body = colander_schema(op.schema(self.request)) if op.schema is not None else {"type": "object"}
            paths[f"{base}/{{id}}/actions/{op.name}"] = {"parameters": [ID], "post": {
                "operationId": f"{op.name}_{info.name}", "tags": tag, "summary": t(op.title),
                "description": t(op.description) if op.description else "An operation on the record.",
                "parameters": [IF_MATCH],
                "requestBody": {"required": op.schema is not None, "content": {JSON: {"schema": body}}},
                "responses": {"200": json_response("The record, with the operation's output under `result`.",
                                                   {"allOf": [one, {"type": "object", "properties": {
                                                       "result": {"type": "object"}}}]}, ETAG),
                              **errors("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict",
                                       "PreconditionFailed", "ValidationFailed")},
            }}
        paths[f"{base}/{{id}}/actions/copy"] = {"parameters": [ID], "post": {
            "operationId": f"copy_{info.name}", "tags": tag, "summary": t(_("Copy")),
            "description": "A new record with the values of this one; the body may override fields.",
            "requestBody": {"required": False, "content": {JSON: {"schema": ref(f"{name}Patch")}}},
            "responses": {"201": json_response("The copy.", one, CREATED),
                          **errors("BadRequest", "Unauthorized", "Forbidden", "NotFound", "ValidationFailed")},
        }}
        paths[f"{base}/{{id}}/actions/restore"] = {"parameters": [ID], "post": {
            "operationId": f"restore_{info.name}", "tags": tag, "summary": t(_("Restore")),
            "description": "Back from the trash.",
            "responses": {"200": json_response("The restored record.", one, ETAG),
                          **errors("Unauthorized", "Forbidden", "NotFound", "Conflict")},
        }}
        paths[f"{base}/{{id}}/actions/purge"] = {"parameters": [ID], "post": {
            "operationId": f"purge_{info.name}", "tags": tag, "summary": t(_("Delete for good")),
            "description": "Deletes a record in the trash for good.",
            "responses": {"204": {"description": "Deleted for good."},
                          **errors("Unauthorized", "Forbidden", "NotFound", "Conflict")},
        }}
        return paths


# ---------------------------------------------------------------- the document


def colander_schema(node) -> dict:
    """JSON Schema of a Colander node (the input schemas of operations and the security settings)."""
    import colander

    typ = node.typ
    if isinstance(typ, colander.Mapping):
        props, required = {}, []
        for child in node.children:
            props[child.name] = colander_schema(child)
            if child.required:
                required.append(child.name)
        out = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            out["required"] = required
        return out
    if isinstance(typ, colander.Sequence):
        return {"type": "array", "items": colander_schema(node.children[0]) if node.children else {}}
    if isinstance(typ, colander.Boolean):
        return {"type": "boolean"}
    if isinstance(typ, colander.Integer):
        return {"type": "integer"}
    if isinstance(typ, (colander.Decimal, colander.Float)):
        return {"type": "number"}
    if isinstance(typ, (colander.Set, colander.List)):
        return {"type": "array", "items": {"type": "string"}}
    out = {"type": "string"}
    description = getattr(node, "description", None)
    if isinstance(description, str) and description:
        out["description"] = description
    return out


def core_paths() -> dict:
    return {
        f"{API}/types": {"get": {
            "operationId": "list_types", "tags": ["core"], "summary": "Types, their fields and workflows",
            "responses": {"200": json_response("The types the caller may read or create.", ref("TypeList")),
                          **errors("Unauthorized")},
        }},
        f"{API}/search": {"get": {
            "operationId": "search", "tags": ["core"], "summary": "Global full-text search",
            "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}},
                {"name": "types", "in": "query", "style": "form", "explode": False,
                 "schema": {"type": "array", "items": {"type": "string"}}, "description": "Only these types."},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                            "default": 20}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
            ],
            "responses": {"200": json_response("Best matches first.", ref("SearchResults")),
                          **errors("Unauthorized", "ValidationFailed", "SearchUnavailable")},
        }},
        f"{API}/openapi.json": {"get": {
            "operationId": "openapi", "tags": ["core"], "summary": "This document",
            "responses": {"200": json_response("OpenAPI 3.1 document.", {"type": "object"}),
                          **errors("Unauthorized")},
        }},
        f"{API}/me": {
            "get": {"operationId": "get_me", "tags": ["core"], "summary": "The signed-in user",
                    "responses": {"200": json_response("The user.", ref("User")), **errors("Unauthorized")}},
            "patch": {"operationId": "update_me", "tags": ["core"], "summary": "Change one's own profile",
                      "requestBody": {"required": True, "content": {JSON: {"schema": ref("UserPatch")}}},
                      "responses": {"200": json_response("The user.", ref("User")),
                                    **errors("BadRequest", "Unauthorized", "ValidationFailed")}},
        },
        f"{API}/addons": {"get": {
            "operationId": "list_addons", "tags": ["core"], "summary": "Installed addons",
            "responses": {"200": json_response("Enabled addons in dependency order.", ref("AddonList")),
                          **errors("Unauthorized")},
        }},
    }


def build_document(request) -> dict:
    t = request.localizer.translate
    schemas = common_schemas()
    paths = core_paths()
    tags = [{"name": "core", "description": "Identity, types, search"}]
    for info in request.registry.procura_types:
        doc = TypeDoc(info, t, request)
        schemas.update(doc.schemas())
        paths.update(doc.paths())
        tags.append({"name": info.name, "description": t(info.plural)})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Procura",
            "version": app_version(),
            "description": (
                "REST API of Procura. Authenticate with `Authorization: Bearer <token>` or the session "
                "cookie (cookie requests that change data also need the `X-CSRF-Token` header). Errors "
                "are `application/problem+json` with field-level reasons under `errors`. Every record "
                "has a `version`: send it back in `If-Match` when changing the record; a stale version "
                "gets 412 and nothing is stored."),
        },
        "servers": [{"url": request.application_url}],
        "security": [{"bearer": []}, {"cookie": []}],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "An API token of a user (profile page or `procura` CLI)."},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "procura_session",
                           "description": "The web session; unsafe methods also need `X-CSRF-Token`."},
            },
            "schemas": schemas,
            "responses": problem_responses(),
            "parameters": {
                "Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                "IfMatch": {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                            "description": 'The version the caller saw, as its ETag: "3" (3 and W/"3" are '
                                           "accepted too). Without it the change is applied to the "
                                           "current version."},
            },
            "headers": {
                "ETag": {"description": 'The record\'s version, e.g. "3".', "schema": {"type": "string"}},
                "Location": {"description": "The new record's URL.", "schema": {"type": "string", "format": "uri"}},
            },
        },
    }


@view_config(route_name="api_openapi", request_method="GET", renderer="json", permission="procura.view")
def openapi_get(request):
    return build_document(request)
