"""Web pages and API endpoints of the notification centre.

::

    GET  /notify                                the signed-in user's notifications (newest first)
    GET  /notify/bell                           the bell fragment (unread count; htmx polls it)
    POST /notify/{id}/read                      mark one read            (CSRF)
    POST /notify/read-all                       mark all read            (CSRF)
    GET/POST /profile/notify                    the user's event x channel preferences (CSRF)
    GET/POST /admin/notify                      channel switches and role defaults (procura.admin, CSRF)
    POST /notify/subscribe/{type}/{id}          subscribe (``action=unsubscribe`` to leave) (CSRF)

    GET    /api/v1/{type}/{id}/subscribers      who follows the record, and whether the caller does
    POST   /api/v1/{type}/{id}/subscribers      follow it
    DELETE /api/v1/{type}/{id}/subscribers      stop following it

In-app notifications themselves are the type ``notification`` in the generic API
(``GET /api/v1/notification``, ``POST /api/v1/notification/<id>/actions/mark_read``).
"""
from __future__ import annotations

from html import escape

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from procura.i18n import _
from procura.notify import center
from procura.ui import RecordAction, RecordPanel

PAGE_SIZE = 50


def includeme(config):
    from procura.types import events as ev

    config.add_route("notifications", "/notify")
    config.add_route("notifications_bell", "/notify/bell")
    config.add_route("notifications_read_all", "/notify/read-all")
    config.add_route("notifications_read", "/notify/{id}/read")
    config.add_route("notify_prefs", "/profile/notify")
    config.add_route("notify_admin", "/admin/notify")
    config.add_route("notify_subscribe", "/notify/subscribe/{type}/{id}")
    config.add_route("api_type_subscribers", "/api/v1/{type}/{id}/subscribers", procura_type=True)
    config.add_request_method(center.unread_count, "notify_unread", reify=True)
    center.notification_events(config.registry)  # two addons declaring one event stop start-up here
    for event in (ev.ObjectCreated, ev.ObjectChanged, ev.ObjectStatusChanged, ev.ObjectCommented):
        config.add_subscriber(center.on_domain_event, event)
    config.scan("procura.notify.views")


def _t(request, msg):
    return request.localizer.translate(msg)


def _user(request):
    user = request.identity
    if user is None:
        raise HTTPForbidden()
    return user


def _notification_container(request):
    from procura.types.content import container_for

    return container_for(request.app_root, "notification")


def poll_seconds(request) -> int:
    try:
        return max(1, int(request.registry.settings.get("procura.notify.poll_seconds") or 30))
    except ValueError:
        return 30


# ---------------------------------------------------------------- the list and the bell
@view_config(route_name="notifications", renderer="procura:templates/notify/list.pt", permission="procura.view")
def list_view(request):
    from procura.types.formatting import format_datetime

    user = _user(request)
    container = _notification_container(request)
    catalog = container.catalog
    q = catalog["recipient"].eq(user.login) & catalog["deleted"].eq(False)
    if request.GET.get("unread"):
        q = q & catalog["read"].eq(False)
    ids = q.execute().ids
    ordered = list(catalog["created"].sort(ids, reverse=True, limit=PAGE_SIZE)) if ids else []
    types = request.registry.procura_types
    items = []
    for docid in ordered:
        n = container[container.docids[docid]]
        info = types.get(n.object_type)
        items.append({"id": n.id, "title": n.subject, "text": n.text, "read": bool(n.read),
                      "when": format_datetime(n.created, request) if n.created else "",
                      "type_title": _t(request, info.title) if info else n.object_type,
                      "url": request.route_url("type_detail", type=n.object_type, id=n.object_id) if info else None,
                      "read_url": request.route_url("notifications_read", id=n.id)})
    return {"items": items, "total": len(ids), "unread": request.notify_unread,
            "only_unread": bool(request.GET.get("unread"))}


