"""Signing in with OpenID Connect providers (authorization code flow with PKCE, through authlib).

Every provider named in ``procura.oidc.providers`` gets a button on the sign-in page (the core's
``procura_auth_methods`` hook). The flow, all of it over plain browser redirects plus direct calls
from Procura to the provider:

1. ``GET /login/oidc/<name>``: the provider's configuration is discovered at
   ``<issuer>/.well-known/openid-configuration`` (cached for an hour); a random ``state``, ``nonce``
   and PKCE ``code_verifier`` (S256) are kept in the session (the signed, HttpOnly session cookie:
   readable only by the browser that started the sign-in, which is who may know them), and the
   browser is sent to the provider's authorization endpoint.
2. ``GET /login/oidc/<name>/callback``: the ``state`` must be the session's; the code is exchanged
   at the token endpoint (with the client secret and the code verifier); the ID token is checked:
   signature by the provider's published keys (JWKS, cached, fetched again when a key id is
   unknown), ``iss``, ``aud``, ``exp``, ``nonce`` (authlib's ``CodeIDToken`` rules). Only
   public-key signatures (RS*, PS*, ES*, EdDSA) are accepted, never ``none`` or a shared secret.
   Further claims come from the userinfo endpoint when the provider has one.
3. The user is found by the provider's subject (``issuer`` + ``sub``, an index in the auth store,
   the user's ``external_issuer``/``external_subject``); at the first sign-in an existing user an
   administrator created with ``auth_source = "oidc"`` and the login of the ``login_claim`` is
   linked, else a user is created when ``create_users`` allows it (login, name, email from the
   claims). Roles and teams the ``role_map`` gives for the values of the ``role_claim`` go to
   ``external_roles``/``external_teams``, recomputed at every sign-in; what an administrator gave
   by hand (``roles``/``teams``) is never touched.
4. ``procura.security.auth.complete_sign_in`` finishes (inactive accounts, sign-in hours, the
   second factor, the sign-in audit) exactly as for a password sign-in.

Every refusal is an ``OidcFailure``: the user is sent back to the sign-in page with its message and
the sign-in audit records an ``external_failure`` with the reason. Secrets (the client secret, codes,
tokens) are never logged, stored in the audit or put in a page.
"""
from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from dataclasses import dataclass, field

from procura.i18n import _
from procura.security import principals

log = logging.getLogger(__name__)

METHOD = "oidc"  # the login_event method and the users' auth_source
SESSION_KEY = "procura.oidc"
PROVIDER_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
PRINCIPAL_NAME_RE = re.compile(principals.NAME_RE)  # role and team names
PENDING_SECONDS = 900  # a sign-in must come back from the provider within this time
CACHE_SECONDS = 3600  # discovery documents and key sets
LEEWAY = 120  # seconds of clock difference accepted on exp/iat
# ID tokens signed with a public key only: never "none", never a symmetric key
SIGNING_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class OidcFailure(Exception):
    """A refused external sign-in: ``message`` for the user (translatable), ``detail`` for the audit."""

    def __init__(self, message, detail: str, login: str = ""):
        super().__init__(detail)
        self.message, self.detail, self.login = message, detail, login


