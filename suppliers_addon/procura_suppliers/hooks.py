"""Hook implementations of the "suppliers" addon."""
from procura import hookimpl
from procura.views.addon_page import addon_menu_item

from procura_suppliers import ADDON


@hookimpl
def procura_menu_items(request):
    return [addon_menu_item("suppliers", ADDON["title"], "bi-building", 20)]
