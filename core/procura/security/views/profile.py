"""The signed-in user's own security page: password, second factors, recovery codes, Telegram,
API tokens. Every change is a POST with the CSRF token to ``/profile/security/<action>``."""
from __future__ import annotations

import datetime as dt

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.view import view_config

from procura.i18n import _
from procura.security import create_token, revoke_token, twofactor
from procura.security.audit import record_login_event
from procura.security.passwords import PasswordPolicy, policy_message
from procura.security.permissions import API_TOKENS
from procura.security.store import auth_store, security_settings

PENDING_TOTP = "procura.pending_totp"
PENDING_EMAIL = "procura.pending_email_code"
NEW_TOKEN = "procura.new_token"  # noqa: S105 - a session key, not a secret
NEW_CODES = "procura.recovery_codes"


def _back(request, message=None, queue="success"):
    if message:
        request.session.flash(request.localizer.translate(message), queue)
    return HTTPSeeOther(request.route_url("profile_security"))


def _tokens(request, user):
    from procura.types.formatting import format_datetime

    now = dt.datetime.now(dt.UTC)
    out = []
    tokens = sorted(user.api_tokens.items(), key=lambda kv: kv[1].get("created") or now, reverse=True)
    for digest, meta in tokens:
        expires = meta.get("expires")
        expired = expires is not None and expires <= now
        state = "revoked" if meta.get("revoked") else "expired" if expired else "active"
        titles = {"active": _("Active"), "revoked": _("Revoked"), "expired": _("Expired")}
        out.append({"id": meta.get("id", digest[:12]), "name": meta.get("name") or "—", "state": state,
                    "state_title": request.localizer.translate(titles[state]),
                    "created": format_datetime(meta["created"], request) if meta.get("created") else "",
                    "expires": format_datetime(expires, request) if expires else "",
                    "last_used": format_datetime(meta["last_used"], request) if meta.get("last_used") else ""})
    return out


@view_config(route_name="profile_security", renderer="procura:templates/auth/profile_security.pt",
             permission="procura.view")
def security_page(request):
    user = request.identity
    rules = security_settings(request)
    policy = PasswordPolicy.from_settings(rules)
    t = request.localizer.translate
    pending = request.session.get(PENDING_TOTP)
    totp = None
    if pending:
        uri = twofactor.provisioning_uri(pending, user)
        totp = {"qr": twofactor.qr_svg(uri), "secret": pending}
    telegram_link = None
    code = request.session.get("procura.telegram_code")
    bot = request.registry.settings.get("procura.telegram.bot_name") or ""
    if code:
        telegram_link = {"code": code, "url": f"https://t.me/{bot}?start={code}" if bot else None}
    return {
        "user": user, "local": user.auth_source == "local",
        "rules": [t(r) for r in policy.describe()],
        "methods": [{"name": m, "title": t(twofactor.METHOD_TITLES[m]), "on": m in user.second_factors,
                     "usable": twofactor.method_usable(request, user, m)}
                    for m in twofactor.enrollable_methods(request, user) + [
                        m for m in user.second_factors if m not in twofactor.enrollable_methods(request, user)]],
        "required": request.grants.require_second_factor(),
        "recovery_left": len(user.recovery_codes),
        "new_codes": request.session.pop(NEW_CODES, None),
        "totp": totp, "email_pending": bool(request.session.get(PENDING_EMAIL)),
        "telegram": {"configured": twofactor.telegram_configured(request), "linked": bool(user.telegram_chat_id),
                     "link": telegram_link},
        "tokens": _tokens(request, user), "may_create_tokens": request.grants.has(API_TOKENS),
        "new_token": request.session.pop(NEW_TOKEN, None),
    }


@view_config(route_name="profile_security_action", request_method="POST", permission="procura.view",
             require_csrf=True)
def security_action(request):
    user = request.identity
    action = request.matchdict["action"]
    handler = ACTIONS.get(action)
    if handler is None:
        raise HTTPBadRequest()
    return handler(request, user)


def change_password(request, user):
    if user.auth_source != "local":
        return _back(request, _("Your password is managed by your organisation's directory."), "warning")
    current, new, repeat = (request.POST.get(k, "") for k in ("current", "password", "confirm"))
    if not user.check_password(current):
        record_login_event(request, "failure", user.login, success=False, method="password",
                           detail=_("Wrong current password on the profile page"))
        return _back(request, _("The current password is not right."), "danger")
    policy = PasswordPolicy.from_settings(security_settings(request))
    problems = policy.problems(new, user.login)
    if new != repeat:
        problems = [_("the same password twice")] + problems
    if problems:
        request.session.flash(policy_message(request, problems), "danger")
        return _back(request)
    user.set_password(new)
    record_login_event(request, "password_changed", user.login, success=True)
    return _back(request, _("Your password has been changed."))


def totp_begin(request, user):
    request.session[PENDING_TOTP] = twofactor.new_totp_secret()
    return _back(request)