# ---------------------------------------------------------------- configuration
@dataclass(frozen=True)
class RoleMap:
    """``<claim value> = role:<name> team:<name> ...`` entries, separated by ``;`` or new lines.

    A target without ``role:``/``team:`` is a role. Claim values are compared ignoring case; the
    value ``*`` matches every user of the provider. A value may itself contain ``=`` (a directory
    DN such as ``CN=Buyers,OU=Groups,DC=example,DC=ru``): the entry is split at its last ``=``.
    """

    entries: tuple = ()  # ((claim value casefolded, roles, teams), ...)

    @classmethod
    def parse(cls, text: str) -> RoleMap:
        entries = []
        for raw in re.split(r"[;\n]", text or ""):
            line = raw.strip()
            if not line:
                continue
            value, sep, targets = line.rpartition("=")
            value = value.strip()
            if not sep or not value:
                raise ValueError(f"entry {line!r} is not '<claim value> = role:<name> team:<name> ...'")
            roles, teams = [], []
            for target in re.split(r"[\s,]+", targets.strip()):
                if not target:
                    continue
                kind, colon, name = target.partition(":")
                if not colon:
                    kind, name = "role", target
                if kind not in ("role", "team") or not PRINCIPAL_NAME_RE.match(name):
                    raise ValueError(f"entry {line!r}: {target!r} is not role:<name> or team:<name> "
                                     "(lower-case letters, digits, - and _)")
                (roles if kind == "role" else teams).append(name)
            if not roles and not teams:
                raise ValueError(f"entry {line!r} gives no role and no team")
            entries.append((value.casefold(), tuple(roles), tuple(teams)))
        return cls(tuple(entries))

    def apply(self, values) -> tuple[tuple, tuple]:
        """``(roles, teams)``, sorted, that the claim ``values`` get."""
        have = {str(v).casefold() for v in values}
        roles, teams = set(), set()
        for value, entry_roles, entry_teams in self.entries:
            if value == "*" or value in have:
                roles.update(entry_roles)
                teams.update(entry_teams)
        return tuple(sorted(roles)), tuple(sorted(teams))


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    title: str = ""
    scopes: tuple = ("openid", "profile", "email")
    login_claim: str = "preferred_username"
    role_claims: tuple = ("groups", "roles")
    role_map: RoleMap = RoleMap()
    create_users: bool = False
    timeout: float = 10.0

    @property
    def label(self) -> str:
        return self.title or self.name

    @classmethod
    def from_settings(cls, settings: dict, name: str) -> Provider:
        from procura.settings import as_bool, as_list

        def get(key, default=""):
            value = settings.get(f"procura.oidc.{name}.{key}")
            return default if value is None else str(value).strip()

        problems = []
        if not PROVIDER_NAME_RE.match(name):
            raise ValueError(f"OpenID Connect provider name {name!r} in procura.oidc.providers: use lower-case "
                             "letters, digits, - and _ (at most 32)")
        issuer, client_id = get("issuer"), get("client_id")
        if not issuer.startswith(("https://", "http://")):
            problems.append(f"procura.oidc.{name}.issuer must be the provider's http(s) URL")
        if not client_id:
            problems.append(f"procura.oidc.{name}.client_id is required")
        try:
            role_map = RoleMap.parse(get("role_map"))
        except ValueError as exc:
            problems.append(f"procura.oidc.{name}.role_map: {exc}")
            role_map = RoleMap()
        scopes = [s for s in re.split(r"[\s,]+", get("scopes", "openid profile email")) if s]
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        try:
            timeout = float(settings.get("procura.oidc.timeout") or 10)
        except ValueError:
            problems.append("procura.oidc.timeout must be a number of seconds")
            timeout = 10.0
        if problems:
            raise ValueError(f"OpenID Connect provider {name!r} is not configured right: " + "; ".join(problems))
        return cls(name=name, issuer=issuer, client_id=client_id, client_secret=get("client_secret"),
                   title=get("title"), scopes=tuple(scopes),
                   login_claim=get("login_claim", "preferred_username") or "preferred_username",
                   role_claims=tuple(as_list(get("role_claim", "groups, roles"))), role_map=role_map,
                   create_users=as_bool(get("create_users", "false")), timeout=timeout)


def providers(registry) -> dict[str, Provider]:
    """The configured providers by name (parsed once per application; a mistake raises ValueError)."""
    cached = getattr(registry, "procura_oidc_providers", None)
    if cached is None:
        from procura.settings import as_list

        settings = registry.settings or {}
        cached = {}
        for name in as_list(settings.get("procura.oidc.providers")):
            cached[name] = Provider.from_settings(settings, name)
        registry.procura_oidc_providers = cached
    return cached


def auth_methods(request) -> list:
    """A sign-in button per provider (``procura_auth_methods``)."""
    from procura.security.auth import AuthMethod

    came_from = request.params.get("came_from", "")
    query = {"came_from": came_from} if came_from else {}
    return [AuthMethod(name=f"oidc-{p.name}", title=p.label, icon="bi-person-badge", order=50,
                       url=request.route_url("login_oidc", provider=p.name, _query=query))
            for p in providers(request.registry).values()]


# ---------------------------------------------------------------- talking to the provider
_cache: dict = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _cached(key, load, force: bool = False):
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and not force and hit[0] > now:
        return hit[1]
    value = load()
    with _cache_lock:
        _cache[key] = (now + CACHE_SECONDS, value)
    return value


def _unreachable(provider, what: str, exc: Exception) -> OidcFailure:
    log.warning("OpenID Connect provider %s: %s failed: %s: %s", provider.name, what, exc.__class__.__name__, exc)
    return OidcFailure(_("The sign-in service “${provider}” could not be reached or gave an unusable answer. "
                         "Try again later.", mapping={"provider": provider.label}),
                       f"{what}: {exc.__class__.__name__}: {exc}"[:500])


