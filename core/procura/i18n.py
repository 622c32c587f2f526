"""Translation helpers and locale negotiation.

Every user-visible string goes through ``_`` (domain ``procura``); addons make their own factory
with their own domain. The locale of a request is, in order: an explicit ``_LOCALE_`` parameter,
the ``procura_lang`` cookie set by the language switch, the signed-in user's preference, the
browser's ``Accept-Language``, then the ``procura.default_locale`` setting.
"""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("procura")

LANGUAGES = {"ru": "Русский", "en": "English"}
LOCALE_COOKIE = "procura_lang"


def negotiate_locale(request):
    settings = request.registry.settings
    available = settings.get("procura.available_locales", list(LANGUAGES))
    for candidate in (
        getattr(request, "_LOCALE_", None),
        request.params.get("_LOCALE_"),
        request.cookies.get(LOCALE_COOKIE),
        _user_locale(request),
    ):
        if candidate in available:
            return candidate
    default = settings.get("procura.default_locale", "ru")
    return request.accept_language.lookup(list(available), default=default)


def _user_locale(request):
    try:
        user = request.identity
    except Exception:  # noqa: BLE001 - a broken identity must never break rendering
        return None
    return getattr(user, "locale", None) if user is not None else None
