"""Web UI of the activity feed (comments, attachments, reactions) and the file downloads.

Routes::

    GET  /t/{type}/{id}/file/{field}                   a File/Image field's file
    GET  /t/{type}/{id}/attachment/{entry_id}[/{n}]    a file attached to a feed entry (n: 0, 1, ...)
    GET  /t/{type}/{id}/feed                           the activity panel (HTML fragment, for htmx)
    POST /t/{type}/{id}/comments                       new comment: text, internal, files (multipart)
    POST /t/{type}/{id}/comments/{entry_id}/edit       new text (author or admin)
    POST /t/{type}/{id}/comments/{entry_id}/delete     (author or admin)
    POST /t/{type}/{id}/comments/{entry_id}/react      emoji: toggles the user's reaction

The writes are plain HTML forms that redirect back to the record (they work without JavaScript);
sent by htmx (``HX-Request``) they answer with the fresh panel (or the reactions bar) instead. All
writes go through ``procura.types.feed``; downloads check read access to the object *and* the
field's access for the user, and answer 404 for anything denied or missing.

Downloads: the stored content type (decided from the bytes at upload), ``X-Content-Type-Options:
nosniff``, a sandboxing Content-Security-Policy, ``Content-Disposition: attachment`` except for safe
images (``inline``), the file name per RFC 6266 / RFC 5987 (an ASCII fallback plus ``filename*``
in UTF-8, so Cyrillic names arrive intact), an ETag (the SHA-256) and byte ranges.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from urllib.parse import quote

from babel.dates import format_timedelta
from markupsafe import Markup
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.renderers import render, render_to_response
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from procura.i18n import _
from procura.types import access
from procura.types import feed as feedsvc
from procura.types.files import IMAGE_TYPES, INLINE_SAFE, StoredFile, max_upload_bytes, read_limited
from procura.types.service import AccessDenied, NotFound, ValidationFailed
from procura.types.views.common import flash, load, redirect, t, type_info, user_names, when
from procura.types.views.feed import feed_entries, history_entries

PREFIX = "/t/{type}/{id}"
ENTRY_TEMPLATE = "procura:templates/types/feed_entry.pt"
REACTIONS_TEMPLATE = "procura:templates/types/feed_reactions.pt"
PANEL_TEMPLATE = "procura:templates/types/feed_panel.pt"
COMPOSER_TEMPLATE = "procura:templates/types/feed_composer.pt"
DETAIL_TEMPLATE = "procura:templates/types/detail.pt"
# Shown in the browser: only images. PDF (scripts in viewers) and text (encoding guesses) are downloaded,
# though files.INLINE_SAFE lists them too.
INLINE_TYPES = INLINE_SAFE & set(IMAGE_TYPES)
DOWNLOAD_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
JUST_NOW = dt.timedelta(seconds=45)
FILE_ICONS = {
    "application/pdf": "bi-file-earmark-pdf",
    "application/zip": "bi-file-earmark-zip",
    "text/plain": "bi-file-earmark-text",
    "text/csv": "bi-file-earmark-spreadsheet",
}


def includeme(config):
    add = config.add_route
    add("type_file", PREFIX + "/file/{field}")
    add("type_attachment", PREFIX + "/attachment/{entry_id}")
    add("type_attachment_n", PREFIX + "/attachment/{entry_id}/{n}")
    add("type_feed", PREFIX + "/feed")
    add("type_comment_add", PREFIX + "/comments")
    add("type_comment_edit", PREFIX + "/comments/{entry_id}/edit")
    add("type_comment_delete", PREFIX + "/comments/{entry_id}/delete")
    add("type_comment_react", PREFIX + "/comments/{entry_id}/react")
    sources = config.registry.procura_feed_sources
    if history_entries in sources:  # the audit entries get relative + absolute times like the comments
        sources[sources.index(history_entries)] = timed_history_entries
    config.add_feed_source(comment_entries)
    config.add_feed_composer(COMPOSER_TEMPLATE)
    config.add_request_method(composer_values, "feed_composer")


# ---------------------------------------------------------------- times
def relative_time(request, at) -> str:
    if at is None:
        return ""
    delta = at - dt.datetime.now(dt.UTC)
    if abs(delta) < JUST_NOW:
        return t(request, _("just now"))
    return format_timedelta(delta, add_direction=True, locale=request.localizer.locale_name)


def when_text(request, at) -> str:
    """"5 minutes ago · 3 Dec 2026, 14:05:00" in the user's language and time zone."""
    if at is None:
        return ""
    return f"{relative_time(request, at)} · {when(request, at)}"


