"""The notification centre: domain events become notifications for the subscribers of an object.

Flow: the service path fires domain events after commit (``procura.types.events``); the subscribers
here turn each one into a plain payload with a fresh event id and queue the job
``procura.notify.dispatch`` (inline in tests). The job, in a transaction of its own:

1. subscribes the actor of a creation, newly assigned users and mentioned users to the object;
2. picks the recipients: the object's subscribers (plus the assigned/mentioned users for those
   events) minus the actor, and only users who may read the object now (checked with a request
   for that user through ``procura.types.access``; portal users never hear of internal notes);
3. for every recipient and every channel the recipient's preferences leave on (``prefs``), renders
   the message in the recipient's language (templates: ``procura.notify.templates``; hidden
   fields never appear) and hands it to the channel, unless the dedupe key
   ``<event id>:<login>:<channel>`` was recorded already: a retried task never delivers twice.

Channels (:class:`Channel`) are pluggable: ``inapp`` (the ``notification`` type, the bell) and
``email`` (``procura.mail``, threaded per object) are the core's; Telegram, SMS or web push add
theirs with :func:`register_channel`. Addons declare further events with the hook
``procura_notification_events`` and raise them with :func:`notify_event`.
"""
from __future__ import annotations

import abc
import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.mapping import PersistentMapping

from procura.i18n import _

log = logging.getLogger(__name__)

NOTIFY_KEY = "notify"
DISPATCH_JOB = "procura.notify.dispatch"


# ---------------------------------------------------------------- events
@dataclass(frozen=True)
class NotificationEvent:
    """A kind of notification users can choose channels for (``procura_notification_events``).

    ``name``: unique, e.g. ``"contracts.expiring"``; ``title``/``description``: shown on the
    preferences matrix; ``default_channels``: the channels on when neither the user nor a role
    default says otherwise.
    """

    name: str
    title: Any
    description: Any = ""
    default_channels: tuple[str, ...] = ("inapp", "email")


CORE_EVENTS = [
    NotificationEvent("created", _("Record created"), _("A record you follow was created")),
    NotificationEvent("changed", _("Record changed"), _("Fields of a record you follow changed"), ("inapp",)),
    NotificationEvent("status_changed", _("Status changed"), _("A record you follow moved to another status")),
    NotificationEvent("assigned", _("Assigned to you"), _("A record was assigned to you")),
    NotificationEvent("commented", _("New comment"), _("Someone commented on a record you follow")),
    NotificationEvent("mentioned", _("Mentioned"), _("Someone mentioned you in a comment")),
]


class NotifyError(Exception):
    """A notification declaration or template that cannot be used; the message says why."""


def notification_events(registry) -> dict[str, NotificationEvent]:
    """Every event users can be notified of: the core's, then the addons' (declared once each)."""
    events = getattr(registry, "procura_notification_events", None)
    if events is not None:
        return events
    events = {e.name: e for e in CORE_EVENTS}
    pm = getattr(registry, "procura_pm", None)
    if pm is not None:
        for impl in pm.hook.procura_notification_events.get_hookimpls():
            for event in impl.function() or []:
                if event.name in events:
                    raise NotifyError(f"the notification event '{event.name}' is declared twice "
                                      f"(again by '{impl.plugin_name}')")
                events[event.name] = event
    registry.procura_notification_events = events
    return events


# ---------------------------------------------------------------- channels
@dataclass
class Message:
    """One notification for one recipient on one channel, already rendered in their language."""

    event: str
    event_id: str
    recipient: str
    email: str
    locale: str
    type_name: str
    object_id: str
    subject: str
    text: str
    url: str
    actor: str | None = None
    thread_id: str = ""
    extra: dict = field(default_factory=dict)


class Channel(abc.ABC):
    """A way to reach a user. Subclasses set ``name``/``title`` and implement :meth:`deliver`.

    ``deliver`` runs inside the dispatch job's transaction with a system ``request``; work outside
    the database (mail, HTTP) must be done after commit (``request.tm.get().addAfterCommitHook``)
    so a retried job, which skips what was recorded as delivered, sends nothing twice.
    """

    name = ""
    title: Any = ""

    def available(self, request, user) -> bool:
        return True

    @abc.abstractmethod
    def deliver(self, request, message: Message) -> None:
        """Deliver ``message`` (record it in the database; external sends after commit)."""


