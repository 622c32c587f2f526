"""The sign-in audit: every sign-in, failure, lockout, second-factor and session event becomes a
``login_event`` record, written in a transaction of its own so that it is kept even when the
request that caused it saves nothing else (a refused sign-in, a rejected token)."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def record_login_event(request, event: str, login: str | None, *, success: bool, detail: str = "",
                       method: str = "", flagged: bool = False) -> None:
    from procura.types.system import in_own_transaction

    values = {
        "login": (login or "")[:200], "event": event, "success": bool(success), "flagged": bool(flagged),
        "method": (method or "")[:100], "ip": (request.client_addr or "")[:100],
        "user_agent": (request.user_agent or "")[:500], "detail": detail or "",
    }
    registry = request.registry
    if "login_event" not in registry.procura_types:
        return

    def write(system):
        info = system.types.info("login_event")
        # a translatable detail is stored in the installation's default language (it is data)
        values["detail"] = system.localizer.translate(values["detail"])[:2000] if values["detail"] else ""
        system.types.create(info, values)

    try:
        in_own_transaction(registry, write, note=f"login audit {event}")
    except Exception:  # noqa: BLE001 - the audit must never break signing in; the log keeps it
        log.exception("could not record the sign-in event %s for %s", event, login)