def _get_json(provider, url: str, what: str, headers: dict | None = None) -> dict:
    import requests

    try:
        response = requests.get(url, timeout=provider.timeout,
                                headers={"Accept": "application/json", **(headers or {})})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable(provider, what, exc) from exc
    if not isinstance(data, dict):
        raise _unreachable(provider, what, ValueError("not a JSON object"))
    return data


def metadata(provider: Provider, force: bool = False) -> dict:
    """The provider's discovery document (cached)."""

    def load():
        doc = _get_json(provider, provider.issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery")
        if doc.get("issuer") != provider.issuer:
            raise _unreachable(provider, "discovery", ValueError(
                f"the document names the issuer {doc.get('issuer')!r}, the setting {provider.issuer!r}"))
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)]
        if missing:
            raise _unreachable(provider, "discovery", ValueError("no " + ", ".join(missing)))
        return doc

    return _cached(("metadata", provider.issuer), load, force)


def key_set(provider: Provider, meta: dict, force: bool = False):
    """The provider's signing keys (a joserfc ``KeySet``; cached)."""
    from joserfc.jwk import KeySet

    def load():
        doc = _get_json(provider, meta["jwks_uri"], "key set")
        try:
            return KeySet.import_key_set(doc)
        except Exception as exc:  # noqa: BLE001 - any malformed key set is "unusable"
            raise _unreachable(provider, "key set", exc) from exc

    return _cached(("jwks", meta["jwks_uri"]), load, force)


def callback_url(request, provider: Provider) -> str:
    return request.route_url("login_oidc_callback", provider=provider.name)


def _client(request, provider: Provider, meta: dict):
    from authlib.integrations.requests_client import OAuth2Session

    if provider.client_secret:
        supported = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        auth_method = "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"
    else:
        auth_method = "none"  # a public client: PKCE alone binds the code to this sign-in
    return OAuth2Session(client_id=provider.client_id, client_secret=provider.client_secret or None,
                         scope=" ".join(provider.scopes), redirect_uri=callback_url(request, provider),
                         code_challenge_method="S256", token_endpoint_auth_method=auth_method)


# ---------------------------------------------------------------- the flow
def start(request, provider: Provider, came_from: str = "") -> str:
    """Begin a sign-in: the URL of the provider's authorization endpoint to send the browser to."""
    from authlib.common.security import generate_token

    meta = metadata(provider)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    with _client(request, provider, meta) as client:
        url, _state = client.create_authorization_url(meta["authorization_endpoint"], state=state, nonce=nonce,
                                                      code_verifier=verifier)
    request.session[SESSION_KEY] = {"provider": provider.name, "state": state, "nonce": nonce,
                                    "verifier": verifier, "came_from": came_from or "", "started": int(time.time())}
    return url


def finish(request, provider: Provider) -> tuple[dict, str]:
    """The provider's answer checked: ``(claims, came_from)``; raises ``OidcFailure``."""
    pending = request.session.pop(SESSION_KEY, None)
    params = request.GET
    interrupted = _("The sign-in took too long or was interrupted. Please sign in again.")
    if not isinstance(pending, dict) or pending.get("provider") != provider.name:
        raise OidcFailure(interrupted, "no sign-in with this provider was pending in this session")
    if time.time() - int(pending.get("started") or 0) > PENDING_SECONDS:
        raise OidcFailure(interrupted, "the sign-in was started too long ago")
    state = params.get("state") or ""
    if not hmac.compare_digest(state.encode(), str(pending.get("state") or "").encode()):
        raise OidcFailure(_("The answer of the sign-in service does not belong to this sign-in (its state does not "
                            "match). Please sign in again."), "state mismatch")
    if params.get("iss") and params["iss"] != provider.issuer:  # RFC 9207: a mix-up of providers
        raise OidcFailure(_("The answer came from another sign-in service than expected. Please sign in again."),
                          f"issuer mismatch in the answer: {params['iss']!r}"[:300])
    error = params.get("error")
    if error:
        detail = f"provider error {error}: {params.get('error_description', '')}"[:500]
        if error in ("access_denied", "login_required", "consent_required", "interaction_required"):
            raise OidcFailure(_("The sign-in at “${provider}” was cancelled or refused.",
                                mapping={"provider": provider.label}), detail)
        raise OidcFailure(_("“${provider}” refused the sign-in (${error}). Try again or ask an administrator.",
                            mapping={"provider": provider.label, "error": error[:100]}), detail)
    code = params.get("code")
    if not code:
        raise OidcFailure(_("The answer of the sign-in service was incomplete. Please sign in again."),
                          "no code in the answer")
    meta = metadata(provider)
    token = _exchange(request, provider, meta, code, pending["verifier"])
    claims = validate_id_token(provider, meta, token, pending["nonce"])
    claims = _with_userinfo(provider, meta, token, claims)
    return claims, pending.get("came_from") or ""


