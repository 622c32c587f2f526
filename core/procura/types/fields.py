"""Field types. Each knows how to validate (Colander), edit (Deform widget), store, index, show,
export, feed the search index and describe itself in OpenAPI.

A field's *stored* value is a plain Python value (str, int, Decimal, date, ``Money``, tuple,
dict...) or None. The JSON form is what the REST API reads and writes; the form (Deform) side uses
the Colander appstruct, which equals the stored value unless a field says otherwise.

Validation that needs the database (links, users, teams, uploads) is bound to the request:
``schema_node(request)`` adds the validators of ``request_validators(request)``; called without a
request it adds them as a Colander *deferred* validator that ``schema.bind(request=request)``
resolves (Deform forms made by ``procura.views.forms.make_form`` are bound that way).

``to_storage`` may return ``UNCHANGED`` (a file field whose form or JSON says "keep the current
file"): the write path then leaves the stored value as it is. ``attach(obj, value)`` lets a field
adopt its value when the service sets it on an object (files learn their owner for their URL).

Extending: subclass ``Field`` and override what differs; register the class with ``@field_type``
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


class _Unchanged:
    """``to_storage`` result meaning "keep the value the object has" (see the module docstring)."""

    def __repr__(self):
        return "UNCHANGED"

    def __bool__(self):
        return False

    def __reduce__(self):
        return "UNCHANGED"


UNCHANGED = _Unchanged()


def _text_only(node, value):
    """Refuses the marker ``from_json`` puts in place of a JSON value that is not text."""
    if isinstance(value, str) and "\0" in value:
        raise colander.Invalid(node, _("Expected text"))


def _first_error(validators):
    """A validator running ``validators`` in order and stopping at the first error (the database
    checks of links run only on values that passed the cheap checks)."""

    def check(node, value):
        for validator in validators:
            validator(node, value)

    return check


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

    def request_validators(self, request) -> list:
        """Validators that need the request (the database, the user); ``request`` may be None."""
        return []

    def widget(self, request=None):
        return None

    def schema_node(self, request=None, *, for_api: bool = False) -> colander.SchemaNode:
        validators = self.validators()
        kw = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            # a field with a default takes the default when the input leaves it out
            "missing": self.default if self.default is not None else (colander.required if self.required else None),
        }
        if type(self).request_validators is not Field.request_validators:
            kw["validator"] = self._contextual_validator(request, validators)
        elif validators:
            kw["validator"] = colander.All(*validators) if len(validators) > 1 else validators[0]
        if not for_api:
            widget = self.widget(request)
            if widget is not None:
                kw["widget"] = widget
        if self.default is not None:
            kw["default"] = self.default
        node = colander.SchemaNode(self.colander_type(), **kw)
        return node

    def _contextual_validator(self, request, static: list):
        def combine(req):
            found = list(static) + list(self.request_validators(req))
            return _first_error(found) if found else None

        if request is not None:
            return combine(request)
        return colander.deferred(lambda node, kw: combine(kw.get("request")))

    def attach(self, obj, value):
        """Called by the write path when ``value`` is set on ``obj``; returns the value to store."""
        return value

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
        out = [_text_only, colander.Length(min=self.min_length or None, max=self.max_length)]
        if self.pattern:
            out.append(colander.Regex(self.pattern, msg=self.pattern_message or _("Invalid format")))
        return out

    def from_json(self, raw):
        if raw is None:
            return colander.null
        return raw if isinstance(raw, str) else "\0not-text"  # a JSON number is not text

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
        # true_choices too: anything else (JSON "yes", 5, ...) is refused instead of read as True
        return colander.Boolean(false_choices=("", "0", "false", "False", "off", "no"),
                                true_choices=("1", "true", "True", "on", "yes"))

    def widget(self, request=None):
        return deform.widget.CheckboxWidget()

    def schema_node(self, request=None, *, for_api=False):
        node = super().schema_node(request, for_api=for_api)
        # A form sends nothing for an unticked box (False); JSON input that leaves the field out gets
        # the field's default.
        default = self.default if for_api and self.default is not None else False
        node.missing = default if not self.required else colander.required
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

    def setup(self, choices=(), invalid_message=None):
        self.choices = list(choices)
        self.invalid_message = invalid_message
        if not self.choices:
            raise TypeError(f"field {self.name}: enum needs choices")

    def validators(self):
        return [colander.OneOf([c for c, _t in self.choices],
                               msg_err=self.invalid_message or _("Not one of the allowed values"))]

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


def _locale(request) -> str:
    return request.localizer.locale_name if request is not None else "ru"


def _translate(request, msg):
    return request.localizer.translate(msg) if request is not None else str(msg)


def _nullable(schema: dict, required: bool) -> dict:
    return schema if required else {"anyOf": [schema, {"type": "null"}]}


# -------------------------------------------------------------------------------- rich text


@field_type
class RichText(Text):
    """Markdown source, shown as sanitised HTML (``procura.types.markdown.render_markdown``)."""

    kind = "rich_text"

    def widget(self, request=None):
        return deform.widget.TextAreaWidget(rows=8, attributes={"data-markdown": "true", "spellcheck": "true"})

    def openapi(self):
        schema = {"type": "string", "maxLength": self.max_length, "contentMediaType": "text/markdown",
                  "description": "Markdown (CommonMark); rendered sanitised, raw HTML is shown as text"}
        return _nullable(schema, self.required)

    def display_html(self, value, request):
        from procura.types.markdown import render_markdown

        return render_markdown(value) if value else ""

    def display(self, value, request):
        return markdown_plain_text(value)

    def search_text(self, value):
        return markdown_plain_text(value)

    def export_value(self, value, request):
        return value or ""


def markdown_plain_text(value) -> str:
    """The text of Markdown without its markup (for list cells and the search index)."""
    if not value:
        return ""
    import html

    import nh3

    from procura.types.markdown import render_markdown

    text = nh3.clean(render_markdown(value).replace("</p>", "</p> ").replace("<br>", " "), tags=set())
    return " ".join(html.unescape(text).split())


# -------------------------------------------------------------------------------- duration

_DURATION_UNITS = {
    "w": 7 * 24 * 60, "wk": 7 * 24 * 60, "week": 7 * 24 * 60, "weeks": 7 * 24 * 60, "н": 7 * 24 * 60,
    "нед": 7 * 24 * 60,
    "d": 24 * 60, "day": 24 * 60, "days": 24 * 60, "д": 24 * 60, "дн": 24 * 60, "день": 24 * 60,
    "дня": 24 * 60, "дней": 24 * 60,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60, "ч": 60, "час": 60, "часа": 60, "часов": 60,
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "м": 1, "мин": 1, "минут": 1, "минуты": 1,
    "минута": 1,
}
_DURATION_TOKEN = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zа-яё]+)\.?", re.I)
_ISO_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.I)
_CLOCK = re.compile(r"^(\d+):([0-5]\d)$")


def parse_duration(text, hours_per_day: int = 24) -> int:
    """Minutes in ``text``: ``90`` (minutes), ``2:30``, ``1d 2h 30m`` (also Russian units and
    decimals such as ``1,5 ч``) or ISO 8601 ``PT2H30M``. Raises ValueError."""
    s = str(text).strip()
    if not s:
        raise ValueError("empty")
    if s.isdigit():
        return int(s)
    m = _CLOCK.match(s)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2))
    m = _ISO_DURATION.match(s)
    if m and s.upper() not in ("P", "PT") and not s.upper().endswith("T"):
        weeks, days, hours, minutes, seconds = (int(g or 0) for g in m.groups())
        if seconds % 60:
            raise ValueError("seconds")
        return ((weeks * 7 + days) * hours_per_day + hours) * 60 + minutes + seconds // 60
    total, pos, seen = decimal.Decimal(0), 0, set()
    rest = s.casefold()
    for token in _DURATION_TOKEN.finditer(rest):
        if rest[pos:token.start()].strip(" ,;"):
            raise ValueError(s)
        unit = token.group(2)
        size = _DURATION_UNITS.get(unit)
        if size is None or size in seen:
            raise ValueError(unit)
        seen.add(size)
        if size == 24 * 60:
            size = hours_per_day * 60
        elif size == 7 * 24 * 60:
            size = 7 * hours_per_day * 60
        total += decimal.Decimal(token.group(1).replace(",", ".")) * size
        pos = token.end()
    if not seen or rest[pos:].strip(" ,;"):
        raise ValueError(s)
    return int(total.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def split_duration(minutes: int, hours_per_day: int = 24) -> tuple[int, int, int]:
    days, rest = divmod(int(minutes), hours_per_day * 60)
    hours, mins = divmod(rest, 60)
    return days, hours, mins


def compact_duration(minutes: int, hours_per_day: int = 24) -> str:
    """Language-neutral text that ``parse_duration`` reads back: ``1d 2h 30m``."""
    days, hours, mins = split_duration(minutes, hours_per_day)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return " ".join(p for p in parts if p) or "0m"


def format_duration(minutes, request, hours_per_day: int = 24) -> str:
    """``1 д 2 ч 30 мин`` / ``1 d 2 h 30 min`` in the request's language."""
    if minutes is None:
        return ""
    days, hours, mins = split_duration(minutes, hours_per_day)
    parts = []
    if days:
        parts.append(_translate(request, _("${count} d", mapping={"count": days})))
    if hours:
        parts.append(_translate(request, _("${count} h", mapping={"count": hours})))
    if mins or not parts:
        parts.append(_translate(request, _("${count} min", mapping={"count": mins})))
    return " ".join(parts)


