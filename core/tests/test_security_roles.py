"""Roles as an administrator manages them: the permission matrix on the role form and in the API,
roles given through teams and position rules, several roles combining to the widest scope, and
the assignment permissions."""
from __future__ import annotations

import pytest
import transaction
from apihelpers import API, Client, bearer_client, problem
from procura.content import APP_KEY
from procura.testing import set_grants

pytestmark = pytest.mark.parametrize("procura_overrides", [{"procura.extra_hooks": "roles_hooks",
                                                            "procura.addons.disabled": "*"}])


def user_state(procura_db, login):
    from procura.security import get_user

    conn = procura_db.open(transaction.TransactionManager())
    try:
        user = get_user(conn.root()[APP_KEY], login)
        return {"teams": tuple(user.teams), "roles": tuple(user.roles), "auto_teams": tuple(user.auto_teams),
                "auto_roles": tuple(user.auto_roles)}
    finally:
        conn.close()


def errands(client: Client) -> set[str]:
    return {i["subject"] for i in client.get("/errand").json["items"]}


@pytest.fixture
def admin(testapp, make_user, procura_db):
    make_user("root", roles=["admin"])
    return bearer_client(testapp, procura_db, "root")


def seed(admin, make_user, testapp, procura_db):
    """anna and boris in team "north", carl alone; each is assigned one errand."""
    make_user("anna", teams=["north"])
    make_user("boris", teams=["north"])
    make_user("carl")
    for login in ("anna", "boris", "carl"):
        admin.post("/errand", {"subject": f"for {login}", "assignee": login}, status=201)
    return {login: bearer_client(testapp, procura_db, login) for login in ("anna", "boris", "carl")}


def test_the_declared_default_is_own(admin, make_user, testapp, procura_db, procura_overrides):
    clients = seed(admin, make_user, testapp, procura_db)
    assert errands(clients["anna"]) == {"for anna"}
    assert errands(admin) == {"for anna", "for boris", "for carl"}


def test_a_role_made_through_the_api_grants_its_scope(admin, make_user, testapp, procura_db, procura_overrides):
    clients = seed(admin, make_user, testapp, procura_db)
    created = admin.post("/role", {"name": "dispatcher", "label": "Диспетчер", "kind": "staff",
                                   "grants": {"types": {"errand": {"read": "team"}}, "fields": {},
                                              "permissions": {}}}, status=201).json
    assert created["grants"]["types"]["errand"]["read"] == "team"
    admin.patch("/user/anna", {"roles": ["dispatcher"]})
    assert errands(clients["anna"]) == {"for anna", "for boris"}  # her team's, not carl's
    admin.patch("/role/dispatcher", {"grants": {"types": {"errand": {"read": "all"}}, "fields": {},
                                                "permissions": {}}})
    assert errands(clients["anna"]) == {"for anna", "for boris", "for carl"}


def test_bad_grants_are_refused_with_the_reason(admin, procura_overrides):
    before = admin.get("/role").json["total"]
    for grants, words in ((({"types": {"errand": {"read": "everything"}}}), "Unknown scope 'everything'"),
                          ({"types": {"nosuch": {"read": "all"}}}, "Unknown type 'nosuch'"),
                          ({"fields": {"errand": {"cost": "secret"}}}, "Unknown access 'secret'"),
                          ({"permissions": {"procura.fly": True}}, "Unknown permission 'procura.fly'")):
        response = admin.post("/role", {"name": "bad", "label": "Bad", "grants": grants}, status=422)
        assert words in problem(response, 422)["errors"]["grants"]
    assert admin.get("/role").json["total"] == before


def test_the_role_form_edits_the_matrix(admin, make_user, testapp, login, procura_db, procura_overrides):
    clients = seed(admin, make_user, testapp, procura_db)
    login(testapp, "root")
    page = testapp.get("/t/role/new")
    form = page.forms["type-form"] if "type-form" in page.forms else next(
        f for f in page.forms.values() if "name" in f.fields)
    assert "t:errand:read" in form.fields and "f:errand:cost" in form.fields and "p:procura.export" in form.fields
    form["name"], form["label"] = "auditor", "Аудитор"
    form["t:errand:read"] = "all"
    form["f:errand:cost"] = "hidden"
    form.submit("save", status=303)
    stored = admin.get("/role/auditor").json
    assert stored["label"] == "Аудитор" and stored["grants"]["types"]["errand"]["read"] == "all"
    assert stored["grants"]["fields"]["errand"]["cost"] == "hidden"
    admin.patch("/user/carl", {"roles": ["auditor"]})
    items = clients["carl"].get("/errand").json["items"]
    assert {i["subject"] for i in items} == {"for anna", "for boris", "for carl"}
    assert all("cost" in i for i in items)  # hidden by one role, editable by his base role: the widest wins
    set_grants(testapp.app.registry, "user", fields={"errand": {"cost": "hidden"}})
    assert all("cost" not in i for i in clients["carl"].get("/errand").json["items"])


