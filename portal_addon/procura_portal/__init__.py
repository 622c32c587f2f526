"""Procura addon "portal": Self-service portals for customers and suppliers."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("procura_portal")

ADDON = {
    "name": "portal",
    "title": _("Portals"),
    "version": "0.1.0",
    "depends": ["suppliers"],
    "description": _("Self-service portals for customers and suppliers."),
}


def includeme(config):
    from procura.views.addon_page import add_addon_page

    config.add_translation_dirs("procura_portal:locale/")
    add_addon_page(config, "portal", "/portal")
