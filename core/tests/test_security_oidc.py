"""OpenID Connect sign-in against a real OpenID provider on loopback.

The provider is the npm package ``oidc-provider`` (a devDependency in package.json), run by
``tests/oidc/provider.mjs`` once per test session on a free port of 127.0.0.1, with static accounts
read from a JSON file the tests rewrite to change claims. The application runs under WebTest at
``http://localhost``; the "browser" is a ``requests`` session at the provider plus WebTest's cookie
jar at the application, following every redirect by hand. The application itself talks to the
provider over real HTTP (discovery, keys, token and userinfo endpoints).

Without Node.js 20+ or ``node_modules/oidc-provider`` (``npm ci``) the tests that need the provider
skip with a message saying so, except under ``CI=true``, where they fail.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
APP_URL = "http://localhost"
CLIENT_ID = "procura"
CLIENT_SECRET = "oidc-test-client-secret-9f2c7a"  # noqa: S105 - the test provider's client secret

ACCOUNTS = {  # account id (the subject) -> claims
    "u-1001": {"preferred_username": "alice", "given_name": "Alice", "family_name": "Smirnova",
               "email": "alice@corp.example", "email_verified": True, "groups": ["procurement", "staff"]},
    "u-1002": {"preferred_username": "bob", "name": "Bob Stone", "email": "bob@corp.example",
               "groups": ["it-admins"]},
    "u-1003": {"preferred_username": "carol", "given_name": "Carol", "family_name": "Petrova",
               "email": "carol@corp.example", "groups": ["procurement"]},
    "u-1004": {"preferred_username": "dave", "given_name": "Dave", "family_name": "Orlov", "groups": []},
    "u-1005": {"preferred_username": "erin", "given_name": "Erin", "family_name": "Local", "groups": []},
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _node() -> tuple[str | None, str | None]:
    """``(node executable, None)`` or ``(None, what is missing)``."""
    node = shutil.which("node") or ("/usr/bin/node" if os.access("/usr/bin/node", os.X_OK) else None)
    if node is None:
        return None, "Node.js (node) is not installed"
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
        major = int(version.lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return None, f"{node} --version failed ({exc})"
    if major < 20:
        return None, f"oidc-provider needs Node.js 20 or newer, {node} is {version}"
    if not (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
        return None, "node_modules/oidc-provider is missing (run npm ci)"
    return node, None


@dataclass
class LoopbackProvider:
    issuer: str
    accounts_file: Path

    def set_claims(self, account: str, **claims) -> None:
        data = json.loads(self.accounts_file.read_text(encoding="utf-8"))
        data[account] = {**data[account], **claims}
        self.accounts_file.write_text(json.dumps(data), encoding="utf-8")

    def reset(self) -> None:
        self.accounts_file.write_text(json.dumps(ACCOUNTS), encoding="utf-8")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    node, problem = _node()
    if problem:
        message = f"The OpenID Connect tests need a real provider: {problem}."
        if _in_ci():
            pytest.fail(message + " (CI=true: these tests must not be skipped)", pytrace=False)
        pytest.skip(message)
    tmp = tmp_path_factory.mktemp("oidc-provider")
    accounts = tmp / "accounts.json"
    accounts.write_text(json.dumps(ACCOUNTS), encoding="utf-8")
    log_path = tmp / "provider.log"
    env = dict(os.environ, ACCOUNTS_FILE=str(accounts), CLIENT_SECRET=CLIENT_SECRET, PORT="0",
               REDIRECT_URIS=",".join(f"{APP_URL}/login/oidc/{name}/callback" for name in ("corp", "strict")))
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([node, str(PROVIDER_SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=log, text=True)
    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=30)
    line = first_line[0].strip() if first_line else ""
    if not line.startswith("ISSUER "):
        proc.kill()
        proc.wait(timeout=10)
        pytest.fail(f"the OpenID provider did not start: {line!r}\n{log_path.read_text(encoding='utf-8')}",
                    pytrace=False)
    provider = LoopbackProvider(line.split(" ", 1)[1], accounts)
    try:
        yield provider
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture
def provider(oidc_provider):
    """The session's provider, its accounts as ``ACCOUNTS`` again after the test."""
    from procura.security import oidc

    oidc.clear_cache()
    yield oidc_provider
    oidc_provider.reset()
    oidc.clear_cache()


