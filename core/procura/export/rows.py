"""Rows of a list for export: the same catalog query as the list page, walked in batches.

``export_rows(request, info, query)`` yields the header row (translated column titles) and then
one row per permitted object, in the list's sort order. It never holds all objects: docids come
from the catalog (plain integers), objects are loaded ``BATCH`` at a time and turned back into
ghosts afterwards, and the connection's cache is emptied every few batches. Reusable by the REST
API (``GET /api/v1/<type>/export.csv``) and by background export jobs.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from procura.i18n import _
from procura.types import access
from procura.types.content import container_for
from procura.types.fields import user_tz
from procura.types.query import ListQuery, matching_docids

BATCH = 500
SCAN_CHUNK = 1000  # index values read at a time by a scan
SCAN_MIN = 20_000  # results at least this large (and a quarter of the type) are sorted by a scan
MINIMIZE_EVERY = 4  # batches


@dataclass
class Column:
    name: str
    title: Any
    field: Any = None  # a Field, or None for a system column

    def value(self, request, info, obj, tz):
        if self.field is not None:
            return self.field.export_value(getattr(obj, self.field.name, None), request)
        if self.name == "id":
            return obj.__name__
        if self.name == "status":
            status = info.workflow.status(obj.status) if info.workflow and obj.status else None
            return request.localizer.translate(status.title) if status else (obj.status or "")
        value = getattr(obj, self.name, None)
        if isinstance(value, dt.datetime):
            return value.astimezone(tz).replace(tzinfo=None)
        return "" if value is None else value


SYSTEM_COLUMNS = {
    "id": _("ID"),
    "status": _("Status"),
    "created": _("Created"),
    "modified": _("Modified"),
    "created_by": _("Created by"),
    "owner": _("Owner"),
}


def export_columns(request, info, names=None) -> list[Column]:
    """The columns of an export: ``names`` (the list's ``columns`` choice) or every field the user
    may see, framed by the id and the status/created/modified columns. Hidden fields never appear."""
    visible = {f.name: f for f in info.fields if access.field_access(request, info, f) != access.HIDDEN}
    if names:
        cols = []
        for name in names:
            if name in visible:
                cols.append(Column(name, visible[name].title, visible[name]))
            elif name in SYSTEM_COLUMNS and (name != "status" or info.workflow):
                cols.append(Column(name, SYSTEM_COLUMNS[name]))
        if cols:
            return cols
    cols = [Column("id", SYSTEM_COLUMNS["id"])]
    cols += [Column(f.name, f.title, f) for f in visible.values()]
    if info.workflow:
        cols.append(Column("status", SYSTEM_COLUMNS["status"]))
    cols += [Column("created", SYSTEM_COLUMNS["created"]), Column("modified", SYSTEM_COLUMNS["modified"])]
    return cols


def sorted_docids(request, info, query: ListQuery, container=None) -> Iterator[int]:
    """Every docid matching ``query`` (the list page's filters) in its sort order, without loading
    objects; objects without a value for the sort key come last."""
    container = container if container is not None else container_for(request.app_root, info.name)
    docids = matching_docids(request, info, query, container)
    if not docids:
        return iter(())
    index = container.catalog[query.sort.lstrip("-")]
    jar = getattr(container, "_p_jar", None)
    release = jar.cacheMinimize if jar is not None else (lambda: None)
    return _ordered(index, docids, query.sort.startswith("-"), container.catalog.family, release)


def _ordered(index, docids, reverse, family, release):
    members = family.IF.TreeSet(docids)  # integers only: small even for a million
    fwd = getattr(index, "_fwd_index", None)
    if fwd is not None and len(members) >= SCAN_MIN and len(members) * 4 >= index.indexed_count():
        yield from _scan(fwd, members, reverse, release)
    else:
        # a sorted list of (value, docid): fine for a filtered share of the type
        yield from index.sort(members, reverse=reverse, raise_unsortable=False)
    missing = family.IF.intersection(members, index.not_indexed())
    if missing:
        yield from missing


def _scan(fwd, members, reverse, release):
    """Docids in index order by walking the index's values a chunk at a time: memory stays flat
    however many there are. Each chunk is looked up afresh, so the caller may release loaded
    buckets between chunks. BTrees iterate forwards only: backwards, a first pass notes where each
    chunk starts and the second reads the chunks from the last."""
    def emit(keys):
        for key in keys:
            ids = fwd[key]
            found = [docid for docid in ids if docid in members]
            if getattr(ids, "_p_changed", None) is False:
                ids._p_deactivate()
            yield from found  # ties in docid order both ways, as the catalog sort gives them

    if not reverse:
        for keys in _key_chunks(fwd):
            yield from emit(keys)
        return
    starts = []
    for keys in _key_chunks(fwd):
        starts.append(keys[0])
        release()
    for i in range(len(starts) - 1, -1, -1):
        if i + 1 < len(starts):
            keys = list(fwd.iterkeys(min=starts[i], max=starts[i + 1], excludemax=True))
        else:
            keys = list(fwd.iterkeys(min=starts[i]))
        yield from emit(reversed(keys))


def _key_chunks(fwd, size=None):
    size = size or SCAN_CHUNK
    last = None
    while True:
        it = fwd.iterkeys() if last is None else fwd.iterkeys(min=last, excludemin=True)
        keys = list(itertools.islice(it, size))
        if not keys:
            return
        yield keys
        last = keys[-1]


def export_rows(request, info, query: ListQuery, *, columns=None, app_root=None,
                batch: int | None = None) -> Iterator[list]:
    """The header row, then one row of export values per object the user may read.

    ``app_root`` lets a caller read through its own connection (a streamed response outlives the
    request's connection); by default the request's root is used.
    """
    batch = batch or BATCH
    root = app_root if app_root is not None else request.app_root
    container = container_for(root, info.name)
    cols = columns if columns is not None else export_columns(request, info)
    t = request.localizer.translate
    tz = user_tz(request)
    yield [t(c.title) for c in cols]
    docids = sorted_docids(request, info, query, container)
    jar = getattr(container, "_p_jar", None)
    names = container.docids
    chunk: list[int] = []
    batches = 0

    def flush(chunk):
        out = []
        for docid in chunk:
            name = names.get(docid)
            obj = container.get(name) if name is not None else None
            if obj is None:
                continue
            if access.can(request, "read", info, obj):
                out.append([_cell(c, request, info, obj, tz) for c in cols])
            if obj._p_changed is False:  # loaded and unmodified: back to a ghost
                obj._p_deactivate()
        return out

    for docid in docids:
        chunk.append(docid)
        if len(chunk) >= batch:
            yield from flush(chunk)
            chunk = []
            batches += 1
            if jar is not None and batches % MINIMIZE_EVERY == 0:
                jar.cacheMinimize()
    if chunk:
        yield from flush(chunk)


def _cell(column, request, info, obj, tz):
    if column.field is not None and access.field_access(request, info, column.field, obj) == access.HIDDEN:
        return ""
    value = column.value(request, info, obj, tz)
    return "" if value is None else value