def timed_history_entries(request, info, obj):
    out = history_entries(request, info, obj)
    for entry in out:
        entry.setdefault("when", when_text(request, entry.get("at")))
    return out


# ---------------------------------------------------------------- feed source and composer
def human_size(request, size) -> str:
    from procura.types.fields import _human_size

    return _human_size(size or 0, request)


def reactions_values(request, obj, entry, *, can_react=True) -> dict:
    names = user_names(request)
    login = request.identity.login if request.identity is not None else None
    items = []
    for emoji in feedsvc.REACTIONS:
        users = entry.reactions.get(emoji) or ()
        if not users:
            continue
        label = t(request, feedsvc.REACTION_TITLES[emoji])
        items.append({"emoji": emoji, "count": len(users), "mine": login in users, "label": label,
                      "title": f"{label}: " + ", ".join(names(u) for u in users)})
    return {
        "id": entry.id, "reactions": items, "can_react": can_react,
        "choices": [{"emoji": e, "label": t(request, feedsvc.REACTION_TITLES[e])} for e in feedsvc.REACTIONS],
        "react_url": request.route_url("type_comment_react", type=obj.type_name, id=obj.id, entry_id=entry.id),
    }


def entry_values(request, info, obj, entry) -> dict:
    edit_state = request.__dict__.get("procura_feed_edit") or {}
    files = []
    for n, stored in enumerate(entry.files):
        is_image = stored.content_type in INLINE_TYPES
        files.append({"filename": stored.filename, "size": human_size(request, stored.size),
                      "url": feedsvc.attachment_url(request, obj, entry, n), "is_image": is_image,
                      "icon": "bi-file-earmark-image" if is_image else FILE_ICONS.get(stored.content_type,
                                                                                       "bi-file-earmark")})
    live = not obj.deleted and request.identity is not None
    can_change = live and feedsvc.can_change(request, entry)
    values = {
        "kind": entry.kind, "id": entry.id, "at": entry.at, "by": entry.by, "template": ENTRY_TEMPLATE,
        "when": when_text(request, entry.at), "internal": entry.internal,
        "body_html": Markup(feedsvc.render_text(request, entry)),  # noqa: S704 - Markdown sanitised by nh3
        "text": entry.text, "files": files,
        "edited": when(request, entry.edited_at) if entry.edited_at else "",
        "can_change": can_change,
        "rx": reactions_values(request, obj, entry, can_react=live),
        "edit_url": request.route_url("type_comment_edit", type=obj.type_name, id=obj.id, entry_id=entry.id),
        "delete_url": request.route_url("type_comment_delete", type=obj.type_name, id=obj.id, entry_id=entry.id),
        "edit_error": None, "edit_text": entry.text,
    }
    if edit_state.get("entry_id") == entry.id:
        values["edit_error"], values["edit_text"] = edit_state.get("error"), edit_state.get("text", entry.text)
    return values


def comment_entries(request, info, obj) -> list[dict]:
    """Feed source: the comments and attachments the user may see."""
    try:
        visible = feedsvc.entries(request, obj)
    except NotFound:
        return []
    return [entry_values(request, info, obj, e) for e in visible]


def composer_values(request, info, obj) -> dict:
    """What the composer above the feed shows (``request.feed_composer(info, obj)`` in its template)."""
    draft = request.__dict__.get("procura_feed_draft") or {}
    show = (request.identity is not None and not obj.deleted
            and access.can(request, "read", info, obj))
    return {
        "show": show,
        "action": request.route_url("type_comment_add", type=info.name, id=obj.id),
        "staff": feedsvc.is_staff(request),
        "text": draft.get("text", ""),
        "internal": bool(draft.get("internal")),
        "error": draft.get("error"),
        "max_size": human_size(request, max_upload_bytes(request)),
        "max_files": feedsvc.MAX_FILES,
    }


# ---------------------------------------------------------------- helpers
def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def load_live(request):
    """Type and object of the URL for a feed write (404 when unreadable, missing or in the trash)."""
    info = type_info(request)
    return info, load(request, info)


