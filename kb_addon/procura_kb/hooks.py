"""Hook implementations of the "kb" addon."""
from procura import hookimpl
from procura.views.addon_page import addon_menu_item

from procura_kb import ADDON


@hookimpl
def procura_menu_items(request):
    return [addon_menu_item("kb", ADDON["title"], "bi-book", 60)]