def totp_confirm(request, user):
    secret = request.session.get(PENDING_TOTP)
    if not secret:
        return _back(request)
    if not twofactor.verify_totp(user, secret, "".join(request.POST.get("code", "").split())):
        return _back(request, _("The code is not right. Check the time on your phone and try again."), "danger")
    user.totp_secret = secret
    request.session.pop(PENDING_TOTP, None)
    codes = twofactor.enable(request, user, "totp")
    if codes:
        request.session[NEW_CODES] = codes
    return _back(request, _("The authenticator app is set up."))


def email_begin(request, user):
    import secrets

    from procura.mail import send_now

    if not user.email:
        return _back(request, _("Add an email address to your profile first."), "warning")
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    minutes = int(security_settings(request)["code_minutes"])
    # the same rules as sign-in codes: a lifetime and a number of tries
    request.session[PENDING_EMAIL] = {
        "salt": salt, "digest": twofactor.code_digest(salt, code), "attempts": 0,
        "expires": (twofactor.now_utc() + dt.timedelta(minutes=minutes)).timestamp()}
    t = request.localizer.translate
    try:
        send_now(request.registry, user.email, t(_("Procura: confirm your email for sign-in codes")),
                 t(_("Your confirmation code: ${code}", mapping={"code": code})))
    except Exception:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).exception("confirmation mail to %s failed", user.email)
        return _back(request, _("The mail could not be sent. Try again later."), "danger")
    return _back(request, _("We sent a code to ${email}.", mapping={"email": user.email}), "info")


def email_confirm(request, user):
    import hmac

    pending = request.session.get(PENDING_EMAIL)
    if not isinstance(pending, dict) or pending["expires"] < twofactor.now_utc().timestamp():
        request.session.pop(PENDING_EMAIL, None)
        return _back(request, _("The code has expired. Send a new one."), "danger")
    if not hmac.compare_digest(pending["digest"], twofactor.code_digest(pending["salt"], request.POST.get("code", ""))):
        attempts = pending["attempts"] + 1
        if attempts >= int(security_settings(request)["code_attempts"]):
            request.session.pop(PENDING_EMAIL, None)
            return _back(request, _("Too many wrong codes. Send a new one."), "danger")
        request.session[PENDING_EMAIL] = dict(pending, attempts=attempts)
        return _back(request, _("The code is not right."), "danger")
    request.session.pop(PENDING_EMAIL, None)
    codes = twofactor.enable(request, user, "email")
    if codes:
        request.session[NEW_CODES] = codes
    return _back(request, _("Codes by email are set up."))


def telegram_link(request, user):
    import secrets

    code = secrets.token_urlsafe(12)
    store = auth_store(request.app_root)
    store.telegram_links[code] = {"login": user.login, "expires": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)}
    request.session["procura.telegram_code"] = code
    return _back(request)


def telegram_check(request, user):
    from procura.notify.telegram import TelegramError
    from procura.security.telegram_link import poll_links

    try:
        poll_links(request)
    except TelegramError:
        return _back(request, _("Telegram could not be reached. Try again later."), "danger")
    if user.telegram_chat_id:
        request.session.pop("procura.telegram_code", None)
        if "telegram" not in user.second_factors:
            codes = twofactor.enable(request, user, "telegram")
            if codes:
                request.session[NEW_CODES] = codes
        return _back(request, _("Telegram is connected."))
    return _back(request, _("No message from you yet: send the code to the bot, then check again."), "warning")


def remove_method(request, user):
    method = request.POST.get("method")
    if method not in user.second_factors:
        return _back(request)
    if request.grants.require_second_factor() and len(user.second_factors) == 1:
        return _back(request, _("Your role requires a second factor: set up another one before removing this."),
                     "warning")
    twofactor.disable(request, user, method)
    if method == "telegram":
        user.telegram_chat_id = None
    return _back(request, _("The second factor was removed."))


def new_recovery(request, user):
    if not user.second_factors:
        return _back(request)
    request.session[NEW_CODES] = twofactor.new_recovery_codes(user)
    record_login_event(request, "second_factor_enrolled", user.login, success=True, method="recovery",
                       detail=_("New recovery codes"))
    return _back(request)


def token_create(request, user):
    if not request.grants.has(API_TOKENS):
        return _back(request, _("Your role may not use the REST API."), "danger")
    name = (request.POST.get("name") or "").strip()[:100]
    try:
        days = int(request.POST.get("days") or 90)
    except ValueError:
        days = 90
    days = min(max(days, 1), 730)
    request.session[NEW_TOKEN] = create_token(request.app_root, user, name=name, days=days)
    record_login_event(request, "token_created", user.login, success=True, method="token", detail=name)
    return _back(request)


def token_revoke(request, user):
    if revoke_token(request.app_root, user, request.POST.get("token", "")):
        record_login_event(request, "token_revoked", user.login, success=True, method="token")
        return _back(request, _("The token was revoked."))
    return _back(request)


ACTIONS = {
    "password": change_password, "totp-begin": totp_begin, "totp-confirm": totp_confirm,
    "email-begin": email_begin, "email-confirm": email_confirm, "telegram-link": telegram_link,
    "telegram-check": telegram_check, "remove": remove_method, "recovery": new_recovery,
    "token-create": token_create, "token-revoke": token_revoke,
}