def detail_url(request, info, obj, entry_id=None) -> str:
    anchor = f"entry-{entry_id}" if entry_id else "activity"
    return request.route_url("type_detail", type=info.name, id=obj.id, _anchor=anchor)


def panel_response(request, info, obj):
    from procura.types.views.record import _render_entry

    entries = feed_entries(request, info, obj)
    for entry in entries:
        entry["html"] = _render_entry(request, info, obj, entry)
    composers = [render(tpl, {"info": info, "obj": obj}, request=request)
                 for tpl in getattr(request.registry, "procura_feed_composers", ())]
    return render_to_response(PANEL_TEMPLATE, {"feed": entries, "composers": composers, "info": info, "obj": obj},
                              request=request)


def errors_text(request, errors: dict) -> str:
    return "; ".join(str(v) for v in errors.values())


def failed_write(request, info, obj):
    """After a refused write: htmx gets the panel (its forms show the problem), a plain form the page (422)."""
    request.tm.doom()
    if is_htmx(request):
        return panel_response(request, info, obj)
    from procura.types.views.record import detail_view

    response = render_to_response(DETAIL_TEMPLATE, detail_view(request), request=request)
    response.status = 422
    return response


def uploads_from_form(request) -> list:
    """``feed.Upload`` objects of the form's file inputs (empty inputs skipped; too large: data None)."""
    limit = max_upload_bytes(request)
    out = []
    for item in request.POST.getall("files"):
        if not hasattr(item, "file") or not getattr(item, "filename", None):
            continue
        out.append(feedsvc.Upload(item.filename, read_limited(item.file, limit)))
    return out


def _truthy(value) -> bool:
    return str(value or "").lower() in ("1", "on", "true", "yes")


# ---------------------------------------------------------------- writes
@view_config(route_name="type_comment_add", request_method="POST", permission="procura.view")
def comment_add_view(request):
    info, obj = load_live(request)
    text = request.POST.get("text", "")
    internal = _truthy(request.POST.get("internal"))
    try:
        entry = feedsvc.add_comment(request, obj, text, internal=internal, uploads=uploads_from_form(request))
    except ValidationFailed as exc:
        request.__dict__["procura_feed_draft"] = {"text": text, "internal": internal,
                                                  "error": errors_text(request, exc.errors)}
        return failed_write(request, info, obj)
    except AccessDenied:
        raise HTTPForbidden() from None
    if is_htmx(request):
        return panel_response(request, info, obj)
    flash(request, _("Comment added."))
    return redirect(detail_url(request, info, obj, entry.id))


@view_config(route_name="type_comment_edit", request_method="POST", permission="procura.view")
def comment_edit_view(request):
    info, obj = load_live(request)
    entry_id = request.matchdict["entry_id"]
    text = request.POST.get("text", "")
    try:
        feedsvc.edit_comment(request, obj, entry_id, text)
    except NotFound:
        raise HTTPNotFound() from None
    except AccessDenied:
        raise HTTPForbidden() from None
    except ValidationFailed as exc:
        request.__dict__["procura_feed_edit"] = {"entry_id": entry_id, "text": text,
                                                 "error": errors_text(request, exc.errors)}
        return failed_write(request, info, obj)
    if is_htmx(request):
        return panel_response(request, info, obj)
    flash(request, _("Comment saved."))
    return redirect(detail_url(request, info, obj, entry_id))


@view_config(route_name="type_comment_delete", request_method="POST", permission="procura.view")
def comment_delete_view(request):
    info, obj = load_live(request)
    try:
        feedsvc.delete_comment(request, obj, request.matchdict["entry_id"])
    except NotFound:
        raise HTTPNotFound() from None
    except AccessDenied:
        raise HTTPForbidden() from None
    if is_htmx(request):
        return panel_response(request, info, obj)
    flash(request, _("Comment deleted."))
    return redirect(detail_url(request, info, obj))