def provider_settings(name, issuer, **extra) -> dict:
    values = {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "scopes": "openid profile email groups", **extra}
    return {f"procura.oidc.{name}.{key}": value for key, value in values.items()}


@pytest.fixture
def procura_overrides(provider):
    return {
        "procura.oidc.providers": "corp, strict",
        **provider_settings("corp", provider.issuer, title="Corporate account", create_users="true",
                            role_map="procurement = role:buyer team:procurement\nit-admins = role:admin"),
        **provider_settings("strict", provider.issuer, title="Strict SSO", create_users="false",
                            role_map="procurement = role:buyer"),
    }


# ---------------------------------------------------------------- the browser
def _form(html: str):
    from bs4 import BeautifulSoup

    form = BeautifulSoup(html, "html.parser").find("form")
    assert form is not None, html[:2000]
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    return form["action"], data


class Browser:
    """One user's browser: WebTest's cookie jar at the app, a ``requests`` session at the provider."""

    def __init__(self, testapp):
        import requests

        self.app = testapp
        self.web = requests.Session()

    def start(self, provider_name="corp", came_from=None):
        query = f"?{urlencode({'came_from': came_from})}" if came_from else ""
        response = self.app.get(f"/login/oidc/{provider_name}{query}")
        assert response.status_int == 303, response.text[:2000]
        return response.location

    def at_provider(self, url: str, account: str, *, abort: bool = False) -> str:
        """Sign in at the provider as ``account`` (its login and consent forms); the URL it sends the
        browser back to the application with."""
        for _step in range(20):
            if url.startswith(APP_URL + "/"):
                return url
            response = self.web.get(url, allow_redirects=False, timeout=20)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            assert response.status_code == 200, response.text[:2000]
            action, data = _form(response.text)
            if abort:
                url = urljoin(url, action.rstrip("/") + "/abort")
                continue
            if data.get("prompt") == "login":
                data.update(login=account, password="any-password")
            response = self.web.post(urljoin(url, action), data=data, allow_redirects=False, timeout=20)
            assert response.is_redirect, response.text[:2000]
            url = urljoin(url, response.headers["location"])
        raise AssertionError(f"the provider did not send the browser back: {url}")

    def back_at_app(self, url: str):
        parts = urlsplit(url)
        return self.app.get(parts.path + (f"?{parts.query}" if parts.query else ""), status="*")

    def sign_in(self, account: str, provider_name="corp", came_from=None):
        return self.back_at_app(self.at_provider(self.start(provider_name, came_from), account))


def sign_in(testapp, account, provider_name="corp", **kw):
    """A fresh browser (signed out of the app, no session at the provider) signs in as ``account``."""
    testapp.reset()
    return Browser(testapp).sign_in(account, provider_name, **kw)


def refused_message(response) -> str:
    """The message on the sign-in page the refusal sent the browser back to."""
    assert response.status_int == 303, response.text[:2000]
    assert urlsplit(response.location).path == "/login", response.location
    page = response.follow()
    flash = page.html.select_one(".procura-flash")
    assert flash is not None, page.text[:3000]
    return flash.get_text(" ", strip=True)


def read(app, fn):
    from procura.types.system import in_own_transaction

    return in_own_transaction(app.registry, fn)


def user_state(app, login) -> dict | None:
    def look(request):
        from procura.security import get_user

        user = get_user(request.app_root, login)
        if user is None:
            return None
        return {k: getattr(user, k, None) for k in (
            "auth_source", "external_subject", "external_issuer", "external_roles", "external_teams", "roles",
            "teams", "email", "fullname", "active", "last_login", "kind")}

    return read(app, look)


def login_events(app) -> list[dict]:
    def look(request):
        from procura.types.content import container_for

        box = container_for(request.app_root, "login_event")
        events = sorted(box.values(), key=lambda e: e.created)
        return [{k: getattr(e, k, None) for k in ("login", "event", "success", "method", "detail")} for e in events]

    return read(app, look)


def change_user(app, login, **values):
    def change(request):
        from procura.security import get_user

        svc = request.types
        for role in values.get("roles", ()):
            from procura.types.content import container_for

            if role not in container_for(request.app_root, "role"):
                svc.create(svc.info("role"), {"name": role, "label": role.capitalize(), "kind": "staff",
                                              "login_hours": "any"})
        svc.update(get_user(request.app_root, login), values)

    read(app, change)


