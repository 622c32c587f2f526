"""Notification texts: administrators' templates (type ``notification_template``) or built-in
defaults in Russian and English.

A template is a subject and a body with ``${name}`` placeholders (``string.Template`` syntax with
dotted names): ``${object.title}``, ``${object.id}``, ``${object.type}``, ``${object.status}``,
``${actor}``, ``${event}``, ``${changes}``, ``${comment}``, ``${text}``, ``${url}``,
``${recipient}``. Substitution only: no expressions, attributes or code are evaluated; an unknown
placeholder is refused with a message naming it. Values are plain text (escaped wherever they are
shown as HTML); fields the recipient may not read never reach a placeholder.
"""
from __future__ import annotations

import re
import string

from procura.i18n import _

PLACEHOLDERS = ("object.title", "object.id", "object.type", "object.status", "actor", "event", "changes",
                "comment", "text", "url", "recipient")
LANGUAGES = ("ru", "en")


class TemplateError(ValueError):
    """A template that cannot be rendered; ``str()`` says which placeholder and why."""


class _Template(string.Template):
    idpattern = r"(?a:[_a-z][_a-z0-9]*(?:\.[_a-z][_a-z0-9]*)?)"
    flags = re.IGNORECASE


def check(text: str) -> None:
    """Raise TemplateError for an unknown placeholder or a stray ``$``."""
    for match in _Template.pattern.finditer(text or ""):
        name = match.group("named") or match.group("braced")
        if match.group("invalid") is not None:
            line = (text or "")[:match.start("invalid")].count("\n") + 1
            raise TemplateError(f"line {line}: a '$' that starts no placeholder (write $$ for a dollar sign)")
        if name is not None and name not in PLACEHOLDERS:
            raise TemplateError(f"unknown placeholder ${{{name}}}; known: "
                                + ", ".join(f"${{{p}}}" for p in PLACEHOLDERS))


def substitute(text: str, values: dict) -> str:
    check(text)
    return _Template(text or "").substitute({k: ("" if v is None else str(v)) for k, v in values.items()})


# Built-in texts: event -> language -> (subject, body)
_FOOT = {"en": "\n\n${url}\n", "ru": "\n\n${url}\n"}
DEFAULTS = {
    "created": {"en": ("New ${object.type}: ${object.title}", "${actor} created ${object.type} ${object.title}."),
                "ru": ("Новая запись «${object.type}»: ${object.title}",
                       "${actor} создал(а) запись «${object.type}» ${object.title}.")},
    "changed": {"en": ("Changed: ${object.title}", "${actor} changed ${object.type} ${object.title}:\n${changes}"),
                "ru": ("Изменено: ${object.title}", "${actor} изменил(а) запись «${object.type}» ${object.title}:\n"
                       "${changes}")},
    "status_changed": {
        "en": ("${object.title}: ${object.status}",
               "${actor} moved ${object.type} ${object.title} to \"${object.status}\".\n${comment}"),
        "ru": ("${object.title}: ${object.status}",
               "${actor} перевёл(а) запись «${object.type}» ${object.title} в статус «${object.status}».\n${comment}")},
    "assigned": {"en": ("Assigned to you: ${object.title}", "${actor} assigned ${object.type} ${object.title} to you."),
                 "ru": ("Вам назначено: ${object.title}",
                        "${actor} назначил(а) вам запись «${object.type}» ${object.title}.")},
    "commented": {"en": ("New comment: ${object.title}", "${actor} commented on ${object.title}:\n\n${comment}"),
                  "ru": ("Новый комментарий: ${object.title}",
                         "${actor} прокомментировал(а) ${object.title}:\n\n${comment}")},
    "mentioned": {"en": ("You were mentioned: ${object.title}", "${actor} mentioned you on ${object.title}:\n\n"
                         "${comment}"),
                  "ru": ("Вас упомянули: ${object.title}",
                         "${actor} упомянул(а) вас в ${object.title}:\n\n${comment}")},
}
GENERIC = {"en": ("${event}: ${object.title}", "${actor}: ${event} — ${object.title}.\n${text}"),
           "ru": ("${event}: ${object.title}", "${actor}: ${event} — ${object.title}.\n${text}")}
ARROW = "→"


def default_template(event: str, lang: str) -> tuple[str, str]:
    subject, body = DEFAULTS.get(event, GENERIC).get(lang) or DEFAULTS.get(event, GENERIC)["en"]
    return subject, body.rstrip() + _FOOT[lang if lang in _FOOT else "en"]


