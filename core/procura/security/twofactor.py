"""The second factor: authenticator apps (TOTP), a code by email, a code by Telegram, and
one-time recovery codes.

A sign-in whose password (or external method) was accepted but that needs a second factor gets a
*challenge*: a server-side record (``root["auth"].challenges``) named by a random id kept in the
session. The user is not signed in until the challenge is passed; codes sent by email or Telegram
are stored only as salted digests and expire; too many wrong codes end the challenge. A user who
must use a second factor (a role requires it) but has none enrols during that same challenge.

TOTP codes are accepted once (the last accepted time step is kept, so a code seen over a
shoulder cannot be replayed) within one step of clock drift.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
from pyramid.httpexceptions import HTTPSeeOther

from procura.i18n import _
from procura.security.audit import record_login_event
from procura.security.store import auth_store, security_settings

CHALLENGE_KEY = "procura.second_factor"
METHODS = ("totp", "email", "telegram")
METHOD_TITLES = {"totp": _("Authenticator app"), "email": _("Code by email"), "telegram": _("Code by Telegram"),
                 "recovery": _("Recovery code")}
RECOVERY_CODES = 10
ISSUER = "Procura"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def code_digest(salt: str, code: str) -> str:
    return hashlib.sha256((salt + ":" + "".join(code.split()).upper()).encode()).hexdigest()


# ---------------------------------------------------------------- challenges
def start(request, user, *, method: str, came_from: str = "", flagged: bool = False, enrol: bool = False):
    """Begin the second step of a sign-in; returns the redirect to its page."""
    store = auth_store(request.app_root)
    _expire_old(store)
    challenge_id = secrets.token_urlsafe(24)
    rules = security_settings(request)
    store.challenges[challenge_id] = {
        "login": user.login, "method": None, "salt": secrets.token_hex(8), "digest": None,
        "sent_at": None, "attempts": 0, "came_from": came_from, "flagged": flagged, "via": method,
        "enrol": enrol, "expires": now_utc() + dt.timedelta(minutes=15 + int(rules["code_minutes"])),
        "pending_secret": None,
    }
    request.session[CHALLENGE_KEY] = challenge_id
    route = "login_second_factor_setup" if enrol else "login_second_factor"
    return HTTPSeeOther(request.route_url(route))


def _expire_old(store) -> None:
    now = now_utc()
    stale = [k for k, v in store.challenges.items() if v["expires"] <= now]
    for key in stale[:100]:
        del store.challenges[key]


def current(request):
    """``(challenge id, challenge, user)`` of this session's pending sign-in, or None."""
    from procura.security import get_user

    challenge_id = request.session.get(CHALLENGE_KEY)
    if not challenge_id:
        return None
    store = auth_store(request.app_root)
    challenge = store.challenges.get(challenge_id)
    if challenge is None or challenge["expires"] <= now_utc():
        request.session.pop(CHALLENGE_KEY, None)
        return None
    user = get_user(request.app_root, challenge["login"])
    if user is None or not user.active or getattr(user, "locked_until", None) and user.locked_until > now_utc():
        return None
    return challenge_id, challenge, user


def _save(request, challenge_id, challenge) -> None:
    auth_store(request.app_root).challenges[challenge_id] = dict(challenge)


def end(request, challenge_id) -> None:
    store = auth_store(request.app_root)
    store.challenges.pop(challenge_id, None)
    request.session.pop(CHALLENGE_KEY, None)


def available_methods(request, user) -> list[str]:
    """The second-factor methods this user has set up and the installation allows."""
    allowed = set(security_settings(request)["second_factor_methods"])
    return [m for m in METHODS if m in user.second_factors and m in allowed and method_usable(request, user, m)]


def enrollable_methods(request, user) -> list[str]:
    allowed = set(security_settings(request)["second_factor_methods"])
    out = []
    for m in METHODS:
        if m not in allowed:
            continue
        if m == "email" and not user.email:
            continue
        if m == "telegram" and not telegram_configured(request):
            continue
        out.append(m)
    return out


def method_usable(request, user, method) -> bool:
    if method == "email":
        return bool(user.email)
    if method == "telegram":
        return bool(user.telegram_chat_id) and telegram_configured(request)
    return method == "totp" and bool(user.totp_secret)


def telegram_configured(request) -> bool:
    return bool((request.registry.settings.get("procura.telegram.token") or "").strip())


# ---------------------------------------------------------------- codes by email / Telegram
def send_code(request, challenge_id, challenge, user, method: str) -> None:
    """Send a fresh code by email or Telegram (replacing any earlier one of this challenge)."""
    rules = security_settings(request)
    code = f"{secrets.randbelow(10**6):06d}"
    challenge = dict(challenge, method=method, digest=code_digest(challenge["salt"], code), sent_at=now_utc(),
                     code_expires=now_utc() + dt.timedelta(minutes=int(rules["code_minutes"])))
    _save(request, challenge_id, challenge)
    t = request.localizer.translate
    minutes = int(rules["code_minutes"])
    text = t(_("Your Procura sign-in code: ${code}\n\nIt is valid for ${minutes} minutes. If you did not try to "
               "sign in, change your password: somebody knows it.", mapping={"code": code, "minutes": minutes}))
    if method == "email":
        from procura.mail import send_now

        send_now(request.registry, user.email, t(_("Procura sign-in code")), text)
    elif method == "telegram":
        from procura.notify.telegram import bot_for

        bot_for(request.registry.settings).send_message(user.telegram_chat_id, text)


