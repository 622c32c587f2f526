"""The OpenAPI 3.1 document (/api/v1/openapi.json): valid, complete, and describing what the API
really returns (responses validated against its component schemas with Draft 2020-12)."""
from __future__ import annotations

import pytest
from apihelpers import HOOKS, assert_valid, bearer_client, problem, session_client
from openapi_spec_validator import validate
from procura.api.openapi import schema_name

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def procura_overrides():
    return dict(HOOKS)


@pytest.fixture
def anna(testapp, make_user, procura_db):
    make_user("anna")
    return bearer_client(testapp, procura_db, "anna")


@pytest.fixture
def doc(anna):
    return anna.get("/openapi.json").json


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_document_is_valid_openapi_3_1(doc):
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "Procura" and doc["info"]["version"]
    assert doc["servers"] == [{"url": "http://localhost"}]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "description": schemes["bearer"]["description"]}
    assert schemes["cookie"]["in"] == "cookie" and schemes["cookie"]["name"] == "procura_session"
    ids = [op["operationId"] for _p, _m, op in operations(doc)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("procura_overrides", [{}, {"procura.addons.disabled": "*"}],
                         ids=["installed-addons", "bare-core"])
def test_document_of_other_installations_is_valid(testapp, make_user, procura_db, procura_overrides):
    make_user("anna")
    document = bearer_client(testapp, procura_db, "anna").get("/openapi.json").json
    validate(document)
    assert "Gadget" not in document["components"]["schemas"]


def test_every_type_has_its_schemas_and_paths(doc, app):
    schemas = doc["components"]["schemas"]
    for info in app.registry.procura_types:
        name = schema_name(info.name)
        for suffix in ("", "Input", "Patch", "List"):
            assert name + suffix in schemas
        out = schemas[name]["properties"]
        for key in ("id", "type", "version", "title", "status", "created", "modified", "created_by",
                    "modified_by", "deleted", "actions"):
            assert key in out and key in schemas[name]["required"]
        assert set(info.field_names) <= set(out)
        assert set(schemas[name + "Input"]["properties"]) == set(info.field_names)
        base = f"/api/v1/{info.name}"
        assert {"get", "post"} <= set(doc["paths"][base])
        assert {"get", "patch", "delete"} <= set(doc["paths"][base + "/{id}"])
        for action in ["copy", "restore", "purge"] + [t.name for t in (info.workflow.transitions
                                                                       if info.workflow else [])]:
            assert "post" in doc["paths"][f"{base}/{{id}}/actions/{action}"]
    for path in ("/api/v1/types", "/api/v1/search", "/api/v1/openapi.json", "/api/v1/me", "/api/v1/addons"):
        assert path in doc["paths"]
    assert schema_name("purchase_request") == "PurchaseRequest"


def test_gadget_schemas_follow_its_declaration(doc):
    schemas = doc["components"]["schemas"]
    gadget = schemas["Gadget"]
    assert gadget["properties"]["status"] == {"type": "string", "enum": ["new", "active", "done", "dropped"]}
    assert gadget["properties"]["type"]["const"] == "gadget"
    assert gadget["properties"]["quantity"]["title"] == "Quantity"
    assert schemas["GadgetInput"]["required"] == ["name"]
    assert "required" not in schemas["GadgetPatch"] and "version" in schemas["GadgetPatch"]["properties"]
    assert schemas["Memo"]["properties"]["status"] == {"type": "null"}
    assert schemas["VaultItem"]["properties"]["code"]["readOnly"] is True

    listing = doc["paths"]["/api/v1/gadget"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert {"q", "sort", "limit", "offset", "category", "status", "deleted"} <= set(params)
    indexed = {"name", "quantity", "price", "size", "due", "urgent"}
    assert indexed <= set(params) and "notes" not in params and "contact" not in params
    sort = params["sort"]["schema"]["enum"]
    assert {"title", "-title", "quantity", "-quantity", "-modified"} <= set(sort) and "notes" not in sort
    assert params["size"]["schema"]["items"] == {"type": "string", "enum": ["s", "m", "l"]}
    assert params["quantity"]["schema"]["items"] == {"type": "integer"}
    assert params["urgent"]["schema"]["items"] == {"type": "boolean"}
    assert params["limit"]["schema"]["maximum"] == 500
    responses = listing["responses"]
    assert responses["422"] == {"$ref": "#/components/responses/ValidationFailed"}
    patch = doc["paths"]["/api/v1/gadget/{id}"]["patch"]
    assert {"200", "403", "404", "412", "422"} <= set(patch["responses"])
    assert patch["parameters"] == [{"$ref": "#/components/parameters/IfMatch"}]
    create = doc["paths"]["/api/v1/gadget"]["post"]["responses"]["201"]
    assert set(create["headers"]) == {"ETag", "Location"}
    drop = doc["paths"]["/api/v1/gadget/{id}/actions/drop"]["post"]
    assert drop["operationId"] == "drop_gadget" and "409" in drop["responses"]


def test_document_texts_follow_the_request_language(anna):
    ru = anna.get("/openapi.json", headers={"Accept-Language": "ru"}).json
    validate(ru)
    assert ru["components"]["schemas"]["Gadget"]["properties"]["id"] == {"type": "string"}


# ---------------------------------------------------------------- real responses against the schemas


def test_responses_match_the_schemas(doc, anna, testapp, procura_db, make_user):
    created = anna.post("/gadget", {"name": "Pump", "quantity": 2, "price": {"amount": "5", "currency": "EUR"},
                                    "size": "m", "due": "2026-01-31", "contact": "a@example.org", "urgent": True})
    assert_valid(doc, "Gadget", created.json)
    oid = created.json["id"]
    assert_valid(doc, "Gadget", anna.get(f"/gadget/{oid}").json)
    anna.post("/gadget", {"name": "Bare"})
    listing = anna.get("/gadget").json
    assert listing["total"] == 2
    assert_valid(doc, "GadgetList", listing)
    patched = anna.patch(f"/gadget/{oid}", {"notes": "x", "size": None}, headers={"If-Match": '"1"'}).json
    assert_valid(doc, "Gadget", patched)
    assert_valid(doc, "Gadget", anna.post(f"/gadget/{oid}/actions/start", status=200).json)
    anna.delete(f"/gadget/{oid}")
    assert_valid(doc, "Gadget", anna.get(f"/gadget/{oid}").json)  # in the trash
    assert_valid(doc, "GadgetList", anna.get("/gadget", {"deleted": "true"}).json)
    assert_valid(doc, "Memo", anna.post("/memo", {"subject": "Hi"}).json)
    assert_valid(doc, "TypeList", anna.get("/types").json)
    assert_valid(doc, "User", anna.get("/me").json)
    assert_valid(doc, "AddonList", anna.get("/addons").json)
    if testapp.app.registry.procura_search is not None:
        hits = anna.get("/search", {"q": "bare"}).json
        assert hits["total"] == 1
        assert_valid(doc, "SearchResults", hits)
        assert_valid(doc, "GadgetList", anna.get("/gadget", {"q": "bare"}).json)

    # requests the document calls valid are accepted
    assert_valid(doc, "GadgetInput", {"name": "Pump", "quantity": 2, "price": {"amount": "5", "currency": "EUR"}})
    assert_valid(doc, "GadgetPatch", {"notes": "x", "version": 3})

    session = session_client(testapp, "anna")
    assert_valid(doc, "GadgetList", session.get("/gadget").json)


def test_error_responses_match_the_problem_schema(doc, anna, testapp, procura_db, make_user):
    oid = anna.post("/gadget", {"name": "Pump"}).json["id"]
    anna.patch(f"/gadget/{oid}", {"name": "Other"})
    cases = [
        anna.post("/gadget", {"quantity": -1, "bogus": 1}, status=422),
        anna.get("/gadget", {"bogus": "1"}, status=422),
        anna.patch(f"/gadget/{oid}", {"quantity": 1}, headers={"If-Match": '"1"'}, status=412),
        anna.post(f"/gadget/{oid}/actions/finish", status=409),
        anna.get("/gadget/GDG-0000-0000", status=404),
        anna.get("/nonesuch", status=404),
        anna.patch(f"/gadget/{oid}", {"name": "x"}, headers={"If-Match": "nope"}, status=400),
        anna.post(f"/gadget/{oid}/actions/reopen", status=403),
        testapp.get("/api/v1/gadget", status=401),
    ]
    cases.append(anna.get("/search", status=422))
    for response in cases:
        body = problem(response, response.status_int)
        assert_valid(doc, "Problem", body)
    stale = cases[2].json
    assert {"current_version", "changed_by", "changed_fields"} <= set(stale)


def test_schemas_reject_what_the_api_rejects(doc):
    """The document is a real contract: values the API refuses are invalid by the schemas too."""
    from apihelpers import schema_validator
    from jsonschema.exceptions import ValidationError

    for bad in ({"quantity": 1}, {"name": "x", "quantity": -1}, {"name": "x", "size": "xl"},
                {"name": "x", "price": {"amount": "1", "currency": "XXX"}}, {"name": "x", "urgent": "yes"}):
        with pytest.raises(ValidationError):
            schema_validator(doc, "GadgetInput").validate(bad)
