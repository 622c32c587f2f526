"""The one write path of typed objects, used by the web UI, the REST API, imports and jobs alike.

Every write: permission check, Colander validation with field-level reasons, field-level access,
optimistic concurrency (``expected_version``), an audit record in the object's history, catalog
update in the same transaction, and a domain event after commit.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import colander

from procura.i18n import _
from procura.types import access
from procura.types.content import container_for
from procura.types.events import (
    ObjectChanged,
    ObjectCreated,
    ObjectDeleted,
    ObjectPurged,
    ObjectRestored,
    ObjectStatusChanged,
    fire_after_commit,
)
from procura.types.fields import UNCHANGED
from procura.types.ids import next_id

log = logging.getLogger(__name__)


def _field_values(obj, names) -> set[str]:
    from procura.types.content import _values_of

    return _values_of(obj, names)


class ServiceError(Exception):
    status = 400


class NotFound(ServiceError):
    """No such object, or one the user may not read (the two are indistinguishable on purpose)."""

    status = 404


class AccessDenied(ServiceError):
    status = 403

    def __init__(self, action, info):
        super().__init__(f"{action} on {info.name} denied")
        self.action, self.info = action, info


class ValidationFailed(ServiceError):
    """Field-level errors: ``errors`` maps field name (dotted for nested parts) to a message."""

    status = 422

    def __init__(self, errors: dict):
        super().__init__("validation failed: " + ", ".join(sorted(errors)))
        self.errors = errors


class StaleVersion(ServiceError):
    """The object changed since the version the writer saw."""

    status = 412

    def __init__(self, obj, expected: int):
        self.expected = expected
        self.current = obj.version
        later = [h for h in obj.history if h.get("version", 0) > expected]
        self.changed_by = sorted({h.get("by") or "?" for h in later})
        self.changed_fields = sorted({f for h in later for f in (h.get("changes") or {})})
        self.modified = obj.modified
        super().__init__(f"stale version {expected}, current {obj.version}")

    def message(self, request):
        return request.localizer.translate(_(
            "This record was changed by ${users} after you opened it (version ${current}, you had "
            "${expected}; changed: ${fields}). Reload it and apply your change again.",
            mapping={"users": ", ".join(self.changed_by), "current": self.current, "expected": self.expected,
                     "fields": ", ".join(self.changed_fields) or "—"}))


class TransitionRefused(ServiceError):
    status = 409

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TypeService:
    """Bound to one request: ``request.types`` (see ``includeme``)."""

    def __init__(self, request):
        self.request = request
        self.registry = request.registry.procura_types

    # ---------------------------------------------------------------- lookup
    def info(self, type_name):
        info = self.registry.get(type_name)
        if info is None:
            raise NotFound(type_name)
        return info

    def container(self, info):
        return container_for(self.request.app_root, info.name)

    def get(self, info, obj_id, *, deleted: bool | None = False, action="read"):
        obj = self.container(info).get(obj_id)
        if obj is None or (deleted is not None and bool(obj.deleted) != deleted):
            raise NotFound(obj_id)
        if not access.can(self.request, "read", info, obj):
            raise NotFound(obj_id)  # whatever the action: one does not act on what one cannot see
        if action != "read" and not access.can(self.request, action, info, obj):
            raise AccessDenied(action, info)
        return obj

    def can(self, action, info, obj=None) -> bool:
        return access.can(self.request, action, info, obj)

    def require(self, action, info, obj=None):
        if not self.can(action, info, obj):
            raise AccessDenied(action, info)

    def visible_fields(self, info, obj=None):
        return [f for f in info.fields if access.field_access(self.request, info, f, obj) != access.HIDDEN]

    def editable_fields(self, info, obj=None):
        return [f for f in info.fields if access.field_access(self.request, info, f, obj) == access.EDIT]

    # ---------------------------------------------------------------- schemas
    def schema(self, info, obj=None, *, for_api=False, fields=None) -> colander.SchemaNode:
        schema = colander.SchemaNode(colander.Mapping(unknown="ignore"), name=info.name)
        for f in fields if fields is not None else self.editable_fields(info, obj):
            schema.add(f.schema_node(self.request, for_api=for_api))
        return schema

    def _translate_invalid(self, exc: colander.Invalid) -> dict:
        t = self.request.localizer.translate
        prefix = (exc.node.name + ".") if exc.node is not None and exc.node.name else ""
        return {k.removeprefix(prefix): v for k, v in exc.asdict(translate=t).items()}

    def validate_json(self, info, body: dict, obj=None, *, partial=False) -> dict:
        """API input (JSON) -> stored values of the fields present (all editable fields unless partial)."""
        if not isinstance(body, dict):
            raise ValidationFailed({"": self.request.localizer.translate(_("Expected a JSON object"))})
        t = self.request.localizer.translate
        editable = {f.name: f for f in self.editable_fields(info, obj)}
        visible = {f.name for f in self.visible_fields(info, obj)}
        errors = {}
        for key in body:
            if key in editable or key in SYSTEM_WRITABLE:
                continue
            if key in visible:
                field = info.field(key)
                current = field.to_json(getattr(obj, key, None)) if obj is not None else None
                if body[key] != current:
                    errors[key] = t(_("This field is read-only"))
            elif key not in SYSTEM_READONLY:
                errors[key] = t(_("Unknown field"))
        fields = [f for f in editable.values() if (not partial or f.name in body)]
        cstruct = {f.name: f.from_json(body.get(f.name)) for f in fields}
        try:
            appstruct = self.schema(info, obj, for_api=True, fields=fields).deserialize(cstruct)
        except colander.Invalid as exc:
            errors.update(self._translate_invalid(exc))
            appstruct = None
        if errors:
            raise ValidationFailed(errors)
        return self._storage(fields, appstruct)

    def validate_form(self, info, appstruct: dict, obj=None) -> dict:
        fields = self.editable_fields(info, obj)
        return self._storage(fields, appstruct)

    def _storage(self, fields, appstruct) -> dict:
        out, errors = {}, {}
        for f in fields:
            try:
                value = f.to_storage(appstruct.get(f.name, colander.null))
            except colander.Invalid as exc:
                errors[f.name] = self.request.localizer.translate(exc.msg)
                continue
            if value is not UNCHANGED:  # e.g. a file field told to keep its file
                out[f.name] = value
        if errors:
            raise ValidationFailed(errors)
        return out

    # ---------------------------------------------------------------- writes
    def _check_rules(self, info, obj, values: dict) -> None:
        """The type's rules across fields (``TypeInfo.validate``) on the values after the write."""
        if info.validate is None:
            return
        merged = {f.name: getattr(obj, f.name, None) for f in info.fields} if obj is not None else {}
        merged.update({k: v for k, v in values.items() if v is not UNCHANGED})
        errors = info.validate(self.request, obj, merged) or {}
        if errors:
            t = self.request.localizer.translate
            raise ValidationFailed({name: t(message) for name, message in errors.items()})

    def create(self, info, values: dict, *, status=None, obj_id=None, owner: str | None = None):
        self.require("create", info)
        self._check_rules(info, None, values)
        container = self.container(info)
        obj = info.content_class(info.name)
        user = self._login()
        now = now_utc()
        for f in info.fields:
            if f.name == info.id_field and isinstance(getattr(type(obj), f.name, None), property):
                continue  # the id field is the object's name (a user's login)
            setattr(obj, f.name, f.attach(obj, values.get(f.name, f.default if f.default is not None else None)))
        obj.status = status or (info.workflow.initial if info.workflow else None)
        obj.created = obj.modified = now
        obj.created_by = obj.modified_by = user
        obj.owner = owner or user
        obj.creator_teams = self._creator_teams()
        obj.version = 1
        if obj_id is None and info.id_field is not None:
            obj_id = self._id_from_field(info, container, values)
        name = obj_id or next_id(container, info.id_pattern, now)
        container.add(name, obj)
        self._derive(info, obj)
        changes = {f.name: [None, f.to_json(getattr(obj, f.name, None))]
                   for f in info.fields if getattr(obj, f.name, None) is not None}
        self._audit(obj, "create", changes)
        container.index(obj, info)
        self._fire(ObjectCreated(info.name, name, user, obj.version))
        return obj

    def _id_from_field(self, info, container, values) -> str:
        t = self.request.localizer.translate
        value = values.get(info.id_field)
        if not value or not isinstance(value, str):
            raise ValidationFailed({info.id_field: t(_("Required"))})
        if value in container:
            raise ValidationFailed({info.id_field: t(_("'${value}' is already taken", mapping={"value": value}))})
        return value

    def _creator_teams(self) -> tuple:
        from procura.security.grants import grants_for

        if self.request.identity is None:
            return ()
        return tuple(sorted(grants_for(self.request).direct_teams))

    def _derive(self, info, obj):
        """Derived values: the record's teams (its creator's, its team fields' and the teams of the users
        it belongs to through ``owner_fields``, e.g. its assignee's) and the type's own ``derive``."""
        teams = set(getattr(obj, "creator_teams", ()) or ())
        if info.owner_fields:
            from procura.security import get_user

            for login in _field_values(obj, info.owner_fields):
                user = get_user(self.request.app_root, login)
                if user is not None:
                    teams.update(getattr(user, "teams", ()) or ())
                    teams.update(getattr(user, "auto_teams", ()) or ())
        for name in info.team_fields:
            value = getattr(obj, name, None)
            if isinstance(value, str) and value:
                teams.add(value)
            elif value:
                teams.update(v["id"] if isinstance(v, dict) else v for v in value)
        obj.record_teams = tuple(sorted(teams))
        if info.derive is not None:
            info.derive(self.request, obj)

    def update(self, obj, values: dict, *, expected_version: int | None = None):
        info = self.info(obj.type_name)
        self.require("edit", info, obj)
        if obj.deleted:
            raise NotFound(obj.id)
        if expected_version is not None and int(expected_version) != obj.version:
            raise StaleVersion(obj, int(expected_version))
        editable = {f.name for f in self.editable_fields(info, obj)}
        self._check_rules(info, obj, {k: v for k, v in values.items() if k in editable})
        changes = {}
        for name, value in values.items():
            if name not in editable or value is UNCHANGED:
                continue
            field = info.field(name)
            old = getattr(obj, name, None)
            if old != value:
                value = field.attach(obj, value)
                changes[name] = [field.to_json(old), field.to_json(value)]
                setattr(obj, name, value)
        if not changes:
            return obj, {}
        self._touch(obj)
        self._derive(info, obj)
        self._audit(obj, "update", changes)
        self.container(info).index(obj, info)
        self._fire(ObjectChanged(info.name, obj.id, self._login(), obj.version, changes=changes))
        return obj, changes

    def transition(self, obj, name: str, *, comment: str | None = None, expected_version: int | None = None):
        info = self.info(obj.type_name)
        wf = info.workflow
        t = self.request.localizer.translate
        transition = wf.transition(name) if wf else None
        if transition is None:
            raise TransitionRefused(_("Unknown action '${name}'", mapping={"name": name}))
        if obj.deleted:
            raise NotFound(obj.id)
        if expected_version is not None and int(expected_version) != obj.version:
            raise StaleVersion(obj, int(expected_version))
        if obj.status not in transition.sources:
            raise TransitionRefused(_(
                "'${action}' is not possible from the status '${status}'",
                mapping={"action": t(transition.title), "status": t(self.status_title(info, obj.status))}))
        if not self.can(info.transition_permission(transition), info, obj):
            raise TransitionRefused(_("You are not allowed to '${action}' this record",
                                      mapping={"action": t(transition.title)}))
        if transition.guard is not None:
            reason = transition.guard(obj, self.request)
            if reason:
                raise TransitionRefused(reason)
        comment = (comment or "").strip() or None
        if transition.comment_required and not comment:
            raise TransitionRefused(_("'${action}' needs a comment", mapping={"action": t(transition.title)}))
        old = obj.status
        obj.status = transition.target
        self._touch(obj)
        self._audit(obj, "transition", {"status": [old, obj.status]}, transition=name, comment=comment)
        self.container(info).index(obj, info)
        self._fire(ObjectStatusChanged(info.name, obj.id, self._login(), obj.version, old=old, new=obj.status,
                                       transition=name, comment=comment))
        return obj

    def move_to_status(self, obj, target: str, *, expected_version=None, comment: str | None = None):
        """Kanban: the transition from the current status to ``target`` the user may take, explained if none."""
        info = self.info(obj.type_name)
        t = self.request.localizer.translate
        candidates = info.workflow.between(obj.status, target) if info.workflow else []
        if not candidates:
            raise TransitionRefused(_(
                "A record cannot move from '${source}' to '${target}'",
                mapping={"source": t(self.status_title(info, obj.status)),
                         "target": t(self.status_title(info, target))}))
        last = None
        for transition in candidates:
            try:
                return self.transition(obj, transition.name, comment=comment, expected_version=expected_version)
            except TransitionRefused as exc:
                last = exc
        raise last

    def delete(self, obj, *, expected_version=None):
        info = self.info(obj.type_name)
        self.require("delete", info, obj)
        if expected_version is not None and int(expected_version) != obj.version:
            raise StaleVersion(obj, int(expected_version))
        obj.deleted, obj.deleted_at, obj.deleted_by = True, now_utc(), self._login()
        self._touch(obj)
        self._audit(obj, "delete", {})
        self.container(info).index(obj, info)
        self._fire(ObjectDeleted(info.name, obj.id, self._login(), obj.version))
        return obj

    def restore(self, obj):
        info = self.info(obj.type_name)
        self.require("delete", info, obj)
        obj.deleted, obj.deleted_at, obj.deleted_by = False, None, None
        self._touch(obj)
        self._audit(obj, "restore", {})
        self.container(info).index(obj, info)
        self._fire(ObjectRestored(info.name, obj.id, self._login(), obj.version))
        return obj

    def purge(self, obj):
        info = self.info(obj.type_name)
        self.require("delete", info, obj)
        if not obj.deleted:
            raise TransitionRefused(_("Only records in the trash can be deleted for good"))
        container = self.container(info)
        container.unindex(obj.id)
        container.remove(obj.id)
        self._fire(ObjectPurged(info.name, obj.id, self._login(), obj.version))

    def copy_values(self, obj) -> dict:
        """Field values for a new record copied from ``obj`` (read-only and unique fields included)."""
        info = self.info(obj.type_name)
        return {f.name: getattr(obj, f.name, None) for f in self.visible_fields(info, obj)
                if not getattr(f, "unique", False)}

    # ---------------------------------------------------------------- reading
    def status_title(self, info, status):
        st = info.workflow.status(status) if info.workflow and status else None
        return st.title if st else (status or "")

    def actions(self, obj) -> list[dict]:
        """Transitions the current user may take on ``obj`` now (guards included)."""
        info = self.info(obj.type_name)
        out = []
        if not info.workflow or obj.deleted:
            return out
        for transition in info.workflow.transitions_from(obj.status):
            if not self.can(info.transition_permission(transition), info, obj):
                continue
            if transition.guard is not None and transition.guard(obj, self.request):
                continue
            out.append({"name": transition.name, "title": transition.title, "target": transition.target,
                        "comment_required": transition.comment_required, "style": transition.style})
        return out

    def operations(self, obj) -> list:
        """The type's operations the current user may run on ``obj`` now."""
        info = self.info(obj.type_name)
        if obj.deleted:
            return []
        out = []
        for op in info.operations:
            if not self.can(op.action, info, obj):
                continue
            try:
                if op.available is not None and not op.available(self.request, obj):
                    continue
            except Exception:  # noqa: BLE001 - a broken availability check hides the operation
                log.exception("availability check of operation %s failed", op.name)
                continue
            out.append(op)
        return out

    def run_operation(self, obj, name: str, data: dict | None, *, expected_version=None, from_form=False):
        """Validate ``data`` against the operation's schema and run it; returns its result dict."""
        info = self.info(obj.type_name)
        op = info.operation(name)
        if op is None or obj.deleted:
            raise NotFound(name)
        if not self.can(op.action, info, obj):
            raise AccessDenied(name, info)
        if op.available is not None and not op.available(self.request, obj):
            t = self.request.localizer.translate
            raise TransitionRefused(_("'${action}' is not possible now", mapping={"action": t(op.title)}))
        if expected_version is not None and int(expected_version) != obj.version:
            raise StaleVersion(obj, int(expected_version))
        appstruct = {}
        if op.schema is not None:
            schema = op.schema(self.request).bind(request=self.request)
            try:
                appstruct = schema.deserialize(data or {}) if not from_form else dict(data or {})
            except colander.Invalid as exc:
                raise ValidationFailed(self._translate_invalid(exc)) from None
        return op.run(self.request, obj, appstruct) or {}

    def to_json(self, obj) -> dict:
        info = self.info(obj.type_name)
        t = self.request.localizer.translate
        data: dict[str, Any] = {
            "id": obj.id,
            "type": info.name,
            "version": obj.version,
            "title": obj.id,  # the title field's value below, if the user may see it
            "status": obj.status,
            "created": iso(obj.created),
            "modified": iso(obj.modified),
            "created_by": obj.created_by,
            "modified_by": obj.modified_by,
            "deleted": bool(obj.deleted),
        }
        for f in self.visible_fields(info, obj):
            data[f.name] = f.to_json(getattr(obj, f.name, None))
            if f.name == info.title_field:
                data["title"] = str(getattr(obj, f.name, None) or obj.id)
        data["actions"] = [{"name": a["name"], "title": t(a["title"]), "target": a["target"],
                            "comment_required": a["comment_required"]} for a in self.actions(obj)]
        data["actions"] += [{"name": op.name, "title": t(op.title), "target": None, "comment_required": False}
                            for op in self.operations(obj)]
        return data

    # ---------------------------------------------------------------- internals
    def _login(self):
        user = self.request.identity
        return user.login if user is not None else None

    def _touch(self, obj):
        obj.version += 1
        obj.modified = now_utc()
        obj.modified_by = self._login()

    def _audit(self, obj, action, changes, **extra):
        entry = {"at": obj.modified, "by": self._login(), "action": action, "version": obj.version,
                 "changes": changes}
        entry.update({k: v for k, v in extra.items() if v is not None})
        obj.history.append(entry)

    def _fire(self, event):
        fire_after_commit(self.request.registry, event, self.request.tm.get())


SYSTEM_READONLY = {"id", "type", "version", "title", "status", "created", "modified", "created_by",
                   "modified_by", "deleted", "actions"}
SYSTEM_WRITABLE: set[str] = set()


def iso(value):
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