def verify(request, challenge_id, challenge, user, method: str, code: str) -> bool:
    """Check a code of ``method`` against the challenge; counts wrong attempts."""
    rules = security_settings(request)
    code = "".join((code or "").split())
    ok = False
    if method == "totp":
        ok = verify_totp(user, user.totp_secret, code)
    elif method in ("email", "telegram"):
        ok = (challenge.get("method") == method and challenge.get("digest") is not None
              and challenge.get("code_expires") and challenge["code_expires"] > now_utc()
              and hmac.compare_digest(challenge["digest"], code_digest(challenge["salt"], code)))
    elif method == "recovery":
        ok = use_recovery_code(user, code)
    if ok:
        return True
    challenge = dict(challenge, attempts=challenge.get("attempts", 0) + 1)
    _save(request, challenge_id, challenge)
    record_login_event(request, "second_factor_failure", user.login, success=False, method=method,
                       detail=_("Attempt ${n}", mapping={"n": challenge["attempts"]}))
    from procura.security.auth import count_failure

    # wrong codes count toward the lockout like wrong passwords: signing in again gives no fresh guesses
    locked = count_failure(request, user, method=method, audit=False)
    if locked or challenge["attempts"] >= int(rules["code_attempts"]):
        end(request, challenge_id)
    return False


def passed(request, challenge_id, challenge, user, method: str):
    """The challenge is passed: sign the user in; returns the redirect."""
    from procura.security.auth import finish_sign_in

    end(request, challenge_id)
    if method == "recovery":
        record_login_event(request, "recovery_code", user.login, success=True, method="recovery",
                           detail=_("Recovery codes left: ${count}", mapping={"count": len(user.recovery_codes)}))
    else:
        record_login_event(request, "second_factor", user.login, success=True, method=method)
    return finish_sign_in(request, user, challenge.get("via") or "password", came_from=challenge.get("came_from", ""),
                          flagged=challenge.get("flagged", False),
                          detail=_("Second factor: ${method}", mapping={"method": method}))


# ---------------------------------------------------------------- TOTP
def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, user) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email or user.login, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG (no image files, no external service)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                    title="QR", dark="#111")
    return out.getvalue().decode()


def verify_totp(user, secret: str | None, code: str) -> bool:
    if not secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now = now_utc()
    for offset in (0, -1, 1):
        moment = now + dt.timedelta(seconds=30 * offset)
        step = totp.timecode(moment)
        if hmac.compare_digest(totp.at(moment), code):
            if step <= int(getattr(user, "totp_last_step", 0) or 0):
                return False  # this code (or a later one) was used already
            user.totp_last_step = step
            return True
    return False


# ---------------------------------------------------------------- recovery codes
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with ten new ones; returns them (shown once)."""
    from persistent.list import PersistentList

    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    codes = ["-".join("".join(secrets.choice(alphabet) for _i in range(5)) for _j in range(2))
             for _k in range(RECOVERY_CODES)]
    salt = getattr(user, "recovery_salt", None) or secrets.token_hex(8)
    user.recovery_salt = salt
    user.recovery_codes = PersistentList(code_digest(salt, c.replace("-", "")) for c in codes)
    return codes


def use_recovery_code(user, code: str) -> bool:
    salt = getattr(user, "recovery_salt", None)
    if not salt or not code:
        return False
    digest = code_digest(salt, code.replace("-", ""))
    for i, stored in enumerate(user.recovery_codes):
        if hmac.compare_digest(stored, digest):
            del user.recovery_codes[i]
            return True
    return False


# ---------------------------------------------------------------- enrolment
def enable(request, user, method: str) -> list[str]:
    """Record that ``user`` set up ``method``; returns new recovery codes if they had none."""
    user.second_factors[method] = {"since": now_utc()}
    record_login_event(request, "second_factor_enrolled", user.login, success=True, method=method)
    return new_recovery_codes(user) if not user.recovery_codes else []


def disable(request, user, method: str | None = None) -> None:
    """Remove one method (or all, with their secrets and recovery codes: an administrator's reset)."""
    methods = [method] if method else list(user.second_factors)
    for m in methods:
        user.second_factors.pop(m, None)
        if m == "totp":
            user.totp_secret = None
    if not user.second_factors:
        user.recovery_codes = type(user.recovery_codes)()
    record_login_event(request, "second_factor_removed", user.login, success=True,
                       method=",".join(methods) or "-")
