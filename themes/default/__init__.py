"""The default theme: Bootstrap 5 layout with a collapsible left navigation."""
from procura.i18n import _

THEME = {
    "name": "default",
    "title": _("Default"),
    "layout": "procura_themes.default:templates/layout.pt",
    "static": "procura_themes.default:static/",
}