def is_signed_in(testapp) -> bool:
    return testapp.get("/", status="*").status_int == 200


# ---------------------------------------------------------------- tests with the provider
def test_the_sign_in_page_shows_a_button_per_provider(testapp, provider):
    page = testapp.get("/login?came_from=/t/user")
    buttons = {a["data-auth-method"]: a for a in page.html.select("a[data-auth-method]")}
    assert buttons["oidc-corp"].get_text(strip=True) == "Corporate account"
    assert buttons["oidc-strict"].get_text(strip=True) == "Strict SSO"
    assert buttons["oidc-corp"]["href"] == "http://localhost/login/oidc/corp?came_from=%2Ft%2Fuser"
    assert CLIENT_SECRET not in page.text
    assert testapp.get("/login/oidc/nobody", status=404)


def test_the_start_redirects_to_the_provider_with_state_nonce_and_pkce(testapp, provider):
    location = Browser(testapp).start()
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == provider.issuer
    params = dict(parse_qsl(parts.query))
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://localhost/login/oidc/corp/callback"
    assert params["scope"] == "openid profile email groups"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert CLIENT_SECRET not in location


def test_first_sign_in_creates_the_user_with_mapped_roles_and_signs_in(app, testapp, provider, caplog):
    caplog.set_level("DEBUG")
    response = sign_in(testapp, "u-1001", came_from="/profile")
    assert response.status_int == 303, response.text[:2000]
    assert response.location == "http://localhost/profile"
    assert is_signed_in(testapp)
    user = user_state(app, "alice")
    assert user["auth_source"] == "oidc" and user["kind"] == "staff" and user["active"]
    assert (user["external_issuer"], user["external_subject"]) == (provider.issuer, "u-1001")
    assert user["email"] == "alice@corp.example"
    assert "Smirnova" in user["fullname"] and "Alice" in user["fullname"]
    assert user["external_roles"] == ("buyer",) and user["external_teams"] == ("procurement",)
    assert tuple(user["roles"]) == () and tuple(user["teams"]) == ()  # nothing given by hand
    assert user["last_login"] is not None

    def grants(request):
        from procura.security import get_user
        from procura.security.grants import Grants

        g = Grants(request, get_user(request.app_root, "alice"))
        return g.role_names, g.direct_teams

    role_names, teams = read(app, grants)
    assert "buyer" in role_names and "procurement" in teams
    event = login_events(app)[-1]
    assert (event["login"], event["event"], event["success"], event["method"]) == ("alice", "sign_in", True, "oidc")
    assert CLIENT_SECRET not in caplog.text
    assert all(CLIENT_SECRET not in (e["detail"] or "") for e in login_events(app))


def test_the_second_sign_in_finds_the_same_user_by_subject(app, testapp, provider):
    assert sign_in(testapp, "u-1001").status_int == 303
    first = user_state(app, "alice")["last_login"]
    # the login claim changed at the provider: the user is still found by the subject
    provider.set_claims("u-1001", preferred_username="alice.renamed", email="alice.s@corp.example")
    assert sign_in(testapp, "u-1001").status_int == 303
    assert is_signed_in(testapp)
    assert user_state(app, "alice.renamed") is None
    again = user_state(app, "alice")
    assert again["last_login"] > first
    assert again["email"] == "alice.s@corp.example"  # the profile follows the provider
    assert [e["event"] for e in login_events(app)] == ["sign_in", "sign_in"]


def test_changed_groups_update_mapped_roles_but_keep_roles_given_by_hand(app, testapp, provider):
    assert sign_in(testapp, "u-1001").status_int == 303
    change_user(app, "alice", roles=("lawyer",), teams=())  # an administrator gives a role by hand
    provider.set_claims("u-1001", groups=["it-admins"])
    assert sign_in(testapp, "u-1001").status_int == 303
    user = user_state(app, "alice")
    assert user["external_roles"] == ("admin",) and user["external_teams"] == ()
    assert tuple(user["roles"]) == ("lawyer",)
    provider.set_claims("u-1001", groups=[])
    assert sign_in(testapp, "u-1001").status_int == 303
    user = user_state(app, "alice")
    assert user["external_roles"] == () and tuple(user["roles"]) == ("lawyer",)


