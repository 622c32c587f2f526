"""Hook implementations of the "portal" addon."""
from procura import hookimpl
from procura.views.addon_page import addon_menu_item

from procura_portal import ADDON


@hookimpl
def procura_menu_items(request):
    return [addon_menu_item("portal", ADDON["title"], "bi-door-open", 70)]
