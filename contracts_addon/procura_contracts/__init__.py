"""Procura addon "contracts": Contract cards, document templates and approval routes with deadlines."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("procura_contracts")

ADDON = {
    "name": "contracts",
    "title": _("Contracts"),
    "version": "0.1.0",
    "depends": ["suppliers"],
    "description": _("Contract cards, document templates and approval routes with deadlines."),
}


def includeme(config):
    from procura.views.addon_page import add_addon_page

    config.add_translation_dirs("procura_contracts:locale/")
    add_addon_page(config, "contracts", "/contracts")
