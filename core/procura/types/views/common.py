"""Helpers shared by the generic type views: lookups that turn service errors into HTTP answers,
display of values and statuses, per-user preferences and safe redirects."""
from __future__ import annotations

from markupsafe import Markup
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther

from procura.i18n import _
from procura.types.formatting import format_date, format_datetime
from procura.types.service import AccessDenied, NotFound

SYSTEM_COLUMNS = {
    "id": _("Number"),
    "status": _("Status"),
    "created": _("Created"),
    "modified": _("Modified"),
}
SYSTEM_SORTS = {"created", "modified", "status", "title", "id"}
PAGE_SIZES = (25, 50, 100, 200)
RECENT_MAX = 20


def type_info(request, action="read"):
    """The TypeInfo named in the URL; 404 when unknown or not readable (existence is not revealed).

    Administrative types (users, roles, the sign-in audit) are part of every installation, so
    there is nothing to hide: a user who may not read one gets a plain 403."""
    info = request.registry.procura_types.get(request.matchdict.get("type"))
    if info is None:
        raise HTTPNotFound()
    if not request.types.can("read", info):
        raise HTTPForbidden() if info.admin else HTTPNotFound()
    if action != "read" and not request.types.can(action, info):
        raise HTTPForbidden()
    return info


def load(request, info, *, action="read", deleted=False, obj_id=None):
    """The object in the URL through the service: 404 if missing or unreadable, 403 if readable only."""
    try:
        return request.types.get(info, obj_id or request.matchdict["id"], deleted=deleted, action=action)
    except NotFound:
        raise HTTPNotFound() from None
    except AccessDenied:
        raise HTTPForbidden() from None


def t(request, value):
    return request.localizer.translate(value) if value is not None else ""


def flash(request, message, queue="success"):
    """Flash a message translated now (the session stores plain strings)."""
    request.session.flash(t(request, message), queue)


def safe_next(request, value, fallback):
    """A same-site path to go back to (lists keep their filters), else ``fallback``."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return request.application_url + value
    return fallback


def redirect(url):
    return HTTPSeeOther(url)


# ---------------------------------------------------------------- display
def title_of(request, info, obj) -> str:
    """The record's title as plain text (its title field's display, else its id: also when that
    field is hidden from the user)."""
    from procura.types import access

    value = getattr(obj, info.title_field, None)
    if value in (None, "") or access.field_access(request, info, info.field(info.title_field), obj) == access.HIDDEN:
        return obj.id
    try:
        text = info.field(info.title_field).display(value, request)
    except Exception:  # noqa: BLE001 - never break a page over one value
        text = None
    return text or str(value)


def show_number(info) -> bool:
    return info.id_pattern != "uuid"


def status_info(request, info, status) -> dict | None:
    if not info.workflow or not status:
        return None
    st = info.workflow.status(status)
    if st is None:
        return {"name": status, "title": status, "color": "secondary", "category": "open"}
    return {"name": st.name, "title": t(request, st.title), "color": st.color, "category": st.category}


def field_value(request, field, obj) -> dict:
    """``{"text": ..., "html": Markup|None, "empty": bool}`` for one field of an object.

    Only ``display_html`` (sanitised by the field) is marked as markup; everything else is text the
    templates escape.
    """
    value = getattr(obj, field.name, None)
    html = None
    try:
        html = field.display_html(value, request)
    except Exception:  # noqa: BLE001 - fall back to the plain text form
        html = None
    if html is not None:
        # display_html is the field's own sanitised output (Markdown through an allow-list), never raw input
        return {"text": "", "html": Markup(html), "empty": not str(html).strip()}  # noqa: S704
    try:
        text = field.display(value, request)
    except Exception:  # noqa: BLE001 - never break a page over one value
        text = "" if value is None else str(value)
    return {"text": text, "html": None, "empty": text in ("", None)}


def when(request, value) -> str:
    return format_datetime(value, request) if value is not None else ""


def short_date(request, value) -> str:
    """The local date of a moment, e.g. "3 Dec 2026" (cards and compact lists)."""
    if value is None:
        return ""
    from procura.types.fields import user_tz

    return format_date(value.astimezone(user_tz(request)).date(), request)


class UserNames:
    """login -> display name, looked up once per request."""

    def __init__(self, request):
        self.request = request
        self.cache = {}

    def __call__(self, login):
        if not login:
            return ""
        if login not in self.cache:
            from procura.security import get_user

            user = get_user(self.request.app_root, login)
            self.cache[login] = (user.display_name if user is not None else login)
        return self.cache[login]


def user_names(request) -> UserNames:
    cache = request.__dict__.setdefault("_procura_user_names", None)
    if cache is None:
        cache = request.__dict__["_procura_user_names"] = UserNames(request)
    return cache


def initials(name: str) -> str:
    return "".join(part[:1] for part in (name or "?").split()[:2]).upper() or "?"


# ---------------------------------------------------------------- per-user preferences
def prefs(user, type_name, *, create=False):
    """The user's list preferences of one type: ``{"columns": [...], "views": [{id, name, query}]}``.

    Stored lazily on the User object (``user.ui_prefs``, a PersistentMapping keyed by type name).
    """
    if user is None:
        return {}
    root = getattr(user, "ui_prefs", None)
    if root is None:
        if not create:
            return {}
        root = user.ui_prefs = PersistentMapping()
    entry = root.get(type_name)
    if entry is None:
        if not create:
            return {}
        entry = root[type_name] = PersistentMapping()
    return entry


def remember_viewed(user, type_name, obj_id):
    """Put (type, id) first in the user's recently viewed list (at most ``RECENT_MAX``)."""
    if user is None:
        return
    recent = getattr(user, "recently_viewed", None)
    key = (type_name, obj_id)
    if recent is not None and len(recent) and tuple(recent[0]) == key:
        return  # already first: no write on every reload
    if recent is None:
        recent = user.recently_viewed = PersistentList()
    items = [tuple(k) for k in recent if tuple(k) != key]
    recent[:] = [key, *items][:RECENT_MAX]


def recently_viewed(request, limit=RECENT_MAX) -> list[dict]:
    """The current user's recently viewed records that still exist and that they may read."""
    user = request.identity
    out = []
    registry = request.registry.procura_types
    for type_name, obj_id in list(getattr(user, "recently_viewed", None) or ())[:limit]:
        info = registry.get(type_name)
        if info is None:
            continue
        try:
            obj = request.types.get(info, obj_id)
        except (NotFound, AccessDenied, KeyError):
            continue
        out.append({
            "type": info.name, "type_title": t(request, info.title), "icon": info.icon, "id": obj.id,
            "title": title_of(request, info, obj), "number": obj.id if show_number(info) else "",
            "status": status_info(request, info, obj.status),
            "url": request.route_url("type_detail", type=info.name, id=obj.id),
        })
    return out