def test_a_provider_that_creates_no_users_refuses_an_unknown_user(app, testapp, provider):
    message = refused_message(sign_in(testapp, "u-1003", "strict"))
    assert message == ("There is no Procura account for you yet, and accounts of “Strict SSO” are not created "
                       "automatically. Ask an administrator to create yours.")
    assert not is_signed_in(testapp)
    assert user_state(app, "carol") is None
    event = login_events(app)[-1]
    assert (event["login"], event["event"], event["success"], event["method"]) == (
        "carol", "external_failure", False, "oidc")
    assert event["detail"].startswith("strict: unknown user")


def test_a_provider_that_creates_no_users_links_a_user_an_administrator_created(app, testapp, provider, make_user):
    make_user("carol", password=None, auth_source="oidc")
    response = sign_in(testapp, "u-1003", "strict")
    assert response.status_int == 303 and urlsplit(response.location).path == "/"
    assert is_signed_in(testapp)
    user = user_state(app, "carol")
    assert user["external_subject"] == "u-1003" and user["external_roles"] == ("buyer",)


def test_a_login_taken_by_a_user_of_another_sign_in_method_is_refused(app, testapp, provider, make_user):
    make_user("erin")  # signs in with a password
    message = refused_message(sign_in(testapp, "u-1005"))
    assert message == ("An account with the login “erin” already exists and signs in another way. "
                       "Ask an administrator.")
    assert user_state(app, "erin")["auth_source"] == "local"
    assert user_state(app, "erin")["external_subject"] is None
    assert login_events(app)[-1]["event"] == "external_failure"


def test_a_tampered_state_is_refused(app, testapp, provider):
    testapp.reset()
    browser = Browser(testapp)
    back = browser.at_provider(browser.start(), "u-1001")
    parts = urlsplit(back)
    params = dict(parse_qsl(parts.query))
    assert params["code"] and params["state"]
    params["state"] = params["state"][:-4] + "XXXX"
    tampered = urlunsplit(parts._replace(query=urlencode(params)))
    message = refused_message(browser.back_at_app(tampered))
    assert message == ("The answer of the sign-in service does not belong to this sign-in (its state does not match). "
                       "Please sign in again.")
    assert not is_signed_in(testapp)
    assert user_state(app, "alice") is None
    event = login_events(app)[-1]
    assert (event["event"], event["method"], event["detail"]) == ("external_failure", "oidc", "corp: state mismatch")
    # the real answer cannot be used afterwards either: the pending sign-in is gone from the session
    message = refused_message(browser.back_at_app(back))
    assert message.startswith("The sign-in took too long or was interrupted.")


def test_a_callback_without_a_pending_sign_in_is_refused(app, testapp, provider):
    message = refused_message(testapp.get("/login/oidc/corp/callback?code=abc&state=def"))
    assert message == "The sign-in took too long or was interrupted. Please sign in again."
    assert login_events(app)[-1]["event"] == "external_failure"


def test_an_inactive_user_is_refused(app, testapp, provider):
    assert sign_in(testapp, "u-1004").status_int == 303
    change_user(app, "dave", active=False)
    message = refused_message(sign_in(testapp, "u-1004"))
    assert message == "This account is deactivated. Ask an administrator."
    assert not is_signed_in(testapp)
    event = login_events(app)[-1]
    assert (event["login"], event["event"], event["method"]) == ("dave", "refused_inactive", "oidc")


def test_cancelling_at_the_provider_is_refused_with_a_message(app, testapp, provider):
    testapp.reset()
    browser = Browser(testapp)
    back = browser.at_provider(browser.start(), "u-1001", abort=True)
    assert dict(parse_qsl(urlsplit(back).query))["error"] == "access_denied"
    message = refused_message(browser.back_at_app(back))
    assert message == "The sign-in at “Corporate account” was cancelled or refused."
    event = login_events(app)[-1]
    assert event["event"] == "external_failure" and event["detail"].startswith("corp: provider error access_denied")