def test_roles_combine_to_the_widest_scope(admin, make_user, testapp, procura_db, procura_overrides):
    clients = seed(admin, make_user, testapp, procura_db)
    set_grants(testapp.app.registry, "user", types={"errand": {"read": "own"}})
    admin.post("/role", {"name": "narrow", "label": "N", "grants": {"types": {"errand": {"read": "none"}}}},
               status=201)
    admin.post("/role", {"name": "wide", "label": "W", "grants": {"types": {"errand": {"read": "team"}}}},
               status=201)
    admin.patch("/user/anna", {"roles": ["narrow", "wide"]})
    assert errands(clients["anna"]) == {"for anna", "for boris"}


def test_roles_given_to_a_team(admin, make_user, testapp, procura_db, procura_overrides):
    clients = seed(admin, make_user, testapp, procura_db)
    admin.post("/role", {"name": "viewer", "label": "V", "grants": {"types": {"errand": {"read": "all"}}}},
               status=201)
    admin.patch("/team/north", {"roles": ["viewer"]})
    assert len(errands(clients["boris"])) == 3  # through his team
    assert errands(clients["carl"]) == {"for carl"}  # not in the team


def test_position_rules_put_users_into_teams_and_roles(admin, make_user, testapp, procura_db, procura_overrides):
    clients = seed(admin, make_user, testapp, procura_db)
    admin.post("/role", {"name": "viewer", "label": "V", "grants": {"types": {"errand": {"read": "all"}}}},
               status=201)
    admin.post("/team", {"name": "engineers", "label": "Инженеры", "kind": "team"}, status=201)
    rule = admin.post("/position_rule", {"position": "инженер", "match": "contains", "teams": ["engineers"],
                                         "roles": ["viewer"]}, status=201).json
    admin.patch("/user/carl", {"position": "Ведущий  ИНЖЕНЕР-механик"})
    state = user_state(procura_db, "carl")
    assert state["auto_teams"] == ("engineers",) and state["auto_roles"] == ("viewer",)
    assert state["roles"] == () and len(errands(clients["carl"])) == 3
    # a rule changed by the administrator is applied to every user (a job; inline in tests)
    admin.patch(f"/position_rule/{rule['id']}", {"match": "exact"})
    state = user_state(procura_db, "carl")
    assert state["auto_teams"] == () and state["auto_roles"] == ()
    assert errands(clients["carl"]) == {"for carl"}
    # hand-given roles and teams are never touched by rules
    admin.patch("/user/anna", {"position": "инженер", "roles": ["viewer"]})
    admin.delete(f"/position_rule/{rule['id']}")
    state = user_state(procura_db, "anna")
    assert state["roles"] == ("viewer",) and state["teams"] == ("north",) and state["auto_roles"] == ()


def test_assignment_follows_the_assignment_permissions(admin, make_user, testapp, procura_db, procura_overrides):
    clients = seed(admin, make_user, testapp, procura_db)
    anna = clients["anna"]
    anna.post("/errand", {"subject": "mine", "assignee": "anna"}, status=201)
    anna.post("/errand", {"subject": "teammate", "assignee": "boris"}, status=201)  # assign-team by default
    refused = anna.post("/errand", {"subject": "stranger", "assignee": "carl"}, status=422)
    assert "carl" in problem(refused, 422)["errors"]["assignee"]
    set_grants(testapp.app.registry, "user", permissions={"procura.assign-team": False})
    refused = anna.post("/errand", {"subject": "teammate 2", "assignee": "boris"}, status=422)
    assert "assignee" in problem(refused, 422)["errors"]
    set_grants(testapp.app.registry, "user", permissions={"procura.assign-any": True})
    anna.post("/errand", {"subject": "stranger", "assignee": "carl"}, status=201)


def test_users_teams_and_roles_are_api_types(admin, procura_overrides):
    types = {t["name"] for t in admin.get("/types").json["items"]}
    assert {"user", "team", "role"} <= types
    spec = admin.get("/openapi.json").json
    assert any(path.startswith(f"{API}/role") or path.startswith("/role") for path in spec["paths"])
    me = admin.get("/user/root").json
    for secret in ("password_hash", "api_tokens", "totp_secret", "recovery_codes"):
        assert secret not in me


def test_only_admins_manage_roles(admin, make_user, testapp, procura_db, procura_overrides):
    make_user("anna")
    anna = bearer_client(testapp, procura_db, "anna")
    anna.post("/role", {"name": "mine", "label": "Mine"}, status=403)
    anna.patch("/user/anna", {"roles": ["admin"]}, status=422)  # her own roles are read-only to her
    anna.get("/role/admin", status=404)  # roles are not even readable

