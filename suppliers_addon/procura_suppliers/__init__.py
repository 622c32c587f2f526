"""Procura addon "suppliers": counterparties, catalogue, purchase requests, RFQs, orders and receipts."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("procura_suppliers")

ADDON = {
    "name": "suppliers",
    "title": _("Suppliers and purchasing"),
    "version": "0.1.0",
    "depends": [],
    "description": _(
        "Counterparties, the catalogue, purchase requests and their approval, requests for quotation, "
        "orders and receipts."
    ),
}


def includeme(config):
    from procura.views.addon_page import add_addon_page

    config.add_translation_dirs("procura_suppliers:locale/")
    add_addon_page(config, "suppliers", "/suppliers")
