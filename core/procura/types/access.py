"""Access decisions for typed objects: the single place the service path, lists, the API, search,
export and attachments ask. The identity-and-access work refines these functions (scopes
all/team/own, field-level read/edit); every caller already goes through them.
"""
from __future__ import annotations

EDIT, READ, HIDDEN = "edit", "read", "hidden"


def can(request, action: str, info, obj=None) -> bool:
    """May the current user take ``action`` (create/read/edit/delete/...) on the type or object?"""
    context = obj if obj is not None else request.app_root
    permission = info.permission(action) if "." not in action else action
    return bool(request.has_permission(permission, context))


def field_access(request, info, field, obj=None) -> str:
    """``edit``, ``read`` or ``hidden`` for one field of a type (or object) for the current user."""
    if field.readonly and obj is not None:
        return READ
    return EDIT


def list_query_filter(request, info):
    """An extra catalog query restricting what the user may list (None: no restriction)."""
    return None
