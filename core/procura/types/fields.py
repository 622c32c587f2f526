"""Field types. Each knows how to validate (Colander), edit (Deform widget), store, index, show,
export, feed the search index and describe itself in OpenAPI.

A field's *stored* value is a plain Python value (str, int, Decimal, date, ``Money``, tuple,
dict...) or None. The JSON form is what the REST API reads and writes; the form (Deform) side uses
the Colander appstruct, which equals the stored value unless a field says otherwise.

Extending: subclass ``Field`` and override what differs; register the class in ``FIELD_TYPES``
so that run-time custom fields can use it by ``kind``.
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass
from typing import Any

import colander
import deform

from procura.i18n import _

FIELD_TYPES: dict[str, type] = {}


def field_type(cls):
    FIELD_TYPES[cls.kind] = cls
    return cls


class Field:
    """Base field.

    Options: ``required``, ``default``, ``description`` (help text), ``indexed`` (catalog index: sort
    and filter), ``searchable`` (global full-text search), ``readonly`` (never changed through
    forms or the API after creation), ``group`` (detail/form panel title), ``in_list`` (offered as a
    list column), ``api_name`` (defaults to ``name``).
    """

    kind = "string"
    index_kind = "field"  # "field" (sortable value) or "keyword" (set of values)
    json_type: dict = {"type": "string"}

    def __init__(self, name: str, title: Any, *, required: bool = False, default: Any = None,
                 description: Any = "", indexed: bool = False, searchable: bool = False,
                 readonly: bool = False, group: Any = None, in_list: bool = True, **options):
        self.name = name
        self.title = title
        self.required = required
        self.default = default
        self.description = description
        self.indexed = indexed
        self.searchable = searchable
        self.readonly = readonly
        self.group = group
        self.in_list = in_list
        self.options = options
        self.setup(**options)

    def setup(self, **options):
        """Subclasses take their own options here."""
        if options:
            raise TypeError(f"field {self.name}: unknown options {sorted(options)}")

    # ---------------------------------------------------------------- validation / forms
    def colander_type(self):
        return colander.String()

    def validators(self) -> list:
        return []

    def widget(self, request=None):
        return None

    def schema_node(self, request=None, *, for_api: bool = False) -> colander.SchemaNode:
        validators = self.validators()
        kw = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "missing": colander.required if self.required else None,
        }
        if validators:
            kw["validator"] = colander.All(*validators) if len(validators) > 1 else validators[0]
        if not for_api:
            widget = self.widget(request)
            if widget is not None:
                kw["widget"] = widget
        if self.default is not None:
            kw["default"] = self.default
        node = colander.SchemaNode(self.colander_type(), **kw)
        return node

    def to_storage(self, appstruct):
        """The deserialised (validated) value as stored on the object."""
        if appstruct is colander.null:
            return None
        return appstruct

    def to_appstruct(self, value):
        """The stored value as a Deform appstruct (for an edit form)."""
        return colander.null if value is None else value

    # ---------------------------------------------------------------- JSON (REST API)
    def to_json(self, value):
        return value

    def from_json(self, raw):
        """A JSON value as a Colander cstruct (what ``deserialize`` expects)."""
        if raw is None:
            return colander.null
        return raw if isinstance(raw, str) else str(raw)

    def openapi(self) -> dict:
        schema = dict(self.json_type)
        if not self.required:
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema

    # ---------------------------------------------------------------- catalog / search / display
    def index_value(self, value):
        """Value for the catalog (None: not indexed). Must be comparable within one field."""
        if value is None or value == "":
            return None
        return value

    def search_text(self, value) -> str:
        return "" if value is None else str(value)

    def display(self, value, request) -> str:
        """Plain text shown to a person (templates escape it)."""
        if value is None or value == "":
            return ""
        return str(value)

    def display_html(self, value, request) -> str | None:
        """Sanitised HTML for fields that render markup (rich text); None for plain text fields."""
        return None

    def export_value(self, value, request):
        """A cell for CSV/XLSX: str, int, float, Decimal, date or datetime."""
        return self.display(value, request)

    def filter_value(self, raw: str):
        """A list filter's query-string value as an index value (raise ValueError if invalid)."""
        cstruct = self.from_json(raw)
        return self.index_value(self.to_storage(self.colander_type().deserialize(self._dummy(), cstruct)))

    def _dummy(self):
        return colander.SchemaNode(self.colander_type(), name=self.name)


