"""Hook implementations of the generic type UI: a menu entry per type, "recently viewed" on the home page.

Registered with the application's plugin manager by ``procura.types.views.includeme``.
"""
from __future__ import annotations

from procura import hookimpl
from procura.i18n import _
from procura.ui import DashboardWidget, MenuItem


@hookimpl
def procura_menu_items(request):
    """Every type declared with ``menu=True``; the core hides those the user may not read."""
    items = []
    for info in request.registry.procura_types:
        if not info.menu:
            continue
        items.append(MenuItem(f"type:{info.name}", info.plural,
                              url=request.route_url("type_list", type=info.name), icon=info.icon,
                              order=info.menu_order, permission=info.permission("read")))
    return items


@hookimpl
def procura_dashboard_widgets(request):
    from procura.types.views.common import recently_viewed

    if request.identity is None or not getattr(request.identity, "recently_viewed", None):
        return []
    items = recently_viewed(request, limit=10)
    if not items:
        return []
    return [DashboardWidget("recently_viewed", _("Recently viewed"), "procura:templates/types/widget_recent.pt",
                            values={"items": items}, order=10)]