class _DurationType(colander.SchemaType):
    def __init__(self, hours_per_day=24):
        self.hours_per_day = hours_per_day

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return compact_duration(appstruct, self.hours_per_day)

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return colander.null
        try:
            return parse_duration(cstruct, self.hours_per_day)
        except (ValueError, decimal.InvalidOperation):
            raise colander.Invalid(node, _(
                "Not a valid duration: write e.g. 1d 2h 30m, 2:30, 90 (minutes) or PT2H30M")) from None


@field_type
class Duration(Field):
    """A length of time in whole minutes. JSON: an integer (minutes); input also ``"1d 2h 30m"``,
    ``"2:30"``, ``"PT2H30M"``. ``hours_per_day`` (default 24; 8 for working days) sizes a "day".
    Export: the number of minutes (sums in a spreadsheet)."""

    kind = "duration"

    def setup(self, min: int | None = 0, max: int | None = 100 * 366 * 24 * 60, hours_per_day: int = 24):  # noqa: A002
        self.min, self.max, self.hours_per_day = min, max, hours_per_day

    def colander_type(self):
        return _DurationType(self.hours_per_day)

    def validators(self):
        return [colander.Range(min=self.min, max=self.max,
                               min_err=_("The duration must be at least ${min} minutes"),
                               max_err=_("The duration must be at most ${max} minutes"))]

    def widget(self, request=None):
        return deform.widget.TextInputWidget(attributes={"placeholder": "1d 2h 30m", "autocomplete": "off"})

    def from_json(self, raw):
        if raw is None:
            return colander.null
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            return "invalid"
        return str(raw)

    def openapi(self):
        schema = {"type": "integer", "description": "minutes (input also accepts '1d 2h 30m', '2:30', 'PT2H30M')"}
        if self.min is not None:
            schema["minimum"] = self.min
        if self.max is not None:
            schema["maximum"] = self.max
        return _nullable(schema, self.required)

    def display(self, value, request):
        return format_duration(value, request, self.hours_per_day)

    def export_value(self, value, request):
        return value

    def search_text(self, value):
        return "" if value is None else compact_duration(value, self.hours_per_day)


# -------------------------------------------------------------------------------- composites


class _CompositeType(colander.SchemaType):
    """A value posted as a mapping of text parts (forms) or a JSON object (API)."""

    parts: tuple[str, ...] = ()
    expected = _("Expected an object")

    def _mapping(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return None
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, self.expected)
        unknown = sorted(set(cstruct) - set(self.parts))
        if unknown:
            raise colander.Invalid(node, _("Unknown parts: ${names}", mapping={"names": ", ".join(unknown)}))
        out = {}
        for p in self.parts:
            v = cstruct.get(p)
            if v is not None and not isinstance(v, str):
                raise colander.Invalid(node, _("'${part}' must be text", mapping={"part": p}))
            out[p] = " ".join((v or "").split())
        return out


class _AddressType(_CompositeType):
    parts = ("country", "region", "city", "street", "building", "postcode")
    expected = _("Expected an address: an object with country, region, city, street, building and postcode")
    limits = {"country": 2, "region": 200, "city": 200, "street": 200, "building": 100, "postcode": 12}

    def __init__(self, countries=None):
        self.countries = countries

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return appstruct.as_dict()

    def deserialize(self, node, cstruct):
        from procura.types.address import POSTCODE, RU_POSTCODE, Address, country_codes

        parts = self._mapping(node, cstruct)
        if parts is None or not any(v for k, v in parts.items() if k != "country"):
            return colander.null
        parts["country"] = parts["country"].upper()
        country = parts["country"]
        if country and (country not in country_codes() or (self.countries and country not in self.countries)):
            raise colander.Invalid(node, _("Unknown country code '${code}' (use ISO 3166 codes such as RU)",
                                           mapping={"code": country}))
        for p, limit in self.limits.items():
            if len(parts[p]) > limit:
                raise colander.Invalid(node, _("'${part}' is longer than ${max} characters",
                                               mapping={"part": p, "max": limit}))
        postcode = parts["postcode"]
        if postcode:
            if country == "RU" and not RU_POSTCODE.match(postcode):
                raise colander.Invalid(node, _("A Russian postcode has 6 digits"))
            if not POSTCODE.match(postcode):
                raise colander.Invalid(node, _("Not a valid postcode"))
        return Address(**parts)


