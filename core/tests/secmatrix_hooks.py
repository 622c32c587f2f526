"""Test-only types for the access tests (core/tests/test_security_matrix.py and
test_security_fields.py), registered through ``procura.extra_hooks = secmatrix_hooks``.

- ``dossier``: the scopes' full shape: ``owner_fields`` (handler), ``team_fields`` (desk), a
  workflow whose "approve" transition has a permission of its own (the action "approve"), an
  extra action "escalate" run as an operation, searchable fields, and a ``field_guard`` that hides
  "verdict" from everybody (administrators included) while the dossier is not approved.
  A link to a jotting (whose title a reader who may not read the jotting must not see).
  Nobody but administrators has any right by default: roles get exactly what a test grants.
- ``jotting``: a plain type without workflow, owner or team fields; the base role "user" may do
  everything by default (so the tests also see that an explicit "none" overrides a default).
"""
from procura import hookimpl
from procura.i18n import _
from procura.types import Operation, Status, Transition, TypeInfo, Workflow
from procura.types import fields as f


def guard_verdict(request, obj, field):
    if field.name == "verdict" and (obj is None or obj.status != "approved"):
        return "hidden"
    return None


def escalate(request, obj, appstruct):
    obj.escalations = getattr(obj, "escalations", 0) + 1
    return {"escalations": obj.escalations}


DOSSIER = TypeInfo(
    name="dossier",
    title=_("Dossier"),
    plural=_("Dossiers"),
    title_field="subject",
    id_pattern="DS-{seq:05}",
    fields=[
        f.String("subject", _("Subject"), required=True, indexed=True, searchable=True),
        f.Text("notes", _("Notes"), searchable=True),
        f.String("secret", _("Secret"), indexed=True, searchable=True),
        f.Integer("amount", _("Amount"), indexed=True),
        f.UserField("handler", _("Handler"), indexed=True),
        f.TeamField("desk", _("Desk"), indexed=True),
        f.String("verdict", _("Verdict"), searchable=True),
        f.Link("jotting", _("Jotting"), target="jotting", indexed=True),
    ],
    list_columns=["subject", "secret", "amount", "status"],
    owner_fields=["handler"],
    team_fields=["desk"],
    workflow=Workflow(
        statuses=[Status("open", _("Open")), Status("submitted", _("Submitted")),
                  Status("approved", _("Approved"), "closed", "success")],
        transitions=[
            Transition("submit", _("Submit"), ("open",), "submitted"),
            Transition("approve", _("Approve"), ("submitted",), "approved",
                       permission="secmatrix_hooks.approve-dossier"),
        ],
    ),
    extra_actions={"escalate": _("Escalate")},
    operations=[Operation("escalate", _("Escalate"), run=escalate, action="escalate")],
    field_guard=guard_verdict,
    default_roles={},
)

JOTTING = TypeInfo(
    name="jotting",
    title=_("Jotting"),
    plural=_("Jottings"),
    fields=[f.String("line", _("Line"), required=True, indexed=True, searchable=True),
            f.Text("body", _("Body"), searchable=True)],
    default_roles={"create": ["user"], "read": ["user"], "edit": ["user"], "delete": ["user"]},
)


@hookimpl
def procura_register_types():
    return [DOSSIER, JOTTING]
