"""Addon discovery, dependency ordering and the plugin manager.

An addon is a distribution with an entry point in the group ``procura.addons`` pointing at its
package, whose ``ADDON`` manifest is a literal dict::

    ADDON = {"name": "contracts", "title": _("Contracts"), "version": "0.1.0",
             "depends": ["suppliers"], "description": _("...")}

The loader orders enabled addons by their dependency graph (ties broken by name, so the order is
the same on every machine), refuses a missing or disabled dependency and a cycle with a message
naming the addons, and registers each addon's ``hooks`` module with the plugin manager.
"""
from __future__ import annotations

import heapq
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from procura import hookspecs
from procura.settings import as_list

GROUP = "procura.addons"


class AddonError(Exception):
    """A set of addons that cannot be loaded; the message says which and why."""


@dataclass
class Addon:
    name: str
    title: Any
    version: str
    depends: list[str]
    package: str
    distribution: str | None = None
    description: Any = ""
    module: Any = field(default=None, repr=False)
    broken: str | None = None

    @property
    def hooks_module(self):
        spec = importlib.util.find_spec(self.package + ".hooks")
        return importlib.import_module(self.package + ".hooks") if spec else None


@dataclass(frozen=True)
class EvolveStep:
    """One schema evolution step: ``run(root)`` brings ``addon`` data from ``version-1`` to ``version``."""

    addon: str
    version: int
    title: str
    run: Callable[[Any], None]


REQUIRED_KEYS = ("name", "title", "version", "depends")


def discover(disabled: set[str] | frozenset = frozenset()) -> dict[str, Addon]:
    """Every installed addon, by name. A broken manifest is an AddonError naming the distribution,
    except for an addon in ``disabled``: disabling is how an installation works around a broken one,
    so it is listed (version ``?``, ``broken`` set) instead of stopping start-up."""
    found: dict[str, Addon] = {}
    for ep in entry_points(group=GROUP):
        dist = ep.dist.name if ep.dist is not None else None
        if ep.name in disabled or "*" in disabled:
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - a disabled addon may be broken
                found.setdefault(ep.name, Addon(name=ep.name, title=ep.name, version="?", depends=[],
                                                package=ep.value, distribution=dist,
                                                broken=f"{exc.__class__.__name__}: {exc}"))
                continue
        try:
            module = ep.load()
        except Exception as exc:  # noqa: BLE001 - reported with its origin
            raise AddonError(
                f"Addon '{ep.name}' (distribution {dist}) cannot be imported: {exc.__class__.__name__}: {exc}"
            ) from exc
        manifest = getattr(module, "ADDON", None)
        if not isinstance(manifest, dict) or any(k not in manifest for k in REQUIRED_KEYS):
            raise AddonError(
                f"Addon '{ep.name}' (distribution {dist}) has no valid ADDON manifest: "
                f"it needs the keys {', '.join(REQUIRED_KEYS)}"
            )
        if manifest["name"] != ep.name:
            raise AddonError(
                f"Addon entry point '{ep.name}' (distribution {dist}) declares the name "
                f"'{manifest['name']}'; the two must be equal"
            )
        if ep.name in found:
            other = found[ep.name]
            if other.package == module.__name__:
                continue  # the same package seen twice on sys.path
            raise AddonError(
                f"Two distributions provide the addon '{ep.name}': {other.distribution} and {dist}"
            )
        found[ep.name] = Addon(
            name=manifest["name"],
            title=manifest["title"],
            version=str(manifest["version"]),
            depends=list(manifest.get("depends") or []),
            description=manifest.get("description", ""),
            package=module.__name__,
            distribution=dist,
            module=module,
        )
    return found


def disabled_names(settings: dict, available: dict[str, Addon]) -> set[str]:
    names = as_list(settings.get("procura.addons.disabled", ""))
    if "*" in names:
        return set(available)
    return set(names)


def resolve(available: dict[str, Addon], disabled: set[str] | None = None) -> list[Addon]:
    """Enabled addons in dependency order; AddonError for a missing dependency or a cycle."""
    disabled = set(disabled or ())
    enabled = {n: a for n, a in available.items() if n not in disabled}
    problems = []
    for addon in sorted(enabled.values(), key=lambda a: a.name):
        for dep in addon.depends:
            if dep in enabled:
                continue
            if dep in available:
                problems.append(
                    f"addon '{addon.name}' needs '{dep}', which is disabled "
                    f"(enable '{dep}' or disable '{addon.name}' as well)"
                )
            else:
                problems.append(
                    f"addon '{addon.name}' needs '{dep}', which is not installed "
                    f"(install the distribution that provides '{dep}', or disable '{addon.name}' "
                    f"with procura.addons.disabled)"
                )
    if problems:
        raise AddonError("Cannot load addons: " + "; ".join(problems))

    indegree = {n: 0 for n in enabled}
    dependents: dict[str, list[str]] = {n: [] for n in enabled}
    for addon in enabled.values():
        for dep in set(addon.depends):
            indegree[addon.name] += 1
            dependents[dep].append(addon.name)
    ready = [n for n, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order: list[Addon] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(enabled[name])
        for child in dependents[name]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, child)
    if len(order) != len(enabled):
        left = {n for n, d in indegree.items() if d > 0}
        raise AddonError("Cannot load addons: dependency cycle " + _describe_cycle(enabled, left))
    return order


def _describe_cycle(enabled: dict[str, Addon], left: set[str]) -> str:
    start = min(left)
    path, seen = [start], {start}
    node = start
    while True:
        node = min(d for d in enabled[node].depends if d in left)
        if node in seen:
            path = path[path.index(node):] + [node]
            return " -> ".join(path)
        path.append(node)
        seen.add(node)


def make_plugin_manager(addons: list[Addon], extra_hooks: list[str] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("procura")
    pm.add_hookspecs(hookspecs)
    import procura.corehooks as corehooks

    pm.register(corehooks, name="procura")
    for addon in addons:
        module = addon.hooks_module
        if module is not None:
            pm.register(module, name=addon.name)
    for name in extra_hooks:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise AddonError(
                f"The hook module '{name}' (setting procura.extra_hooks) cannot be imported: {exc}"
            ) from None
        pm.register(module, name=name)
    pm.check_pending()
    return pm


def load(settings: dict) -> tuple[list[Addon], dict[str, Addon], pluggy.PluginManager]:
    """Discover, order and register: (enabled addons in order, every installed addon, plugin manager)."""
    disabled = set(as_list(settings.get("procura.addons.disabled", "")))
    available = discover(disabled)
    enabled = resolve(available, disabled_names(settings, available))
    return enabled, available, make_plugin_manager(enabled, as_list(settings.get("procura.extra_hooks", "")))
