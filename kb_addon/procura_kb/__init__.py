"""Procura addon "kb": Articles for staff and for the portals."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("procura_kb")

ADDON = {
    "name": "kb",
    "title": _("Knowledge base"),
    "version": "0.1.0",
    "depends": [],
    "description": _("Articles for staff and for the portals."),
}


def includeme(config):
    from procura.views.addon_page import add_addon_page

    config.add_translation_dirs("procura_kb:locale/")
    add_addon_page(config, "kb", "/kb")