@field_type
class AddressField(Field):
    """A postal address (``procura.types.address.Address``). ``format``: ``single_line`` (default),
    ``multi_line``, ``ru`` or ``international`` chooses the display. JSON: an object with country
    (ISO 3166-1 alpha-2), region, city, street, building and postcode. Catalog: keywords
    ``country:RU``, ``city:москва``, ``region:…``, ``postcode:…`` (filter with ``RU`` or ``city:Москва``)."""

    kind = "address"
    index_kind = "keyword"

    def setup(self, format: str = "single_line", default_country: str = "RU", countries=None):  # noqa: A002
        from procura.types.address import ADDRESS_STYLES

        if format not in ADDRESS_STYLES:
            raise TypeError(f"field {self.name}: address format must be one of {ADDRESS_STYLES}")
        self.format, self.default_country = format, default_country
        self.countries = tuple(countries) if countries else None

    def colander_type(self):
        return _AddressType(self.countries)

    def widget(self, request=None):
        from procura.types.address import country_choices
        from procura.types.widgets import AddressWidget

        locale = _locale(request)
        choices = country_choices(locale)
        if self.countries:
            choices = tuple(c for c in choices if c[0] in self.countries)
        return AddressWidget(countries=choices, default_country=self.default_country, locale=locale)

    def from_json(self, raw):
        return colander.null if raw is None else raw

    def to_json(self, value):
        return None if value is None else value.as_dict()

    def openapi(self):
        from procura.types.address import ADDRESS_PARTS

        props = {p: {"type": "string", "maxLength": _AddressType.limits[p]} for p in ADDRESS_PARTS}
        props["country"] = {"type": "string", "pattern": "^([A-Z]{2})?$", "description": "ISO 3166-1 alpha-2"}
        schema = {"type": "object", "properties": props, "additionalProperties": False}
        return _nullable(schema, self.required)

    def display(self, value, request):
        from procura.types.address import format_address

        return format_address(value, self.format, _locale(request)) if value else ""

    def index_value(self, value):
        if not value:
            return None
        out = [f"country:{value.country}"] if value.country else []
        out += [f"{p}:{getattr(value, p).casefold()}" for p in ("region", "city", "postcode") if getattr(value, p)]
        return out or None

    def filter_value(self, raw):
        raw = raw.strip()
        if len(raw) == 2 and raw.isalpha():
            return f"country:{raw.upper()}"
        key, sep, val = raw.partition(":")
        if sep and key in ("country", "region", "city", "postcode"):
            return f"{key}:{val.strip().upper() if key == 'country' else val.strip().casefold()}"
        return f"city:{raw.casefold()}"

    def search_text(self, value):
        from procura.types.address import country_name

        if not value:
            return ""
        names = {country_name(value.country, loc) for loc in ("ru", "en")} if value.country else set()
        return " ".join([*(getattr(value, p) for p in ("region", "city", "street", "building", "postcode")),
                         *sorted(names)]).strip()


class _PersonNameType(_CompositeType):
    parts = ("last", "first", "middle")
    expected = _("Expected a name: an object with last, first and middle")

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return appstruct.as_dict()

    def deserialize(self, node, cstruct):
        from procura.types.names import PersonName

        parts = self._mapping(node, cstruct)
        if parts is None or not any(parts.values()):
            return colander.null
        if not (parts["last"] or parts["first"]):
            raise colander.Invalid(node, _("Enter a last or a first name"))
        for p, v in parts.items():
            if len(v) > 100:
                raise colander.Invalid(node, _("'${part}' is longer than ${max} characters",
                                               mapping={"part": p, "max": 100}))
            if any(ch.isdigit() or ch in "<>@#$%^&*={}[]|\\/" for ch in v):
                raise colander.Invalid(node, _("A name cannot contain digits or symbols"))
        return PersonName(**parts)


@field_type
class PersonNameField(Field):
    """A person's name (``procura.types.names.PersonName``), shown in the reader's name order.
    JSON ``{"last": ..., "first": ..., "middle": ...}``; catalog: ``"last first middle"`` casefolded."""

    kind = "person_name"

    def colander_type(self):
        return _PersonNameType()

    def widget(self, request=None):
        from procura.types.names import name_order_for
        from procura.types.widgets import PersonNameWidget

        return PersonNameWidget(order=name_order_for(request))

    def from_json(self, raw):
        return colander.null if raw is None else raw

    def to_json(self, value):
        return None if value is None else value.as_dict()

    def openapi(self):
        props = {p: {"type": "string", "maxLength": 100} for p in ("last", "first", "middle")}
        schema = {"type": "object", "properties": props, "additionalProperties": False}
        return _nullable(schema, self.required)

    def display(self, value, request):
        from procura.types.names import format_person_name, name_order_for

        return format_person_name(value, name_order_for(request)) if value else ""

    def index_value(self, value):
        if not value:
            return None
        return " ".join(p for p in (value.last, value.first, value.middle) if p).casefold()

    def filter_value(self, raw):
        return " ".join(raw.split()).casefold()

    def search_text(self, value):
        return "" if not value else " ".join(p for p in (value.last, value.first, value.middle) if p)


# -------------------------------------------------------------------------------- links

SELECT_LIMIT = 200  # a link widget lists the targets in a <select> below this many, else an id input


def _types(request):
    return getattr(request.registry, "procura_types", None) if request is not None else None


def _target_container(request, type_name):
    try:
        return request.app_root["types"][type_name]
    except (KeyError, AttributeError, TypeError):
        return None


def _target_title(request, type_name, obj) -> str:
    registry = _types(request)
    info = registry.get(type_name) if registry is not None else None
    if info is None:
        return obj.__name__
    field = info.field(info.title_field)
    value = getattr(obj, info.title_field, None)
    if field is None or value is None or isinstance(field, (Link, LinkMany, Parent)):
        return str(value) if value not in (None, "") else obj.__name__
    return field.display(value, request) or obj.__name__


def link_title(request, type_name, obj_id) -> str:
    """The title of a linked object as its reader sees it (its id when it is gone or when the
    reader may not read it)."""
    if not obj_id:
        return ""
    container = _target_container(request, type_name)
    obj = container.get(obj_id) if container is not None else None
    if obj is None or not _readable(request, type_name, obj):
        return obj_id
    return _target_title(request, type_name, obj)


def _readable(request, type_name, obj) -> bool:
    from procura.types import access

    registry = _types(request)
    info = registry.get(type_name) if registry is not None else None
    return info is None or access.can(request, "read", info, obj)


def link_options(request, type_name) -> list | None:
    """``[(id, title), ...]`` of the live objects of a type sorted by title, or None when there
    are ``SELECT_LIMIT`` or more (then widgets take an id and the UI adds autocomplete)."""
    container = _target_container(request, type_name)
    if container is None:
        return []
    if len(container) >= SELECT_LIMIT:
        return None
    from procura.types import access

    registry = _types(request)
    info = registry.get(type_name) if registry is not None else None
    items = [(obj.__name__, _target_title(request, type_name, obj)) for obj in container.values()
             if not getattr(obj, "deleted", False)
             and (info is None or access.can(request, "read", info, obj))]  # never list what one may not read
    return sorted(items, key=lambda p: p[1].casefold())


def link_widget(request, type_name, required=False):
    options = link_options(request, type_name) if request is not None else None
    if options is None:
        return deform.widget.TextInputWidget(attributes={
            "autocomplete": "off", "data-link-type": type_name, "spellcheck": "false"})
    return deform.widget.SelectWidget(values=([] if required else [("", "—")]) + options)


