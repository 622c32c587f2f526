"""The write path of typed objects, on the test-only type "gadget" (core/tests/sampletype.py)."""
import decimal

import pytest
from procura.types.fields import Money
from procura.types.query import ListQuery, run_query
from procura.types.service import StaleVersion, TransitionRefused, TypeService, ValidationFailed


@pytest.fixture
def procura_overrides():
    return {"procura.extra_hooks": "sampletype", "procura.addons.disabled": "*"}


@pytest.fixture
def svc(app, make_user, procura_db):
    """A TypeService on a real request, signed in as 'anna', inside a transaction."""
    from pyramid.request import Request
    from pyramid.scripting import prepare

    make_user("anna")
    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    request.tm.begin()
    request.session["userid"] = "anna"
    yield TypeService(request)
    request.tm.abort()
    env["closer"]()


def test_create_assigns_pattern_id_version_audit_and_index(svc):
    info = svc.info("gadget")
    values = svc.validate_json(info, {"name": "Насос", "quantity": 3, "price": {"amount": "10.50", "currency": "RUB"}})
    obj = svc.create(info, values)
    assert obj.id.startswith("GDG-") and obj.id.endswith("-0001")
    assert obj.version == 1 and obj.status == "new" and obj.created_by == "anna"
    assert obj.price == Money(decimal.Decimal("10.50"), "RUB")
    assert obj.history[0]["action"] == "create" and "name" in obj.history[0]["changes"]
    second = svc.create(info, svc.validate_json(info, {"name": "Клапан"}))
    assert second.id.endswith("-0002")
    result = run_query(svc.request, info, ListQuery(sort="title"))
    assert [o.id for o in result.items] == [second.id, obj.id] and result.total == 2


def test_validation_gives_field_level_errors(svc):
    info = svc.info("gadget")
    with pytest.raises(ValidationFailed) as exc:
        svc.validate_json(info, {"quantity": -1, "price": {"amount": "x", "currency": "RUB"},
                                 "contact": "nope", "size": "xl", "bogus": 1})
    errors = exc.value.errors
    assert set(errors) == {"name", "quantity", "price", "contact", "size", "bogus"}


def test_stale_version_is_refused_and_names_who_changed(svc):
    info = svc.info("gadget")
    obj = svc.create(info, svc.validate_json(info, {"name": "A"}))
    svc.update(obj, svc.validate_json(info, {"name": "B"}, obj, partial=True), expected_version=1)
    assert obj.version == 2
    with pytest.raises(StaleVersion) as exc:
        svc.update(obj, {"name": "C"}, expected_version=1)
    assert exc.value.changed_by == ["anna"] and exc.value.changed_fields == ["name"]
    assert obj.name == "B"


def test_transitions_follow_the_matrix(svc):
    info = svc.info("gadget")
    obj = svc.create(info, svc.validate_json(info, {"name": "A"}))
    with pytest.raises(TransitionRefused):
        svc.transition(obj, "finish")
    with pytest.raises(TransitionRefused):
        svc.transition(obj, "drop")  # needs a comment
    svc.transition(obj, "start")
    assert obj.status == "active"
    assert {a["name"] for a in svc.actions(obj)} == {"finish", "drop"}
    svc.move_to_status(obj, "done")
    assert obj.status == "done"
    with pytest.raises(TransitionRefused):  # reopen needs a permission nobody has here
        svc.transition(obj, "reopen")


def test_trash_restore_purge(svc):
    info = svc.info("gadget")
    obj = svc.create(info, svc.validate_json(info, {"name": "A"}))
    svc.delete(obj)
    assert run_query(svc.request, info, ListQuery()).total == 0
    assert run_query(svc.request, info, ListQuery(deleted=True)).total == 1
    svc.restore(obj)
    assert run_query(svc.request, info, ListQuery()).total == 1
    svc.delete(obj)
    svc.purge(obj)
    assert obj.id not in svc.container(info)
    assert run_query(svc.request, info, ListQuery(deleted=True)).total == 0
