"""Hook implementations of the "suppliers" addon."""
from procura import hookimpl
from procura.views.addon_page import addon_menu_item

from procura_suppliers import ADDON, _


@hookimpl
def procura_menu_items(request):
    return [addon_menu_item("suppliers", ADDON["title"], "bi-building", 20)]


@hookimpl
def procura_register_types():
    from procura_suppliers.types import TYPES

    return list(TYPES)


@hookimpl
def procura_extend_types():
    from procura.types import fields as f

    # Portal users belong to a counterparty: their scope "counterparty" is that one's records. Only
    # administrators set it (a user may not move themselves to another counterparty).
    field = f.Link("counterparty", _("Counterparty"), target="counterparty", indexed=True,
                   description=_("For portal users: the supplier or customer they act for."))
    field.role_access = {"user": "read", "portal": "read"}
    return {"user": [field]}


@hookimpl
def procura_register_roles():
    from procura.security.roles import RoleDecl

    return [RoleDecl("buyer", _("Buyer"), _("Counterparties, catalogue, requests for quotation and orders."))]


@hookimpl
def procura_demo_data(root, addon, echo, request):
    if addon != ADDON["name"]:
        return
    from procura_suppliers.demo import load

    load(request, echo)


@hookimpl
def procura_demo_logins():
    from procura_suppliers.demo import DEMO_LOGINS

    return list(DEMO_LOGINS)
