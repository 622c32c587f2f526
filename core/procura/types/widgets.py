"""Deform widgets for Procura's composite field types. Templates live in procura:templates/deform."""
from __future__ import annotations

import colander
from deform.widget import Widget


class MoneyWidget(Widget):
    """An amount input and a currency select side by side."""

    template = "money"
    readonly_template = "money"
    currencies = ("RUB",)
    default_currency = "RUB"

    def serialize(self, field, cstruct, **kw):
        if cstruct in (colander.null, None):
            cstruct = {"amount": "", "currency": self.default_currency}
        values = self.get_template_values(field, cstruct, kw)
        return field.renderer(self.template, **values)

    def deserialize(self, field, pstruct):
        if pstruct is colander.null or not isinstance(pstruct, dict):
            return colander.null
        amount = (pstruct.get("amount") or "").strip()
        currency = (pstruct.get("currency") or "").strip()
        if not amount:
            return colander.null
        return {"amount": amount, "currency": currency}
