"""Persistent objects of declared types, their containers and catalogs.

Each type has a ``TypeContainer`` at ``root["types"][<type name>]``: a BTree folder of its objects
plus a hypatia catalog (family64) with the type's indexed fields and the system indexes below, and
the per-type id sequences. The catalog is written in the same transaction as the object, so list
queries never disagree with the data and never scan the container.
"""
from __future__ import annotations

import random
from types import SimpleNamespace

import BTrees
from BTrees.OOBTree import OOBTree
from hypatia.catalog import Catalog
from hypatia.field import FieldIndex
from hypatia.keyword import KeywordIndex
from persistent import Persistent
from persistent.list import PersistentList

from procura.content import Folder

SYSTEM_INDEXES = {
    "status": "field",
    "created": "field",
    "modified": "field",
    "created_by": "field",
    "owner": "field",
    "owners": "keyword",  # owner, creator and the type's owner_fields: the scope "own"
    "record_teams": "keyword",  # the scope "team"
    "counterparties": "keyword",  # the portal scope "counterparty"
    "deleted": "field",
    "title": "field",
    "id": "field",
}


class Content(Persistent):
    """An object of a declared type. Field values are attributes named like the fields."""

    __name__ = None
    __parent__ = None

    def __init__(self, type_name: str):
        self.type_name = type_name
        self.version = 0
        self.status = None
        self.created = None
        self.modified = None
        self.created_by = None
        self.modified_by = None
        self.owner = None
        self.record_teams = ()  # teams the record belongs to (scope "team"): creator's + team_fields
        self.deleted = False
        self.deleted_at = None
        self.deleted_by = None
        self.history = PersistentList()  # audit records, oldest first
        self.feed = PersistentList()  # comments and attachments (activity feed)

    @property
    def id(self):
        return self.__name__

    def get(self, name, default=None):
        return getattr(self, name, default)


class TypeContainer(Folder):
    """All objects of one type, with their catalog and id sequences."""

    def __init__(self, type_name: str):
        super().__init__()
        self.type_name = type_name
        self.catalog = Catalog(family=BTrees.family64)
        self.docids = BTrees.family64.IO.BTree()  # docid -> name
        self.docid_of = BTrees.family64.OI.BTree()  # name -> docid
        self.sequences = OOBTree()  # sequence key (e.g. year) -> last number

    # ---------------------------------------------------------------- indexes
    def ensure_indexes(self, info) -> list[str]:
        """Create missing indexes for the type's declaration; returns the names created."""
        wanted = dict(SYSTEM_INDEXES)
        for f in info.indexed_fields():
            wanted[f.name] = f.index_kind
        made = []
        for name, kind in wanted.items():
            if name not in self.catalog:
                cls = KeywordIndex if kind == "keyword" else FieldIndex
                self.catalog[name] = cls(name, family=BTrees.family64)
                made.append(name)
        return made

    def index_values(self, obj, info) -> SimpleNamespace:
        values = {
            "status": obj.status,
            "created": obj.created,
            "modified": obj.modified,
            "created_by": obj.created_by,
            "owner": obj.owner,
            "owners": sorted(owners_of(obj, info)) or None,
            "record_teams": list(getattr(obj, "record_teams", ()) or ()) or None,
            "counterparties": sorted(counterparties_of(obj, info)) or None,
            "deleted": bool(obj.deleted),
            "title": title_sort_key(obj, info),
            "id": obj.__name__,
        }
        for f in info.indexed_fields():
            values[f.name] = f.index_value(getattr(obj, f.name, None))
        return SimpleNamespace(**{k: v for k, v in values.items() if v is not None})

    def index(self, obj, info):
        name = obj.__name__
        docid = self.docid_of.get(name)
        if docid is None:
            docid = self._new_docid()
            self.docids[docid] = name
            self.docid_of[name] = docid
            self.catalog.index_doc(docid, self.index_values(obj, info))
        else:
            self.catalog.reindex_doc(docid, self.index_values(obj, info))
        return docid

    def unindex(self, name):
        docid = self.docid_of.pop(name, None)
        if docid is not None:
            del self.docids[docid]
            self.catalog.unindex_doc(docid)

    def _new_docid(self) -> int:
        # Random ids: concurrent creations do not all touch one counter (fewer write conflicts).
        while True:
            docid = random.randrange(1, 2**62)
            if docid not in self.docids:
                return docid

    def reindex_all(self, info, progress=None) -> int:
        self.ensure_indexes(info)
        self.catalog.reset()
        count = 0
        for name, docid in self.docid_of.items():
            obj = self.get(name)
            if obj is not None:
                self.catalog.index_doc(docid, self.index_values(obj, info))
                count += 1
                if progress:
                    progress(count)
        return count

    # ---------------------------------------------------------------- ids
    def next_in_sequence(self, key) -> int:
        # A plain BTree value, not a conflict-resolving counter: two concurrent transactions taking
        # the same number conflict and one is retried, so numbers stay unique.
        number = self.sequences.get(key, 0) + 1
        self.sequences[key] = number
        return number


def _values_of(obj, names) -> set[str]:
    out = set()
    for name in names:
        value = getattr(obj, name, None)
        if not value:
            continue
        if isinstance(value, str):
            out.add(value)
        elif isinstance(value, dict):  # a Parent link
            if value.get("id"):
                out.add(value["id"])
        else:
            for item in value:
                out.add(item["id"] if isinstance(item, dict) else item)
    return out


def owners_of(obj, info) -> set[str]:
    """Logins for whom the record is their own: owner, creator and the type's ``owner_fields``."""
    out = {v for v in (getattr(obj, "owner", None), getattr(obj, "created_by", None)) if v}
    return out | _values_of(obj, info.owner_fields)


def counterparties_of(obj, info) -> set[str]:
    """Counterparty ids the record belongs to (the portal scope), from ``counterparty_fields``
    (``"id"`` there: the record is a counterparty itself)."""
    return _values_of(obj, info.counterparty_fields)


def title_sort_key(obj, info):
    value = getattr(obj, info.title_field, None)
    if value is None:
        return None
    return str(value).casefold()[:200]


def types_folder(app_root) -> Folder:
    return app_root["types"]


def container_for(app_root, type_name) -> TypeContainer:
    return app_root["types"][type_name]


def ensure_containers(app_root, type_registry) -> list[str]:
    """Create the ``types`` folder and a container (with indexes) for every registered type."""
    made = []
    if "types" not in app_root:
        app_root.add("types", Folder())
    folder = app_root["types"]
    for info in type_registry:
        if info.name not in folder:
            folder.add(info.name, TypeContainer(info.name))
            made.append(info.name)
        created = folder[info.name].ensure_indexes(info)
        if created and info.name not in made:
            folder[info.name].reindex_all(info)
            made.append(info.name)
    return made
