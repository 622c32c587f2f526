"""The activity feed of typed objects: comments, attachments, mentions, reactions, internal notes.

Feed entries live in ``obj.feed`` (a PersistentList on every ``Content``) as small persistent
``FeedEntry`` records::

    id          short random hex id (unique within the object)
    kind        "comment" (has text) or "attachment" (files only)
    at, by      UTC time and login of the author
    text        Markdown source (rendered with ``procura.types.markdown.render_markdown``: sanitised)
    internal    True: staff only, never shown to portal users
    mentions    logins of existing, active users named as ``@login`` in the text
    reactions   {emoji: (login, ...)} for the fixed set ``REACTIONS``
    files       (StoredFile, ...) ZODB blobs, served by /t/<type>/<id>/attachment/<entry id>[/<n>]
    edited_at   UTC time of the last edit, or None

The functions below are the only write path of the feed (web UI and REST API alike). They check
access themselves: reading the object is what commenting needs; only the author or an admin edits
or deletes an entry; only staff users create and see internal entries. A feed write changes neither
the object's version nor its audit trail (a comment never conflicts with an edit of the fields);
``ObjectCommented`` is fired after commit, with the mentioned logins, for new entries (and for an
edit only when it mentions someone new, with just those logins).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import uuid

from persistent import Persistent
from persistent.mapping import PersistentMapping

from procura.i18n import _
from procura.types import access
from procura.types.events import ObjectCommented, fire_after_commit
from procura.types.files import (
    IMAGE_TYPES,
    OCTET_STREAM,
    StoredFile,
    blob_support,
    clean_filename,
    image_size,
    max_upload_bytes,
    sniff_content_type,
)
from procura.types.service import AccessDenied, NotFound, ValidationFailed

# The reactions a user may give (toggle), in the order the UI shows them.
REACTIONS = ("👍", "👎", "❤️", "🎉", "😄", "👀", "✅")
REACTION_TITLES = {
    "👍": _("Agree"),
    "👎": _("Disagree"),
    "❤️": _("Love it"),
    "🎉": _("Celebrate"),
    "😄": _("Funny"),
    "👀": _("Looking into it"),
    "✅": _("Done"),
}
MAX_TEXT = 20_000  # characters of one comment
MAX_FILES = 10  # files of one comment

# "@login": not inside a word or an e-mail address; a login may contain dots and dashes inside.
MENTION_RE = re.compile(r"(?<![\w.@/])@(\w(?:[\w.\-]*\w)?)")
_CODE_RE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.S)

# Executables are refused whatever their name: Windows PE/DOS ("MZ" and binary), ELF, Mach-O (also
# fat binaries, whose magic Java class files share), WebAssembly, and scripts starting with "#!/".
EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\x00asm",
    b"#!/", b"#! /",
)
# Names Windows or a desktop runs when opened, even when the content is plain text: refused too.
EXECUTABLE_EXTENSIONS = {
    "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "msc", "lnk", "reg", "hta",
    "js", "jse", "vbs", "vbe", "vb", "wsf", "wsh", "ps1", "psm1", "jar", "sh", "command", "app", "run",
    "desktop", "apk", "appimage",
}


def is_executable(data: bytes, filename: str) -> bool:
    if data.startswith(EXECUTABLE_MAGIC):
        return True
    if data.startswith(b"MZ") and b"\0" in data[:512]:
        return True
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return ext in EXECUTABLE_EXTENSIONS


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FeedEntry(Persistent):
    """One comment or attachment entry of an object's activity feed."""

    edited_at = None

    def __init__(self, *, by, text="", internal=False, mentions=(), files=(), at=None):
        self.id = uuid.uuid4().hex[:12]
        self.at = at or now_utc()
        self.by = by
        self.text = text or ""
        self.internal = bool(internal)
        self.mentions = tuple(mentions)
        self.files = tuple(files)
        self.reactions = PersistentMapping()  # emoji -> tuple of logins

    @property
    def kind(self) -> str:
        return "comment" if self.text.strip() else "attachment"

    def __repr__(self):
        return f"<FeedEntry {self.id} {self.kind} by {self.by}>"


# ---------------------------------------------------------------- who may do what
def is_portal_user(user) -> bool:
    """Whether ``user`` is an external (portal) user: never shown internal entries.

    The one place that decides it; the access-control work (portal principals tied to a
    counterparty) refines it here.
    """
    if user is None:
        return False
    return getattr(user, "kind", "staff") == "portal"


