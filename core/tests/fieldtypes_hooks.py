"""Test-only types using every field type: "specimen" (one field of each kind) and "specimen_part"
(the target of its links). Registered through the setting procura.extra_hooks = fieldtypes_hooks."""
from procura import hookimpl
from procura.i18n import _
from procura.types import TypeInfo
from procura.types import fields as f

ROLES = {"create": ["user"], "read": ["user"], "edit": ["user"], "delete": ["user"]}

PART = TypeInfo(
    name="specimen_part",
    title=_("Part"),
    plural=_("Parts"),
    id_pattern="P-{seq:03}",
    fields=[f.String("name", _("Name"), required=True, indexed=True)],
    default_roles=ROLES,
    menu=False,
)

SPECIMEN = TypeInfo(
    name="specimen",
    title=_("Specimen"),
    plural=_("Specimens"),
    id_pattern="S-{seq:04}",
    fields=[
        f.String("name", _("Name"), required=True, indexed=True, searchable=True),
        f.Text("notes", _("Notes"), indexed=True),
        f.RichText("body", _("Body"), searchable=True),
        f.Integer("count", _("Count"), min=0, max=100_000, indexed=True),
        f.DecimalField("weight", _("Weight"), places=3, indexed=True),
        f.MoneyField("price", _("Price"), indexed=True),
        f.Percent("discount", _("Discount"), indexed=True),
        f.Boolean("active", _("Active"), indexed=True),
        f.Date("due", _("Due"), indexed=True),
        f.DateTime("at", _("At"), indexed=True),
        f.Duration("effort", _("Effort"), indexed=True),
        f.Enum("size", _("Size"), choices=[("s", _("Small")), ("l", _("Large"))], indexed=True),
        f.MultiEnum("tags", _("Tags"), choices=[("a", _("Alpha")), ("b", _("Beta"))], indexed=True),
        f.Email("email", _("Email"), indexed=True),
        f.Phone("phone", _("Phone"), indexed=True),
        f.URL("site", _("Site"), indexed=True),
        f.AddressField("address", _("Address"), format="ru", indexed=True),
        f.PersonNameField("contact", _("Contact"), indexed=True),
        f.Link("part", _("Part"), target="specimen_part", indexed=True),
        f.LinkMany("parts", _("Parts"), target="specimen_part", indexed=True, extra=[
            f.Integer("quantity", _("Quantity"), min=1, required=True),
            f.Enum("role", _("Role"), choices=[("main", _("Main")), ("spare", _("Spare"))]),
        ]),
        f.LinkSet("part_set", _("Part set"), target="specimen_part", indexed=True),
        f.Parent("parent", _("Parent"), targets=("specimen_part", "specimen"), indexed=True),
        f.UserField("responsible", _("Responsible"), indexed=True),
        f.TeamField("team", _("Team"), indexed=True),
        f.FileField("attachment", _("Attachment"), max_bytes=4096, indexed=True),
        f.ImageField("photo", _("Photo")),
        f.Barcode("ean", _("EAN-13"), symbology="ean13", indexed=True),
        f.Barcode("ean_short", _("EAN-8"), symbology="ean8"),
        f.Barcode("code", _("Code 128"), symbology="code128"),
        f.Barcode("qr", _("QR"), symbology="qr"),
        f.GeoPointField("location", _("Location"), indexed=True),
        f.JSONField("extra", _("Extra"), max_bytes=2048, indexed=True),
    ],
    default_roles=ROLES,
)


@hookimpl
def procura_register_types():
    return [PART, SPECIMEN]
