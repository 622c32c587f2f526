"""The second step of a sign-in (second factor, or enrolling one) and password recovery by email."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import colander
import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from procura.i18n import _
from procura.security import get_user, normalise_login, twofactor
from procura.security.audit import record_login_event
from procura.security.passwords import PasswordPolicy, policy_message
from procura.security.store import security_settings
from procura.views.forms import CSRFSchema, make_form, render_form

CODE_WIDGET = deform.widget.TextInputWidget(attributes={
    "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": "autofocus", "maxlength": "20"})


def _back_to_login(request, message=None):
    if message:
        request.session.flash(request.localizer.translate(message), "warning")
    return HTTPSeeOther(request.route_url("login"))


def _method_titles(request):
    t = request.localizer.translate
    return {k: t(v) for k, v in twofactor.METHOD_TITLES.items()}


# ---------------------------------------------------------------- second factor
@view_config(route_name="login_second_factor", renderer="procura:templates/auth/second_factor.pt",
             require_csrf=True)
def second_factor_view(request):
    state = twofactor.current(request)
    if state is None:
        return _back_to_login(request, _("The sign-in took too long or was interrupted. Please sign in again."))
    challenge_id, challenge, user = state
    methods = twofactor.available_methods(request, user)
    method = request.params.get("method") or challenge.get("method") or (methods[0] if methods else "recovery")
    if method not in methods + ["recovery"]:
        method = methods[0] if methods else "recovery"
    error = notice = None
    if request.method == "POST":
        action = request.POST.get("action", "verify")
        if action == "send" and method in ("email", "telegram"):
            try:
                twofactor.send_code(request, challenge_id, challenge, user, method)
                notice = _("A code has been sent. It is valid for ${minutes} minutes.",
                           mapping={"minutes": security_settings(request)["code_minutes"]})
            except Exception:  # noqa: BLE001 - mail or Telegram down: say so, keep the challenge
                import logging

                logging.getLogger(__name__).exception("second-factor code to %s not sent", user.login)
                error = _("The code could not be sent. Try another method or try again later.")
        else:
            code = request.POST.get("code", "")
            if twofactor.verify(request, challenge_id, challenge, user, method, code):
                return twofactor.passed(request, challenge_id, challenge, user, method)
            if twofactor.current(request) is None:
                return _back_to_login(request, _("Too many wrong codes. Please sign in again."))
            error = _("The code is not right, or it has expired.")
        state = twofactor.current(request)
        challenge = state[1] if state else challenge
    sent = challenge.get("method") == method and challenge.get("sent_at") is not None
    return {"user": user, "methods": methods, "method": method, "titles": _method_titles(request),
            "error": error, "notice": notice, "sent": sent, "needs_send": method in ("email", "telegram"),
            "recovery_left": len(user.recovery_codes)}


@view_config(route_name="login_second_factor_setup", renderer="procura:templates/auth/second_factor_setup.pt",
             require_csrf=True)
def second_factor_setup_view(request):
    """Enrol a second factor during a sign-in that requires one (the user has none yet)."""
    state = twofactor.current(request)
    if state is None or not state[1].get("enrol"):
        return _back_to_login(request, _("The sign-in took too long or was interrupted. Please sign in again."))
    challenge_id, challenge, user = state
    methods = twofactor.enrollable_methods(request, user)
    method = request.params.get("method") or (methods[0] if methods else None)
    error = notice = None
    if not challenge.get("pending_secret"):
        challenge = dict(challenge, pending_secret=twofactor.new_totp_secret())
        twofactor._save(request, challenge_id, challenge)
    secret = challenge["pending_secret"]
    if request.method == "POST" and method:
        action = request.POST.get("action", "confirm")
        code = request.POST.get("code", "")
        if method == "email" and action == "send":
            twofactor.send_code(request, challenge_id, challenge, user, "email")
            notice = _("A code has been sent to ${email}.", mapping={"email": user.email})
        elif method == "totp" and twofactor.verify_totp(user, secret, "".join(code.split())):
            user.totp_secret = secret
            codes = twofactor.enable(request, user, "totp")
            return _enrolled(request, challenge_id, challenge, user, "totp", codes)
        elif method == "email" and twofactor.verify(request, challenge_id, challenge, user, "email", code):
            codes = twofactor.enable(request, user, "email")
            return _enrolled(request, challenge_id, challenge, user, "email", codes)
        else:
            if twofactor.current(request) is None:
                return _back_to_login(request, _("Too many wrong codes. Please sign in again."))
            error = _("The code is not right, or it has expired.")
    uri = twofactor.provisioning_uri(secret, user)
    return {"user": user, "methods": methods, "method": method, "titles": _method_titles(request),
            "error": error, "notice": notice, "qr": twofactor.qr_svg(uri), "secret": secret}


def _enrolled(request, challenge_id, challenge, user, method, codes):
    """Show the recovery codes once, then continue the sign-in."""
    response = twofactor.passed(request, challenge_id, challenge, user, method)
    if codes:
        request.session["procura.recovery_codes"] = codes
        response.location = request.route_url("profile_security", _query={"new_codes": "1"})
    return response


# ---------------------------------------------------------------- password recovery
class ForgotSchema(CSRFSchema):
    login = colander.SchemaNode(colander.String(), title=_("Login or email"), validator=colander.Length(max=200),
                                widget=deform.widget.TextInputWidget(attributes={"autocomplete": "username",
                                                                                 "autofocus": "autofocus"}))


def reset_token(request, user, minutes: int) -> str:
    expires = int((dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)).timestamp())
    payload = f"{user.login}|{expires}|{_fingerprint(user)}"
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return body + "." + _sign(request, body)


def _fingerprint(user) -> str:
    """Changes with the password: a reset link works once, and not after any other password change."""
    return hashlib.sha256((user.password_hash or "-").encode()).hexdigest()[:16]


def _sign(request, body: str) -> str:
    key = ("password-reset:" + request.registry.procura_secret).encode()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]


def user_for_token(request, token: str):
    body, _sep, signature = (token or "").partition(".")
    if not body or not hmac.compare_digest(signature, _sign(request, body)):
        return None
    try:
        login, expires, fingerprint = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        return None
    if int(expires) < dt.datetime.now(dt.UTC).timestamp():
        return None
    user = get_user(request.app_root, login)
    if user is None or not user.active or user.auth_source != "local" or _fingerprint(user) != fingerprint:
        return None
    return user


def _find_user(request, value):
    value = (value or "").strip()
    user = get_user(request.app_root, normalise_login(value))
    if user is not None or "@" not in value:
        return user
    from procura.types.content import container_for

    catalog = container_for(request.app_root, "user").catalog
    result = catalog["email"].eq(value.casefold()).execute()  # the index holds casefolded text
    container = container_for(request.app_root, "user")
    found = [container[container.docids[d]] for d in result.ids]
    found = [u for u in found if not u.deleted]
    return found[0] if len(found) == 1 else None


@view_config(route_name="password_forgot", renderer="procura:templates/auth/password_forgot.pt", require_csrf=True)
def password_forgot_view(request):
    rules = security_settings(request)
    if not rules["password_recovery"]:
        return {"disabled": True, "form": None, "sent": False}
    form = make_form(request, ForgotSchema(), formid="forgot-form",
                     buttons=(deform.Button("submit", _("Send the link"), css_class="btn-primary w-100"),))
    if request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as exc:
            return {"disabled": False, "form": render_form(exc), "sent": False}
        user = _find_user(request, data["login"])
        throttled = user is not None and not _reset_mail_allowed(user)
        if throttled:
            record_login_event(request, "password_reset_requested", user.login, success=False, method="email",
                               detail=_("Too many reset requests: no mail sent"))
        elif user is not None and user.active and user.email and user.auth_source == "local":
            minutes = int(rules["reset_link_minutes"])
            link = request.route_url("password_reset", token=reset_token(request, user, minutes))
            t = request.localizer.translate
            from procura.mail import send_after_commit

            send_after_commit(request, user.email, t(_("Procura: reset your password")), t(_(
                "Hello, ${name}!\n\nSomebody (hopefully you) asked to reset the password of your Procura "
                "account ${login}. Open this link within ${minutes} minutes to choose a new one:\n\n${link}\n\n"
                "If it was not you, ignore this message: your password stays as it is.",
                mapping={"name": user.display_name, "login": user.login, "minutes": minutes, "link": link})))
            record_login_event(request, "password_reset_requested", user.login, success=True, method="email")
        else:
            record_login_event(request, "password_reset_requested", (data["login"] or "")[:200], success=False,
                               method="email", detail=_("No local user with this email"))
        # the same answer whether or not the account exists: nobody learns which logins exist
        return {"disabled": False, "form": None, "sent": True}
    return {"disabled": False, "form": render_form(form), "sent": False}


RESET_MAIL_GAP = dt.timedelta(minutes=1)  # at most one reset mail a minute per account ...
RESET_MAILS_PER_HOUR = 5  # ... and five an hour: the form cannot be used to flood a mailbox


def _reset_mail_allowed(user) -> bool:
    """Whether another reset mail may go to ``user`` now; records the send when it may."""
    now = dt.datetime.now(dt.UTC)
    recent = [t for t in getattr(user, "reset_mails", ()) if now - t < dt.timedelta(hours=1)]
    if (recent and now - recent[-1] < RESET_MAIL_GAP) or len(recent) >= RESET_MAILS_PER_HOUR:
        return False
    user.reset_mails = tuple(recent + [now])
    return True


class ResetSchema(CSRFSchema):
    password = colander.SchemaNode(colander.String(), title=_("New password"), validator=colander.Length(max=1000),
                                   widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password"}))
    confirm = colander.SchemaNode(colander.String(), title=_("Repeat the new password"),
                                  widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password"}))


@view_config(route_name="password_reset", renderer="procura:templates/auth/password_reset.pt", require_csrf=True)
def password_reset_view(request):
    user = user_for_token(request, request.matchdict["token"])
    if user is None:
        return {"invalid": True, "form": None, "rules": []}
    policy = PasswordPolicy.from_settings(security_settings(request))
    t = request.localizer.translate
    form = make_form(request, ResetSchema(), formid="reset-form",
                     buttons=(deform.Button("submit", _("Set the password"), css_class="btn-primary w-100"),))
    rules = [t(r) for r in policy.describe()]
    if request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as exc:
            return {"invalid": False, "form": render_form(exc), "rules": rules}
        problems = policy.problems(data["password"], user.login)
        if data["password"] != data["confirm"]:
            problems = [_("the same password twice")] + problems
        if problems:
            error = colander.Invalid(form.schema)
            error.add(colander.Invalid(form.schema["password"], policy_message(request, problems)), 1)
            form.widget.handle_error(form, error)  # mark the field (as Form.validate does for its own errors)
            return {"invalid": False, "rules": rules,
                    "form": render_form(deform.ValidationFailure(form, form.cstruct, error))}
        user.set_password(data["password"])
        user.failed_logins, user.locked_until = 0, None
        record_login_event(request, "password_reset", user.login, success=True, method="email")
        request.session.flash(t(_("Your password has been changed. Sign in with the new one.")), "success")
        return HTTPSeeOther(request.route_url("login"))
    return {"invalid": False, "form": render_form(form), "rules": rules}
