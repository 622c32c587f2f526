"""A small Telegram Bot API client (https://core.telegram.org/bots/api) over HTTPS with JSON.

Only what Procura needs: ``getMe``, ``sendMessage``, ``getUpdates`` (long polling, for linking a
user's chat with the ``/start <code>`` deep link) and ``setWebhook``. The API address is a setting
(``procura.telegram.api_url``) so tests talk to a local server that speaks the same protocol.
The bot token is part of every URL: it is never logged (errors name the method, not the URL).
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

log = logging.getLogger(__name__)


class TelegramError(Exception):
    """The Bot API refused or could not be reached; the message names the method and the reason."""


class TelegramBot:
    def __init__(self, token: str, api_url: str = "https://api.telegram.org", timeout: float = 10.0):
        if not token:
            raise TelegramError("No Telegram bot token is configured (procura.telegram.token)")
        self.token, self.api_url, self.timeout = token, api_url.rstrip("/"), timeout

    def call(self, method: str, **params):
        body = json.dumps({k: v for k, v in params.items() if v is not None}).encode()
        if not self.api_url.startswith(("https://", "http://")):
            raise TelegramError(f"Telegram {method}: the API address must be http(s)")
        request = urllib.request.Request(f"{self.api_url}/bot{self.token}/{method}", data=body,  # noqa: S310
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - https/loopback
                payload = json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            try:
                payload = json.loads(exc.read().decode())
            except ValueError:
                raise TelegramError(f"Telegram {method}: HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise TelegramError(f"Telegram {method}: {exc.__class__.__name__}: {exc}") from None
        if not payload.get("ok"):
            raise TelegramError(f"Telegram {method}: {payload.get('error_code')} {payload.get('description')}")
        return payload.get("result")

    def get_me(self) -> dict:
        return self.call("getMe")

    def send_message(self, chat_id, text: str, **extra) -> dict:
        return self.call("sendMessage", chat_id=chat_id, text=text, **extra)

    def get_updates(self, offset: int | None = None, timeout: int = 0) -> list[dict]:
        return self.call("getUpdates", offset=offset, timeout=timeout, allowed_updates=["message"]) or []


def bot_for(settings: dict) -> TelegramBot:
    return TelegramBot(settings.get("procura.telegram.token") or "",
                       settings.get("procura.telegram.api_url") or "https://api.telegram.org")


def start_codes(updates: list[dict]) -> list[tuple[str, int, dict]]:
    """``(code, chat id, sender)`` of every ``/start <code>`` message in ``updates``."""
    out = []
    for update in updates:
        message = update.get("message") or {}
        text = (message.get("text") or "").strip()
        chat = message.get("chat") or {}
        if text.startswith("/start ") and chat.get("id") is not None:
            out.append((text.split(None, 1)[1].strip(), chat["id"], message.get("from") or {}))
    return out
