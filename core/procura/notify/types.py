"""The types of the notification centre: ``notification`` (in-app, one per recipient, written by the
system; each user reads only their own) and ``notification_template`` (administrators' texts)."""
from __future__ import annotations

import colander

from procura.i18n import _
from procura.types import Operation, TypeInfo
from procura.types import fields as f


def _mark_read(request, obj, appstruct):
    from procura.notify.center import mark_read

    mark_read(request, obj)
    return {}


def _unread_and_mine(request, obj):
    user = request.identity
    return user is not None and obj.recipient == user.login and not obj.read


NOTIFICATION = TypeInfo(
    name="notification", title=_("Notification"), plural=_("Notifications"), icon="bi-bell",
    menu=False, searchable=False, system_only=True, personal=True, title_field="subject",
    fields=[
        f.String("subject", _("Subject"), readonly=True),
        f.Text("text", _("Text"), readonly=True),
        f.String("recipient", _("Recipient"), readonly=True, indexed=True),
        f.String("event", _("Event"), readonly=True, indexed=True),
        f.String("event_id", _("Event id"), readonly=True, in_list=False),
        f.String("object_type", _("Record type"), readonly=True, indexed=True),
        f.String("object_id", _("Record"), readonly=True, indexed=True),
        f.String("actor", _("By"), readonly=True),
        f.Boolean("read", _("Read"), indexed=True, default=False, readonly=True),
    ],
    list_columns=["subject", "event", "read", "created"],
    default_roles={"read": {"user": "own", "portal": "own"}},
    operations=[Operation("mark_read", _("Mark read"), _mark_read, action="read", available=_unread_and_mine,
                          icon="bi-check2", menu=False)],
)


def _validate_template(request, obj, values):
    from procura.notify.center import channels, notification_events
    from procura.notify.templates import TemplateError, check

    errors = {}
    if values.get("event") and values["event"] not in notification_events(request.registry):
        errors["event"] = _("Unknown event '${name}'", mapping={"name": values["event"]})
    if values.get("channel") and values["channel"] not in channels(request.registry):
        errors["channel"] = _("Unknown channel '${name}'", mapping={"name": values["channel"]})
    for name in ("subject", "body"):
        try:
            check(values.get(name) or "")
        except TemplateError as exc:
            errors[name] = _("Template error: ${error}", mapping={"error": str(exc)})
    return errors


def _preview_schema(request):
    schema = colander.SchemaNode(colander.Mapping(), name="preview")
    schema.add(colander.SchemaNode(colander.String(), name="object_type", title=_("Record type")))
    schema.add(colander.SchemaNode(colander.String(), name="object_id", title=_("Record")))
    return schema


def _preview(request, tpl, appstruct):
    from procura.notify.templates import TemplateError, render
    from procura.types.service import ValidationFailed

    svc = request.types
    info = svc.info(appstruct["object_type"])
    obj = svc.get(info, appstruct["object_id"])
    payload = {"event_id": "preview", "actor": request.identity.login if request.identity else None,
               "changes": {}, "comment": "", "text": ""}
    try:
        subject, body = render(request, info, obj, tpl.event, tpl.channel or "email", payload, template=tpl)
    except TemplateError as exc:
        t = request.localizer.translate
        raise ValidationFailed({"body": t(_("Template error: ${error}", mapping={"error": str(exc)}))}) from None
    return {"subject": subject, "body": body}


class _ChoiceOf(f.String):
    """A name from a list known only at run time (the events or the channels of the installation):
    stored as the name, chosen from a select of their titles."""

    def setup(self, options=None, empty=None, **kw):
        super().setup(**kw)
        self.options, self.empty = options, empty

    def widget(self, request=None):
        import deform

        if request is None or self.options is None:
            return None
        t = request.localizer.translate
        values = [(name, t(title)) for name, title in self.options(request.registry)]
        return deform.widget.SelectWidget(values=([("", t(self.empty))] if self.empty else []) + values)


def _event_options(registry):
    from procura.notify.center import notification_events

    return [(name, event.title) for name, event in notification_events(registry).items()]


def _channel_options(registry):
    from procura.notify.center import channels

    return [(name, channel.title) for name, channel in channels(registry).items()]


NOTIFICATION_TEMPLATE = TypeInfo(
    name="notification_template", title=_("Notification template"), plural=_("Notification templates"),
    icon="bi-envelope-paper", admin=True, menu_order=40, searchable=False, title_field="subject",
    validate=_validate_template,
    description=_("Placeholders: ${object.title}, ${object.id}, ${object.type}, ${object.status}, ${actor}, "
                  "${event}, ${changes}, ${comment}, ${text}, ${url}, ${recipient}."),
    fields=[
        _ChoiceOf("event", _("Event"), required=True, indexed=True, options=_event_options),
        f.String("for_status", _("Status"), indexed=True, description=_("Only for records in this status (optional)")),
        _ChoiceOf("channel", _("Channel"), indexed=True, options=_channel_options, empty=_("Every channel")),
        f.Enum("language", _("Language"), choices=[("ru", "Русский"), ("en", "English")], required=True,
               indexed=True),
        f.String("subject", _("Subject"), required=True),
        f.Text("body", _("Text"), required=True),
    ],
    list_columns=["event", "language", "channel", "subject"],
    operations=[Operation("preview", _("Preview"), _preview, action="edit", schema=_preview_schema,
                          icon="bi-eye", result_titles={"subject": _("Subject"), "body": _("Text")})],
)

NOTIFY_TYPES = [NOTIFICATION, NOTIFICATION_TEMPLATE]
