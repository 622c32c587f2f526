"""Outgoing mail: real SMTP when ``procura.smtp.host`` is set, else .eml files in ``<var>/outbox``.

Messages carry a real ``From``, a ``Message-ID`` under the installation's domain and, for replies
to match later, ``In-Reply-To``/``References`` when given. ``send_after_commit`` sends only once
the transaction that decided to send has committed (nothing is mailed about a change that rolled
back); ``send_now`` sends at once (sign-in codes, where the user is waiting).
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path

log = logging.getLogger(__name__)


class MailError(Exception):
    """Mail could not be handed to the SMTP server; the message names the server, never the password."""


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "procura.local"


def build_message(settings: dict, to: str | list[str], subject: str, text: str, *, html: str | None = None,
                  reply_to: str | None = None, in_reply_to: str | None = None, references: list[str] | None = None,
                  headers: dict | None = None, message_id: str | None = None) -> EmailMessage:
    sender = settings.get("procura.mail.from") or "Procura <procura@localhost>"
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to) if isinstance(to, (list, tuple)) else to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id or make_msgid(idstring=uuid.uuid4().hex[:12], domain=_domain(sender))
    if reply_to:
        msg["Reply-To"] = reply_to
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for key, value in (headers or {}).items():  # after the content: set_content drops Content-* headers
        msg[key] = value
    return msg


def deliver(settings: dict, msg: EmailMessage) -> str:
    """Hand ``msg`` to the SMTP server (or the outbox folder); returns its Message-ID."""
    host = (settings.get("procura.smtp.host") or "").strip()
    if not host:
        outbox = Path(settings["procura.var_dir"]) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(msg))
        log.info("mail to %s written to %s (no SMTP server configured)", msg["To"], path)
        return msg["Message-ID"]
    port = int(settings.get("procura.smtp.port") or 587)
    security = (settings.get("procura.smtp.security") or "starttls").lower()
    timeout = float(settings.get("procura.smtp.timeout") or 20)
    user = settings.get("procura.smtp.user") or ""
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if user:
                server.login(user, settings.get("procura.smtp.password") or "")
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"Cannot send mail through {host}:{port}: {exc.__class__.__name__}: {exc}") from None
    return msg["Message-ID"]


def send_now(registry, to, subject, text, **kw) -> str:
    return deliver(registry.settings, build_message(registry.settings, to, subject, text, **kw))


def send_after_commit(request, to, subject, text, **kw) -> str:
    """Queue a message for after the current transaction commits; returns its Message-ID."""
    settings = request.registry.settings
    msg = build_message(settings, to, subject, text, **kw)

    def hook(success):
        if not success:
            return
        try:
            deliver(settings, msg)
        except MailError:
            log.exception("mail to %s was not sent", msg["To"])

    request.tm.get().addAfterCommitHook(hook)
    return msg["Message-ID"]


def address(name: str, email: str) -> str:
    return formataddr((name, email)) if name else email
