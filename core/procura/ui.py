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
