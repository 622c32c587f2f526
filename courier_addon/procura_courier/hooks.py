"""Hook implementations of the "courier" addon."""
from procura import hookimpl
from procura.views.addon_page import addon_menu_item

from procura_courier import ADDON


@hookimpl
def procura_menu_items(request):
    return [addon_menu_item("courier", ADDON["title"], "bi-signpost-split", 50)]
