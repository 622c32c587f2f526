"""A test-only type with an assignment field, for the role tests (procura.extra_hooks = roles_hooks)."""
from procura import hookimpl
from procura.i18n import _
from procura.types import TypeInfo
from procura.types import fields as f

ERRAND = TypeInfo(
    name="errand", title=_("Errand"), plural=_("Errands"), id_pattern="ER-{seq:04}",
    owner_fields=["assignee"],
    fields=[
        f.String("subject", _("Subject"), required=True, indexed=True, searchable=True),
        f.UserField("assignee", _("Assignee"), assignment=True, indexed=True),
        f.Integer("cost", _("Cost"), indexed=True),
    ],
    default_roles={"create": ["user"], "read": {"user": "own"}, "edit": {"user": "own"}, "delete": ["admin"]},
)


@hookimpl
def procura_register_types():
    return [ERRAND]