def test_an_id_token_with_a_wrong_signature_is_refused(app, testapp, provider, monkeypatch):
    from joserfc.jwk import KeySet, RSAKey
    from procura.security import oidc

    impostor = KeySet([RSAKey.generate_key(2048, parameters={"kid": "test-rs256", "use": "sig", "alg": "RS256"},
                                           private=False)])
    monkeypatch.setattr(oidc, "key_set", lambda provider, meta, force=False: impostor)
    message = refused_message(sign_in(testapp, "u-1001"))
    assert message == ("The sign-in service sent an identity token that is not valid. Please sign in again, "
                       "or ask an administrator.")
    assert user_state(app, "alice") is None
    event = login_events(app)[-1]
    assert event["event"] == "external_failure" and "invalid ID token" in event["detail"]


def test_the_second_factor_applies_to_oidc_sign_ins(app, testapp, provider):
    from procura.testing import create_test_user

    create_test_user(app.registry, "someone", roles=["buyer"])  # makes the role "buyer"

    def require_2fa(request):
        from procura.types.content import container_for

        request.types.update(container_for(request.app_root, "role")["buyer"], {"require_2fa": True})

    read(app, require_2fa)
    response = sign_in(testapp, "u-1001")
    assert response.status_int == 303
    assert urlsplit(response.location).path == "/login/second-factor/setup"
    assert not is_signed_in(testapp)


# ---------------------------------------------------------------- without the provider
def test_role_map_syntax():
    from procura.security.oidc import RoleMap

    rules = RoleMap.parse("procurement = role:buyer team:procurement; IT-Admins = admin\n"
                          "CN=Lawyers,OU=Groups,DC=corp,DC=example = role:lawyer, team:legal\n* = team:everyone")
    assert rules.apply(["it-admins"]) == (("admin",), ("everyone",))
    assert rules.apply(["procurement", "cn=lawyers,ou=groups,dc=corp,dc=example"]) == (
        ("buyer", "lawyer"), ("everyone", "legal", "procurement"))
    assert rules.apply([]) == ((), ("everyone",))
    for wrong in ("procurement", "= role:buyer", "x = role:Buyer", "x = group:buyer", "x = "):
        with pytest.raises(ValueError):
            RoleMap.parse(wrong)


def test_claim_paths():
    from procura.security.oidc import claim_values

    claims = {"groups": ["a", "b"], "roles": "c", "realm_access": {"roles": ["d"]}}
    assert claim_values(claims, ["groups", "roles", "realm_access.roles", "missing"]) == ["a", "b", "c", "d"]


def test_provider_settings_per_name_come_from_the_environment(tmp_path, monkeypatch):
    from procura.settings import load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROCURA_OIDC_PROVIDERS", "corp")
    monkeypatch.setenv("PROCURA_OIDC_CORP_ISSUER", "https://sso.example")
    monkeypatch.setenv("PROCURA_OIDC_CORP_CLIENT_SECRET", "from-the-environment")
    settings = load_settings()
    assert settings["procura.oidc.corp.issuer"] == "https://sso.example"
    assert settings["procura.oidc.corp.client_secret"] == "from-the-environment"
    assert settings["procura.oidc.corp.login_claim"] == "preferred_username"  # the pattern's default
    assert settings["procura.oidc.corp.create_users"] == "false"


def test_a_misconfigured_provider_stops_the_start_with_its_reason(tmp_path):
    from procura import make_app
    from procura.testing import make_settings, memory_db_with_blobs

    settings = make_settings(tmp_path, **{"procura.oidc.providers": "corp",
                                          "procura.oidc.corp.issuer": "sso.example",
                                          "procura.oidc.corp.role_map": "buyers = role:Buyer"})
    db = memory_db_with_blobs(tmp_path / "blobs")
    try:
        with pytest.raises(Exception) as info:
            make_app(settings, db=db)
    finally:
        db.close()
    text = str(info.value)
    assert "procura.oidc.corp.issuer must be the provider's http(s) URL" in text
    assert "procura.oidc.corp.client_id is required" in text
    assert "procura.oidc.corp.role_map" in text


def test_the_readme_documents_the_provider_settings():
    from procura.settings import SETTING_PATTERNS, env_name

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for pattern in SETTING_PATTERNS:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{pattern.key}` |")), None)
        assert row, f"{pattern.key} missing from the README"
        assert f"`{env_name(pattern.key)}`" in row
