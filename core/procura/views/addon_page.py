"""The landing page an addon gets with one call, until it has pages of its own."""
from __future__ import annotations

from procura.ui import MenuItem


def add_addon_page(config, name: str, path: str):
    """Register ``/<path>`` showing the addon's title and description (route ``<name>_index``)."""
    route = f"{name}_index"
    config.add_route(route, path)

    def view(request):
        addon = next(a for a in request.registry.procura_addons if a.name == name)
        return {"addon": addon}

    config.add_view(view, route_name=route, renderer="procura:templates/addon_page.pt", permission="procura.view")
    return route


def addon_menu_item(name: str, title, icon: str, order: int) -> MenuItem:
    return MenuItem(name, title, route=f"{name}_index", icon=icon, order=order)
