"""Hook implementations of the "helpdesk" addon."""
from procura import hookimpl
from procura.views.addon_page import addon_menu_item

from procura_helpdesk import ADDON


@hookimpl
def procura_menu_items(request):
    return [addon_menu_item("helpdesk", ADDON["title"], "bi-headset", 40)]