def is_staff(request) -> bool:
    user = request.identity
    return user is not None and not is_portal_user(user)


def is_admin(request) -> bool:
    return bool(request.has_permission("procura.admin", request.app_root))


def _login(request):
    user = request.identity
    return user.login if user is not None else None


def can_see(request, entry) -> bool:
    return not entry.internal or is_staff(request)


def can_change(request, entry) -> bool:
    """Edit or delete: the author or an admin (and only entries the user can see)."""
    if not can_see(request, entry) or request.identity is None:
        return False
    return entry.by == _login(request) or is_admin(request)


def _info(request, obj):
    return request.types.info(obj.type_name)


def _require_read(request, obj, *, writing=True):
    """The user may read ``obj`` (else NotFound: existence is not revealed); writes need a live object."""
    info = _info(request, obj)
    if not access.can(request, "read", info, obj):
        raise NotFound(obj.id)
    if writing and obj.deleted:
        raise NotFound(obj.id)
    return info


# ---------------------------------------------------------------- reading
def entries(request, obj) -> list[FeedEntry]:
    """The entries the current user may see, oldest first."""
    _require_read(request, obj, writing=False)
    return [e for e in getattr(obj, "feed", ()) if isinstance(e, FeedEntry) and can_see(request, e)]


def find(request, obj, entry_id) -> FeedEntry:
    for entry in getattr(obj, "feed", ()):
        if isinstance(entry, FeedEntry) and entry.id == entry_id:
            if can_see(request, entry):
                return entry
            break
    raise NotFound(entry_id)


def attachment(request, obj, entry_id, index=0) -> StoredFile:
    """The ``index``-th file of an entry the user may see on an object they may read (else NotFound)."""
    _require_read(request, obj, writing=False)
    entry = find(request, obj, entry_id)
    try:
        index = int(index)
    except (TypeError, ValueError):
        raise NotFound(entry_id) from None
    if not 0 <= index < len(entry.files):
        raise NotFound(entry_id)
    return entry.files[index]


# ---------------------------------------------------------------- mentions
def mention_candidates(text) -> list[str]:
    """``@login`` names in the Markdown source (outside code), in order, without repeats."""
    seen = []
    for name in MENTION_RE.findall(_CODE_RE.sub(" ", text or "")):
        if name not in seen:
            seen.append(name)
    return seen


def resolve_mentions(request, text, *, internal=False) -> tuple[str, ...]:
    """Logins of existing, active users mentioned in ``text`` (portal users are left out of internal ones)."""
    from procura.security import get_user

    out = []
    for name in mention_candidates(text):
        user = get_user(request.app_root, name)
        if user is None or not getattr(user, "active", True):
            continue
        if internal and is_portal_user(user):
            continue
        out.append(user.login)
    return tuple(out)


# ---------------------------------------------------------------- uploads
class Upload:
    """A file as received: a name and its bytes (or ``None`` for "too large", read no further)."""

    def __init__(self, filename, data: bytes | None):
        self.filename, self.data = filename, data


def decode_base64_upload(item, limit: int) -> Upload | str:
    """API attachment ``{"filename", "content_base64"}`` -> Upload, or an error message."""
    if not isinstance(item, dict) or not isinstance(item.get("filename"), str) \
            or not isinstance(item.get("content_base64"), str):
        return _("Expected a file: an object with filename and content_base64")
    encoded = "".join(item["content_base64"].split()) if len(item["content_base64"]) <= 2 * limit + 4096 else None
    if encoded is None or len(encoded) > (limit + 2) // 3 * 4:
        return Upload(item["filename"], None)  # too large: not even decoded
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return _("content_base64 is not valid Base64")
    return Upload(item["filename"], data)


def _human_size(size, request):
    from procura.types.fields import _human_size as human

    return human(size, request)