@view_config(route_name="type_comment_react", request_method="POST", permission="procura.view")
def comment_react_view(request):
    info, obj = load_live(request)
    entry_id = request.matchdict["entry_id"]
    try:
        feedsvc.toggle_reaction(request, obj, entry_id, request.POST.get("emoji"))
        entry = feedsvc.find(request, obj, entry_id)
    except NotFound:
        raise HTTPNotFound() from None
    except AccessDenied:
        raise HTTPForbidden() from None
    except ValidationFailed as exc:
        request.tm.doom()
        if is_htmx(request):
            return Response(errors_text(request, exc.errors), status=422, content_type="text/plain")
        request.session.flash(errors_text(request, exc.errors), "danger")
        return redirect(detail_url(request, info, obj, entry_id))
    if is_htmx(request):
        return render_to_response(REACTIONS_TEMPLATE, {"rx": reactions_values(request, obj, entry)}, request=request)
    return redirect(detail_url(request, info, obj, entry_id))


@view_config(route_name="type_feed", request_method="GET", permission="procura.view")
def feed_panel_view(request):
    info = type_info(request)
    obj = load(request, info, deleted=None)
    if obj.deleted and not request.types.can("delete", info, obj):
        raise HTTPNotFound()
    return panel_response(request, info, obj)


# ---------------------------------------------------------------- downloads
def ascii_filename(name: str) -> str:
    """An ASCII stand-in for ``filename=`` (old clients); the real name goes in ``filename*``."""
    text = "".join(TRANSLIT.get(ch, ch) for ch in name)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%;' else "_" for ch in text).strip(" .")
    stem, dot, ext = text.rpartition(".")
    if not text or (dot and not stem.strip("_ ")):
        return "file" + (dot + ext if dot else "")
    return text


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266 with RFC 5987 ``filename*`` (UTF-8, percent-encoded)."""
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"{disposition}; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{encoded}"


def file_response(request, stored: StoredFile) -> Response:
    inline = stored.content_type in INLINE_TYPES
    response = Response(content_type=stored.content_type, charset=None, conditional_response=True)
    response.app_iter = FileIter(stored.open())
    response.content_length = stored.size
    response.etag = stored.sha256
    response.cache_control = "private, no-cache"
    response.headers["Content-Disposition"] = content_disposition("inline" if inline else "attachment",
                                                                  stored.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return response


def _readable_object(request, info):
    """The object of the URL if the user may read it (records in the trash: if they may delete it)."""
    try:
        obj = request.types.get(info, request.matchdict["id"], deleted=None)
    except (NotFound, AccessDenied):
        raise HTTPNotFound() from None
    if obj.deleted and not request.types.can("delete", info, obj):
        raise HTTPNotFound()
    return obj


@view_config(route_name="type_file", request_method=("GET", "HEAD"), permission="procura.view")
def file_view(request):
    info = request.registry.procura_types.get(request.matchdict["type"])
    if info is None:
        raise HTTPNotFound()
    obj = _readable_object(request, info)
    field = info.field(request.matchdict["field"])
    if field is None or getattr(field, "kind", "") not in ("file", "image"):
        raise HTTPNotFound()
    if access.field_access(request, info, field, obj) == access.HIDDEN:
        raise HTTPNotFound()
    stored = getattr(obj, field.name, None)
    if not isinstance(stored, StoredFile):
        raise HTTPNotFound()
    return file_response(request, stored)


@view_config(route_name="type_attachment", request_method=("GET", "HEAD"), permission="procura.view")
@view_config(route_name="type_attachment_n", request_method=("GET", "HEAD"), permission="procura.view")
def attachment_view(request):
    info = request.registry.procura_types.get(request.matchdict["type"])
    if info is None:
        raise HTTPNotFound()
    obj = _readable_object(request, info)
    try:
        stored = feedsvc.attachment(request, obj, request.matchdict["entry_id"], request.matchdict.get("n", 0))
    except NotFound:
        raise HTTPNotFound() from None
    return file_response(request, stored)


# Russian letters for the ASCII fallback name (GOST 7.79 B, simplified).
TRANSLIT = {a: b for a, b in zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ№",
    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "j", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "x", "cz", "ch", "sh", "shh", "", "y", "", "e", "yu", "ya",
     "A", "B", "V", "G", "D", "E", "Yo", "Zh", "Z", "I", "J", "K", "L", "M", "N", "O", "P", "R", "S", "T",
     "U", "F", "X", "Cz", "Ch", "Sh", "Shh", "", "Y", "", "E", "Yu", "Ya", "No"], strict=True)}
