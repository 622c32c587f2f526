"""Administrators' operations on a user record (detail page buttons and
``POST /api/v1/user/<login>/actions/<name>``): set or generate a password, unlock after failed
sign-ins, remove the second factor, revoke every API token."""
from __future__ import annotations

import colander
import deform

from procura.i18n import _
from procura.security.permissions import ADMIN
from procura.types import Operation


def _by(request):
    login = request.identity.login if request.identity is not None else None
    return _("By ${login}", mapping={"login": login}) if login else _("By the system")


def _policy(request):
    from procura.security.passwords import PasswordPolicy
    from procura.security.store import security_settings

    return PasswordPolicy.from_settings(security_settings(request))


def password_schema(request):
    policy = _policy(request)
    t = request.localizer.translate

    def check(node, value):
        if value.get("generate"):
            return
        password = value.get("password") or ""
        if not password:
            raise colander.Invalid(node["password"], _("Enter a password or choose to generate one"))
        login = request.matchdict.get("id", "") if hasattr(request, "matchdict") and request.matchdict else ""
        problems = policy.problems(password, login)
        if problems:
            from procura.security.passwords import policy_message

            exc = colander.Invalid(node)
            exc.add(colander.Invalid(node["password"], policy_message(request, problems)), 0)
            raise exc

    schema = colander.SchemaNode(colander.Mapping(unknown="raise"), validator=check)
    schema.add(colander.SchemaNode(
        colander.String(), name="password", title=_("New password"), missing="",
        description=t(_("Needs ${what}.", mapping={"what": ", ".join(t(p) for p in policy.describe())})),
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password"})))
    schema.add(colander.SchemaNode(colander.Boolean(), name="generate", title=_("Generate a password"),
                                   missing=False, description=_("Shown once after saving.")))
    schema.add(colander.SchemaNode(colander.Boolean(), name="sign_out", title=_("End the user's API tokens"),
                                   missing=False))
    return schema


def set_password(request, user, data):
    from procura.security.audit import record_login_event

    generated = None
    password = data.get("password")
    if data.get("generate"):
        password = generated = _policy(request).generate()
    user.set_password(password)
    user.failed_logins, user.locked_until = 0, None
    if data.get("sign_out"):
        _revoke_all(request, user)
    _touch(request, user, "password")
    record_login_event(request, "password_changed", user.login, success=True,
                       detail=_by(request))
    return {"password": generated} if generated else {}


def _touch(request, user, what):
    """Operations change secrets, not fields: still the record's version moves and its history says so."""
    svc = request.types
    svc._touch(user)
    svc._audit(user, "operation", {}, operation=what)


def is_locked(request, user) -> bool:
    from procura.security.auth import locked_until

    return locked_until(user) is not None or bool(getattr(user, "failed_logins", 0))


def unlock(request, user, data):
    from procura.security.audit import record_login_event

    user.locked_until, user.failed_logins = None, 0
    _touch(request, user, "unlock")
    record_login_event(request, "unlocked", user.login, success=True,
                       detail=_by(request))
    return {}


def reset_second_factor(request, user, data):
    from procura.security import twofactor

    twofactor.disable(request, user)
    user.telegram_chat_id = None
    _touch(request, user, "reset_second_factor")
    return {}


def _revoke_all(request, user) -> int:
    count = 0
    for digest, meta in list(user.api_tokens.items()):
        if not meta.get("revoked"):
            user.api_tokens[digest] = dict(meta, revoked=True)
            count += 1
    return count


def revoke_tokens(request, user, data):
    from procura.security.audit import record_login_event

    count = _revoke_all(request, user)
    _touch(request, user, "revoke_tokens")
    record_login_event(request, "token_revoked", user.login, success=True,
                       detail=_("Tokens revoked: ${count}", mapping={"count": count}))
    return {"revoked": count}


USER_OPERATIONS = [
    Operation("set_password", _("Set password"), set_password, action=ADMIN, schema=password_schema,
              icon="bi-key", result_titles={"password": _("New password")},
              description=_("Sets a new password (typed here or generated to the password rules) and unlocks "
                            "the account.")),
    Operation("unlock", _("Unlock"), unlock, action=ADMIN, available=is_locked, icon="bi-unlock",
              style="outline-warning", menu=False,
              description=_("Lifts the lockout after repeated failed sign-ins.")),
    Operation("reset_second_factor", _("Remove second factor"), reset_second_factor, action=ADMIN,
              available=lambda request, user: user.has_second_factor or bool(user.telegram_chat_id),
              icon="bi-phone", confirm=_("Remove every second factor of this user? They set one up again at "
                                         "their next sign-in if their role requires it.")),
    Operation("revoke_tokens", _("Revoke API tokens"), revoke_tokens, action=ADMIN,
              available=lambda request, user: any(not m.get("revoked") for m in user.api_tokens.values()),
              icon="bi-x-octagon", confirm=_("Revoke every API token of this user?")),
]