# -------------------------------------------------------------------------------- text


@field_type
class String(Field):
    kind = "string"

    def setup(self, max_length: int = 255, min_length: int = 0, pattern: str | None = None,
              pattern_message: Any = None):
        self.max_length, self.min_length = max_length, min_length
        self.pattern, self.pattern_message = pattern, pattern_message

    def colander_type(self):
        return colander.String(allow_empty=False)

    def validators(self):
        out = [colander.Length(min=self.min_length or None, max=self.max_length)]
        if self.pattern:
            out.append(colander.Regex(self.pattern, msg=self.pattern_message or _("Invalid format")))
        return out

    def to_storage(self, appstruct):
        if appstruct is colander.null or appstruct is None:
            return None
        value = appstruct.strip()
        return value or None

    def openapi(self):
        schema = {"type": "string", "maxLength": self.max_length}
        if self.pattern:
            schema["pattern"] = self.pattern
        return schema if self.required else {"anyOf": [schema, {"type": "null"}]}

    def index_value(self, value):
        return value.casefold() if value else None


@field_type
class Text(String):
    kind = "text"

    def setup(self, max_length: int = 100_000, **kw):
        super().setup(max_length=max_length, **kw)

    def widget(self, request=None):
        return deform.widget.TextAreaWidget(rows=5)

    def to_storage(self, appstruct):
        if appstruct is colander.null or appstruct is None:
            return None
        return appstruct.strip("\n\r ") or None

    def index_value(self, value):
        return value.casefold()[:200] if value else None


@field_type
class Email(String):
    kind = "email"
    json_type = {"type": "string", "format": "email"}

    def setup(self, **kw):
        super().setup(max_length=254)

    def validators(self):
        return [colander.Length(max=254), colander.Email(msg=_("Not a valid email address"))]

    def widget(self, request=None):
        return deform.widget.TextInputWidget(attributes={"type": "email", "autocomplete": "email"})

    def openapi(self):
        schema = {"type": "string", "format": "email", "maxLength": 254}
        return schema if self.required else {"anyOf": [schema, {"type": "null"}]}


PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,24}$")


@field_type
class Phone(String):
    """A phone number, stored normalised to ``+<digits>`` (Russian 8XXXXXXXXXX becomes +7XXXXXXXXXX)."""

    kind = "phone"

    def setup(self, **kw):
        super().setup(max_length=32)

    def validators(self):
        def check(node, value):
            digits = re.sub(r"\D", "", value)
            if not PHONE_RE.match(value.strip()) or not 7 <= len(digits) <= 15:
                raise colander.Invalid(node, _("Not a valid phone number"))

        return [check]

    def widget(self, request=None):
        return deform.widget.TextInputWidget(attributes={"type": "tel", "autocomplete": "tel"})

    def to_storage(self, appstruct):
        value = super().to_storage(appstruct)
        if not value:
            return None
        digits = re.sub(r"\D", "", value)
        if len(digits) == 11 and digits.startswith("8") and not value.strip().startswith("+"):
            digits = "7" + digits[1:]
        return "+" + digits

    def index_value(self, value):
        return value or None


@field_type
class URL(String):
    kind = "url"
    json_type = {"type": "string", "format": "uri"}

    def setup(self, **kw):
        super().setup(max_length=2000)

    def validators(self):
        def check(node, value):
            if not re.match(r"^https?://[^\s/$.?#].[^\s]*$", value.strip(), re.I):
                raise colander.Invalid(node, _("Not a valid web address (it must start with http:// or https://)"))

        return [colander.Length(max=2000), check]

    def widget(self, request=None):
        return deform.widget.TextInputWidget(attributes={"type": "url"})

    def openapi(self):
        schema = {"type": "string", "format": "uri", "maxLength": 2000}
        return schema if self.required else {"anyOf": [schema, {"type": "null"}]}


# -------------------------------------------------------------------------------- numbers