@view_config(route_name="notifications_bell", renderer="procura:templates/notify/bell.pt")
def bell_view(request):
    if request.identity is None:  # signed out meanwhile: htmx stops polling on 286 (no sign-in page in the bell)
        return Response(status="286 Stop Polling", headers={"Cache-Control": "no-store"})
    request.response.headers["Cache-Control"] = "no-store"
    return {"unread": request.notify_unread}


@view_config(route_name="notifications_read", request_method="POST", permission="procura.view")
def read_view(request):
    user = _user(request)
    obj = _notification_container(request).get(request.matchdict["id"])
    if obj is None or obj.recipient != user.login:
        raise HTTPNotFound()
    center.mark_read(request, obj)
    return HTTPSeeOther(request.route_url("notifications"))


@view_config(route_name="notifications_read_all", request_method="POST", permission="procura.view")
def read_all_view(request):
    _user(request)
    count = center.mark_all_read(request)
    request.session.flash(_t(request, _("${count} notifications marked read", mapping={"count": count})), "success")
    return HTTPSeeOther(request.route_url("notifications"))


# ---------------------------------------------------------------- preferences
def _matrix(request, values_for):
    events = center.notification_events(request.registry)
    chans = center.channels(request.registry)
    rows = []
    for event in events.values():
        rows.append({"name": event.name, "title": _t(request, event.title),
                     "description": _t(request, event.description) if event.description else "",
                     "cells": [{"channel": name, "channel_title": _t(request, ch.title), "key": f"{event.name}:{name}",
                                "on": values_for(event, name)} for name, ch in chans.items()]})
    return rows, [{"name": name, "title": _t(request, ch.title)} for name, ch in chans.items()]


def _posted(request, rows) -> dict:
    return {cell["key"]: cell["key"] in request.POST for row in rows for cell in row["cells"]}


@view_config(route_name="notify_prefs", renderer="procura:templates/notify/prefs.pt", permission="procura.view",
             request_method=("GET", "POST"))
def prefs_view(request):
    user = _user(request)
    if request.method == "POST":
        rows, _chans = _matrix(request, lambda e, c: False)
        events = center.notification_events(request.registry)
        # only choices that differ from the defaults are the user's own (later role defaults still apply)
        chosen = {key: on for key, on in _posted(request, rows).items()
                  if on != center.default_wanted(request, user, events[key.rpartition(":")[0]], key.rpartition(":")[2])}
        center.set_user_prefs(request.app_root, user.login, chosen)
        request.session.flash(_t(request, _("Notification settings saved")), "success")
        return HTTPSeeOther(request.route_url("notify_prefs"))
    rows, chans = _matrix(request, lambda e, c: center.wants(request, user, e, c))
    off = [c["title"] for c in chans if not center.channel_enabled(request.app_root, c["name"])]
    return {"rows": rows, "channels": chans, "off": off}


@view_config(route_name="notify_admin", renderer="procura:templates/notify/admin.pt", permission="procura.admin",
             request_method=("GET", "POST"))
def admin_view(request):
    from procura.types.content import container_for

    roles = [(name, str(getattr(r, "label", None) or name))
             for name, r in container_for(request.app_root, "role").items() if not r.deleted]
    defaults = center.role_defaults(request.app_root)
    chans = center.channels(request.registry)
    if request.method == "POST":
        box = center.store(request.app_root, create=True)
        box.settings["channels"] = {name: f"channel:{name}" in request.POST for name in chans}
        stored = {}
        events = center.notification_events(request.registry)
        for role, _label in roles:
            rows, _c = _matrix(request, lambda e, c: False)
            # only what differs from the event's own default is a role default
            stored[role] = {key: on for key, on in ((cell["key"], f"{role}|{cell['key']}" in request.POST)
                                                    for row in rows for cell in row["cells"])
                            if on != (key.rpartition(":")[2] in events[key.rpartition(":")[0]].default_channels)}
        box.settings["roles"] = stored
        request.session.flash(_t(request, _("Notification settings saved")), "success")
        return HTTPSeeOther(request.route_url("notify_admin"))
    matrices = []
    for role, label in roles:
        values = defaults.get(role, {})
        rows, _c = _matrix(request, lambda e, c, values=values: values.get(f"{e.name}:{c}", c in e.default_channels))
        matrices.append({"role": role, "label": label, "rows": rows})
    return {"matrices": matrices,
            "channels": [{"name": n, "title": _t(request, c.title), "on": center.channel_enabled(request.app_root, n)}
                         for n, c in chans.items()]}