def check_link(request, type_name, obj_id):
    """None if ``obj_id`` names a live object of ``type_name`` the user may read, else a message."""
    if request is None:
        return _("Links cannot be checked without a request")
    registry = _types(request)
    info = registry.get(type_name) if registry is not None else None
    container = _target_container(request, type_name)
    if info is None or container is None:
        return _("Records of type '${type}' are not available", mapping={"type": type_name})
    obj = container.get(obj_id)
    if obj is None or getattr(obj, "deleted", False):
        return _("No record '${id}' exists", mapping={"id": obj_id})
    from procura.types import access

    if not access.can(request, "read", info, obj):
        return _("No record '${id}' exists", mapping={"id": obj_id})
    return None


def _link_validator(request, type_name):
    def check(node, value):
        if value in (colander.null, None) or "\0" in value:
            return
        message = check_link(request, type_name, value)
        if message:
            raise colander.Invalid(node, message)

    return check


@field_type
class Link(Field):
    """A link to one object of the type ``target``; stored and sent as the target's id.

    Validation (existence, not deleted, readable by the user) needs the request: see the module
    docstring. The form widget is a ``<select>`` of the targets while the target container holds
    fewer than ``SELECT_LIMIT`` objects, else a text input for the id carrying
    ``data-link-type="<target>"`` for the UI's autocomplete. Catalog: the id.
    """

    kind = "link"

    def setup(self, target: str = ""):
        if not target:
            raise TypeError(f"field {self.name}: a link needs target='<type name>'")
        self.target = target

    def colander_type(self):
        return colander.String(allow_empty=False)

    def validators(self):
        return [colander.Length(max=200), _text_only]

    def request_validators(self, request):
        return [_link_validator(request, self.target)]

    def widget(self, request=None):
        return link_widget(request, self.target, self.required)

    def from_json(self, raw):
        if raw is None:
            return colander.null
        return raw if isinstance(raw, str) else "\0invalid"

    def to_storage(self, appstruct):
        return None if appstruct in (colander.null, None, "") else appstruct.strip()

    def openapi(self):
        schema = {"type": "string", "maxLength": 200, "description": f"id of a '{self.target}' record",
                  "x-procura-link": self.target}
        return _nullable(schema, self.required)

    def display(self, value, request):
        return link_title(request, self.target, value) if value else ""

    def filter_value(self, raw):
        return raw.strip()


class _ListType(colander.Sequence):
    def __init__(self, max_items=None):
        super().__init__()
        self.max_items = max_items

    def _validate(self, node, value, accept_scalar):
        if not isinstance(value, (list, tuple)):
            raise colander.Invalid(node, _("Expected a list"))
        if self.max_items is not None and len(value) > self.max_items:  # before any item is checked
            raise colander.Invalid(node, _("At most ${max} entries", mapping={"max": self.max_items}))
        return list(value)


@field_type
class LinkMany(Field):
    """Links to several objects of the type ``target``, each with ``extra`` fields on the link
    (e.g. ``Integer("quantity")``, ``Enum("role")``). Stored as a tuple of dicts
    ``{"id": ..., <extra>: <stored value>}``; JSON a list of ``{"id": ..., <extra>: <JSON value>}``.
    Errors are keyed ``<field>.<index>.<id or extra>``. Catalog: keyword index of the ids."""

    kind = "link_many"
    index_kind = "keyword"

    def setup(self, target: str = "", extra=(), max_items: int = 500):
        if not target:
            raise TypeError(f"field {self.name}: a link needs target='<type name>'")
        self.target, self.extra, self.max_items = target, list(extra), max_items
        names = [e.name for e in self.extra]
        if "id" in names or len(set(names)) != len(names):
            raise TypeError(f"field {self.name}: extra field names must be unique and not 'id'")

    def colander_type(self):
        return _ListType(self.max_items)

    def schema_node(self, request=None, *, for_api=False):
        registry = _types(request)
        target = registry.get(self.target) if registry is not None else None
        item = colander.SchemaNode(colander.Mapping(unknown="raise"), name="item",
                                   title=target.title if target is not None else self.title)
        id_kw = {"name": "id", "title": _("Record")}
        if not for_api:
            id_kw["widget"] = link_widget(request, self.target, required=True)
        item.add(colander.SchemaNode(colander.String(allow_empty=False), validator=self._contextual_validator(
            request, [colander.Length(max=200), _text_only]), **id_kw))
        for e in self.extra:
            item.add(e.schema_node(request, for_api=for_api))
        kw = {"name": self.name, "title": self.title, "description": self.description,
              "missing": colander.required if self.required else None, "validator": self._check_items}
        if not for_api:
            kw["widget"] = deform.widget.SequenceWidget(min_len=1 if self.required else 0, orderable=True)
        return colander.SchemaNode(self.colander_type(), item, **kw)

    def request_validators(self, request):  # the id node gets them (see schema_node)
        return [_link_validator(request, self.target)]

    def _check_items(self, node, value):
        if self.required and not value:
            raise colander.Invalid(node, _("Add at least one entry"))
        seen, error = set(), None
        item_node = node.children[0]
        for i, entry in enumerate(value):
            if entry["id"] in seen:
                error = error or colander.Invalid(node)
                item_error = colander.Invalid(item_node)
                item_error.add(colander.Invalid(item_node["id"], _("Listed more than once")), 0)
                error.add(item_error, i)
            seen.add(entry["id"])
        if error is not None:
            raise error

    def from_json(self, raw):
        if raw is None:
            return colander.null
        if not isinstance(raw, list):
            return "\0not-a-list"
        out = []
        for entry in raw:
            if not isinstance(entry, dict):
                out.append(entry)
                continue
            item = dict(entry)
            item["id"] = entry.get("id") if isinstance(entry.get("id"), str) else (
                colander.null if entry.get("id") is None else "\0invalid")
            for e in self.extra:
                item[e.name] = e.from_json(entry.get(e.name))
            out.append(item)
        return out

    def to_storage(self, appstruct):
        if appstruct in (colander.null, None):
            return None
        out = []
        for entry in appstruct:
            item = {"id": entry["id"].strip()}
            for e in self.extra:
                item[e.name] = e.to_storage(entry.get(e.name, colander.null))
            out.append(item)
        return tuple(out) or None

    def to_appstruct(self, value):
        if not value:
            return colander.null
        return [{"id": item["id"], **{e.name: e.to_appstruct(item.get(e.name)) for e in self.extra}}
                for item in value]

    def to_json(self, value):
        return [{"id": item["id"], **{e.name: e.to_json(item.get(e.name)) for e in self.extra}}
                for item in value or ()]

    def openapi(self):
        props = {"id": {"type": "string", "maxLength": 200, "description": f"id of a '{self.target}' record"}}
        required = ["id"]
        for e in self.extra:
            props[e.name] = e.openapi()
            if e.required:
                required.append(e.name)
        return {"type": "array", "maxItems": self.max_items, "x-procura-link": self.target,
                "items": {"type": "object", "properties": props, "required": required,
                          "additionalProperties": False}}

    def index_value(self, value):
        return sorted({item["id"] for item in value}) if value else None

    def filter_value(self, raw):
        return raw.strip()

    def display(self, value, request):
        out = []
        for item in value or ():
            title = link_title(request, self.target, item["id"])
            extras = [f"{_translate(request, e.title)}: {e.display(item.get(e.name), request)}"
                      for e in self.extra if item.get(e.name) is not None]
            out.append(f"{title} ({', '.join(extras)})" if extras else title)
        return "; ".join(out)

    def search_text(self, value):
        return " ".join(item["id"] for item in value or ())