@field_type
class Integer(Field):
    kind = "integer"
    json_type = {"type": "integer"}

    def setup(self, min: int | None = None, max: int | None = None):  # noqa: A002
        self.min, self.max = min, max

    def colander_type(self):
        return colander.Integer(strict=True)

    def validators(self):
        return [colander.Range(min=self.min, max=self.max)] if (self.min, self.max) != (None, None) else []

    def from_json(self, raw):
        if raw is None:
            return colander.null
        if isinstance(raw, bool):
            return "invalid"  # JSON true is not a number
        return str(raw)

    def openapi(self):
        schema = {"type": "integer"}
        if self.min is not None:
            schema["minimum"] = self.min
        if self.max is not None:
            schema["maximum"] = self.max
        return schema if self.required else {"anyOf": [schema, {"type": "null"}]}

    def export_value(self, value, request):
        return value

    def display(self, value, request):
        return "" if value is None else format_number(value, request)


@field_type
class DecimalField(Field):
    """A decimal number with ``places`` fraction digits (stored as ``decimal.Decimal``; JSON: a string)."""

    kind = "decimal"

    def setup(self, places: int = 2, min=None, max=None):  # noqa: A002
        self.places, self.min, self.max = places, min, max

    def colander_type(self):
        return colander.Decimal(quant=decimal.Decimal(1).scaleb(-self.places), rounding=decimal.ROUND_HALF_UP)

    def validators(self):
        out = []
        if (self.min, self.max) != (None, None):
            out.append(colander.Range(min=None if self.min is None else decimal.Decimal(str(self.min)),
                                      max=None if self.max is None else decimal.Decimal(str(self.max))))
        return out

    def from_json(self, raw):
        if raw is None:
            return colander.null
        if isinstance(raw, bool):
            return "invalid"
        return str(raw).replace(" ", "").replace("\u00a0", "").replace(",", ".")

    def to_storage(self, appstruct):
        if appstruct is colander.null or appstruct is None:
            return None
        if not appstruct.is_finite():
            raise colander.Invalid(self._dummy(), _("Not a number"))
        return appstruct

    def to_json(self, value):
        return None if value is None else str(value)

    def openapi(self):
        schema = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "decimal number as a string"}
        return schema if self.required else {"anyOf": [schema, {"type": "null"}]}

    def display(self, value, request):
        return "" if value is None else format_number(value, request, self.places)

    def export_value(self, value, request):
        return value


@field_type
class Percent(DecimalField):
    kind = "percent"

    def setup(self, places: int = 2, min=0, max=100):  # noqa: A002
        super().setup(places=places, min=min, max=max)

    def display(self, value, request):
        return "" if value is None else format_number(value, request, self.places) + "\u00a0%"


@dataclass(frozen=True)
class Money:
    """An amount of money: ``Decimal`` amount and ISO 4217 currency code."""

    amount: decimal.Decimal
    currency: str

    def __str__(self):
        return f"{self.amount} {self.currency}"


CURRENCIES = ("RUB", "USD", "EUR", "CNY", "KZT", "BYN", "AED", "TRY", "INR")
CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "CNY": "¥"}


