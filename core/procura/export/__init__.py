"""Export and print: any list to CSV/XLSX, any object to PDF.

Routes::

    GET /t/{type}/export.csv | .xlsx     the list page's query (filters, category, sort, q, columns)
                                         as a streamed CSV or an XLSX; needs read and procura.export
    GET /t/{type}/{id}/print.pdf         the object through a print template (?template=<name>)
    /admin/print-templates               admins edit the print templates of every type

``procura.export.rows.export_rows`` is the reusable part (the REST API and jobs can stream from it).
"""
from __future__ import annotations

from procura.security.permissions import EXPORT as EXPORT_PERMISSION  # noqa: F401 - used by the views


def includeme(config):
    registry = config.registry
    # These routes must come before the generic /t/{type}/{id} of procura.types.views.
    config.add_route("type_export", "/t/{type}/export.{format:csv|xlsx}")
    config.add_route("type_print", "/t/{type}/{id}/print.pdf")
    config.add_route("admin_print_templates", "/admin/print-templates")
    config.add_route("admin_print_template", "/admin/print-templates/{type}/{name}")
    config.scan("procura.export.views")

    from procura.export import hooks

    pm = registry.procura_pm
    if not pm.is_registered(hooks):
        pm.register(hooks, name="procura.export")