class _ParentType(colander.SchemaType):
    def __init__(self, targets):
        self.targets = targets

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return {"type": appstruct["type"], "id": appstruct["id"]}

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return colander.null
        if not isinstance(cstruct, dict) or set(cstruct) - {"type", "id"}:
            raise colander.Invalid(node, _("Expected an object with 'type' and 'id'"))
        type_name, obj_id = cstruct.get("type"), cstruct.get("id")
        if not isinstance(type_name, str) or type_name not in self.targets:
            raise colander.Invalid(node, _("The type must be one of: ${types}",
                                           mapping={"types": ", ".join(self.targets)}))
        if not isinstance(obj_id, str) or not obj_id.strip() or len(obj_id) > 200:
            raise colander.Invalid(node, _("Enter the record's id"))
        return {"type": type_name, "id": obj_id.strip()}


@field_type
class Parent(Field):
    """A link to one object of one of several types (``targets``). Stored and sent as
    ``{"type": ..., "id": ...}``; validated like ``Link``; catalog: ``"<type>/<id>"``."""

    kind = "parent"

    def setup(self, targets=()):
        self.targets = tuple(targets)
        if not self.targets:
            raise TypeError(f"field {self.name}: a parent needs targets=('<type>', ...)")

    def colander_type(self):
        return _ParentType(self.targets)

    def request_validators(self, request):
        def check(node, value):
            message = check_link(request, value["type"], value["id"])
            if message:
                raise colander.Invalid(node, message)

        return [check]

    def widget(self, request=None):
        from procura.types.widgets import ParentWidget

        registry = _types(request)
        types = [(t, _translate(request, registry[t].title) if registry and t in registry else t)
                 for t in self.targets]
        choices = []
        for type_name, title in types:
            options = link_options(request, type_name) if request is not None else None
            if options is None:
                choices = None
                break
            choices.append((type_name, title, options))
        if choices is not None and sum(len(c[2]) for c in choices) >= SELECT_LIMIT:
            choices = None
        return ParentWidget(types=types, choices=choices)

    def from_json(self, raw):
        return colander.null if raw is None else raw

    def to_json(self, value):
        return None if value is None else {"type": value["type"], "id": value["id"]}

    def openapi(self):
        schema = {"type": "object", "additionalProperties": False, "required": ["type", "id"],
                  "properties": {"type": {"type": "string", "enum": list(self.targets)},
                                 "id": {"type": "string", "maxLength": 200}}}
        return _nullable(schema, self.required)

    def index_value(self, value):
        return None if value is None else f"{value['type']}/{value['id']}"

    def filter_value(self, raw):
        type_name, sep, obj_id = raw.strip().partition("/")
        if not sep or type_name not in self.targets:
            raise ValueError(raw)
        return f"{type_name}/{obj_id}"

    def display(self, value, request):
        if value is None:
            return ""
        registry = _types(request)
        info = registry.get(value["type"]) if registry is not None else None
        type_title = _translate(request, info.title) if info is not None else value["type"]
        return f"{type_title}: {link_title(request, value['type'], value['id'])}"

    def search_text(self, value):
        return "" if value is None else value["id"]


def _principal_folder(request, type_name):
    """The container of users or teams (the core's ``user``/``team`` types), or None."""
    try:
        root = request.app_root
    except AttributeError:
        return None
    types = root.get("types") if hasattr(root, "get") else None
    return types.get(type_name) if types is not None else None


def _principal_title(obj, key):
    for attr in ("display_name", "title", "fullname", "name"):
        value = getattr(obj, attr, None)
        if value:
            return _translate(None, value) if not isinstance(value, str) else value
    return key


class _PrincipalField(Field):
    folder = "user"  # the type whose container holds the principals

    def colander_type(self):
        return colander.String(allow_empty=False)

    def validators(self):
        return [colander.Length(max=200), _text_only]

    def missing_folder_message(self):
        return _("Not available")

    def unknown_message(self, value):
        return _("Unknown: ${name}", mapping={"name": value})

    def request_validators(self, request):
        def check(node, value):
            if "\0" in value:
                return
            folder = _principal_folder(request, self.folder) if request is not None else None
            if folder is None:
                raise colander.Invalid(node, self.missing_folder_message())
            obj = folder.get(value)
            if obj is None or getattr(obj, "deleted", False):
                raise colander.Invalid(node, self.unknown_message(value))
            if getattr(obj, "active", True) is False:
                raise colander.Invalid(node, _("'${name}' is deactivated", mapping={"name": value}))
            self.check_principal(request, node, obj)

        return [check]

    def check_principal(self, request, node, obj):
        """Further rules for a chosen principal (assignment rights); raise ``colander.Invalid``."""

    def choices_for(self, request):
        folder = _principal_folder(request, self.folder) if request is not None else None
        if folder is None or len(folder) >= SELECT_LIMIT:
            return None
        items = [(key, _principal_title(obj, key)) for key, obj in folder.items()
                 if getattr(obj, "active", True) is not False and not getattr(obj, "deleted", False)]
        return sorted(items, key=lambda p: p[1].casefold())

    def widget(self, request=None):
        options = self.choices_for(request)
        if options is None:
            return deform.widget.TextInputWidget(attributes={"autocomplete": "off", "data-lookup": self.folder})
        return deform.widget.SelectWidget(values=([] if self.required else [("", "—")]) + options)

    def from_json(self, raw):
        if raw is None:
            return colander.null
        return raw if isinstance(raw, str) else "\0invalid"

    def to_storage(self, appstruct):
        return None if appstruct in (colander.null, None, "") else appstruct.strip()

    def openapi(self):
        return _nullable({"type": "string", "maxLength": 200, "x-procura-lookup": self.folder}, self.required)

    def display(self, value, request):
        if not value:
            return ""
        folder = _principal_folder(request, self.folder) if request is not None else None
        obj = folder.get(value) if folder is not None else None
        return value if obj is None else _principal_title(obj, value)

    def filter_value(self, raw):
        return raw.strip()


@field_type
class UserField(_PrincipalField):
    """A user, stored as the login (checked against the ``user`` type; deactivated users refused).

    ``assignment=True`` makes the field an assignment (assignee, responsible): who may be chosen
    follows the writer's assignment permission: ``procura.assign-any`` anyone, ``procura.assign-team``
    members of the writer's teams, neither only the writer. ``portal=False`` (the default) refuses
    portal users.
    """

    kind = "user"
    folder = "user"

    def setup(self, assignment: bool = False, portal: bool = False):
        self.assignment, self.portal = assignment, portal

    def check_principal(self, request, node, obj):
        if not self.portal and getattr(obj, "kind", "staff") == "portal":
            raise colander.Invalid(node, _("'${name}' is a portal user", mapping={"name": obj.id}))
        if not self.assignment or request is None or getattr(request, "procura_system", False):
            return
        from procura.security.grants import may_assign

        if not may_assign(request, obj):
            raise colander.Invalid(node, _("You may not assign records to ${name}",
                                           mapping={"name": _principal_title(obj, obj.id)}))

    def missing_folder_message(self):
        return _("Users are not available")

    def unknown_message(self, value):
        return _("No user '${name}' exists", mapping={"name": value})