class _MoneyType(colander.SchemaType):
    def __init__(self, places, currencies):
        self.places, self.currencies = places, currencies

    def serialize(self, node, appstruct):
        if appstruct is colander.null or appstruct is None:
            return colander.null
        return {"amount": str(appstruct.amount), "currency": appstruct.currency}

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct in ("", None):
            return colander.null
        if isinstance(cstruct, str):
            parts = cstruct.split()
            cstruct = {"amount": parts[0], "currency": parts[1] if len(parts) > 1 else ""} if parts else {}
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, _("Expected an amount and a currency"))
        raw_amount = cstruct.get("amount")
        if raw_amount in (None, "") or isinstance(raw_amount, bool):
            if raw_amount in (None, "") and not cstruct.get("currency"):
                return colander.null
            raise colander.Invalid(node, _("Enter an amount"))
        try:
            amount = decimal.Decimal(str(raw_amount).replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except decimal.InvalidOperation:
            raise colander.Invalid(node, _("Not a number")) from None
        if not amount.is_finite():
            raise colander.Invalid(node, _("Not a number"))
        currency = (cstruct.get("currency") or "").strip().upper()
        if currency not in self.currencies:
            raise colander.Invalid(node, _("Unknown currency"))
        quant = decimal.Decimal(1).scaleb(-self.places)
        if amount != amount.quantize(quant, rounding=decimal.ROUND_HALF_UP):
            raise colander.Invalid(node, _("At most ${places} digits after the decimal point",
                                           mapping={"places": self.places}))
        return Money(amount.quantize(quant), currency)


@field_type
class MoneyField(Field):
    """Money: Decimal amount with a currency. JSON ``{"amount": "1500.00", "currency": "RUB"}``."""

    kind = "money"

    def setup(self, places: int = 2, currencies=CURRENCIES, default_currency: str = "RUB", min=None):  # noqa: A002
        self.places, self.currencies, self.default_currency, self.min = places, tuple(currencies), default_currency, min

    def colander_type(self):
        return _MoneyType(self.places, self.currencies)

    def validators(self):
        if self.min is None:
            return []
        minimum = decimal.Decimal(str(self.min))

        def check(node, value):
            if value.amount < minimum:
                raise colander.Invalid(node, _("The amount must be at least ${min}", mapping={"min": str(minimum)}))

        return [check]

    def widget(self, request=None):
        from procura.types.widgets import MoneyWidget

        return MoneyWidget(currencies=self.currencies, default_currency=self.default_currency)

    def from_json(self, raw):
        return colander.null if raw is None else raw

    def to_json(self, value):
        return None if value is None else {"amount": str(value.amount), "currency": value.currency}

    def openapi(self):
        schema = {
            "type": "object",
            "properties": {
                "amount": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
                "currency": {"type": "string", "enum": list(self.currencies)},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }
        return schema if self.required else {"anyOf": [schema, {"type": "null"}]}

    def index_value(self, value):
        return None if value is None else value.amount

    def display(self, value, request):
        if value is None:
            return ""
        return format_number(value.amount, request, self.places) + "\u00a0" + CURRENCY_SIGNS.get(
            value.currency, value.currency)

    def export_value(self, value, request):
        return "" if value is None else f"{value.amount} {value.currency}"

    def search_text(self, value):
        return "" if value is None else f"{value.amount} {value.currency}"


# -------------------------------------------------------------------------------- choices


@field_type
class Boolean(Field):
    kind = "boolean"
    json_type = {"type": "boolean"}

    def colander_type(self):
        return colander.Boolean(false_choices=("", "0", "false", "False", "off", "no"))

    def widget(self, request=None):
        return deform.widget.CheckboxWidget()

    def schema_node(self, request=None, *, for_api=False):
        node = super().schema_node(request, for_api=for_api)
        node.missing = False if not self.required else colander.required
        return node

    def from_json(self, raw):
        if raw is None:
            return colander.null
        if not isinstance(raw, bool):
            return "not-a-boolean"
        return "true" if raw else "false"

    def display(self, value, request):
        if value is None:
            return ""
        return request.localizer.translate(_("Yes") if value else _("No"))

    def index_value(self, value):
        return None if value is None else bool(value)

    def filter_value(self, raw):
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise ValueError(raw)


@field_type
class Enum(Field):
    """One of ``choices``: a list of ``(value, title)``."""

    kind = "enum"

    def setup(self, choices=()):
        self.choices = list(choices)
        if not self.choices:
            raise TypeError(f"field {self.name}: enum needs choices")

    def validators(self):
        return [colander.OneOf([c for c, _t in self.choices], msg_err=_("Not one of the allowed values"))]

    def widget(self, request=None):
        return deform.widget.SelectWidget(values=[("", "—")] + self.choices if not self.required else self.choices)

    def openapi(self):
        schema = {"type": "string", "enum": [c for c, _t in self.choices]}
        return schema if self.required else {"anyOf": [schema, {"type": "null"}]}

    def title_of(self, value):
        return dict(self.choices).get(value, value)

    def display(self, value, request):
        return "" if value is None else request.localizer.translate(self.title_of(value))

    def to_storage(self, appstruct):
        return None if appstruct in (colander.null, None, "") else appstruct


@field_type
class MultiEnum(Enum):
    kind = "multi_enum"
    index_kind = "keyword"

    def colander_type(self):
        return colander.Set()

    def validators(self):
        allowed = {c for c, _t in self.choices}

        def check(node, value):
            bad = sorted(set(value) - allowed)
            if bad:
                raise colander.Invalid(node, _("Not allowed: ${values}", mapping={"values": ", ".join(bad)}))

        return [check]

    def widget(self, request=None):
        return deform.widget.CheckboxChoiceWidget(values=self.choices, inline=True)

    def from_json(self, raw):
        if raw is None:
            return colander.null
        if not isinstance(raw, list):
            return ["\0not-a-list"]
        return [str(v) for v in raw]

    def to_storage(self, appstruct):
        if appstruct in (colander.null, None):
            return None
        return tuple(sorted(appstruct)) or None

    def to_appstruct(self, value):
        return set(value or ())

    def to_json(self, value):
        return list(value) if value else []

    def openapi(self):
        return {"type": "array", "items": {"type": "string", "enum": [c for c, _t in self.choices]},
                "uniqueItems": True}

    def index_value(self, value):
        return list(value) if value else None

    def display(self, value, request):
        return ", ".join(request.localizer.translate(self.title_of(v)) for v in value or ())

    def search_text(self, value):
        return " ".join(value or ())

    def filter_value(self, raw):
        if raw not in {c for c, _t in self.choices}:
            raise ValueError(raw)
        return raw


# -------------------------------------------------------------------------------- time


@field_type
class Date(Field):
    kind = "date"
    json_type = {"type": "string", "format": "date"}

    def colander_type(self):
        return colander.Date()

    def widget(self, request=None):
        return deform.widget.TextInputWidget(attributes={"type": "date"})

    def to_appstruct(self, value):
        return colander.null if value is None else value

    def schema_node(self, request=None, *, for_api=False):
        node = super().schema_node(request, for_api=for_api)
        if not for_api:
            # The browser's <input type=date> sends ISO text, which colander.Date reads; render ISO back.
            node.widget = deform.widget.TextInputWidget(attributes={"type": "date"})
        return node

    def to_json(self, value):
        return None if value is None else value.isoformat()

    def display(self, value, request):
        if value is None:
            return ""
        from procura.types.formatting import format_date

        return format_date(value, request)

    def export_value(self, value, request):
        return value


@field_type
class DateTime(Field):
    """A moment in time, stored in UTC, shown in the user's time zone."""

    kind = "datetime"
    json_type = {"type": "string", "format": "date-time"}

    def colander_type(self):
        return _LocalDateTime()

    def widget(self, request=None):
        return deform.widget.TextInputWidget(attributes={"type": "datetime-local"})

    def schema_node(self, request=None, *, for_api=False):
        node = super().schema_node(request, for_api=for_api)
        node.typ = _LocalDateTime(user_tz_name(request) if (request is not None and not for_api) else "UTC")
        return node

    def to_storage(self, appstruct):
        if appstruct in (colander.null, None):
            return None
        return appstruct.astimezone(dt.UTC)

    def to_appstruct(self, value):
        return colander.null if value is None else value

    def to_json(self, value):
        return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

    def display(self, value, request):
        if value is None:
            return ""
        from procura.types.formatting import format_datetime

        return format_datetime(value, request)

    def export_value(self, value, request):
        if value is None:
            return ""
        return value.astimezone(user_tz(request)).replace(tzinfo=None)


class _LocalDateTime(colander.SchemaType):
    """ISO date-time; naive values are read in ``tz`` (the user's zone in forms, UTC in the API)."""

    def __init__(self, tz="UTC"):
        self.tz = tz

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        from zoneinfo import ZoneInfo

        return appstruct.astimezone(ZoneInfo(self.tz)).replace(tzinfo=None).isoformat(timespec="minutes")

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return colander.null
        from zoneinfo import ZoneInfo

        try:
            value = dt.datetime.fromisoformat(str(cstruct).replace("Z", "+00:00"))
        except ValueError:
            raise colander.Invalid(node, _("Not a valid date and time")) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(self.tz))
        return value.astimezone(dt.UTC)


def user_tz_name(request) -> str:
    user = getattr(request, "identity", None)
    tz = getattr(user, "timezone", None) if user is not None else None
    return tz or request.registry.settings.get("procura.default_timezone", "Europe/Moscow")


def user_tz(request):
    from zoneinfo import ZoneInfo

    return ZoneInfo(user_tz_name(request))


def format_number(value, request, places: int | None = None) -> str:
    from procura.types.formatting import format_decimal

    return format_decimal(value, request, places)
