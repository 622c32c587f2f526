"""Connecting a user's Telegram chat: the profile page gives a one-time code and the bot's link
``https://t.me/<bot>?start=<code>``; when the user presses Start, Telegram sends the bot
``/start <code>``. ``poll_links`` reads the bot's updates (long polling with ``getUpdates``; also run
every minute by the worker) and stores the chat id of every user whose code arrived. Codes expire
after 30 minutes and work once."""
from __future__ import annotations

import datetime as dt
import logging

from procura.notify.telegram import bot_for, start_codes
from procura.security.store import auth_store

log = logging.getLogger(__name__)


def poll_links(request) -> int:
    """Fetch the bot's new updates and link the chats whose codes arrived; returns how many."""
    from procura.security import get_user

    settings = request.registry.settings
    if not (settings.get("procura.telegram.token") or "").strip():
        return 0
    store = auth_store(request.app_root)
    offset = int(getattr(store, "telegram_offset", 0) or 0)
    updates = bot_for(settings).get_updates(offset=offset + 1 if offset else None)
    linked = 0
    now = dt.datetime.now(dt.UTC)
    for code, chat_id, _sender in start_codes(updates):
        entry = store.telegram_links.get(code)
        if entry is None or entry["expires"] <= now:
            continue
        user = get_user(request.app_root, entry["login"])
        if user is not None:
            user.telegram_chat_id = chat_id
            linked += 1
        del store.telegram_links[code]
    if updates:
        store.telegram_offset = max(u.get("update_id", 0) for u in updates)
    return linked
