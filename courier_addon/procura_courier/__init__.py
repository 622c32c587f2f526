"""Procura addon "courier": Deliveries by courier with route planning."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("procura_courier")

ADDON = {
    "name": "courier",
    "title": _("Courier delivery"),
    "version": "0.1.0",
    "depends": [],
    "description": _("Deliveries by courier with route planning."),
}


def includeme(config):
    from procura.views.addon_page import add_addon_page

    config.add_translation_dirs("procura_courier:locale/")
    add_addon_page(config, "courier", "/courier")
