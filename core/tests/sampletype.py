"""A test-only type ("gadget") declared the way an addon declares one: proves the type registry
without any business addon. Registered through the setting procura.extra_hooks = sampletype."""
from procura import hookimpl
from procura.i18n import _
from procura.types import Status, Transition, TypeInfo, Workflow
from procura.types import fields as f

GADGET = TypeInfo(
    name="gadget",
    title=_("Gadget"),
    plural=_("Gadgets"),
    id_pattern="GDG-{year}-{seq:04}",
    fields=[
        f.String("name", _("Name"), required=True, indexed=True, searchable=True),
        f.Text("notes", _("Notes"), searchable=True),
        f.Integer("quantity", _("Quantity"), min=0, indexed=True),
        f.MoneyField("price", _("Price"), indexed=True),
        f.Enum("size", _("Size"), choices=[("s", _("Small")), ("m", _("Medium")), ("l", _("Large"))], indexed=True),
        f.Date("due", _("Due"), indexed=True),
        f.Email("contact", _("Contact email")),
        f.Boolean("urgent", _("Urgent"), indexed=True),
    ],
    list_columns=["name", "quantity", "price", "status"],
    workflow=Workflow(
        statuses=[Status("new", _("New")), Status("active", _("Active"), color="primary"),
                  Status("done", _("Done"), "closed", "success"), Status("dropped", _("Dropped"), "closed", "dark")],
        transitions=[
            Transition("start", _("Start"), ("new",), "active"),
            Transition("finish", _("Finish"), ("active",), "done"),
            Transition("drop", _("Drop"), ("new", "active"), "dropped", comment_required=True),
            Transition("reopen", _("Reopen"), ("done", "dropped"), "active", permission="sampletype.reopen-gadget"),
        ],
    ),
    default_roles={"create": ["user"], "read": {"user": "all", "portal": "all"}, "edit": ["user"], "delete": ["user"]},
)


@hookimpl
def procura_register_types():
    return [GADGET]
