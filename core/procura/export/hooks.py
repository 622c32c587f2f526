"""Hook implementations of the export package: the admin menu entry of print templates."""
from __future__ import annotations

from procura import hookimpl
from procura.i18n import _
from procura.ui import MenuItem


@hookimpl
def procura_menu_items(request):
    return [MenuItem("admin_print_templates", _("Print templates"), route="admin_print_templates",
                     icon="bi-printer", order=910, permission="procura.admin", section="admin")]