class InAppChannel(Channel):
    name, title = "inapp", _("In the app")

    def deliver(self, request, message):
        svc = request.types
        svc.create(svc.info("notification"), {
            "recipient": message.recipient, "event": message.event, "event_id": message.event_id,
            "object_type": message.type_name, "object_id": message.object_id, "actor": message.actor,
            "subject": message.subject[:200], "text": message.text, "read": False,
        }, owner=message.recipient)


class EmailChannel(Channel):
    name, title = "email", _("Email")

    def available(self, request, user):
        return bool(getattr(user, "email", None))

    def deliver(self, request, message):
        from procura.mail import send_after_commit

        send_after_commit(request, message.email, message.subject, message.text,
                          in_reply_to=message.thread_id, references=[message.thread_id],
                          headers={"X-Procura-Event": message.event, "Content-Language": message.locale})


def channels(registry) -> dict[str, Channel]:
    found = getattr(registry, "procura_notify_channels", None)
    if found is None:
        found = registry.procura_notify_channels = {"inapp": InAppChannel(), "email": EmailChannel()}
    return found


def register_channel(registry, channel: Channel) -> None:
    """Add a channel (Telegram, SMS, web push); its name must be new."""
    known = channels(registry)
    if channel.name in known:
        raise NotifyError(f"the notification channel '{channel.name}' is registered twice")
    known[channel.name] = channel


# ---------------------------------------------------------------- persistent store
class NotifyStore(Persistent):
    """``root["notify"]``: subscriptions, delivered dedupe keys, user preferences, admin settings."""

    def __init__(self):
        self.subscriptions = OOBTree()  # "type/id" -> tuple of logins
        self.delivered = OOBTree()  # "<event id>:<login>:<channel>" -> datetime
        self.prefs = OOBTree()  # login -> {"event:channel": bool}
        self.settings = PersistentMapping()  # "channels": {name: bool}, "roles": {role: {"event:channel": bool}}


def store(app_root, *, create: bool = False) -> NotifyStore:
    found = app_root.get(NOTIFY_KEY) if hasattr(app_root, "get") else None
    if found is None:
        if not create:
            return NotifyStore()  # nothing stored yet: empty, not saved
        app_root.add(NOTIFY_KEY, NotifyStore())
        found = app_root[NOTIFY_KEY]
    return found


def _key(type_name, obj_id) -> str:
    return f"{type_name}/{obj_id}"


def subscribers(app_root, type_name, obj_id) -> tuple[str, ...]:
    return tuple(store(app_root).subscriptions.get(_key(type_name, obj_id), ()))


def subscribe(app_root, type_name, obj_id, login) -> bool:
    current = subscribers(app_root, type_name, obj_id)
    if not login or login in current:
        return False
    store(app_root, create=True).subscriptions[_key(type_name, obj_id)] = tuple(sorted({*current, login}))
    return True


def unsubscribe(app_root, type_name, obj_id, login) -> bool:
    current = subscribers(app_root, type_name, obj_id)
    if login not in current:
        return False
    rest = tuple(x for x in current if x != login)
    box = store(app_root, create=True).subscriptions
    if rest:
        box[_key(type_name, obj_id)] = rest
    else:
        del box[_key(type_name, obj_id)]
    return True


# ---------------------------------------------------------------- preferences
def channel_enabled(app_root, channel: str) -> bool:
    """Whether an administrator left the channel on for everybody."""
    return bool(dict(store(app_root).settings.get("channels") or {}).get(channel, True))


def role_defaults(app_root) -> dict:
    return {role: dict(values) for role, values in (store(app_root).settings.get("roles") or {}).items()}


def user_prefs(app_root, login) -> dict:
    return dict(store(app_root).prefs.get(login) or {})


