"""Deform widgets for Procura's composite field types. Templates live in procura:templates/deform.

Each composite widget renders Bootstrap 5 markup inside Deform's ``mapping_item`` (label, error,
help text): the first control carries ``field.oid`` so the field's label points at it, every part
has its own visible or ``aria-label``, and the wrapper gets ``is-invalid`` when the field has an
error so Bootstrap shows the message under it. The read-only rendering is one line of text.
"""
from __future__ import annotations

import colander
from deform.widget import FileUploadWidget, Widget


class CompositeWidget(Widget):
    """A widget for a value made of named text parts (``parts``), posted as a peppercorn mapping.

    ``deserialize`` strips every part and returns ``colander.null`` when all are empty, so an
    untouched optional composite field stays empty.
    """

    parts: tuple[str, ...] = ()
    readonly_template = "readonly/composite"
    empty: dict = {}

    def serialize(self, field, cstruct, **kw):
        if cstruct in (colander.null, None) or not isinstance(cstruct, dict):
            cstruct = dict(self.empty)
        cstruct = {p: "" if cstruct.get(p) is None else str(cstruct.get(p)) for p in self.parts}
        readonly = kw.get("readonly", self.readonly)
        values = self.get_template_values(field, cstruct, kw)
        values["text"] = self.readonly_text(cstruct)
        return field.renderer(self.readonly_template if readonly else self.template, **values)

    def readonly_text(self, cstruct) -> str:
        return ", ".join(v for v in (cstruct.get(p) for p in self.parts) if v)

    def deserialize(self, field, pstruct):
        if pstruct is colander.null or not isinstance(pstruct, dict):
            return colander.null
        out = {p: str(pstruct.get(p) or "").strip() for p in self.parts}
        if not any(v for k, v in out.items() if k not in self.ignore_when_empty()):
            return colander.null
        return out

    def ignore_when_empty(self) -> set:
        """Parts that alone do not make a value (e.g. a preselected currency or country)."""
        return set()


class MoneyWidget(CompositeWidget):
    """An amount input and a currency select side by side."""

    template = "money"
    readonly_template = "readonly/composite"
    parts = ("amount", "currency")
    currencies = ("RUB",)
    default_currency = "RUB"

    def serialize(self, field, cstruct, **kw):
        if cstruct in (colander.null, None):
            cstruct = {"amount": "", "currency": self.default_currency}
        return super().serialize(field, cstruct, **kw)

    def readonly_text(self, cstruct):
        return " ".join(v for v in (cstruct.get("amount"), cstruct.get("currency")) if v)

    def deserialize(self, field, pstruct):
        if pstruct is colander.null or not isinstance(pstruct, dict):
            return colander.null
        amount = (pstruct.get("amount") or "").strip()
        currency = (pstruct.get("currency") or "").strip()
        if not amount:
            return colander.null
        return {"amount": amount, "currency": currency}


class AddressWidget(CompositeWidget):
    """Country select and region, city, street, building, postcode inputs (a responsive grid)."""

    template = "address"
    parts = ("country", "region", "city", "street", "building", "postcode")
    countries: tuple = ()  # (code, name) pairs in the reader's language
    default_country = "RU"

    def serialize(self, field, cstruct, **kw):
        if cstruct in (colander.null, None):
            cstruct = {"country": self.default_country}
        return super().serialize(field, cstruct, **kw)

    def readonly_text(self, cstruct):
        from procura.types.address import format_address

        return format_address(cstruct, "single_line", self.locale)

    locale = "ru"

    def ignore_when_empty(self):
        return {"country"}


class PersonNameWidget(CompositeWidget):
    """Last, first and middle name inputs on one row (stacked on a phone)."""

    template = "personname"
    parts = ("last", "first", "middle")

    def readonly_text(self, cstruct):
        from procura.types.names import format_person_name

        return format_person_name(cstruct, self.order)

    order = "last_first_middle"


class GeoPointWidget(CompositeWidget):
    """Latitude and longitude inputs (decimal degrees)."""

    template = "geopoint"
    parts = ("lat", "lon")


class ParentWidget(CompositeWidget):
    """The parent of an object: either one select over the (few) candidates of every allowed type,
    with values ``<type>/<id>``, or a type select plus an id input when there are many.

    ``choices``: ``[(type name, type title, [(id, title), ...]), ...]`` or None for the id input.
    """

    template = "parent"
    parts = ("type", "id")
    types: tuple = ()  # (type name, title)
    choices = None

    def serialize(self, field, cstruct, **kw):
        if cstruct in (colander.null, None) or not isinstance(cstruct, dict):
            cstruct = {"type": "", "id": ""}
        readonly = kw.get("readonly", self.readonly)
        cstruct = {"type": cstruct.get("type") or "", "id": cstruct.get("id") or ""}
        values = self.get_template_values(field, cstruct, kw)
        values["text"] = self.readonly_text(cstruct)
        values["selected"] = f"{cstruct['type']}/{cstruct['id']}" if cstruct["id"] else ""
        return field.renderer(self.readonly_template if readonly else self.template, **values)

    def readonly_text(self, cstruct):
        return f"{cstruct.get('type')}/{cstruct.get('id')}" if cstruct.get("id") else ""

    def deserialize(self, field, pstruct):
        if pstruct is colander.null or not isinstance(pstruct, dict):
            return colander.null
        combined = str(pstruct.get("ref") or "").strip()
        if combined:
            type_name, _sep, obj_id = combined.partition("/")
            return {"type": type_name, "id": obj_id}
        obj_id = str(pstruct.get("id") or "").strip()
        if not obj_id:
            return colander.null
        return {"type": str(pstruct.get("type") or "").strip(), "id": obj_id}


class StoredFileWidget(FileUploadWidget):
    """A file input; for a field that already holds a file, its name, a "remove" switch and the
    input to replace it.

    Deform's upload widget keeps uploads in a *tmpstore*; Procura's lives for one request
    (``procura.types.files.RequestTmpStore``). The current file is identified by ``uid`` =
    ``keep-<sha256 prefix>``: posting it back without a new upload keeps the stored file
    (``deserialize`` returns ``{"keep": True}``, which the field turns into ``UNCHANGED``).
    """

    template = "storedfile"
    readonly_template = "readonly/file_upload"
    accept = None

    @staticmethod
    def size_text(size) -> str:
        """The file size as shown (the field replaces this with a localised one)."""
        return f"{size}\u00a0B"

    def serialize(self, field, cstruct, **kw):
        if cstruct in (colander.null, None):
            cstruct = {}
        readonly = kw.get("readonly", self.readonly)
        values = self.get_template_values(field, cstruct, kw)
        return field.renderer(self.readonly_template if readonly else self.template, **values)

    def deserialize(self, field, pstruct):
        if pstruct is colander.null or not isinstance(pstruct, dict):
            return colander.null
        if pstruct.get("remove"):
            return colander.null
        upload = pstruct.get("upload")
        if hasattr(upload, "file"):
            filename = str(upload.filename or "")
            return {"fp": upload.file, "filename": filename[filename.rfind("\\") + 1:].strip(),
                    "mimetype": getattr(upload, "type", None)}
        uid = str(pstruct.get("uid") or "")
        if uid.startswith("keep-"):
            return {"keep": True}
        data = self.tmpstore.get(uid) if uid else None
        if data and data.get("fp") is not None:  # chosen earlier in this same request
            return data
        return colander.null
