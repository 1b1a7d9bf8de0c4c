"""Primitive values: JSON payload <-> stored value <-> canonical key text."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Final, TypeAlias

from commerce.engine.errors import InvalidAttributeValue, InvalidKey
from commerce.engine.model.types import Primitive

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
JSONObject: TypeAlias = "dict[str, JSONValue]"

# What a primitive is stored as: str (also decimals and 64-bit ints keep full precision as text),
# bool, int (also datetimes, as epoch millis), float.
Stored: TypeAlias = "str | bool | int | float | None"

_DATE_RE: Final = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")
_INT32: Final = (-(2**31), 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)


def _bad(name: str, value: object, expected: str) -> InvalidAttributeValue:
    message = f"The value [{value!r}] of attribute [{name}] is not a valid {expected}."
    return InvalidAttributeValue(message, inner=name)


def parse_datetime_text(text: str) -> int:
    """Epoch millis from ``/Date(ms)/``, ``/Date(ms+hhmm)/`` or an ISO-8601 timestamp (UTC)."""
    match = _DATE_RE.match(text)
    if match:
        millis = int(match.group(1))
        if match.group(2):
            offset = int(match.group(3)[:2]) * 60 + int(match.group(3)[2:])
            millis -= (1 if match.group(2) == "+" else -1) * offset * 60_000
        return millis
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp() * 1000)


def from_json(name: str, primitive: Primitive, value: JSONValue) -> Stored:
    """Validate and convert a payload value; raises InvalidAttributeValue naming the attribute."""
    if value is None:
        return None
    if primitive is Primitive.STRING:
        if isinstance(value, str):
            return value
        raise _bad(name, value, "string")
    if primitive is Primitive.BOOLEAN:
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise _bad(name, value, "boolean")
    if primitive in (Primitive.INTEGER, Primitive.LONG):
        lo, hi = _INT32 if primitive is Primitive.INTEGER else _INT64
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            number = int(value)
        if number is None or not lo <= number <= hi:
            raise _bad(name, value, "integer")
        return number
    if primitive is Primitive.DOUBLE:
        if isinstance(value, int | float) and not isinstance(value, bool):
            result = float(value)
        elif isinstance(value, str):
            try:
                result = float(value)
            except ValueError:
                raise _bad(name, value, "number") from None
        else:
            raise _bad(name, value, "number")
        if not math.isfinite(result):
            raise _bad(name, value, "finite number")
        return result
    if primitive is Primitive.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _bad(name, value, "decimal")
        try:
            decimal = Decimal(str(value))
        except InvalidOperation:
            raise _bad(name, value, "decimal") from None
        if not decimal.is_finite():
            raise _bad(name, value, "decimal")
        return canonical_decimal(decimal)
    if isinstance(value, str):
        try:
            return parse_datetime_text(value)
        except ValueError:
            raise _bad(name, value, "date") from None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _bad(name, value, "date")


def canonical_decimal(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_json(primitive: Primitive, value: Stored) -> JSONValue:
    """The OData v2 verbose-JSON form of a stored value (spec §4)."""
    if value is None:
        return None
    if primitive is Primitive.BOOLEAN:
        return bool(value)
    if primitive is Primitive.DATETIME:
        return f"/Date({int(value)})/"
    if primitive in (Primitive.LONG, Primitive.DECIMAL):
        return str(value)
    if primitive is Primitive.DOUBLE:
        return float(value)
    return value


def to_sql(value: Stored) -> str | int | float | None:
    if isinstance(value, bool):
        return int(value)
    return value


def from_sql(primitive: Primitive, value: object) -> Stored:
    if value is None:
        return None
    if primitive is Primitive.BOOLEAN:
        return bool(value)
    if isinstance(value, str | int | float):
        return value
    raise TypeError(f"unexpected stored value {value!r}")


def key_text(primitive: Primitive, value: Stored) -> str:
    """Canonical rendering of a key part (spec §3): true/false, plain numbers, epoch millis."""
    if value is None:
        return ""
    if primitive is Primitive.BOOLEAN:
        return "true" if value else "false"
    if primitive is Primitive.DOUBLE:
        return repr(float(value))
    return str(value)


def from_key_text(primitive: Primitive, text: str) -> Stored:
    """Inverse of key_text for lookups by key; an empty segment is a null part."""
    if text == "":
        return None
    try:
        if primitive is Primitive.BOOLEAN:
            if text not in ("true", "false"):
                raise ValueError(text)
            return text == "true"
        if primitive in (Primitive.INTEGER, Primitive.LONG, Primitive.DATETIME):
            return int(text)
        if primitive is Primitive.DOUBLE:
            return float(text)
        if primitive is Primitive.DECIMAL:
            return canonical_decimal(Decimal(text))
    except (ValueError, InvalidOperation):
        raise InvalidKey(
            f"The key part [{text}] is not a valid {primitive.name.lower()}."
        ) from None
    return text
