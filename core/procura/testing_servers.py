"""Real servers on loopback for tests (used by the ``smtp_server`` and ``telegram_server`` fixtures
of ``procura.testing``): an SMTP server (aiosmtpd, a test extra) that keeps what it receives, and
a fake Telegram Bot API that speaks the real protocol (``POST /bot<token>/<method>`` with JSON,
answers ``{"ok": true, "result": ...}``) and keeps the messages the bot sent.
"""
from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class SmtpSink:
    """An SMTP server on ``127.0.0.1:<port>``; ``messages`` are the received mails (``EmailMessage``)."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host, self.port = host, free_port(host)
        self.messages: list = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        msg.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list:
        """The received messages once there are at least ``count`` (mail after commit is asynchronous
        only in the sense that it is sent after the response is built)."""
        return _wait(lambda: self.messages if len(self.messages) >= count else None, timeout,
                     f"{count} mail(s) at the SMTP server")

    @staticmethod
    def text(msg) -> str:
        part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        return part.get_content()


class FakeTelegram:
    """A local Telegram Bot API for one bot token: ``sent`` holds ``sendMessage`` calls' JSON bodies;
    ``updates`` are served by ``getUpdates`` (``add_start`` queues a user's ``/start <code>``)."""

    def __init__(self, token: str = "123456:TEST-token", host: str = "127.0.0.1"):  # noqa: S107 - a fake bot
        self.token = token
        self.sent: list[dict] = []
        self.updates: list[dict] = []
        self.calls: list[str] = []
        self._next_update = 1
        self._next_message = 1
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload = fake.handle(self.path, raw)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.api_url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, raw: bytes):
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
        if match is None or match.group(1) != self.token:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        method = match.group(2)
        self.calls.append(method)
        try:
            params = json.loads(raw.decode() or "{}")
        except ValueError:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"}
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "Procura",
                                                "username": "procura_test_bot"}}
        if method == "sendMessage":
            if not params.get("chat_id") or not params.get("text"):
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id and text needed"}
            self.sent.append(params)
            message_id, self._next_message = self._next_message, self._next_message + 1
            return 200, {"ok": True, "result": {
                "message_id": message_id, "date": int(time.time()), "text": params["text"],
                "chat": {"id": params["chat_id"], "type": "private"},
                "from": {"id": 123456, "is_bot": True, "first_name": "Procura"}}}
        if method == "getUpdates":
            offset = params.get("offset")
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return 200, {"ok": True, "result": list(self.updates)}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def add_start(self, code: str, chat_id: int, first_name: str = "Test") -> None:
        """A user pressed Start in the bot's chat with the deep link's ``code``."""
        update_id, self._next_update = self._next_update, self._next_update + 1
        self.updates.append({"update_id": update_id, "message": {
            "message_id": 1000 + update_id, "date": int(time.time()), "text": f"/start {code}",
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "from": {"id": chat_id, "is_bot": False, "first_name": first_name}}})

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[dict]:
        return _wait(lambda: self.sent if len(self.sent) >= count else None, timeout,
                     f"{count} Telegram message(s)")