def check_upload(request, upload: Upload, limit: int):
    """``(filename, content_type, data, width, height)`` of an acceptable file, else the reason (a message)."""
    filename = clean_filename(upload.filename)
    data = upload.data
    if data is None or len(data) > limit:
        return _("“${name}” is larger than ${max}", mapping={"name": filename, "max": _human_size(limit, request)})
    if not data:
        return _("“${name}” is empty", mapping={"name": filename})
    if is_executable(data, filename):
        return _("“${name}” is a program or script; such files cannot be attached", mapping={"name": filename})
    content_type = sniff_content_type(data, filename)
    if content_type == OCTET_STREAM:
        return _("“${name}” is of an unknown type. Attach documents (PDF, Word, Excel, OpenDocument), images "
                 "(PNG, JPEG, GIF, WebP), text, CSV or ZIP archives", mapping={"name": filename})
    width = height = None
    if content_type in IMAGE_TYPES:
        size = image_size(data)
        if size is None:
            return _("“${name}”: the image cannot be read (damaged or too large)", mapping={"name": filename})
        width, height = size
    return filename, content_type, data, width, height


def _store_files(request, uploads, errors: dict) -> list[tuple]:
    uploads = list(uploads or ())
    if not uploads:
        return []
    t = request.localizer.translate
    if len(uploads) > MAX_FILES:
        errors["attachments"] = t(_("At most ${count} files at a time", mapping={"count": MAX_FILES}))
        return []
    if not blob_support(request):
        errors["attachments"] = t(_("Files cannot be stored: the database has no blob storage"))
        return []
    limit = max_upload_bytes(request)
    checked = []
    for n, upload in enumerate(uploads):
        result = check_upload(request, upload, limit) if isinstance(upload, Upload) else upload
        if isinstance(result, tuple):
            checked.append(result)
        else:
            errors[f"attachments.{n}"] = t(result)
    return checked


def _check_text(request, text, errors):
    if text is not None and not isinstance(text, str):
        errors["text"] = request.localizer.translate(_("Must be text"))
        return ""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        errors["text"] = request.localizer.translate(
            _("At most ${count} characters", mapping={"count": MAX_TEXT}))
    return text


# ---------------------------------------------------------------- writes
def add_comment(request, obj, text="", *, internal=False, uploads=()) -> FeedEntry:
    """A new comment (text and/or files) on ``obj`` by the current user.

    ``uploads``: ``Upload`` objects (or messages already decided by the caller, e.g. bad Base64).
    Everything is checked before anything is stored: one bad file refuses the whole comment.
    """
    info = _require_read(request, obj)
    if request.identity is None:
        raise AccessDenied("comment", info)
    t = request.localizer.translate
    errors: dict = {}
    if internal and not is_staff(request):
        errors["internal"] = t(_("Only staff can write internal notes"))
    text = _check_text(request, text, errors)
    files = _store_files(request, uploads, errors)
    if not errors and not text and not files:
        errors["text"] = t(_("Write a comment or attach a file"))
    if errors:
        raise ValidationFailed(errors)
    internal = bool(internal)
    entry = FeedEntry(by=_login(request), text=text, internal=internal,
                      mentions=resolve_mentions(request, text, internal=internal))
    stored = []
    for filename, content_type, data, width, height in files:
        record = StoredFile(filename, content_type, data, width=width, height=height)
        record.__parent__ = obj
        stored.append(record)
    entry.files = tuple(stored)
    obj.feed.append(entry)
    _fire(request, info, obj, entry, entry.mentions)
    return entry


def edit_comment(request, obj, entry_id, text, *, internal=None) -> FeedEntry:
    info = _require_read(request, obj)
    entry = find(request, obj, entry_id)
    if not can_change(request, entry):
        raise AccessDenied("edit", info)
    t = request.localizer.translate
    errors: dict = {}
    if internal is not None and bool(internal) != entry.internal and not is_staff(request):
        errors["internal"] = t(_("Only staff can write internal notes"))
    text = _check_text(request, text, errors)
    if not errors and not text and not entry.files:
        errors["text"] = t(_("Write a comment or attach a file"))
    if errors:
        raise ValidationFailed(errors)
    internal = entry.internal if internal is None else bool(internal)
    if text == entry.text and internal == entry.internal:
        return entry
    before = set(entry.mentions)
    entry.text, entry.internal = text, internal
    entry.mentions = resolve_mentions(request, text, internal=entry.internal)
    entry.edited_at = now_utc()
    new = tuple(m for m in entry.mentions if m not in before)
    if new:
        _fire(request, info, obj, entry, new)
    return entry


