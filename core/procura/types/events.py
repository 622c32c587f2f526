"""Domain events of typed objects, delivered only after the transaction commits.

Subscribe with ``config.add_subscriber(handler, ObjectChanged)`` (Pyramid events). Events carry
names and plain data, not persistent objects: by the time they are delivered the request's
connection may be closed. A rolled-back change delivers nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import transaction

log = logging.getLogger(__name__)


@dataclass
class ObjectEvent:
    type_name: str
    id: str
    user: str | None
    version: int
    registry: Any = field(repr=False, default=None)


@dataclass
class ObjectCreated(ObjectEvent):
    pass


@dataclass
class ObjectChanged(ObjectEvent):
    changes: dict = field(default_factory=dict)  # field -> [old JSON, new JSON]


@dataclass
class ObjectStatusChanged(ObjectEvent):
    old: str | None = None
    new: str | None = None
    transition: str | None = None
    comment: str | None = None


@dataclass
class ObjectDeleted(ObjectEvent):
    pass


@dataclass
class ObjectRestored(ObjectEvent):
    pass


@dataclass
class ObjectPurged(ObjectEvent):
    pass


@dataclass
class ObjectCommented(ObjectEvent):
    entry_id: str = ""
    internal: bool = False
    mentions: tuple = ()


def fire_after_commit(registry, event, txn=None) -> None:
    """Queue ``event`` for Pyramid subscribers once the current transaction has committed."""
    event.registry = registry

    def hook(success, event=event):
        if not success:
            return
        try:
            registry.notify(event)
        except Exception:  # noqa: BLE001 - the change is committed; a failing subscriber must not hide it
            log.exception("subscriber failed for %s", event)

    (txn or transaction.get()).addAfterCommitHook(hook)