def default_wanted(request, user, event: NotificationEvent, channel: str) -> bool:
    """Before the user chooses: any of their roles' defaults turning it on wins, else all roles that
    state it off turn it off, else the event's own default."""
    from procura.security.grants import Grants

    roles = role_defaults(request.app_root)
    stated = [roles[name][f"{event.name}:{channel}"] for name in Grants(request, user).role_names
              if f"{event.name}:{channel}" in roles.get(name, {})]
    if stated:
        return any(stated)
    return channel in event.default_channels


def wants(request, user, event: NotificationEvent, channel: str) -> bool:
    if not channel_enabled(request.app_root, channel):
        return False
    own = user_prefs(request.app_root, user.login)
    if f"{event.name}:{channel}" in own:
        return bool(own[f"{event.name}:{channel}"])
    return default_wanted(request, user, event, channel)


def set_user_prefs(app_root, login, values: dict) -> None:
    store(app_root, create=True).prefs[login] = {str(k): bool(v) for k, v in values.items()}


# ---------------------------------------------------------------- from domain events to jobs
def on_domain_event(event) -> None:
    """Pyramid subscriber (after commit): queue the dispatch of a domain event."""
    from procura.types import events as ev

    payload = {"event_id": uuid.uuid4().hex, "type": event.type_name, "id": event.id, "actor": event.user}
    if isinstance(event, ev.ObjectCreated):
        payload["kind"] = "created"
    elif isinstance(event, ev.ObjectStatusChanged):
        payload.update(kind="status_changed", old=event.old, new=event.new, comment=event.comment)
    elif isinstance(event, ev.ObjectChanged):
        payload.update(kind="changed", changes=event.changes)
    elif isinstance(event, ev.ObjectCommented):
        payload.update(kind="commented", entry_id=event.entry_id, internal=event.internal,
                       mentions=list(event.mentions))
    else:
        return
    registry = event.registry
    if registry is None or event.type_name in QUIET_TYPES:
        return
    queue(registry, payload)


QUIET_TYPES = {"notification", "notification_template"}


def queue(registry, payload: dict) -> None:
    """Run the dispatch job now (inline mode, tests) or hand it to the broker."""
    from procura.jobs import celery_app
    from procura.settings import as_bool

    settings = registry.settings
    inline = as_bool(settings.get("procura.jobs.inline", "false")) or as_bool(settings.get("procura.testing", "false"))
    try:
        if inline:
            from procura.types.system import in_own_transaction

            in_own_transaction(registry, lambda request: dispatch(request, payload), note=DISPATCH_JOB)
        else:
            celery_app.send_task(DISPATCH_JOB, args=[payload])
    except Exception:  # noqa: BLE001 - the change is committed; a failed notification is logged
        log.exception("notification dispatch failed for %s/%s", payload.get("type"), payload.get("id"))


def notify_event(request, event_name: str, obj, *, text: str = "", recipients=()) -> None:
    """Raise an addon's own event (declared with ``procura_notification_events``) about ``obj``,
    once the current transaction commits: to the object's subscribers plus ``recipients``."""
    payload = {"event_id": uuid.uuid4().hex, "type": obj.type_name, "id": obj.id, "kind": event_name,
               "actor": request.identity.login if request.identity is not None else None,
               "text": text, "recipients": list(recipients)}
    registry = request.registry

    def hook(success):
        if success:
            queue(registry, payload)

    request.tm.get().addAfterCommitHook(hook)


# ---------------------------------------------------------------- the dispatch job
def _assigned(info, changes: dict) -> list[str]:
    out = []
    for name, pair in (changes or {}).items():
        f = info.field(name)
        if f is not None and getattr(f, "assignment", False) and pair and pair[-1]:
            value = pair[-1]
            out.extend(value if isinstance(value, list) else [value])
    return [v for v in out if isinstance(v, str)]


def user_request(request, user):
    """A request acting as ``user`` (never the system) on the job's connection, in their language."""
    from procura.types.system import system_request

    locale = getattr(user, "locale", None) or request.registry.settings.get("procura.default_locale", "en")
    req = system_request(request.registry, request.app_root, request.tm, locale=locale)
    req.procura_system = False
    req.__dict__["_procura_identity"] = user
    req.__dict__.pop("_procura_grants", None)
    return req


