"""Stored files of File/Image fields: a small persistent record around a ZODB blob.

``StoredFile`` keeps filename, content type, size, SHA-256 and the ``ZODB.blob.Blob`` holding the
bytes. Blobs need a storage with blob support: the embedded FileStorage with ``blobstorage_dir``,
ZEO with blobs, or RelStorage (blobs in PostgreSQL or a shared folder). ``memory://`` has none, and
a File field says so as a field error instead of failing at commit.

The content type is decided from the bytes (magic numbers), never from the name or the browser's
claim: ``sniff_content_type`` knows PDF, PNG, JPEG, GIF, WebP, the ZIP-based office formats (docx,
xlsx, pptx, odt, ods, odp), other ZIP archives, plain text and CSV (text by content; ``.csv`` by
name only among texts). A handful of types does not justify a dependency (``filetype`` would not
tell docx from a ZIP either).
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile

from persistent import Persistent

OCTET_STREAM = "application/octet-stream"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CHUNK = 1 << 16

OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
# Safe to show inline (everything else is served as an attachment by the download view).
INLINE_SAFE = set(IMAGE_TYPES) | {"application/pdf", "text/plain"}


class StoredFile(Persistent):
    """One uploaded file. ``blob`` is a ``ZODB.blob.Blob``; the rest is metadata."""

    __parent__ = None  # the object holding it (set by the service through ``Field.attach``)
    field_name = None
    width = None
    height = None

    def __init__(self, filename: str, content_type: str, data: bytes, *, width=None, height=None):
        from ZODB.blob import Blob

        self.filename = filename
        self.content_type = content_type
        self.size = len(data)
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.width, self.height = width, height
        self.blob = Blob()
        with self.blob.open("w") as f:
            f.write(data)

    def open(self):
        """A binary file object for reading (close it after use)."""
        return self.blob.open("r")

    def read(self) -> bytes:
        with self.blob.open("r") as f:
            return f.read()

    def copy_for(self, parent, field_name) -> StoredFile:
        """A record for another object sharing the same (immutable) blob."""
        other = StoredFile.__new__(StoredFile)
        for name in ("filename", "content_type", "size", "sha256", "width", "height", "blob"):
            setattr(other, name, getattr(self, name))
        other.__parent__, other.field_name = parent, field_name
        return other

    @property
    def url(self) -> str | None:
        parent = self.__parent__
        if parent is None or getattr(parent, "__name__", None) is None or not self.field_name:
            return None
        return f"/t/{parent.type_name}/{parent.__name__}/file/{self.field_name}"

    def __repr__(self):
        return f"<StoredFile {self.filename!r} {self.content_type} {self.size} bytes>"


def sniff_content_type(data: bytes, filename: str = "") -> str:
    """The content type of ``data`` decided by its first bytes (and for ZIPs, its members)."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if _looks_like_text(data):
        return "text/csv" if filename.lower().endswith(".csv") else "text/plain"
    return OCTET_STREAM


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            if "mimetype" in names:
                mimetype = z.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype in ODF:
                    return mimetype
            if "[Content_Types].xml" in names:
                for prefix, ctype in OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return ctype
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError):
        return OCTET_STREAM
    return "application/zip"


def _looks_like_text(data: bytes) -> bool:
    sample = data[:8192]
    if not sample or b"\0" in sample:
        return not sample  # an empty file is text
    for encoding in ("utf-8", "cp1251"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" and exc.start >= len(sample) - 3:  # a character cut by the sample end
                text = sample[:exc.start].decode(encoding)
            else:
                continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
        return controls <= len(text) // 100
    return False


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` if ``data`` is an image Pillow decodes completely, else None."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            size = img.size
            if size[0] * size[1] > 80_000_000:  # decompression bombs
                return None
            img.load()
        return size
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of errors for broken images
        return None


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def clean_filename(name: str) -> str:
    """The last path part of a client-supplied name, without control or path characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "file"


def read_limited(fp, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of ``fp``; None when it holds more (never reads much past the limit)."""
    if hasattr(fp, "seek"):
        try:
            fp.seek(0)
        except (OSError, ValueError):
            pass
    out = io.BytesIO()
    while True:
        chunk = fp.read(CHUNK)
        if not chunk:
            return out.getvalue()
        out.write(chunk)
        if out.tell() > limit:
            return None


def blob_support(request) -> bool:
    """Whether the request's database can store blobs."""
    from ZODB.interfaces import IBlobStorage

    try:
        jar = request.app_root._p_jar
    except Exception:  # noqa: BLE001 - no database: no blobs
        return False
    if jar is None:
        return False
    return IBlobStorage.providedBy(jar.db().storage)


def max_upload_bytes(request, option: int | None = None) -> int:
    if option:
        return int(option)
    settings = getattr(getattr(request, "registry", None), "settings", None) or {}
    try:
        return int(settings.get("procura.upload_max_bytes") or DEFAULT_MAX_BYTES)
    except ValueError:
        return DEFAULT_MAX_BYTES


class RequestTmpStore(dict):
    """Deform's upload tmpstore without sessions: a dict that lives for one request.

    Deform keeps an upload here between deserialising and re-rendering a form that failed
    validation. Nothing outlives the request, so nothing needs evicting and no user can reach
    another's upload; after a failed validation the user picks the file again (the form says so).
    """

    def preview_url(self, uid):
        return None


def request_tmpstore(request) -> RequestTmpStore:
    if request is None:
        return RequestTmpStore()
    store = request.__dict__.get("_procura_tmpstore")
    if store is None:
        store = request.__dict__["_procura_tmpstore"] = RequestTmpStore()
    return store
