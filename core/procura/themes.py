"""Themes: a layout template and static files, found through the ``procura.themes`` entry points.

A theme is ``THEME = {"name", "title", "layout": "<asset spec of layout.pt>", "static": "<asset
spec of a folder>"}``. The layout defines the macro ``page`` with the slot ``content`` (and the
optional slots ``title``, ``actions``, ``head``). Users pick a theme in their profile; the
``procura.theme`` setting is the default.
"""
from __future__ import annotations

from importlib.metadata import entry_points

from pyramid.renderers import get_renderer


def discover_themes() -> dict[str, dict]:
    themes = {}
    for ep in entry_points(group="procura.themes"):
        theme = dict(ep.load())
        themes[theme["name"]] = theme
    return themes


def include_themes(config):
    themes = discover_themes()
    default = config.registry.settings.get("procura.theme", "default")
    if default not in themes:
        raise RuntimeError(
            f"Theme '{default}' (setting procura.theme) is not installed; "
            f"installed: {', '.join(sorted(themes)) or 'none'}"
        )
    config.registry.procura_themes = themes
    for name, theme in themes.items():
        config.add_static_view(f"static/themes/{name}", theme["static"], cache_max_age=3600)


def theme_name(request) -> str:
    themes = request.registry.procura_themes
    user = request.identity
    chosen = getattr(user, "theme", None) if user is not None else None
    if chosen in themes:
        return chosen
    return request.registry.settings.get("procura.theme", "default")


def layout_for(request):
    theme = request.registry.procura_themes[theme_name(request)]
    return get_renderer(theme["layout"]).implementation()
