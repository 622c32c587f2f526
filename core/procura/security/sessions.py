"""Session lifetime and idle timeout.

The session (a signed cookie) carries the login, when the sign-in happened (``since``) and when
the user was last seen (``seen``, refreshed at most once a minute so the cookie is not reissued on
every request). A session older than the lifetime, or idle longer than the idle timeout, is ended
on its next request: the user is signed out with a message on the sign-in page and the sign-in
audit records why. Both limits are security settings an administrator can change.
"""
from __future__ import annotations

import time

from procura.i18n import _

SEEN_GRANULARITY = 60  # seconds


def now() -> int:
    """The clock of sessions (seconds since the epoch); tests move it."""
    return int(time.time())


def start_session(request, login: str) -> None:
    started = now()
    request.session["userid"] = login
    request.session["since"] = started
    request.session["seen"] = started
    request.session.new_csrf_token()


def check_session(request, user) -> bool:
    """False (and the session ended) when it outlived its lifetime or idle timeout."""
    from procura.security.store import security_settings

    session = request.session
    current = now()
    since = int(session.get("since") or 0)
    seen = int(session.get("seen") or since)
    rules = security_settings(request)
    max_age = int(rules.get("session_max_age") or 0)
    idle = int(rules.get("session_idle_timeout") or 0)
    ended = None
    if max_age and since and current - since > max_age:
        ended = "session_expired"
    elif idle and seen and current - seen > idle:
        ended = "idle_timeout"
    if ended:
        from procura.security.audit import record_login_event

        minutes = (idle if ended == "idle_timeout" else max_age) // 60
        record_login_event(request, ended, user.login, success=False,
                           detail=_("After ${minutes} min", mapping={"minutes": minutes}) if minutes else "")
        session.invalidate()
        request.environ["procura.session_ended"] = ended
        return False
    if current - seen >= SEEN_GRANULARITY:
        session["seen"] = current
    return True
