"""LDAP / Active Directory sign-in and synchronisation against a REAL OpenLDAP server (slapd).

One slapd per test session, on 127.0.0.1 and a free port, with a cn=config made by ``slapadd -n0``
(back_mdb, suffix dc=procura,dc=test, schemas core/cosine/inetorgperson/nis plus two Active
Directory attributes, ``sAMAccountName`` and ``userAccountControl``) and entries added with
``ldapadd``. Tests that change the directory use people of their own. Without slapd and ldap-utils
the module skips with a message, except in CI (``CI=true``) where it fails.
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from authhelpers import events, update_record, with_root
from procura.security import get_user
from procura.security.directory import SYNC_JOB, last_sync, run_sync, sync
from procura.security.grants import Grants
from procura.security.ldap import (
    LdapConfigError,
    LdapDirectory,
    LdapSettings,
    LdapUnavailable,
    norm_dn,
    parse_group_map,
)
from procura.testing import TEST_PASSWORD
from procura.types.content import container_for
from procura.types.system import in_own_transaction

SUFFIX = "dc=procura,dc=test"
ADMIN_DN, ADMIN_PASSWORD = f"cn=admin,{SUFFIX}", "admin-secret-1"
SERVICE_DN, SERVICE_PASSWORD = f"cn=procura,ou=services,{SUFFIX}", "service-secret-1"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
PASSWORD = "Directory-pass-1"  # noqa: S105 - the directory password of the test people
GROUP_MAP = (f"cn=buyers,{GROUPS} = team:procurement role:buyer;\n"
             "managers = team:management, role:manager")
WRONG = "Wrong login or password."
UNREACHABLE = "The directory server (LDAP) cannot be reached"
SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ssha(password: str) -> str:
    salt = secrets.token_bytes(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()  # noqa: S324


CONFIG = """\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {tmp}/slapd.pid

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

include: file:///etc/ldap/schema/nis.ldif

