"""Hook implementations of the "contracts" addon."""
from procura import hookimpl
from procura.views.addon_page import addon_menu_item

from procura_contracts import ADDON


@hookimpl
def procura_menu_items(request):
    return [addon_menu_item("contracts", ADDON["title"], "bi-file-earmark-text", 30)]
