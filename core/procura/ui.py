"""Small data types the UI hooks return."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MenuItem:
    """One entry of the left navigation.

    ``name`` is unique across the installation; ``title`` a translation string; ``url`` either an
    absolute path or a route name (``route``); ``icon`` a Bootstrap Icons name (``bi-...``);
    ``permission`` checked against the root before showing; ``section`` groups items.
    """

    name: str
    title: Any
    route: str | None = None
    url: str | None = None
    icon: str = "bi-circle"
    order: int = 100
    permission: str | None = "procura.view"
    section: str = "main"


@dataclass(frozen=True)
class DashboardWidget:
    """A panel on the home page, rendered from a Chameleon ``template`` (asset spec) with ``values``."""

    name: str
    title: Any
    template: str
    values: dict = field(default_factory=dict)
    order: int = 100
    permission: str | None = "procura.view"


@dataclass(frozen=True)
class RecordAction:
    """A button on a record's detail page (``procura_record_actions``).

    ``method`` "get" makes a link, "post" a small form with the CSRF token (``confirm``: a
    translatable question asked first); ``style`` a Bootstrap button colour; lower ``order`` first.
    ``menu=True`` puts it in the "More" menu instead of the button row.
    """

    name: str
    title: Any
    url: str
    icon: str = ""
    method: str = "get"
    style: str = "outline-secondary"
    confirm: Any = None
    order: int = 100
    menu: bool = False


@dataclass(frozen=True)
class RecordPanel:
    """A panel on a record's detail page (``procura_record_panels``): ``html`` rendered by the addon."""

    name: str
    title: Any
    html: str
    order: int = 100
    side: bool = False
