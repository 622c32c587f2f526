"""Persistent building blocks: BTree folders and the application root."""
from __future__ import annotations

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.mapping import PersistentMapping

APP_KEY = "procura"


class Folder(Persistent):
    """A container of named children kept in an OOBTree (scales to millions, no full loads)."""

    __name__ = None
    __parent__ = None

    def __init__(self):
        self.data = OOBTree()
        self._num = Length()

    def __getitem__(self, name):
        return self.data[name]

    def get(self, name, default=None):
        return self.data.get(name, default)

    def __contains__(self, name):
        return name in self.data

    def __len__(self):
        return self._num()

    def __iter__(self):
        return iter(self.data.keys())

    def keys(self, min=None, max=None):  # noqa: A002 - BTree API
        return self.data.keys(min, max)

    def values(self):
        return self.data.values()

    def items(self):
        return self.data.items()

    def add(self, name, obj):
        if not name or "/" in name:
            raise ValueError(f"Invalid name {name!r}")
        if name in self.data:
            raise KeyError(f"{name!r} already exists in this folder")
        obj.__name__ = name
        obj.__parent__ = self
        self.data[name] = obj
        self._num.change(1)
        return obj

    __setitem__ = add

    def remove(self, name):
        obj = self.data.pop(name)
        self._num.change(-1)
        return obj

    __delitem__ = remove


class Root(Folder):
    """The application root stored at ``zodb_root['procura']``.

    ``schema_versions`` maps addon name (and ``procura`` for the core) to its stored schema version.
    """

    __name__ = ""

    def __init__(self):
        super().__init__()
        self.schema_versions = PersistentMapping()
        self.system = PersistentMapping()  # worker heartbeat and other status facts


def find_root(resource):
    while getattr(resource, "__parent__", None) is not None:
        resource = resource.__parent__
    return resource