def _exchange(request, provider, meta, code: str, verifier: str) -> dict:
    import requests
    from authlib.integrations.requests_client import OAuthError

    try:
        with _client(request, provider, meta) as client:
            return client.fetch_token(meta["token_endpoint"], grant_type="authorization_code", code=code,
                                      code_verifier=verifier, timeout=provider.timeout)
    except OAuthError as exc:
        log.warning("OpenID Connect provider %s refused the code: %s", provider.name, exc.error)
        raise OidcFailure(_("“${provider}” did not accept the sign-in. Please sign in again.",
                            mapping={"provider": provider.label}),
                          f"token endpoint: {exc.error}: {exc.description or ''}"[:500]) from exc
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable(provider, "token endpoint", exc) from exc


def validate_id_token(provider: Provider, meta: dict, token: dict, nonce: str) -> dict:
    """The ID token's claims after checking its signature, ``iss``, ``aud``, ``exp`` and ``nonce``."""
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt
    from joserfc.errors import InvalidKeyIdError, JoseError
    from joserfc.jws import JWSRegistry

    invalid = _("The sign-in service sent an identity token that is not valid. Please sign in again, "
                "or ask an administrator.")
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise OidcFailure(invalid, "no ID token in the token response")
    offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in offered if a in SIGNING_ALGS] or ["RS256"]
    registry = JWSRegistry(algorithms=algorithms)
    try:
        try:
            decoded = jwt.decode(id_token, key_set(provider, meta), registry=registry)
        except InvalidKeyIdError:  # the provider rotated its keys: fetch them again once
            decoded = jwt.decode(id_token, key_set(provider, meta, force=True), registry=registry)
        claims = CodeIDToken(decoded.claims, decoded.header,
                             {"iss": {"essential": True, "value": provider.issuer},
                              "aud": {"essential": True, "value": provider.client_id}},
                             {"nonce": nonce, "client_id": provider.client_id,
                              "access_token": token.get("access_token")})
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError) as exc:
        log.warning("OpenID Connect provider %s: ID token refused: %s", provider.name, exc)
        raise OidcFailure(invalid, f"invalid ID token: {exc.__class__.__name__}: {exc}"[:500]) from exc
    return dict(claims)


def _with_userinfo(provider, meta, token, claims: dict) -> dict:
    """The ID token's claims completed from the userinfo endpoint (providers put profile and group
    claims there for the code flow). The ID token's own claims win."""
    endpoint, access_token = meta.get("userinfo_endpoint"), token.get("access_token")
    if not endpoint or not access_token:
        return claims
    info = _get_json(provider, endpoint, "userinfo", headers={"Authorization": f"Bearer {access_token}"})
    if str(info.get("sub")) != str(claims.get("sub")):
        raise OidcFailure(_("The sign-in service sent an identity token that is not valid. Please sign in again, "
                            "or ask an administrator."), "userinfo names another subject than the ID token")
    return {**info, **claims}


# ---------------------------------------------------------------- users
def subject_key(issuer: str, sub: str) -> str:
    return f"{issuer}\n{sub}"


def _subjects(app_root):
    """``issuer + sub`` -> login, in the auth store (made on first use)."""
    from BTrees.OOBTree import OOBTree

    from procura.security.store import auth_store

    store = auth_store(app_root)
    index = getattr(store, "oidc_subjects", None)
    if index is None:
        index = store.oidc_subjects = OOBTree()
    return index


def claim(claims: dict, path: str):
    """A claim by name, or by a dotted path into nested claims (``realm_access.roles``)."""
    if path in claims:
        return claims[path]
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def claim_values(claims: dict, paths) -> list[str]:
    out = []
    for path in paths:
        value = claim(claims, path)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(str(v) for v in value if isinstance(v, (str, int)))
    return out


def _person_name(claims: dict, login: str | None):
    from procura.types.names import PersonName

    def text(key):
        value = claims.get(key)
        return value.strip()[:200] if isinstance(value, str) else ""

    family, given, middle = text("family_name"), text("given_name"), text("middle_name")
    if family or given:
        return PersonName(family, given, middle)
    if text("name"):
        return PersonName(text("name"), "", "")
    return PersonName(login, "", "") if login else None


def _email(claims: dict) -> str | None:
    value = claims.get("email")
    if isinstance(value, str) and "@" in value and len(value) <= 200 and not any(c.isspace() for c in value):
        return value.strip()
    return None