# ---------------------------------------------------------------- subscriptions
def _readable(request, type_name, obj_id):
    svc = request.types
    info = svc.info(type_name)
    return info, svc.get(info, obj_id, deleted=None)


@view_config(route_name="notify_subscribe", request_method="POST", permission="procura.view")
def subscribe_view(request):
    from procura.types.service import NotFound

    user = _user(request)
    try:
        info, obj = _readable(request, request.matchdict["type"], request.matchdict["id"])
    except NotFound:
        raise HTTPNotFound() from None
    if request.params.get("action") == "unsubscribe":
        center.unsubscribe(request.app_root, info.name, obj.id, user.login)
        request.session.flash(_t(request, _("You no longer follow this record")), "success")
    else:
        center.subscribe(request.app_root, info.name, obj.id, user.login)
        request.session.flash(_t(request, _("You follow this record now")), "success")
    return HTTPSeeOther(request.route_url("type_detail", type=info.name, id=obj.id))


def record_actions(request, info, obj) -> list:
    user = request.identity
    if user is None or info.name in center.QUIET_TYPES:
        return []
    following = user.login in center.subscribers(request.app_root, info.name, obj.id)
    url = request.route_url("notify_subscribe", type=info.name, id=obj.id)
    if following:
        url += "?action=unsubscribe"
        return [RecordAction("notify-unsubscribe", _("Unfollow"), url, icon="bi-bell-slash", method="post",
                             order=150)]
    return [RecordAction("notify-subscribe", _("Follow"), url, icon="bi-bell", method="post", order=150)]


def record_panels(request, info, obj) -> list:
    from procura.security import get_user

    if request.identity is None or info.name in center.QUIET_TYPES:
        return []
    logins = center.subscribers(request.app_root, info.name, obj.id)
    if not logins:
        nobody = _t(request, _("Nobody follows this record"))
        body = f'<p class="text-body-secondary small mb-0">{escape(nobody)}</p>'
    else:
        names = []
        for login in logins:
            u = get_user(request.app_root, login)
            names.append(f'<li data-login="{escape(login)}">{escape(getattr(u, "display_name", None) or login)}</li>')
        body = '<ul class="list-unstyled small mb-0" id="subscribers">' + "".join(names) + "</ul>"
    return [RecordPanel("notify-subscribers", _("Followers"), body, order=300, side=True)]


# ---------------------------------------------------------------- API
def _api_subscribers(request, info, obj):
    from procura.security import get_user

    logins = center.subscribers(request.app_root, info.name, obj.id)
    me = request.identity.login if request.identity is not None else None
    return {"subscribers": [{"login": login, "name": getattr(get_user(request.app_root, login), "display_name", login)}
                            for login in logins],
            "subscribed": me in logins}


def _api_view(fn):
    from procura.api.types import api_view

    return api_view(fn)


@view_config(route_name="api_type_subscribers", request_method=("GET", "POST", "DELETE"), renderer="json",
             permission="procura.view")
@_api_view
def api_subscribers(request):
    from procura.api.types import type_info

    info = type_info(request)
    obj = request.types.get(info, request.matchdict["id"], deleted=None)
    user = request.identity
    if request.method == "POST":
        center.subscribe(request.app_root, info.name, obj.id, user.login)
    elif request.method == "DELETE":
        center.unsubscribe(request.app_root, info.name, obj.id, user.login)
    return _api_subscribers(request, info, obj)