dn: cn=adtest,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adtest
olcAttributeTypes: ( 1.3.6.1.4.1.99999.1.1 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch
  SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.1.2 NAME 'userAccountControl' EQUALITY integerMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.99999.2.1 NAME 'procuraTestAccount' AUXILIARY
  MAY ( sAMAccountName $ userAccountControl ) )

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {suffix}
olcRootDN: {admin_dn}
olcRootPW: {admin_password}
olcDbDirectory: {tmp}/db
olcDbMaxSize: 104857600
olcDbIndex: objectClass eq
olcDbIndex: uid,sAMAccountName,member,memberUid eq
olcAccess: {{0}}to attrs=userPassword by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{service_dn}" read by self read by anonymous auth by * none
"""


def person_ldif(uid, last, first, *, title="", mail="", phone="", ad=False, control=None) -> str:
    rdn = f"cn={first} {last}"
    lines = [f"dn: {rdn},{PEOPLE}", "objectClass: inetOrgPerson"]
    if ad:
        lines += ["objectClass: procuraTestAccount", f"sAMAccountName: {uid}"]
        if control is not None:
            lines.append(f"userAccountControl: {control}")
    else:
        lines.append(f"uid: {uid}")
    lines += [f"cn: {first} {last}", f"sn: {last}", f"givenName: {first}", f"userPassword: {ssha(PASSWORD)}"]
    lines += [f"title: {title}"] if title else []
    lines += [f"mail: {mail}"] if mail else []
    lines += [f"telephoneNumber: {phone}"] if phone else []
    return "\n".join(lines) + "\n"


def group_ldif(cn, *member_dns) -> str:
    members = [f"member: {dn}" for dn in member_dns or (ADMIN_DN,)]  # groupOfNames needs a member
    return "\n".join([f"dn: cn={cn},{GROUPS}", "objectClass: groupOfNames", f"cn: {cn}", *members]) + "\n"


def person_dn(uid) -> str:
    return f"cn={PEOPLE_NAMES[uid]},{PEOPLE}"


# uid -> "First Last" (the RDN of their entry)
PEOPLE_NAMES = {"anna": "Anna Ivanova", "boris": "Boris Petrov", "olga": "Ольга Смирнова", "dmitry": "Dmitry Sokolov"}


def directory_ldif() -> str:
    parts = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: procura\no: Procura test\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: procura\n"
        f"userPassword: {ssha(SERVICE_PASSWORD)}\n",
        person_ldif("anna", "Ivanova", "Anna", title="Lead buyer", mail="Anna.Ivanova@procura.test",
                    phone="8 (495) 123-45-67"),
        person_ldif("boris", "Petrov", "Boris", title="Head of purchasing", mail="boris@procura.test"),
        person_ldif("olga", "Смирнова", "Ольга", title="Экономист"),
        person_ldif("dmitry", "Sokolov", "Dmitry", ad=True, control=512),
        group_ldif("buyers", person_dn("anna"), person_dn("olga")),
        group_ldif("managers", person_dn("boris"), person_dn("dmitry")),
        group_ldif("others"),
    ]
    return "\n".join(parts)


@dataclass
class Slapd:
    url: str
    proc: subprocess.Popen

    def admin(self):
        """An ldap3 connection bound as the directory's root (to change the directory in a test)."""
        from ldap3 import Connection, Server

        conn = Connection(Server(self.url), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True, raise_exceptions=True)
        return conn

    def add_person(self, uid, last, first, groups=(), **kw) -> str:
        """A person of one test, with their membership of ``groups`` (cn); returns their DN."""
        from ldap3 import MODIFY_ADD

        PEOPLE_NAMES[uid] = f"{first} {last}"
        dn = person_dn(uid)
        attrs = {"objectClass": ["inetOrgPerson"], "cn": f"{first} {last}", "sn": last, "givenName": first,
                 "userPassword": ssha(PASSWORD)}
        if kw.get("ad"):
            attrs["objectClass"].append("procuraTestAccount")
            attrs["sAMAccountName"] = uid
            attrs["userAccountControl"] = str(kw.get("control", 512))
        else:
            attrs["uid"] = uid
        if kw.get("title"):
            attrs["title"] = kw["title"]
        conn = self.admin()
        try:
            conn.add(dn, attributes=attrs)
            for cn in groups:
                conn.modify(f"cn={cn},{GROUPS}", {"member": [(MODIFY_ADD, [dn])]})
        finally:
            conn.unbind()
        return dn

    def modify(self, dn, **changes):
        from ldap3 import MODIFY_REPLACE

        conn = self.admin()
        try:
            conn.modify(dn, {name: [(MODIFY_REPLACE, [value])] for name, value in changes.items()})
        finally:
            conn.unbind()

    def move(self, dn, old_group, new_group):
        from ldap3 import MODIFY_ADD, MODIFY_DELETE

        conn = self.admin()
        try:
            conn.modify(f"cn={new_group},{GROUPS}", {"member": [(MODIFY_ADD, [dn])]})
            conn.modify(f"cn={old_group},{GROUPS}", {"member": [(MODIFY_DELETE, [dn])]})
        finally:
            conn.unbind()

    def delete(self, dn):
        from ldap3 import MODIFY_DELETE

        conn = self.admin()
        try:
            for cn in ("buyers", "managers", "others"):
                conn.raise_exceptions = False
                conn.modify(f"cn={cn},{GROUPS}", {"member": [(MODIFY_DELETE, [dn])]})
            conn.raise_exceptions = True
            conn.delete(dn)
        finally:
            conn.unbind()


