"""The whoosh full-text index: one index for every searchable type, at ``procura.index_path``.

Documents are written by one writer at a time (whoosh's file lock; in production the Celery worker
is the only writer) and read by every web process.

Russian and English word forms both match through one analyzer: words in Cyrillic go through the
Russian Snowball stemmer, other words through the English one (each stemmer leaves the other
script alone anyway), so «договор» finds «договорами» and "contract" finds "contracts" while every
word is indexed once. Stop words of both languages are dropped, and «ё» is read as «е». Object ids
are also matched whole and case-insensitively (``ident``).
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from whoosh import index as whoosh_index
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.qparser import EveryPlugin, FieldsPlugin, MultifieldParser, OrGroup, RangePlugin
from whoosh.query import Every, NullQuery, Or, Term
from whoosh.writing import CLEAR

log = logging.getLogger(__name__)

# Bump when the schema or the analysis changes: a new index name means a fresh, empty index
# (run `procura reindex`) instead of mixing documents analysed in two ways.
INDEX_NAME = "procura_v1"
WRITE_TIMEOUT = 60.0  # seconds a writer waits for the index lock before giving up (the job retries)
TEXT_FIELDS = ["title", "body"]
STOP_WORDS = frozenset(stopwords_for_language("ru")) | frozenset(stopwords_for_language("en"))
CYRILLIC = re.compile("[\u0400-\u04ff]")


class YoFilter(Filter):
    """«ё» -> «е»: people type either, dictionaries and stemmers expect «е»."""

    def __call__(self, tokens):
        for t in tokens:
            if "ё" in t.text:
                t.text = t.text.replace("ё", "е")
            yield t


_stem_ru = lru_cache(maxsize=100_000)(stemmer_for_language("ru"))
_stem_en = lru_cache(maxsize=100_000)(stemmer_for_language("en"))


class BilingualStemFilter(Filter):
    """Russian stemming for Cyrillic words, English stemming for the rest (numbers pass as they are)."""

    def __call__(self, tokens):
        for t in tokens:
            text = t.text
            if not text.isdigit():
                t.text = _stem_ru(text) if CYRILLIC.search(text) else _stem_en(text)
            yield t


def analyzer():
    return RegexTokenizer() | LowercaseFilter() | YoFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1) \
        | BilingualStemFilter()


def make_schema() -> Schema:
    text = analyzer()
    return Schema(
        uid=ID(unique=True, stored=True),  # "<type>:<id>"
        type=ID(stored=True),
        id=ID(stored=True),
        ident=KEYWORD(lowercase=True),  # the id, whole and case-insensitive
        title=TEXT(stored=True, analyzer=text, field_boost=2.0),
        body=TEXT(analyzer=text),
        owner=ID(stored=True),
        teams=KEYWORD(stored=True, commas=True),
        status=ID(stored=True),
        modified=STORED(),
    )


@dataclass
class Doc:
    """One object as the index sees it."""

    type: str
    id: str
    title: str
    body: str
    owner: str | None = None
    teams: tuple = ()
    status: str | None = None
    modified: str | None = None

    @property
    def uid(self) -> str:
        return f"{self.type}:{self.id}"

    def fields(self) -> dict:
        return {
            "uid": self.uid, "type": self.type, "id": self.id, "ident": self.id,
            "title": self.title, "body": self.body,
            "owner": self.owner or "", "teams": ",".join(self.teams or ()),
            "status": self.status or "", "modified": self.modified,
        }


def document_for(info, obj, visible=None) -> Doc:
    """The search document of one object: its title, id and every ``searchable`` field's text
    (only the fields named in ``visible`` when given: the document as one reader may see it)."""
    title_value = getattr(obj, info.title_field, None)
    if visible is not None and info.title_field not in visible:
        title_value = None
    title = str(title_value) if title_value not in (None, "") else obj.__name__
    parts = [obj.__name__]
    for f in info.fields:
        if not f.searchable or f.name == info.title_field or (visible is not None and f.name not in visible):
            continue
        try:
            text = f.search_text(getattr(obj, f.name, None))
        except Exception:  # noqa: BLE001 - one odd value must not keep the object out of the index
            log.exception("search_text failed for %s.%s", info.name, f.name)
            text = ""
        if text:
            parts.append(text)
    return Doc(
        type=info.name, id=obj.__name__, title=title, body="\n".join(parts),
        owner=getattr(obj, "owner", None), teams=tuple(getattr(obj, "record_teams", ()) or ()),
        status=getattr(obj, "status", None),
        modified=obj.modified.isoformat() if getattr(obj, "modified", None) else None,
    )


def _empty(query) -> bool:
    if query is None:
        return True
    query = query.normalize()
    return query is NullQuery or any(isinstance(q, Every) for q in query.leaves()) or isinstance(query, Every)


class SearchIndex:
    """Reading and writing the index folder; one instance per process is enough (it is thread-safe
    for readers: every search opens a searcher on the latest committed generation)."""

    def __init__(self, path: str):
        self.path = path
        self.schema = make_schema()
        self._ix = None
        self._lock = threading.Lock()
        self._local = threading.local()

    # ---------------------------------------------------------------- opening
    def exists(self) -> bool:
        return os.path.isdir(self.path) and whoosh_index.exists_in(self.path, indexname=INDEX_NAME)

    def _open(self, create: bool):
        with self._lock:
            return self._open_locked(create)

    def _open_locked(self, create: bool):
        if self._ix is None:
            if not self.exists():
                if not create:
                    return None
                os.makedirs(self.path, exist_ok=True)
                self._ix = whoosh_index.create_in(self.path, self.schema, indexname=INDEX_NAME)
            else:
                self._ix = whoosh_index.open_dir(self.path, indexname=INDEX_NAME)
        return self._ix

    def writer(self, **kw):
        """A writer holding the index lock (waits up to WRITE_TIMEOUT for another writer)."""
        kw.setdefault("timeout", WRITE_TIMEOUT)
        kw.setdefault("delay", 0.05)
        return self._open(create=True).writer(**kw)

    # ---------------------------------------------------------------- writing
    def update(self, docs: list[Doc]) -> None:
        with self.writer() as w:
            for doc in docs:
                w.update_document(**doc.fields())

    def remove(self, uids: list[str]) -> None:
        if not self.exists():
            return
        with self.writer() as w:
            for uid in uids:
                w.delete_by_term("uid", uid)

    def rebuild(self, docs, type_names: list[str] | None = None, limitmb: int = 256, procs: int = 1) -> int:
        """Replace the documents of ``type_names`` (all documents when None) with ``docs``.

        A full rebuild commits with ``CLEAR``: readers keep the old segments until the new ones are
        committed, so search keeps answering during a rebuild. ``procs`` > 1 analyses documents in
        that many processes (about 1.6 times faster with 2). Returns the number of documents.
        """
        count = 0
        # whoosh's multi-process writer loses deletions: use it only to write everything anew
        kw = {"procs": procs, "multisegment": True} if procs > 1 and type_names is None else {}
        w = self.writer(limitmb=limitmb, **kw)
        try:
            if type_names is not None:
                for name in type_names:
                    w.delete_by_term("type", name)
            for doc in docs:
                w.add_document(**doc.fields())
                count += 1
        except BaseException:
            w.cancel()
            raise
        if type_names is None:
            w.commit(mergetype=CLEAR)
        else:
            w.commit(optimize=False)
        return count

    # ---------------------------------------------------------------- reading
    def parse(self, q: str, group=None):
        """People's text, not whoosh's query language: no ``field:`` prefixes (they would reach the
        owner/status fields), no ranges and no bare ``*``; words, "phrases", AND/OR/NOT and
        ``prefix*`` work."""
        parser = MultifieldParser(TEXT_FIELDS, schema=self.schema, **({"group": group} if group else {}))
        for plugin in (FieldsPlugin, RangePlugin, EveryPlugin):
            parser.remove_plugin_class(plugin)
        return parser.parse(q)

    def searcher(self):
        """A new searcher on the latest generation (close it after use), or None without an index."""
        ix = self._open(create=False)
        return None if ix is None else ix.searcher()

    @contextlib.contextmanager
    def reading(self):
        """This thread's searcher on the latest committed generation (None without an index).

        Opening a searcher opens every segment file; a thread keeps its searcher while the index is
        unchanged (a directory listing tells) and opens a new one after a commit. (whoosh's own
        ``refresh()`` reuses segment readers and misses deletions made in them.)"""
        current = getattr(self._local, "searcher", None)
        if current is not None and (current._ix is not self._ix or not current.up_to_date()):
            current.close()
            current = None
        if current is None:
            ix = self._open(create=False)
            current = ix.searcher() if ix is not None else None
        self._local.searcher = current
        yield current

    @staticmethod
    def type_filter(types):
        """A whoosh ``filter=`` restricting hits to ``types`` (None: no restriction)."""
        if types is None:
            return None
        return Or([Term("type", t) for t in types]) if len(types) != 1 else Term("type", types[0])

    def query(self, q: str):
        """The whoosh query for the user's text (None if there is nothing to search for).

        Restrict types with ``type_filter`` passed as ``filter=``, not inside the query: whoosh
        then still skips low-scoring blocks, several times faster for common words.
        """
        q = (q or "").strip()
        if not q:
            return None
        parsed = self.parse(q)
        if _empty(parsed):
            # every word was a stop word: fall back to matching any of them
            parsed = self.parse(q, group=OrGroup)
            if _empty(parsed):
                parsed = None
        if len(q.split()) == 1:  # one token may be an object's id, typed whole in any case
            ident = Term("ident", q.lower())
            return ident if parsed is None else Or([parsed, ident])
        return parsed

    def matching(self, query, docs) -> set[str]:
        """The uids of ``docs`` (documents not in this index) that ``query`` matches, through a
        throwaway index in memory."""
        from whoosh.filedb.filestore import RamStorage

        ix = RamStorage().create_index(self.schema, indexname=INDEX_NAME)
        with ix.writer() as w:
            for doc in docs:
                w.add_document(**doc.fields())
        with ix.searcher() as s:
            return {hit["uid"] for hit in s.search(query, limit=None)}

    def doc_count(self, type_name: str | None = None) -> int:
        with self.reading() as s:
            if s is None:
                return 0
            if type_name is None:
                return s.doc_count()
            return len(s.search(Term("type", type_name), limit=None, scored=False))

    def all_uids(self):
        with self.reading() as s:
            if s is None:
                return set()
            return {fields["uid"] for fields in s.all_stored_fields()}

