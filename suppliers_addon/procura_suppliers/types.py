"""Types of the suppliers addon: counterparties (suppliers and customers) and their contacts.

API type names ``counterparty`` and ``contact`` are part of the public REST API.
"""
from __future__ import annotations

import colander
from procura.types import Status, Transition, TypeInfo, Workflow
from procura.types import fields as f

from procura_suppliers import _
from procura_suppliers import requisites as rq

_MAIN, _REQUISITES, _BANK, _CONTACTS = _("Counterparty"), _("Requisites"), _("Bank details"), _("Contacts")


class Requisite(f.String):
    """A requisite made of digits (spaces and dashes people type are dropped), checked by ``check``."""

    def setup(self, check=None, max_length: int = 20, **kw):
        super().setup(max_length=max_length, **kw)
        self.check = check

    def validators(self):
        out = [f._text_only, colander.Length(max=self.max_length + 10)]

        def check(node, value):
            message = self.check(rq.digits_only(value).upper()) if self.check else None
            if message:
                raise colander.Invalid(node, message)

        return out + [check]

    def to_storage(self, appstruct):
        value = super().to_storage(appstruct)
        return rq.digits_only(value).upper() or None if value else None

    def filter_value(self, raw):
        return rq.digits_only(raw)


def validate_counterparty(request, obj, values) -> dict:
    """Rules across the requisites: the INN, KPP and OGRN must fit the kind of counterparty, and the
    accounts must match the bank's BIK."""
    errors = {}
    kind, inn, kpp, ogrn = values.get("kind"), values.get("inn"), values.get("kpp"), values.get("ogrn")
    if kind == "legal":
        if inn and len(inn) != 10:
            errors["inn"] = _("An organisation's INN has 10 digits")
        if ogrn and len(ogrn) != 13:
            errors["ogrn"] = _("An organisation's OGRN has 13 digits")
    elif kind == "entrepreneur":
        if inn and len(inn) != 12:
            errors["inn"] = _("An individual entrepreneur's INN has 12 digits")
        if kpp:
            errors["kpp"] = _("An individual entrepreneur has no KPP")
        if ogrn and len(ogrn) != 15:
            errors["ogrn"] = _("An individual entrepreneur has an OGRNIP of 15 digits")
    if kind in ("legal", "entrepreneur") and not inn:
        errors["inn"] = _("Required for a Russian counterparty")
    bik, account, corr = values.get("bank_bik"), values.get("bank_account"), values.get("correspondent_account")
    if (account or corr) and not bik:
        errors["bank_bik"] = _("Enter the bank's BIK to check the accounts")
    if bik and account and "bank_account" not in errors:
        message = rq.check_settlement_account(account, bik)
        if message:
            errors["bank_account"] = message
    if bik and corr:
        message = rq.check_correspondent_account(corr, bik)
        if message:
            errors["correspondent_account"] = message
    return errors


COUNTERPARTY = TypeInfo(
    name="counterparty", title=_("Counterparty"), plural=_("Counterparties"), icon="bi-building",
    id_pattern="CP-{seq:05}", menu_order=20, counterparty_fields=["id"],
    description=_("Suppliers and customers with their legal requisites, bank details and contacts."),
    fields=[
        f.String("name", _("Short name"), required=True, indexed=True, searchable=True, max_length=200,
                 group=_MAIN, description=_("The name people use every day, without the legal form.")),
        f.String("full_name", _("Full name"), searchable=True, max_length=500, group=_MAIN,
                 description=_("As registered, with the legal form.")),
        f.Enum("kind", _("Kind"), required=True, default="legal", indexed=True, group=_MAIN, choices=[
            ("legal", _("Organisation")), ("entrepreneur", _("Individual entrepreneur")),
            ("foreign", _("Foreign organisation"))]),
        f.MultiEnum("relations", _("Relationship"), indexed=True, group=_MAIN,
                    choices=[("supplier", _("Supplier")), ("customer", _("Customer"))]),
        Requisite("inn", _("INN"), indexed=True, searchable=True, check=rq.check_inn, group=_REQUISITES),
        Requisite("kpp", _("KPP"), indexed=True, check=rq.check_kpp, group=_REQUISITES),
        Requisite("ogrn", _("OGRN / OGRNIP"), indexed=True, check=rq.check_ogrn, group=_REQUISITES),
        f.AddressField("legal_address", _("Legal address"), format="ru", group=_REQUISITES),
        f.AddressField("actual_address", _("Actual address"), format="ru", group=_REQUISITES),
        f.String("bank_name", _("Bank"), max_length=300, group=_BANK),
        Requisite("bank_bik", _("BIK"), indexed=True, check=rq.check_bik, group=_BANK),
        Requisite("bank_account", _("Settlement account"), check=rq.check_account, max_length=20, group=_BANK),
        Requisite("correspondent_account", _("Correspondent account"), check=rq.check_account, max_length=20,
                  group=_BANK),
        f.Email("email", _("Email"), searchable=True, group=_CONTACTS),
        f.Phone("phone", _("Phone"), searchable=True, group=_CONTACTS),
        f.URL("website", _("Website"), group=_CONTACTS),
        f.Text("notes", _("Notes"), searchable=True),
    ],
    list_columns=["name", "inn", "kind", "status"],
    workflow=Workflow(
        statuses=[Status("prospect", _("Prospect")), Status("approved", _("Approved"), color="success"),
                  Status("blocked", _("Blocked"), "closed", "danger")],
        transitions=[
            Transition("approve", _("Approve"), ("prospect",), "approved", style="success"),
            Transition("block", _("Block"), ("prospect", "approved"), "blocked", comment_required=True,
                       style="danger"),
            Transition("unblock", _("Unblock"), ("blocked",), "prospect", comment_required=True),
        ],
    ),
    validate=validate_counterparty,
    default_roles={"create": ["buyer"], "read": {"user": "all", "portal": "counterparty"},
                   "edit": ["buyer"], "delete": ["buyer"]},
)

CONTACT = TypeInfo(
    name="contact", title=_("Contact person"), plural=_("Contact persons"), icon="bi-person-vcard",
    menu_order=21, title_field="name", counterparty_fields=["counterparty"],
    fields=[
        f.PersonNameField("name", _("Name"), required=True, indexed=True, searchable=True),
        f.Link("counterparty", _("Counterparty"), target="counterparty", required=True, indexed=True),
        f.String("position", _("Position"), searchable=True),
        f.Email("email", _("Email"), indexed=True, searchable=True),
        f.Phone("phone", _("Phone"), searchable=True),
        f.Text("notes", _("Notes")),
    ],
    list_columns=["name", "counterparty", "position", "phone"],
    default_roles={"create": ["buyer"], "read": {"user": "all", "portal": "counterparty"},
                   "edit": ["buyer"], "delete": ["buyer"]},
)

TYPES = [COUNTERPARTY, CONTACT]