def _missing_tools() -> list[str]:
    tools = {"slapd": "slapd", "slapadd": "slapd", "ldapadd": "ldap-utils"}
    return sorted({pkg for tool, pkg in tools.items() if shutil.which(tool, path=SBIN) is None})


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    missing = _missing_tools()
    if missing:
        message = (f"The LDAP tests need a real OpenLDAP server; not installed: {', '.join(missing)} "
                   "(apt-get install slapd ldap-utils)")
        if in_ci():
            pytest.fail(message + " (CI=true: these tests must not be skipped)", pytrace=False)
        pytest.skip(message)
    tmp = tmp_path_factory.mktemp("slapd")
    (tmp / "slapd.d").mkdir()
    (tmp / "db").mkdir()
    (tmp / "config.ldif").write_text(CONFIG.format(tmp=tmp, suffix=SUFFIX, admin_dn=ADMIN_DN,
                                                   admin_password=ADMIN_PASSWORD, service_dn=SERVICE_DN))
    subprocess.run([shutil.which("slapadd", path=SBIN), "-n0", "-F", str(tmp / "slapd.d"), "-l",
                    str(tmp / "config.ldif")], check=True, capture_output=True, timeout=60)
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (tmp / "slapd.log").open("wb")
    proc = subprocess.Popen([shutil.which("slapd", path=SBIN), "-F", str(tmp / "slapd.d"), "-h", url + "/",
                             "-d", "0"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"slapd exited: {(tmp / 'slapd.log').read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("slapd did not start listening within 20 s") from None
                time.sleep(0.05)
        (tmp / "data.ldif").write_text(directory_ldif(), encoding="utf-8")
        result = subprocess.run([shutil.which("ldapadd", path=SBIN), "-x", "-H", url, "-D", ADMIN_DN, "-w",
                                 ADMIN_PASSWORD, "-f", str(tmp / "data.ldif")], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        yield Slapd(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def ldap_overrides(url, **extra) -> dict:
    return {
        "procura.ldap.url": url,
        "procura.ldap.bind_dn": SERVICE_DN,
        "procura.ldap.bind_password": SERVICE_PASSWORD,
        "procura.ldap.user_base": PEOPLE,
        "procura.ldap.group_base": GROUPS,
        "procura.ldap.group_map": GROUP_MAP,
        "procura.ldap.timeout": "3",
        **extra,
    }


@pytest.fixture
def procura_overrides(slapd):
    return ldap_overrides(slapd.url)


# ---------------------------------------------------------------- helpers

def sign_in(testapp, login, password, status=303):
    page = testapp.get("/login")
    form = page.forms["login-form"]
    form["login"] = login
    form["password"] = password
    result = form.submit("submit")
    assert result.status_int == status, result.text[:3000]
    return result


def run_directory_sync(app):
    return in_own_transaction(app.registry, sync, note="test ldap sync")


def user_state(procura_db, login) -> dict | None:
    def read(root):
        user = get_user(root, login)
        if user is None:
            return None
        return {"active": user.active, "auth_source": user.auth_source, "name": user.name, "email": user.email,
                "phone": user.phone, "position": user.position, "roles": tuple(user.roles or ()),
                "teams": tuple(user.teams or ()), "directory_teams": tuple(getattr(user, "directory_teams", ())),
                "directory_roles": tuple(getattr(user, "directory_roles", ())), "password_hash": user.password_hash,
                "version": user.version}

    return with_root(procura_db, read)


def effective_roles(app, procura_db, login) -> tuple:
    def read(request):
        return Grants(request, get_user(request.app_root, login)).role_names

    return in_own_transaction(app.registry, read)


# ---------------------------------------------------------------- settings and the group map

def test_group_map_syntax():
    rules = parse_group_map(GROUP_MAP + "\n# a comment\n; Domain Admins = role:admin")
    settings = LdapSettings(urls=("ldap://x",), group_map=rules)
    assert settings.map_groups({norm_dn(f"CN=Buyers, OU=Groups,{SUFFIX}")}) == (("procurement",), ("buyer",))
    assert settings.map_groups({norm_dn(f"cn=managers,ou=elsewhere,{SUFFIX}")}) == (("management",), ("manager",))
    assert settings.map_groups({norm_dn("CN=Domain Admins,CN=Users,DC=corp,DC=example")}) == ((), ("admin",))
    assert settings.map_groups({norm_dn(f"cn=others,{GROUPS}")}) == ((), ())
    for wrong in ("buyers", "buyers = team", "buyers = group:x", "buyers = team:Not Valid", " = role:x"):
        with pytest.raises(LdapConfigError):
            parse_group_map(wrong)


def test_settings_refuse_what_cannot_work():
    base = ldap_overrides("ldap://127.0.0.1:1")
    assert LdapSettings.from_settings(base).bind_password == SERVICE_PASSWORD
    assert SERVICE_PASSWORD not in repr(LdapSettings.from_settings(base))  # never in logs or tracebacks
    for key, value in (("procura.ldap.url", "http://x"), ("procura.ldap.user_base", ""),
                       ("procura.ldap.user_filter", "(uid=*)"), ("procura.ldap.group_map", "x = y")):
        with pytest.raises(LdapConfigError):
            LdapSettings.from_settings({**base, key: value})


# ---------------------------------------------------------------- sign-in

def test_first_sign_in_creates_the_user_with_mapped_teams_and_roles(testapp, app, procura_db):
    assert user_state(procura_db, "anna") is None
    sign_in(testapp, "Anna", PASSWORD)
    assert testapp.get("/", status=200)  # signed in
    state = user_state(procura_db, "anna")
    assert state["auth_source"] == "ldap" and state["active"]
    assert (state["name"].last, state["name"].first) == ("Ivanova", "Anna")
    assert state["email"] == "anna.ivanova@procura.test"
    assert state["phone"] == "+74951234567"
    assert state["position"] == "Lead buyer"
    assert state["password_hash"] is None  # the directory keeps the password
    assert (state["directory_teams"], state["directory_roles"]) == (("procurement",), ("buyer",))
    assert (state["teams"], state["roles"]) == ((), ())  # what an administrator gives stays theirs
    assert "buyer" in effective_roles(app, procura_db, "anna")
    made = with_root(procura_db, lambda root: ("procurement" in container_for(root, "team"),
                                               "buyer" in container_for(root, "role")))
    assert made == (True, True)
    assert [e["event"] for e in events(procura_db, "anna")] == ["sign_in"]
    # a second sign-in binds again and finds the existing user
    testapp.reset()
    sign_in(testapp, "anna", PASSWORD)
    assert user_state(procura_db, "anna")["version"] == state["version"]  # nothing changed, nothing written


def test_cyrillic_names_and_active_directory_logins(testapp, procura_db):
    sign_in(testapp, "olga", PASSWORD)
    name = user_state(procura_db, "olga")["name"]
    assert (name.last, name.first) == ("Смирнова", "Ольга")
    testapp.reset()
    sign_in(testapp, "dmitry", PASSWORD)  # found by sAMAccountName (no uid)
    assert user_state(procura_db, "dmitry")["directory_roles"] == ("manager",)


def test_wrong_directory_password_is_refused_and_audited(testapp, procura_db):
    page = sign_in(testapp, "boris", "not-his-password", status=200)
    assert WRONG in page.text
    assert user_state(procura_db, "boris") is None  # a failed bind creates nobody
    assert [e["event"] for e in events(procura_db, "boris")] == ["unknown_login"]
    sign_in(testapp, "boris", PASSWORD)
    testapp.reset()
    page = sign_in(testapp, "boris", "still-not-his", status=200)
    assert WRONG in page.text
    failure = events(procura_db, "boris", "failure")
    assert len(failure) == 1 and not failure[0]["success"]
    assert "still-not-his" not in failure[0]["detail"]


def test_local_users_keep_local_passwords(testapp, procura_db, make_user):
    make_user("localbuyer", roles=["buyer"])
    sign_in(testapp, "localbuyer", TEST_PASSWORD)
    assert user_state(procura_db, "localbuyer")["auth_source"] == "local"


def test_local_user_with_a_directory_login_is_not_taken_over(testapp, procura_db, make_user):
    make_user("boris")  # a local "boris" exists before the directory's boris signs in
    page = sign_in(testapp, "boris", PASSWORD, status=200)  # the directory password is not his password here
    assert WRONG in page.text
    sign_in(testapp, "boris", TEST_PASSWORD)
    assert user_state(procura_db, "boris")["auth_source"] == "local"


def test_ldap_filter_injection_signs_nobody_in(testapp, procura_db, slapd):
    for login in ("*)(uid=*", "*", "anna)(|(uid=*", "anna*", "*)(objectClass=*"):
        page = sign_in(testapp, login, PASSWORD, status=200)
        assert WRONG in page.text
    assert with_root(procura_db, lambda root: sorted(container_for(root, "user").keys())) == []
    directory = LdapDirectory(LdapSettings.from_settings(ldap_overrides(slapd.url)))
    assert directory.find_user("*") is None
    assert directory.find_user("*)(uid=*") is None
    assert directory.authenticate("*", PASSWORD) is None
    assert directory.authenticate("an*", PASSWORD) is None
    assert directory.authenticate("anna", "") is None  # an unauthenticated bind is no sign-in
    assert directory.authenticate("anna", PASSWORD).login == "anna"


def test_unreachable_directory_gives_a_clear_message(tmp_path):
    from procura import make_app
    from procura.testing import make_settings, memory_db_with_blobs
    from procura.types.names import PersonName
    from webtest import TestApp

    settings = make_settings(tmp_path, **ldap_overrides(f"ldap://127.0.0.1:{free_port()}"))
    db = memory_db_with_blobs(tmp_path / "blobs")
    try:
        app = make_app(settings, db=db)
        testapp = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
        page = sign_in(testapp, "anna", PASSWORD, status=200)
        assert UNREACHABLE in page.text
        failures = events(db, "anna", "external_failure")
        assert len(failures) == 1 and failures[0]["method"] == "ldap"
        assert SERVICE_PASSWORD not in failures[0]["detail"]
        # an existing directory user is refused the same way, without counting a wrong password
        in_own_transaction(app.registry, lambda r: r.types.create(r.types.info("user"), {
            "login": "anna", "name": PersonName("Ivanova", "Anna", ""), "auth_source": "ldap", "kind": "staff",
            "active": True}))
        page = sign_in(testapp, "anna", PASSWORD, status=200)
        assert UNREACHABLE in page.text
        assert user_state(db, "anna")["active"]
        assert with_root(db, lambda root: get_user(root, "anna").failed_logins) == 0
        # a synchronisation records the failure for the administrator
        summary = in_own_transaction(app.registry, run_sync)
        assert summary["ok"] is False and "Cannot reach the directory" in summary["error"]
        assert with_root(db, last_sync)["ok"] is False
    finally:
        db.close()


def test_unreachable_directory_raises_ldap_unavailable():
    directory = LdapDirectory(LdapSettings.from_settings(ldap_overrides(f"ldap://127.0.0.1:{free_port()}")))
    with pytest.raises(LdapUnavailable, match="Cannot reach the directory"):
        directory.all_users()


def test_wrong_service_password_is_a_configuration_error(slapd):
    settings = LdapSettings.from_settings(ldap_overrides(slapd.url, **{"procura.ldap.bind_password": "wrong"}))
    with pytest.raises(LdapConfigError, match="refused the service account") as info:
        LdapDirectory(settings).all_users()
    assert "wrong" not in str(info.value)


# ---------------------------------------------------------------- synchronisation

def test_sync_creates_and_updates_users_and_maps_groups(app, procura_db, slapd):
    dn = slapd.add_person("syncer", "Syncov", "Sam", groups=["buyers"], title="Buyer")
    result = run_directory_sync(app)
    assert {"anna", "boris", "olga", "dmitry", "syncer"} <= set(result.created)
    assert not result.deactivated and not result.updated
    state = user_state(procura_db, "syncer")
    assert state["auth_source"] == "ldap" and state["position"] == "Buyer"
    assert (state["directory_teams"], state["directory_roles"]) == (("procurement",), ("buyer",))
    assert user_state(procura_db, "boris")["directory_roles"] == ("manager",)
    # idempotent: a second run changes nothing
    again = run_directory_sync(app)
    assert (again.created, again.updated, again.deactivated) == ([], [], [])
    assert again.unchanged == len(result.created)
    # a change in the directory is an update
    slapd.modify(dn, title="Senior buyer")
    third = run_directory_sync(app)
    assert third.updated == ["syncer"]
    assert user_state(procura_db, "syncer")["position"] == "Senior buyer"


def test_removed_user_is_deactivated_and_cannot_sign_in(app, testapp, procura_db, slapd):
    dn = slapd.add_person("leaver", "Leavey", "Lee", groups=["buyers"])
    sign_in(testapp, "leaver", PASSWORD)
    testapp.reset()
    slapd.delete(dn)
    result = run_directory_sync(app)
    assert result.deactivated == ["leaver"]
    assert not user_state(procura_db, "leaver")["active"]
    page = sign_in(testapp, "leaver", PASSWORD, status=200)
    assert WRONG in page.text
    assert run_directory_sync(app).deactivated == []  # idempotent


def test_disabled_active_directory_account_is_deactivated_and_comes_back(app, testapp, procura_db, slapd):
    dn = slapd.add_person("frozen", "Frost", "Fred", groups=["managers"], ad=True, control=512)
    assert "frozen" in run_directory_sync(app).created
    slapd.modify(dn, userAccountControl="514")  # ACCOUNTDISABLE
    assert run_directory_sync(app).deactivated == ["frozen"]
    page = sign_in(testapp, "frozen", PASSWORD, status=200)
    assert "This account is deactivated" in page.text
    slapd.modify(dn, userAccountControl="512")
    assert run_directory_sync(app).reactivated == ["frozen"]
    sign_in(testapp, "frozen", PASSWORD)


def test_user_deactivated_by_an_administrator_stays_deactivated(app, procura_db, slapd):
    slapd.add_person("benched", "Bench", "Ben", groups=["buyers"])
    run_directory_sync(app)
    update_record(app.registry, "user", "benched", active=False)
    run_directory_sync(app)
    assert not user_state(procura_db, "benched")["active"]


def test_moved_user_gets_the_new_groups_and_keeps_what_an_admin_gave(app, testapp, procura_db, slapd):
    dn = slapd.add_person("mover", "Moverova", "Maria", groups=["buyers"])
    run_directory_sync(app)
    in_own_transaction(app.registry, lambda r: r.types.create(r.types.info("role"), {
        "name": "auditor", "label": "Auditor", "kind": "staff", "login_hours": "any"}))
    update_record(app.registry, "user", "mover", roles=("auditor",), teams=("procurement",))
    assert set(effective_roles(app, procura_db, "mover")) >= {"auditor", "buyer"}
    slapd.move(dn, "buyers", "managers")
    result = run_directory_sync(app)
    assert result.updated == ["mover"]
    state = user_state(procura_db, "mover")
    assert (state["directory_teams"], state["directory_roles"]) == (("management",), ("manager",))
    assert (state["roles"], state["teams"]) == (("auditor",), ("procurement",))  # the admin's, untouched
    roles = effective_roles(app, procura_db, "mover")
    assert "manager" in roles and "auditor" in roles and "buyer" not in roles
    # a sign-in brings the groups up to date as well
    slapd.move(dn, "managers", "buyers")
    sign_in(testapp, "mover", PASSWORD)
    state = user_state(procura_db, "mover")
    assert (state["directory_teams"], state["directory_roles"]) == (("procurement",), ("buyer",))
    assert state["roles"] == ("auditor",)


def test_scheduled_sync_runs_by_its_interval(tmp_path, slapd):
    import datetime as dt

    from procura import make_app
    from procura.security.directory import due
    from procura.testing import make_settings, memory_db_with_blobs

    for interval, expected in (("0", None), ("15", True)):
        settings = make_settings(tmp_path / interval, **ldap_overrides(slapd.url, **{
            "procura.ldap.sync_interval": interval}))
        db = memory_db_with_blobs(tmp_path / interval / "blobs")
        try:
            app = make_app(settings, db=db)
            from procura.jobs import JOBS

            first = in_own_transaction(app.registry, lambda r: JOBS[SYNC_JOB](r))
            if expected is None:
                assert first is None and with_root(db, last_sync) is None
                continue
            assert first["ok"] and first["created"] >= 4
            assert in_own_transaction(app.registry, lambda r: JOBS[SYNC_JOB](r)) is None  # not due yet
            later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
            assert in_own_transaction(app.registry, lambda r, later=later: due(r, later))
            forced = in_own_transaction(app.registry, lambda r: JOBS[SYNC_JOB](r, True))
            assert forced["ok"] and forced["created"] == 0
        finally:
            db.close()


def test_admin_synchronises_from_the_security_settings_page(testapp, procura_db, make_user, login):
    make_user("chief", roles=["admin"])
    login(testapp, "chief")
    page = testapp.get("/admin/security")
    assert "Not synchronised yet." in page.text
    page = page.forms["ldap-sync-form"].submit().follow()
    assert "Last synchronisation:" in page.text and "created" in page.text
    assert user_state(procura_db, "anna")["directory_roles"] == ("buyer",)
    assert with_root(procura_db, last_sync)["ok"]
    # without the token the action is refused
    testapp.post("/admin/security/ldap-sync", status=403)


def test_cli_ldap_sync_prints_a_summary(tmp_path, slapd):
    procura = Path(sys.executable).with_name("procura")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCURA_")}
    env.update(PROCURA_VAR_DIR=str(tmp_path / "var"), NO_COLOR="1")
    env.update({"PROCURA_" + key.removeprefix("procura.").replace(".", "_").upper(): value
                for key, value in ldap_overrides(slapd.url).items()})

    def run(*args):
        return subprocess.run([str(procura), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)

    assert run("init").returncode == 0
    first = run("ldap", "sync")
    assert first.returncode == 0, first.stderr
    assert "created: " in first.stdout and "anna" in first.stdout
    assert SERVICE_PASSWORD not in first.stdout + first.stderr
    second = run("ldap", "sync")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1].startswith("0 created, 0 updated, 0 deactivated")
    env["PROCURA_LDAP_URL"] = f"ldap://127.0.0.1:{free_port()}"
    failed = run("ldap", "sync")
    assert failed.returncode == 1 and failed.stderr.startswith("Error: Cannot reach the directory")
    assert SERVICE_PASSWORD not in failed.stderr
