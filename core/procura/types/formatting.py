"""Locale-aware display of numbers, dates and times (Babel), in the user's time zone."""
from __future__ import annotations

import datetime as dt
import decimal

from babel import dates as babel_dates
from babel import numbers as babel_numbers


def _locale(request) -> str:
    return request.localizer.locale_name if request is not None else "ru"


def format_decimal(value, request, places: int | None = None) -> str:
    if places is None:
        return babel_numbers.format_decimal(value, locale=_locale(request), group_separator=True)
    quant = decimal.Decimal(1).scaleb(-places)
    value = decimal.Decimal(str(value)).quantize(quant)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=_locale(request), decimal_quantization=True)


def format_date(value: dt.date, request) -> str:
    return babel_dates.format_date(value, format="medium", locale=_locale(request))


def format_datetime(value: dt.datetime, request) -> str:
    from procura.types.fields import user_tz

    local = value.astimezone(user_tz(request))
    return babel_dates.format_datetime(local, format="medium", locale=_locale(request), tzinfo=local.tzinfo)