def user_for_claims(request, provider: Provider, claims: dict):
    """The user these (validated) claims are: found by subject, linked or created; mapped roles and
    teams refreshed. Writes go through the service path of a system request in this request's
    transaction. Raises ``OidcFailure``."""
    from procura.security.principals import LOGIN_RE, normalise_login
    from procura.types.content import container_for
    from procura.types.service import ServiceError
    from procura.types.system import system_request

    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise OidcFailure(_("The sign-in service sent an identity token that is not valid. Please sign in again, "
                            "or ask an administrator."), "no subject")
    system = system_request(request.registry, request.app_root, request.tm, base=request)
    users = container_for(request.app_root, "user")
    index = _subjects(request.app_root)
    key = subject_key(provider.issuer, sub)
    login = index.get(key)
    user = users.get(login) if login else None
    if user is not None and (getattr(user, "external_issuer", None), user.external_subject) != (provider.issuer, sub):
        user = None  # the index is stale (the user was re-created): look again by login
    if user is None:
        raw = claim(claims, provider.login_claim)
        if not isinstance(raw, str) or not raw.strip():
            raise OidcFailure(_("“${provider}” did not send the user name Procura needs (claim “${claim}”). "
                                "Ask an administrator.",
                                mapping={"provider": provider.label, "claim": provider.login_claim}),
                              f"claim {provider.login_claim} missing (sub {sub})"[:500])
        login = normalise_login(raw)
        if not re.match(LOGIN_RE, login):
            raise OidcFailure(_("The user name “${login}” from “${provider}” cannot be a Procura login. "
                                "Ask an administrator.", mapping={"login": raw[:100], "provider": provider.label}),
                              f"login claim {raw[:100]!r} is not a valid login", login=raw[:200])
        user = users.get(login)
        if user is not None:
            if user.deleted:
                pass  # refused below, with the same message as a deleted linked user
            elif user.auth_source != METHOD or user.external_subject:
                raise OidcFailure(_("An account with the login “${login}” already exists and signs in another way. "
                                    "Ask an administrator.", mapping={"login": login}),
                                  f"login {login} is taken by a user not linked to this provider (sub {sub})"[:500],
                                  login=login)
            else:  # created by an administrator to sign in with OpenID Connect: link it
                _link(user, provider, sub)
                index[key] = login
                log.info("OpenID Connect provider %s: linked user %s to subject %s", provider.name, login, sub)
        elif not provider.create_users:
            raise OidcFailure(_("There is no Procura account for you yet, and accounts of “${provider}” are not "
                                "created automatically. Ask an administrator to create yours.",
                                mapping={"provider": provider.label}),
                              f"unknown user; this provider does not create users (sub {sub})"[:500], login=login)
        else:
            try:
                user = system.types.create(system.types.info("user"), {
                    "login": login, "name": _person_name(claims, login), "email": _email(claims), "kind": "staff",
                    "active": True, "auth_source": METHOD, "roles": (), "teams": ()})
            except ServiceError as exc:
                raise OidcFailure(_("Your Procura account could not be created. Ask an administrator."),
                                  f"creating user {login} failed: {exc}"[:500], login=login) from exc
            _link(user, provider, sub)
            index[key] = login
            log.info("OpenID Connect provider %s: created user %s", provider.name, login)
    if user.deleted:
        raise OidcFailure(_("This account has been deleted. Ask an administrator."),
                          "the account is in the trash", login=user.login)
    refresh(system, provider, user, claims)
    return user


def _link(user, provider: Provider, sub: str) -> None:
    user.external_issuer = provider.issuer
    user.external_subject = sub
    user.external_provider = provider.name


def refresh(system, provider: Provider, user, claims: dict) -> None:
    """Roles and teams from the role map; name and email of users who sign in with the provider."""
    roles, teams = provider.role_map.apply(claim_values(claims, provider.role_claims))
    if tuple(getattr(user, "external_roles", ()) or ()) != roles:
        user.external_roles = roles
    if tuple(getattr(user, "external_teams", ()) or ()) != teams:
        user.external_teams = teams
    if user.auth_source != METHOD:
        return
    changes = {}
    name, email = _person_name(claims, None), _email(claims)
    if name and name != getattr(user, "name", None):
        changes["name"] = name
    if email and email != getattr(user, "email", None):
        changes["email"] = email
    if changes:
        from procura.types.service import ServiceError

        try:
            system.types.update(user, changes)
        except ServiceError:  # the profile stays as it was; signing in goes on
            log.exception("OpenID Connect provider %s: could not update the profile of %s", provider.name, user.login)
