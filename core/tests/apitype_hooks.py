"""Test-only types for the REST API tests (with ``procura.extra_hooks = sampletype,apitype_hooks``).

- ``vault_item``: granted only to the role "gadgeteer" (everything) and "viewer" (read), so that a
  staff user without those roles is refused; a read-only ``code``; a transition with a guard.
- ``memo``: a type without workflow (its ``status`` is null), open to every staff user.
"""
from procura import hookimpl
from procura.i18n import _
from procura.types import Status, Transition, TypeInfo, Workflow
from procura.types import fields as f


def needs_label(obj, request):
    return None if obj.label else _("A label is needed before sealing")


VAULT_ITEM = TypeInfo(
    name="vault_item",
    title=_("Vault item"),
    plural=_("Vault items"),
    title_field="label",
    fields=[
        f.String("code", _("Code"), required=True, readonly=True, indexed=True),
        f.String("label", _("Label")),
        f.Integer("level", _("Level"), indexed=True),
    ],
    workflow=Workflow(
        statuses=[Status("open", _("Open")), Status("sealed", _("Sealed"), "closed")],
        transitions=[Transition("seal", _("Seal"), ("open",), "sealed", guard=needs_label)],
    ),
    default_roles={"create": ["gadgeteer"], "read": ["gadgeteer", "viewer"], "edit": ["gadgeteer"],
                   "delete": ["gadgeteer"]},
)

MEMO = TypeInfo(
    name="memo",
    title=_("Memo"),
    plural=_("Memos"),
    fields=[f.String("subject", _("Subject"), required=True), f.Text("body", _("Body"))],
    default_roles={"create": ["user"], "read": ["user"], "edit": ["user"], "delete": ["user"]},
)


@hookimpl
def procura_register_types():
    return [VAULT_ITEM, MEMO]