def dispatch(request, payload: dict) -> dict:
    """Deliver the notifications of one event (idempotent); returns ``{channel: count}``."""
    from procura.security import get_user
    from procura.types import access
    from procura.types.content import container_for
    from procura.types.feed import is_portal_user

    registry = request.registry
    info = registry.procura_types.get(payload["type"])
    if info is None:
        return {}
    obj = container_for(request.app_root, info.name).get(payload["id"])
    if obj is None or obj.deleted:
        return {}
    root = request.app_root
    kind, actor = payload["kind"], payload.get("actor")
    # (login, event name) pairs; a user gets one notification per domain event, the most specific
    targets: dict[str, str] = {}
    if kind == "created" and actor:
        subscribe(root, info.name, obj.id, actor)
    assigned = _assigned(info, payload.get("changes") or {}) if kind in ("created", "changed") else []
    if kind == "created":
        assigned = [v for f in info.fields if getattr(f, "assignment", False)
                    for v in [getattr(obj, f.name, None)] if isinstance(v, str) and v]
    mentions = list(payload.get("mentions") or [])
    for login in subscribers(root, info.name, obj.id):
        targets[login] = kind
    for login in payload.get("recipients") or ():
        targets[login] = kind
    for login in assigned:
        subscribe(root, info.name, obj.id, login)
        targets[login] = "assigned"
    for login in mentions:
        subscribe(root, info.name, obj.id, login)
        targets[login] = "mentioned"
    targets.pop(actor, None)
    if not targets:
        return {}
    events = notification_events(registry)
    known = channels(registry)
    done = store(root, create=True).delivered
    counts: dict[str, int] = {}
    from procura.notify.templates import render_message

    for login, event_name in sorted(targets.items()):
        if login == actor or event_name not in events:
            continue
        user = get_user(root, login)
        if user is None or not getattr(user, "active", True):
            continue
        ureq = user_request(request, user)
        if not access.can(ureq, "read", info, obj):
            continue  # never notify about what someone cannot see
        if payload.get("internal") and is_portal_user(user):
            continue
        for name, channel in known.items():
            key = f"{payload['event_id']}:{login}:{name}"
            if key in done or not wants(ureq, user, events[event_name], name) or not channel.available(ureq, user):
                continue
            message = render_message(ureq, info, obj, event_name, name, payload)
            message.email = getattr(user, "email", None) or ""
            channel.deliver(request, message)
            done[key] = dt.datetime.now(dt.UTC)
            counts[name] = counts.get(name, 0) + 1
    return counts


def thread_id(request, type_name, obj_id) -> str:
    """The stable per-object mail thread id (``In-Reply-To``/``References`` of every mail about it)."""
    from procura.mail import _domain

    sender = request.registry.settings.get("procura.mail.from") or "procura@localhost"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{type_name}-{obj_id}")
    return f"<object-{safe}@{_domain(sender)}>"


# ---------------------------------------------------------------- in-app notifications
def unread_count(request) -> int:
    from procura.types.content import container_for

    user = request.identity
    if user is None:
        return 0
    try:
        catalog = container_for(request.app_root, "notification").catalog
    except KeyError:
        return 0
    q = catalog["recipient"].eq(user.login) & catalog["read"].eq(False) & catalog["deleted"].eq(False)
    return len(q.execute())


def mark_read(request, obj) -> bool:
    """Mark one of the current user's notifications read (system-only records: written here)."""
    from procura.types.service import NotFound

    user = request.identity
    if user is None or obj.type_name != "notification" or obj.recipient != user.login:
        raise NotFound(obj.id)
    if obj.read:
        return False
    obj.read = True
    info = request.registry.procura_types["notification"]
    from procura.types.content import container_for

    container_for(request.app_root, "notification").index(obj, info)
    return True


def mark_all_read(request) -> int:
    from procura.types.content import container_for

    user = request.identity
    container = container_for(request.app_root, "notification")
    catalog = container.catalog
    q = catalog["recipient"].eq(user.login) & catalog["read"].eq(False) & catalog["deleted"].eq(False)
    count = 0
    for docid in list(q.execute().ids):
        if mark_read(request, container[container.docids[docid]]):
            count += 1
    return count