@field_type
class TeamField(_PrincipalField):
    """A team, stored as its name, checked against the core's ``team`` type."""

    kind = "team"
    folder = "team"

    def missing_folder_message(self):
        return _("Teams are not configured")

    def unknown_message(self, value):
        return _("No team '${name}' exists", mapping={"name": value})


class _IdSetType(colander.SchemaType):
    """A set of ids from a multiple select (a list), a text input ("a, b c") or JSON (a list)."""

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return sorted(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return colander.null
        if isinstance(cstruct, str):
            cstruct = re.split(r"[\s,;]+", cstruct.strip())
        if not isinstance(cstruct, (list, tuple, set, frozenset)):
            raise colander.Invalid(node, _("Expected a list of record ids"))
        return {v for v in cstruct if v != ""}


@field_type
class LinkSet(Field):
    """Links to several objects of the type ``target`` without link fields (a user's teams and
    roles): stored as a sorted tuple of ids, JSON a list of ids, edited as a multiple select.
    Catalog: keyword index of the ids."""

    kind = "link_set"
    index_kind = "keyword"

    def setup(self, target: str = "", max_items: int = 200):
        if not target:
            raise TypeError(f"field {self.name}: a link set needs target='<type name>'")
        self.target, self.max_items = target, max_items

    def colander_type(self):
        return _IdSetType()

    def schema_node(self, request=None, *, for_api=False):
        node = super().schema_node(request, for_api=for_api)
        node.missing = colander.required if self.required else ()
        return node

    def validators(self):
        def check(node, value):
            value = list(value)
            if len(value) > self.max_items:
                raise colander.Invalid(node, _("At most ${max} entries", mapping={"max": self.max_items}))
            for item in value:
                if not isinstance(item, str) or not item or len(item) > 200 or "\0" in item:
                    raise colander.Invalid(node, _("Expected a list of record ids"))
            if self.required and not value:
                raise colander.Invalid(node, _("Choose at least one"))

        return [check]

    def request_validators(self, request):
        single = _link_validator(request, self.target)

        def check(node, value):
            for item in sorted(value):
                single(node, item)

        return [check]

    def widget(self, request=None):
        options = link_options(request, self.target)
        if options is None:
            return deform.widget.TextInputWidget(attributes={"data-link-type": self.target})
        return deform.widget.SelectWidget(values=options, multiple=True, size=min(8, max(3, len(options))))

    def from_json(self, raw):
        if raw is None:
            return colander.null
        if not isinstance(raw, list):
            return ["\0not-a-list"]
        return [v if isinstance(v, str) else "\0invalid" for v in raw]

    def to_storage(self, appstruct):
        if appstruct in (colander.null, None):
            return ()
        return tuple(sorted({v.strip() for v in appstruct if v and v.strip()}))

    def to_appstruct(self, value):
        return set(value or ())

    def to_json(self, value):
        return list(value or ())

    def openapi(self):
        return {"type": "array", "maxItems": self.max_items, "uniqueItems": True, "x-procura-link": self.target,
                "items": {"type": "string", "maxLength": 200, "description": f"id of a '{self.target}' record"}}

    def index_value(self, value):
        return sorted(value) if value else None

    def filter_value(self, raw):
        return raw.strip()

    def display(self, value, request):
        return ", ".join(link_title(request, self.target, v) for v in value or ())

    def search_text(self, value):
        return " ".join(value or ())

    def export_value(self, value, request):
        return self.display(value, request)


# -------------------------------------------------------------------------------- files


@dataclass(frozen=True)
class Upload:
    """A validated upload on its way to storage (not stored itself)."""

    filename: str
    content_type: str
    data: bytes
    width: int | None = None
    height: int | None = None


class _FileType(colander.SchemaType):
    """Form uploads (``{"fp", "filename"}``), API uploads (``{"filename", "content_base64"}``) and
    "keep the current file" (``{"keep": True}`` from the form, the file's own JSON from the API)."""

    def __init__(self, limit, content_types=None, image=False):
        self.limit, self.content_types, self.image = limit, content_types, image

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None) or appstruct is UNCHANGED:
            return colander.null
        if isinstance(appstruct, Upload):
            return {"filename": appstruct.filename, "fp": None}
        return {"uid": "keep-" + appstruct.sha256[:16], "filename": appstruct.filename, "size": appstruct.size,
                "url": appstruct.url, "content_type": appstruct.content_type}

    def deserialize(self, node, cstruct):
        import base64
        import binascii

        from procura.types.files import clean_filename, read_limited

        if cstruct in (colander.null, None, ""):
            return colander.null
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, _("Expected a file: an object with filename and content_base64"))
        if cstruct.get("keep") is True or ("content_base64" not in cstruct and cstruct.get("sha256")):
            return UNCHANGED
        if "fp" in cstruct:
            data = read_limited(cstruct["fp"], self.limit) if cstruct["fp"] is not None else b""
        else:
            raw = cstruct.get("content_base64")
            if not isinstance(raw, str) or not isinstance(cstruct.get("filename"), str):
                raise colander.Invalid(node, _("Expected a file: an object with filename and content_base64"))
            encoded = "".join(raw.split()) if len(raw) <= 2 * self.limit + 4096 else None  # line breaks allowed
            if encoded is None or len(encoded) > (self.limit + 2) // 3 * 4:
                data = None  # too large: not even decoded
            else:
                try:
                    data = base64.b64decode(encoded, validate=True)
                except (binascii.Error, ValueError):
                    raise colander.Invalid(node, _("content_base64 is not valid Base64")) from None
        if data is None or len(data) > self.limit:
            raise colander.Invalid(node, _("The file is larger than ${max}", mapping={"max": _human_size(self.limit)}))
        if not data:
            raise colander.Invalid(node, _("The file is empty"))
        from procura.types.files import image_size, sniff_content_type

        filename = clean_filename(cstruct.get("filename") or "")
        content_type = sniff_content_type(data, filename)
        if self.content_types and content_type not in self.content_types:
            raise colander.Invalid(node, _("Files of this type (${type}) are not accepted here",
                                           mapping={"type": content_type}))
        width = height = None
        if self.image:
            size = image_size(data)
            if size is None:
                raise colander.Invalid(node, _("The image cannot be read (damaged or too large)"))
            width, height = size
        return Upload(filename, content_type, data, width, height)


def _human_size(size: int, request=None) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            from procura.types.formatting import format_decimal

            number = format_decimal(decimal.Decimal(size) / factor, request, 1)
            return f"{number}\u00a0{unit}"
    return f"{size}\u00a0B"


