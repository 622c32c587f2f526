"""Global search: what the web processes ask (``search``, ``search_ids``) and what the writer does
(``sync_objects``, ``rebuild``). One instance per application at ``registry.procura_search``.

Reading respects the reader's permissions: a hit is shown only after its object is loaded and
``access.can(request, "read", info, obj)`` allows it; hits are over-fetched so that a page stays
full when some are denied. Counting stops after ``COUNT_CAP`` permitted hits (the page then says
"more than N"): counting every hit of a common word would load every matching object. Field access
counts too: a document holds every searchable field, so an object with one hidden from the reader
is matched again against what they may see (nobody finds a record by a value hidden from them).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import quote

from procura.search.index import SearchIndex, document_for
from procura.settings import as_bool, as_list
from procura.types import access
from procura.types.content import container_for

log = logging.getLogger(__name__)

COUNT_CAP = 100  # permitted hits counted beyond the page
MAX_SCAN = 5000  # index hits looked at for one page at most (denied ones included)
BATCH = 100


@dataclass
class SearchResult:
    hits: list = field(default_factory=list)
    total: int = 0  # permitted hits counted
    exact: bool = True  # False: there are more than ``total`` (counting stopped)


def searchable_type_names(settings, types) -> list[str]:
    """Types in the index: the ``procura.search.types`` list, or every type declared searchable."""
    wanted = as_list(settings.get("procura.search.types", ""))
    if not wanted:
        return [info.name for info in types if info.searchable]
    unknown = [n for n in wanted if n not in types]
    if unknown:
        log.warning("procura.search.types names unknown types (disabled addon?): %s", ", ".join(unknown))
    return [n for n in wanted if n in types]


def object_url(request, type_name, obj_id) -> str:
    return f"{request.application_url}/t/{quote(type_name)}/{quote(obj_id, safe='')}"


class SearchService:
    def __init__(self, settings: dict, types, registry=None):
        self.settings = settings
        self.types = types
        self.registry = registry
        self.index = SearchIndex(settings["procura.index_path"])
        self.type_names = searchable_type_names(settings, types)
        self.sync = as_bool(settings.get("procura.search.sync", "false")) or as_bool(
            settings.get("procura.testing", "false"))

    def is_searchable(self, type_name) -> bool:
        return type_name in self.type_names

    # ---------------------------------------------------------------- reading
    def readable_types(self, request, types=None) -> list[str]:
        names = [n for n in (types if types is not None else self.type_names) if n in self.type_names]
        return [n for n in names if access.can(request, "read", self.types[n])]

    def search_page(self, request, q, types=None, limit=20, offset=0) -> SearchResult:
        """Permitted hits ``offset .. offset+limit`` for the text ``q``, best first."""
        limit, offset = max(1, int(limit)), max(0, int(offset))
        names = self.readable_types(request, types)
        query = self.index.query(q) if names else None
        if query is None:
            return SearchResult()
        # no filter when every indexed type is wanted (the usual case, and the fast one)
        type_filter = None if set(names) >= self._indexed_types() else self.index.type_filter(names)
        result = SearchResult()
        want = offset + limit
        stop_at = want + COUNT_CAP
        containers: dict = {}
        t = request.localizer.translate
        with self.index.reading() as searcher:
            if searcher is None:
                return result
            fetched = min(MAX_SCAN, max(stop_at, BATCH))
            hits = searcher.search(query, limit=fetched, filter=type_filter)
            seen = 0
            while True:
                for hit, obj, info in self._permitted(request, query, containers, hits[seen:]):
                    seen += 1
                    if obj is None:
                        continue
                    result.total += 1
                    if result.total > offset and len(result.hits) < limit:
                        result.hits.append(self._hit(request, t, info, obj, hit.score))
                    if result.total >= stop_at:
                        break
                if result.total >= stop_at:
                    result.exact = False
                    break
                if hits.scored_length() < fetched:  # every index hit has been looked at
                    break
                if fetched >= MAX_SCAN:
                    result.exact = False
                    break
                fetched = min(MAX_SCAN, fetched * 2)
                hits = searcher.search(query, limit=fetched, filter=type_filter)
        return result

    def _permitted(self, request, query, containers, hits):
        """``(hit, obj, info)`` for each hit, ``obj`` and ``info`` None unless the user may read the
        object and the query matches what they may see of it; objects are loaded a batch at a time."""
        hits = list(hits)
        for start in range(0, len(hits), BATCH):
            chunk = [(hit, *self._load(request, containers, hit["type"], hit["id"]))
                     for hit in hits[start:start + BATCH]]
            hidden = self._hidden_hits(request, query, [(info, obj) for _h, obj, info in chunk if obj is not None])
            for hit, obj, info in chunk:
                if obj is not None and f"{info.name}:{obj.__name__}" in hidden:
                    obj = info = None
                yield hit, obj, info

    def _hidden_hits(self, request, query, found) -> set[str]:
        """Uids of ``found`` (``[(info, obj)]``) that ``query`` matches only through text hidden
        from the user. The index holds every searchable field whoever reads; an object with such a
        field hidden from this user is matched again against the document as they may see it."""
        docs = []
        for info, obj in found:
            hidden = {f.name for f in _document_fields(info)
                      if access.field_access(request, info, f, obj) == access.HIDDEN}
            if hidden:
                docs.append(document_for(info, obj, set(info.field_names) - hidden))
        if not docs:
            return set()
        return {doc.uid for doc in docs} - self.index.matching(query, docs)

    @staticmethod
    def _hit(request, t, info, obj, score) -> dict:
        title = getattr(obj, info.title_field, None)
        if access.field_access(request, info, info.field(info.title_field), obj) == access.HIDDEN:
            title = None
        status = info.workflow.status(obj.status) if info.workflow and obj.status else None
        return {
            "type": info.name, "type_title": t(info.title), "id": obj.__name__,
            "title": str(title) if title not in (None, "") else obj.__name__,
            "score": round(float(score or 0), 4),
            "url": object_url(request, info.name, obj.__name__),
            "status": obj.status,
            "status_title": t(status.title) if status is not None else (obj.status or ""),
        }

    def search(self, request, q, types=None, limit=20, offset=0):
        """``(hits, total)``: a hit is ``{type, id, title, score, url}`` (plus ``type_title``, ``status``)."""
        result = self.search_page(request, q, types=types, limit=limit, offset=offset)
        return result.hits, result.total

    def search_ids(self, request, type_name, q, limit=10000) -> list[str]:
        """Ids of ``type_name`` objects matching ``q``, best first, for list pages and the API.

        Objects are not loaded here: the caller intersects the ids with its catalog query, which
        applies the row-level restriction (``access.list_query_filter``). A user who may not read
        the type at all gets nothing; so does a type that is not in the index.
        """
        if not self.is_searchable(type_name) or not self.readable_types(request, [type_name]):
            return []
        query = self.index.query(q)
        if query is None:
            return []
        only = None if self._indexed_types() == {type_name} else self.index.type_filter([type_name])
        with self.index.reading() as searcher:
            if searcher is None:
                return []
            ids = [hit["id"] for hit in searcher.search(query, limit=limit, filter=only)]
        info = self.types[type_name]
        if info.field_guard is None and all(access.field_access(request, info, f) != access.HIDDEN
                                            for f in _document_fields(info)):
            return ids
        # some text of the documents may be hidden from the user: drop what only that text matches
        container = container_for(request.app_root, type_name)
        found = [(info, obj) for obj in (container.get(i) for i in ids)
                 if obj is not None and access.can(request, "read", info, obj)]
        hidden = self._hidden_hits(request, query, found)
        return [i for i in ids if f"{type_name}:{i}" not in hidden]

    def _indexed_types(self) -> set:
        return set(self.type_names)

    def _load(self, request, containers, type_name, obj_id):
        info = self.types.get(type_name)
        if info is None or not self.is_searchable(type_name):
            return None, None
        if type_name not in containers:
            try:
                containers[type_name] = container_for(request.app_root, type_name)
            except KeyError:
                containers[type_name] = None
        container = containers[type_name]
        obj = container.get(obj_id) if container is not None else None
        if obj is None or obj.deleted or not access.can(request, "read", info, obj):
            return None, None
        return obj, info

    # ---------------------------------------------------------------- writing (the worker)
    def sync_objects(self, app_root, refs, min_versions=None) -> dict:
        """Bring the index in line with the database for ``refs`` (``[(type, id), ...]``).

        An object that exists, is not in the trash and is of a searchable type is (re)indexed;
        otherwise its document is removed. Idempotent and independent of the order jobs run in.
        ``min_versions`` maps a ref to the version the caller committed: an older one seen here
        means this process has not caught up with that commit yet (``StaleRead`` is raised so the
        job retries).
        """
        updates, removals = [], []
        for type_name, obj_id in refs:
            info = self.types.get(type_name)
            obj = None
            if info is not None and self.is_searchable(type_name):
                try:
                    obj = container_for(app_root, type_name).get(obj_id)
                except KeyError:
                    obj = None
            wanted = (min_versions or {}).get((type_name, obj_id))
            if obj is not None and wanted is not None and (obj.version or 0) < wanted:
                raise StaleRead(f"{type_name}:{obj_id} version {obj.version} < {wanted}")
            if obj is None or obj.deleted:
                removals.append(f"{type_name}:{obj_id}")
            else:
                updates.append(document_for(info, obj))
        if updates or removals:
            with self.index.writer() as w:
                for uid in removals:
                    w.delete_by_term("uid", uid)
                for doc in updates:
                    w.update_document(**doc.fields())
        return {"indexed": len(updates), "removed": len(removals)}

    def iter_documents(self, app_root, type_names, progress=None, minimize_every=2000):
        """Documents of every live object of ``type_names``, releasing loaded objects as it goes."""
        jar = getattr(app_root, "_p_jar", None)
        count = 0
        for name in type_names:
            info = self.types[name]
            try:
                container = container_for(app_root, name)
            except KeyError:
                continue
            for obj in container.values():
                if not obj.deleted:
                    yield document_for(info, obj)
                count += 1
                if progress is not None:
                    progress(1)
                if jar is not None and count % minimize_every == 0:
                    jar.cacheMinimize()

    def rebuild(self, app_root, type_names=None, progress=None, procs: int = 1) -> int:
        """Re-create the documents of ``type_names`` (every searchable type when None)."""
        if type_names is None:
            return self.index.rebuild(self.iter_documents(app_root, self.type_names, progress), procs=procs)
        names = [n for n in type_names if self.is_searchable(n)]
        return self.index.rebuild(self.iter_documents(app_root, names, progress), type_names=list(type_names),
                                  procs=procs)


def _document_fields(info) -> list:
    """The fields whose text a search document holds (``index.document_for``)."""
    return [f for f in info.fields if f.searchable or f.name == info.title_field]


class StaleRead(Exception):
    """The database this process reads has not yet seen the commit a job was queued for."""