def find_template(request, event: str, lang: str, channel: str, status: str | None):
    """The administrator's most specific template for the event, language, channel and status, or None."""
    from procura.types.content import container_for

    try:
        container = container_for(request.app_root, "notification_template")
    except KeyError:
        return None
    catalog = container.catalog
    q = catalog["event"].eq(event) & catalog["language"].eq(lang) & catalog["deleted"].eq(False)
    best, best_score = None, -1
    for docid in q.execute().ids:
        tpl = container[container.docids[docid]]
        if tpl.channel and tpl.channel != channel:
            continue
        if tpl.for_status and tpl.for_status != status:
            continue
        score = (2 if tpl.for_status else 0) + (1 if tpl.channel else 0)
        if score > best_score:
            best, best_score = tpl, score
    return best


def object_url(request, type_name, obj_id) -> str:
    public = (request.registry.settings.get("procura.public_url") or "").rstrip("/")
    if public:
        return public + request.route_path("type_detail", type=type_name, id=obj_id)
    return request.route_url("type_detail", type=type_name, id=obj_id)


def _display(request, info, obj, field, raw):
    """A changed value for text: JSON values of plain fields, titles of enumerations."""
    if raw is None or raw == "" or raw == []:
        return "—"
    choices = dict(getattr(field, "choices", None) or ())
    t = request.localizer.translate
    if choices and not isinstance(raw, (list, dict)):
        return t(choices.get(raw, raw))
    if isinstance(raw, list):
        return ", ".join(str(t(choices.get(v, v)) if choices else v) for v in raw)
    if isinstance(raw, bool):
        return t(_("Yes") if raw else _("No"))
    return str(raw)


def context(request, info, obj, event: str, payload: dict) -> dict:
    """Placeholder values for the recipient of ``request`` (fields they may not read are left out)."""
    from procura.security import get_user
    from procura.types import access
    from procura.types.feed import FeedEntry

    t = request.localizer.translate
    visible = {f.name for f in info.fields if access.field_access(request, info, f, obj) != access.HIDDEN}
    title = getattr(obj, info.title_field, None) if info.title_field in visible else None
    actor_login = payload.get("actor")
    actor = get_user(request.app_root, actor_login) if actor_login else None
    actor_name = getattr(actor, "display_name", None) or actor_login or t(_("System"))
    changes = []
    for name, pair in sorted((payload.get("changes") or {}).items()):
        f = info.field(name)
        if f is None or name not in visible:
            continue
        old, new = (list(pair) + [None, None])[:2]
        changes.append(f"{t(f.title)}: {_display(request, info, obj, f, old)} {ARROW} "
                       f"{_display(request, info, obj, f, new)}")
    comment = payload.get("comment") or ""
    if payload.get("entry_id"):
        for entry in getattr(obj, "feed", ()):
            if isinstance(entry, FeedEntry) and entry.id == payload["entry_id"]:
                comment = entry.text
    from procura.notify.center import notification_events

    declared = notification_events(request.registry).get(event)
    status = request.types.status_title(info, obj.status) if info.workflow else ""
    return {
        "object.title": str(title or obj.id), "object.id": obj.id, "object.type": t(info.title),
        "object.status": t(status) if status else "", "actor": actor_name,
        "event": t(declared.title) if declared else event, "changes": "\n".join(changes),
        "comment": comment, "text": payload.get("text") or "", "url": object_url(request, info.name, obj.id),
        "recipient": getattr(request.identity, "display_name", "") if request.identity is not None else "",
    }


def language_of(request) -> str:
    lang = str(getattr(request, "_LOCALE_", "") or request.locale_name or "en")[:2]
    return lang if lang in LANGUAGES else "en"


def render(request, info, obj, event: str, channel: str, payload: dict, template=None) -> tuple[str, str]:
    """(subject, body) for the recipient of ``request``: the given template, the administrator's,
    or the built-in default. A broken stored template falls back to the default (logged)."""
    lang = language_of(request)
    values = context(request, info, obj, event, payload)
    if template is not None:
        return substitute(template.subject, values).strip(), substitute(template.body, values)
    stored = find_template(request, event, lang, channel, obj.status)
    if stored is not None:
        try:
            return substitute(stored.subject, values).strip(), substitute(stored.body, values)
        except TemplateError:
            import logging

            logging.getLogger(__name__).exception("notification template %s is broken", stored.id)
    subject, body = default_template(event, lang)
    return substitute(subject, values).strip(), substitute(body, values)


def render_message(request, info, obj, event: str, channel: str, payload: dict):
    from procura.notify.center import Message, thread_id

    subject, body = render(request, info, obj, event, channel, payload)
    return Message(event=event, event_id=payload["event_id"], recipient=request.identity.login, email="",
                   locale=language_of(request), type_name=info.name, object_id=obj.id,
                   subject=" ".join(subject.split()), text=body, url=object_url(request, info.name, obj.id),
                   actor=payload.get("actor"), thread_id=thread_id(request, info.name, obj.id))