@field_type
class FileField(Field):
    """A file (``procura.types.files.StoredFile`` around a ZODB blob).

    Upload from the form (Deform, ``StoredFileWidget``) or from the API as
    ``{"filename": ..., "content_base64": ...}``; sending the file's own JSON back (with its
    ``sha256``, without content) keeps it. Limits: ``max_bytes`` (default: the setting
    ``procura.upload_max_bytes``, 20 MB), ``content_types`` (allowed types decided from the bytes;
    default any). JSON out: ``{"filename", "content_type", "size", "sha256", "url"}`` where url is
    ``/t/<type>/<id>/file/<field>``. Catalog: the content type.
    """

    kind = "file"
    image = False
    accept = None

    def setup(self, max_bytes: int | None = None, content_types=None):
        self.max_bytes = max_bytes
        self.content_types = tuple(content_types) if content_types else None

    def colander_type(self, request=None):
        from procura.types.files import max_upload_bytes

        return _FileType(max_upload_bytes(request, self.max_bytes), self.content_types, self.image)

    def schema_node(self, request=None, *, for_api=False):
        node = super().schema_node(request, for_api=for_api)
        node.typ = self.colander_type(request)
        return node

    def request_validators(self, request):
        from procura.types.files import blob_support

        def check(node, value):
            if isinstance(value, Upload) and not blob_support(request):
                raise colander.Invalid(node, _("Files cannot be stored: the database has no blob storage"))

        return [check]

    def widget(self, request=None):
        from procura.types.files import request_tmpstore
        from procura.types.widgets import StoredFileWidget

        widget = StoredFileWidget(request_tmpstore(request))
        widget.accept = self.accept or (",".join(self.content_types) if self.content_types else None)
        widget.size_text = lambda size: _human_size(size or 0, request)
        return widget

    def from_json(self, raw):
        if raw is None:
            return colander.null
        return raw if isinstance(raw, dict) else "\0invalid"

    def to_storage(self, appstruct):
        if appstruct in (colander.null, None):
            return None
        if appstruct is UNCHANGED:
            return UNCHANGED
        from procura.types.files import StoredFile

        return StoredFile(appstruct.filename, appstruct.content_type, appstruct.data,
                          width=appstruct.width, height=appstruct.height)

    def attach(self, obj, value):
        from procura.types.files import StoredFile

        if not isinstance(value, StoredFile):
            return value
        if value.__parent__ is not None and value.__parent__ is not obj:
            return value.copy_for(obj, self.name)  # a copied record shares the blob
        value.__parent__, value.field_name = obj, self.name
        return value

    def to_json(self, value):
        if not _is_file(value):
            return None
        return {"filename": value.filename, "content_type": value.content_type, "size": value.size,
                "sha256": value.sha256, "url": value.url}

    def openapi(self):
        schema = {
            "type": "object",
            "properties": {
                "filename": {"type": "string", "maxLength": 255},
                "content_base64": {"type": "string", "contentEncoding": "base64", "writeOnly": True},
                "content_type": {"type": "string", "readOnly": True},
                "size": {"type": "integer", "minimum": 0, "readOnly": True},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                           "description": "sent back without content_base64: keep the stored file"},
                "url": {"type": ["string", "null"], "readOnly": True},
            },
            "required": ["filename"],
        }
        if self.content_types:
            schema["properties"]["content_type"]["enum"] = list(self.content_types)
        return _nullable(schema, self.required)

    def index_value(self, value):
        return value.content_type if _is_file(value) else None

    def filter_value(self, raw):
        return raw.strip().lower()

    def display(self, value, request):
        if not _is_file(value):
            return ""
        return f"{value.filename} ({_human_size(value.size, request)})"

    def export_value(self, value, request):
        return value.filename if _is_file(value) else ""

    def search_text(self, value):
        return value.filename if _is_file(value) else ""


def _is_file(value) -> bool:
    from procura.types.files import StoredFile

    return isinstance(value, StoredFile)


@field_type
class ImageField(FileField):
    """An image: PNG, JPEG, GIF or WebP that Pillow decodes; JSON adds ``width`` and ``height``."""

    kind = "image"
    image = True
    accept = "image/png,image/jpeg,image/gif,image/webp"

    def setup(self, max_bytes: int | None = None, content_types=None):
        from procura.types.files import IMAGE_TYPES

        allowed = tuple(content_types or IMAGE_TYPES)
        if set(allowed) - set(IMAGE_TYPES):
            raise TypeError(f"field {self.name}: images are {IMAGE_TYPES}")
        super().setup(max_bytes=max_bytes, content_types=allowed)

    def to_json(self, value):
        out = super().to_json(value)
        if out is not None:
            out.update(width=value.width, height=value.height)
        return out

    def openapi(self):
        schema = super().openapi()
        obj = schema if self.required else schema["anyOf"][0]
        obj["properties"]["width"] = {"type": ["integer", "null"], "readOnly": True}
        obj["properties"]["height"] = {"type": ["integer", "null"], "readOnly": True}
        return schema


# -------------------------------------------------------------------------------- codes, places, data

BARCODE_SYMBOLOGIES = ("ean13", "ean8", "code128", "qr")