def delete_comment(request, obj, entry_id) -> None:
    info = _require_read(request, obj)
    entry = find(request, obj, entry_id)
    if not can_change(request, entry):
        raise AccessDenied("delete", info)
    # Removed from the feed; its blobs go with the next pack of the database.
    obj.feed.remove(entry)


def normalise_emoji(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    bare = value.replace("\ufe0f", "")
    for emoji in REACTIONS:
        if emoji.replace("\ufe0f", "") == bare:
            return emoji
    return None


def toggle_reaction(request, obj, entry_id, emoji) -> bool:
    """Add the user's ``emoji`` to the entry, or take it back; True when it is now set."""
    info = _require_read(request, obj)
    entry = find(request, obj, entry_id)
    if request.identity is None:
        raise AccessDenied("react", info)
    key = normalise_emoji(emoji)
    if key is None:
        raise ValidationFailed({"emoji": request.localizer.translate(
            _("Choose one of ${choices}", mapping={"choices": " ".join(REACTIONS)}))})
    login = _login(request)
    users = tuple(entry.reactions.get(key, ()))
    if login in users:
        users = tuple(u for u in users if u != login)
        active = False
    else:
        users = (*users, login)
        active = True
    if users:
        entry.reactions[key] = users
    else:
        entry.reactions.pop(key, None)
    return active


def _fire(request, info, obj, entry, mentions):
    event = ObjectCommented(info.name, obj.id, _login(request), obj.version, entry_id=entry.id,
                            internal=entry.internal, mentions=tuple(mentions))
    fire_after_commit(request.registry, event, request.tm.get())


# ---------------------------------------------------------------- display
def render_text(request, entry) -> str:
    """The entry's Markdown as sanitised HTML with mentions shown as highlighted names (no links)."""
    from procura.types.markdown import render_markdown

    html = render_markdown(entry.text)
    if not html or not entry.mentions:
        return html
    return highlight_mentions(request, html, entry.mentions)


_TAG_RE = re.compile(r"(<[^>]*>)")
_SKIP_TAGS = {"code", "pre", "a"}


def highlight_mentions(request, html: str, logins) -> str:
    """Wrap ``@login`` of the given logins, in text outside code and links, in a mention span."""
    from markupsafe import escape

    from procura.types.views.common import user_names

    names = user_names(request)
    wanted = set(logins)
    depth = {tag: 0 for tag in _SKIP_TAGS}
    out = []

    def replace(match):
        login = match.group(1)
        if login not in wanted:
            return match.group(0)
        return (f'<span class="mention" data-login="{escape(login)}" title="@{escape(login)}">'
                f"@{escape(names(login))}</span>")

    for part in _TAG_RE.split(html):
        if part.startswith("<"):
            m = re.match(r"<(/?)([a-zA-Z0-9]+)", part)
            if m and m.group(2).lower() in depth:
                depth[m.group(2).lower()] += -1 if m.group(1) else 1
            out.append(part)
        elif part and not any(depth.values()):
            out.append(MENTION_RE.sub(replace, part))
        else:
            out.append(part)
    return "".join(out)


def iso(value):
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def attachment_url(request, obj, entry, index) -> str:
    if index == 0:
        return request.route_url("type_attachment", type=obj.type_name, id=obj.id, entry_id=entry.id)
    return request.route_url("type_attachment_n", type=obj.type_name, id=obj.id, entry_id=entry.id, n=index)


def file_json(request, obj, entry, index, stored) -> dict:
    return {"filename": stored.filename, "content_type": stored.content_type, "size": stored.size,
            "sha256": stored.sha256, "width": stored.width, "height": stored.height,
            "url": attachment_url(request, obj, entry, index)}


def entry_json(request, obj, entry) -> dict:
    from procura.types.views.common import user_names

    return {
        "id": entry.id,
        "kind": entry.kind,
        "at": iso(entry.at),
        "by": entry.by,
        "by_name": user_names(request)(entry.by),
        "text": entry.text,
        "html": render_text(request, entry),
        "internal": entry.internal,
        "mentions": list(entry.mentions),
        "reactions": {emoji: list(entry.reactions[emoji]) for emoji in REACTIONS if entry.reactions.get(emoji)},
        "attachments": [file_json(request, obj, entry, n, f) for n, f in enumerate(entry.files)],
        "edited_at": iso(entry.edited_at),
        "can_edit": can_change(request, entry),
    }
