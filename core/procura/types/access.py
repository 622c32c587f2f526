"""Access decisions for typed objects: the single place the service path, lists, the API, search,
export and attachments ask. Decisions come from the user's roles (``procura.security.grants``):
scopes all/team/counterparty/own/none per type and action, field-level read/edit, and the type's
own rules that bind everybody (``system_only``, ``field_guard``).

System work (demo data, directory synchronisation, jobs) runs with a system request
(``procura.types.system``) that may do everything except what a type's own rules forbid.
"""
from __future__ import annotations

EDIT, READ, HIDDEN = "edit", "read", "hidden"
_RANK = {HIDDEN: 0, READ: 1, EDIT: 2}


def is_system(request) -> bool:
    return bool(getattr(request, "procura_system", False))


def can(request, action: str, info, obj=None) -> bool:
    """May the current user take ``action`` (create/read/edit/delete/...) on the type or object?

    ``action`` may also be a full permission name of the type (a transition's permission).
    """
    if "." in action:
        mapped = info.action_of(action)
        if mapped is None:  # a named permission, not one of the type's
            return bool(request.has_permission(action, obj if obj is not None else request.app_root))
        action = mapped
    if is_system(request):
        return not (info.system_only and action in ("edit", "delete"))
    from procura.security.grants import grants_for

    return grants_for(request).allows(info, action, obj)


def scope(request, info, action: str) -> str:
    if is_system(request):
        return "all"
    from procura.security.grants import grants_for

    return grants_for(request).scope(info, action)


def field_access(request, info, field, obj=None) -> str:
    """``edit``, ``read`` or ``hidden`` for one field of a type (or object) for the current user.

    The weakest of: the roles' level, "read" for a read-only field of an existing record or one
    the user may not edit, and the type's ``field_guard`` (which binds administrators too).
    """
    if is_system(request):
        level = EDIT
    else:
        from procura.security.grants import grants_for

        grants = grants_for(request)
        level = grants.field_level(info, field.name)
        if level == EDIT and obj is not None and not grants.allows(info, "edit", obj):
            level = READ
    if field.readonly and obj is not None and level == EDIT:
        level = READ
    if info.field_guard is not None:
        restriction = info.field_guard(request, obj, field)
        if restriction in _RANK and _RANK[restriction] < _RANK[level]:
            level = restriction
    return level


def list_query_filter(request, info):
    """An extra catalog query restricting what the user may list (None: no restriction)."""
    if is_system(request):
        return None
    from procura.security.grants import grants_for
    from procura.types.content import container_for

    return grants_for(request).list_filter(info, container_for(request.app_root, info.name).catalog)