def gtin_check_digit(digits: str) -> int:
    """The GS1 check digit for the digits before it (EAN-8, EAN-13)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


@field_type
class Barcode(String):
    """A barcode or QR value. ``symbology``: ``ean13`` / ``ean8`` (digits with a valid check digit;
    spaces and dashes dropped), ``code128`` (printable ASCII, up to 80 characters) or ``qr`` (any
    text up to 2000 characters). Print reads ``barcode_symbology`` to draw it."""

    kind = "barcode"

    def setup(self, symbology: str = "code128"):
        if symbology not in BARCODE_SYMBOLOGIES:
            raise TypeError(f"field {self.name}: symbology must be one of {BARCODE_SYMBOLOGIES}")
        self.barcode_symbology = self.symbology = symbology
        super().setup(max_length={"ean13": 20, "ean8": 20, "code128": 80, "qr": 2000}[symbology])

    def _normalise(self, value: str) -> str:
        value = value.strip()
        return re.sub(r"[\s\-]", "", value) if self.symbology in ("ean13", "ean8") else value

    def validators(self):
        def check(node, value):
            value = self._normalise(value)
            if self.symbology in ("ean13", "ean8"):
                size = 13 if self.symbology == "ean13" else 8
                if not (value.isascii() and value.isdigit() and len(value) == size):
                    raise colander.Invalid(node, _("An ${kind} code has ${size} digits",
                                                   mapping={"kind": self.symbology.upper(), "size": size}))
                if gtin_check_digit(value[:-1]) != int(value[-1]):
                    raise colander.Invalid(node, _("The check digit is wrong (expected ${digit})",
                                                   mapping={"digit": gtin_check_digit(value[:-1])}))
            elif self.symbology == "code128":
                if any(not 32 <= ord(ch) <= 126 for ch in value):
                    raise colander.Invalid(node, _("Code 128 takes only Latin letters, digits and common symbols"))

        return [_text_only, colander.Length(max=self.max_length), check]

    def widget(self, request=None):
        attrs = {"autocomplete": "off", "spellcheck": "false"}
        if self.symbology in ("ean13", "ean8"):
            attrs["inputmode"] = "numeric"
        if self.symbology == "qr":
            return deform.widget.TextAreaWidget(rows=3, attributes=attrs)
        return deform.widget.TextInputWidget(attributes=attrs)

    def to_storage(self, appstruct):
        value = super().to_storage(appstruct)
        return self._normalise(value) if value else None

    def openapi(self):
        schema = {"type": "string", "maxLength": self.max_length, "x-procura-symbology": self.symbology}
        if self.symbology == "ean13":
            schema["pattern"] = r"^\d{13}$"
        elif self.symbology == "ean8":
            schema["pattern"] = r"^\d{8}$"
        return _nullable(schema, self.required)

    def index_value(self, value):
        return value or None

    def filter_value(self, raw):
        return self._normalise(raw)


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float

    def as_dict(self):
        return {"lat": self.lat, "lon": self.lon}

    def __str__(self):
        return f"{_coord(self.lat)}, {_coord(self.lon)}"


_GEOHASH = "0123456789bcdefghjkmnpqrstuvwxyz"


def geohash(lat: float, lon: float, precision: int = 9) -> str:
    """The geohash of a point (9 characters: about 5 m): nearby points share a prefix."""
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    out, bits, ch, even = [], 0, 0, True
    while len(out) < precision:
        rng, val = (lon_range, lon) if even else (lat_range, lat)
        mid = (rng[0] + rng[1]) / 2
        if val >= mid:
            ch = (ch << 1) | 1
            rng[0] = mid
        else:
            ch <<= 1
            rng[1] = mid
        even = not even
        bits += 1
        if bits == 5:
            out.append(_GEOHASH[ch])
            bits, ch = 0, 0
    return "".join(out)


class _GeoPointType(colander.SchemaType):
    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return {"lat": _coord(appstruct.lat), "lon": _coord(appstruct.lon)}

    def deserialize(self, node, cstruct):
        import math

        if cstruct in (colander.null, None, ""):
            return colander.null
        if isinstance(cstruct, str) and "," in cstruct.replace(", ", ",", 1):
            lat, _sep, lon = cstruct.partition(",")
            cstruct = {"lat": lat, "lon": lon}
        if not isinstance(cstruct, dict) or set(cstruct) - {"lat", "lon"}:
            raise colander.Invalid(node, _("Expected a point: an object with lat and lon"))
        raw_lat, raw_lon = cstruct.get("lat"), cstruct.get("lon")
        if raw_lat in (None, "") and raw_lon in (None, ""):
            return colander.null
        try:
            if isinstance(raw_lat, bool) or isinstance(raw_lon, bool):
                raise ValueError
            lat = float(str(raw_lat).strip().replace(",", "."))
            lon = float(str(raw_lon).strip().replace(",", "."))
        except (TypeError, ValueError):
            raise colander.Invalid(node, _("Latitude and longitude must be numbers")) from None
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise colander.Invalid(node, _("Latitude and longitude must be numbers"))
        if not -90 <= lat <= 90:
            raise colander.Invalid(node, _("Latitude must be between -90 and 90"))
        if not -180 <= lon <= 180:
            raise colander.Invalid(node, _("Longitude must be between -180 and 180"))
        return GeoPoint(round(lat, 7), round(lon, 7))


def _coord(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".")


@field_type
class GeoPointField(Field):
    """A point on Earth (WGS 84 decimal degrees). JSON ``{"lat": 55.7558, "lon": 37.6173}``.
    Catalog: a 9-character geohash (points near each other share a prefix, so an area is a range
    query on the index); a filter takes a geohash."""

    kind = "geo_point"

    def colander_type(self):
        return _GeoPointType()

    def widget(self, request=None):
        from procura.types.widgets import GeoPointWidget

        return GeoPointWidget()

    def from_json(self, raw):
        return colander.null if raw is None else raw

    def to_json(self, value):
        return None if value is None else value.as_dict()

    def openapi(self):
        schema = {"type": "object", "required": ["lat", "lon"], "additionalProperties": False,
                  "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                                 "lon": {"type": "number", "minimum": -180, "maximum": 180}}}
        return _nullable(schema, self.required)

    def index_value(self, value):
        return None if value is None else geohash(value.lat, value.lon)

    def filter_value(self, raw):
        raw = raw.strip().lower()
        if not raw or any(ch not in _GEOHASH for ch in raw):
            raise ValueError(raw)
        return raw

    def display(self, value, request):
        return "" if value is None else f"{_coord(value.lat)}, {_coord(value.lon)}"

    def search_text(self, value):
        return ""


class _Parsed:
    """A JSON value that arrived already parsed (API), as opposed to text typed in a form."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _JSONType(colander.SchemaType):
    def __init__(self, max_bytes):
        self.max_bytes = max_bytes

    def serialize(self, node, appstruct):
        import json

        if appstruct in (colander.null, None):
            return colander.null
        return json.dumps(appstruct, ensure_ascii=False, indent=2, sort_keys=True)

    def deserialize(self, node, cstruct):
        import json

        if cstruct in (colander.null, None, ""):
            return colander.null
        if isinstance(cstruct, _Parsed):
            value = cstruct.value
        else:
            text = str(cstruct)
            if len(text.encode("utf-8")) > self.max_bytes:
                raise colander.Invalid(node, _("At most ${max} bytes of JSON", mapping={"max": self.max_bytes}))
            try:
                value = json.loads(text, parse_constant=_refuse_constant)
            except ValueError as exc:
                raise colander.Invalid(node, _("Not valid JSON: ${error}", mapping={"error": str(exc)})) from None
        try:
            encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError):
            raise colander.Invalid(node, _("Not a JSON value")) from None
        if len(encoded.encode("utf-8")) > self.max_bytes:
            raise colander.Invalid(node, _("At most ${max} bytes of JSON", mapping={"max": self.max_bytes}))
        return json.loads(encoded) if value is not None else colander.null


def _refuse_constant(name):
    raise ValueError(f"{name} is not allowed")


@field_type
class JSONField(Field):
    """Any JSON value (object, array, string, number, boolean); JSON ``null`` empties the field.
    Form: a textarea parsed as JSON; API: the value itself. ``max_bytes`` (default 64 KB) limits
    the encoded size. Catalog: the canonical encoding (sorted keys), first 200 characters."""

    kind = "json"

    def setup(self, max_bytes: int = 65536):
        self.max_bytes = max_bytes

    def colander_type(self):
        return _JSONType(self.max_bytes)

    def widget(self, request=None):
        return deform.widget.TextAreaWidget(rows=6, css_class="font-monospace", attributes={"spellcheck": "false"})

    def from_json(self, raw):
        return colander.null if raw is None else _Parsed(raw)

    def to_storage(self, appstruct):
        return None if appstruct in (colander.null, None) else appstruct

    def openapi(self):
        return {"description": "any JSON value"}

    def _canonical(self, value):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def index_value(self, value):
        return None if value is None else self._canonical(value)[:200]

    def filter_value(self, raw):
        import json

        return self._canonical(json.loads(raw))[:200]

    def display(self, value, request):
        return "" if value is None else self._canonical(value)

    def search_text(self, value):
        return "" if value is None else self._canonical(value)
