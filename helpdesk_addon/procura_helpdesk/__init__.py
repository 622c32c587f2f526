"""Procura addon "helpdesk": Tickets, queues and service levels."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("procura_helpdesk")

ADDON = {
    "name": "helpdesk",
    "title": _("Service desk"),
    "version": "0.1.0",
    "depends": [],
    "description": _("Tickets, queues and service levels."),
}


def includeme(config):
    from procura.views.addon_page import add_addon_page

    config.add_translation_dirs("procura_helpdesk:locale/")
    add_addon_page(config, "helpdesk", "/helpdesk")
