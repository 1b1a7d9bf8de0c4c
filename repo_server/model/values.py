"""Property types, typed values, their conversions (spec §4) and the msgpack codec of property maps.

In-memory representation per type: STRING, NAME, PATH, REFERENCE, WEAKREFERENCE, URI -> `str`;
LONG -> `int`; DOUBLE -> `float`; DECIMAL -> `Decimal`; BOOLEAN -> `bool`; DATE -> an aware
`datetime` with millisecond precision; BINARY -> `Binary`.
"""

from __future__ import annotations

import hashlib
import math
import re
import urllib.parse
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import Any, Final, NamedTuple, TypeAlias

import msgpack

from repo_server.errors import InvalidName, InvalidPath, InvalidValue
from repo_server.model import names as _names
from repo_server.model import path as _path

INLINE_BINARY_LIMIT: Final = 4096
_LONG_MIN: Final = -(2**63)
_LONG_MAX: Final = 2**63 - 1


class PropertyType(IntEnum):
    """The JCR property types with their JCR numeric codes (0 = UNDEFINED, definitions only)."""

    UNDEFINED = 0
    STRING = 1
    BINARY = 2
    LONG = 3
    DOUBLE = 4
    DATE = 5
    BOOLEAN = 6
    NAME = 7
    PATH = 8
    REFERENCE = 9
    WEAKREFERENCE = 10
    URI = 11
    DECIMAL = 12

    @property
    def jcr_name(self) -> str:
        return _JCR_NAMES[self]

    @classmethod
    def from_name(cls, text: str, *, case_sensitive: bool = False) -> PropertyType:
        """The type named `text` (`String`, `Long`, ...; `*` = UNDEFINED); InvalidValue if none."""
        key = text if case_sensitive else text.lower()
        table = _BY_NAME if case_sensitive else _BY_LOWER_NAME
        try:
            return table[key]
        except KeyError:
            raise InvalidValue(f"unknown property type {text!r}", type=text) from None


_JCR_NAMES: Final = {
    PropertyType.UNDEFINED: "undefined",
    PropertyType.STRING: "String",
    PropertyType.BINARY: "Binary",
    PropertyType.LONG: "Long",
    PropertyType.DOUBLE: "Double",
    PropertyType.DATE: "Date",
    PropertyType.BOOLEAN: "Boolean",
    PropertyType.NAME: "Name",
    PropertyType.PATH: "Path",
    PropertyType.REFERENCE: "Reference",
    PropertyType.WEAKREFERENCE: "WeakReference",
    PropertyType.URI: "URI",
    PropertyType.DECIMAL: "Decimal",
}
_BY_NAME: Final = {v: k for k, v in _JCR_NAMES.items()} | {"*": PropertyType.UNDEFINED}
_BY_LOWER_NAME: Final = {v.lower(): k for k, v in _JCR_NAMES.items()} | {
    "*": PropertyType.UNDEFINED
}

STRING_LIKE: Final = frozenset(
    {
        PropertyType.STRING,
        PropertyType.NAME,
        PropertyType.PATH,
        PropertyType.REFERENCE,
        PropertyType.WEAKREFERENCE,
        PropertyType.URI,
    }
)
NUMERIC: Final = frozenset({PropertyType.LONG, PropertyType.DOUBLE, PropertyType.DECIMAL})
REFERENCE_TYPES: Final = frozenset({PropertyType.REFERENCE, PropertyType.WEAKREFERENCE})


@dataclass(frozen=True, slots=True)
class Binary:
    """An immutable byte stream. `data` is None when only the blob reference has been loaded."""

    sha256: str
    length: int
    data: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, data: bytes) -> Binary:
        return cls(hashlib.sha256(data).hexdigest(), len(data), bytes(data))


Value: TypeAlias = str | int | float | Decimal | bool | datetime | Binary


class Property(NamedTuple):
    """A stored property: (type, multiple, values). `multiple` is part of the property (§4.2).

    A NamedTuple rather than a frozen dataclass: bulk loads build millions of these, and a
    frozen dataclass's `__init__` costs several times a tuple's construction.
    """

    type: PropertyType
    multiple: bool
    values: tuple[Value, ...]

    @property
    def value(self) -> Value:
        """The single value; for a multi-valued property the first (InvalidValue if empty)."""
        if not self.values:
            raise InvalidValue("the multi-valued property is empty")
        return self.values[0]

    def python(self) -> Value | list[Value]:
        return list(self.values) if self.multiple else self.values[0]

    @classmethod
    def single(cls, type_: PropertyType, value: Value) -> Property:
        return cls(type_, False, (value,))

    @classmethod
    def multi(cls, type_: PropertyType, values: Iterable[Value]) -> Property:
        return cls(type_, True, tuple(values))


# `tuple.__new__(Property, (type, multiple, values))` builds a Property without the Python-level
# `__new__` a NamedTuple has (a frame per call): for loops that make hundreds of thousands
# (bulk loads, catalog imports). The caller guarantees the three items are well formed.
new_record: Final = tuple.__new__


def string(value: str) -> Property:
    return Property(PropertyType.STRING, False, (value,))


# --- dates ------------------------------------------------------------------------------------

_ISO_RE: Final = re.compile(
    r"^([+-]?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_iso_date(text: str, default_tz: timezone = UTC) -> datetime:
    """Parse JCR's ISO 8601 profile; `Z`, `±hh:mm`, `±hhmm` offsets; no offset -> `default_tz`."""
    m = _ISO_RE.match(text.strip())
    if not m:
        raise InvalidValue(f"invalid date {text!r}", value=text)
    year, month, day, hour, minute, sec, frac, off = m.groups()
    try:
        micro = int((frac or "0")[:3].ljust(3, "0")) * 1000
        tz = _offset(off) if off else default_tz
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(sec or 0), micro, tz
        )
    except (ValueError, OverflowError):
        raise InvalidValue(f"invalid date {text!r}", value=text) from None


def truncate_ms(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def format_iso_date(value: datetime) -> str:
    """`YYYY-MM-DDThh:mm:ss.sss±hh:mm` (JCR's canonical DATE string)."""
    off = value.utcoffset() or timedelta(0)
    total = int(off.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    total = abs(total)
    millis = value.microsecond // 1000
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
        f"{value.second:02d}.{millis:03d}{sign}{total // 60:02d}:{total % 60:02d}"
    )


def format_ecma_date(value: datetime) -> str:
    """`Tue Jul 14 2009 10:20:30 GMT+0200`: Sling's JSON date rendering, in the stored offset."""
    off = value.utcoffset() or timedelta(0)
    total = int(off.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    total = abs(total)
    day = (
        f"{_WEEKDAYS[value.weekday()]} {_MONTHS[value.month - 1]} {value.day:02d} {value.year:04d}"
    )
    clock = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return f"{day} {clock} GMT{sign}{total // 60:02d}{total % 60:02d}"


def epoch_ms(value: datetime) -> int:
    return ((value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)) // 1000


def from_epoch_ms(ms: int, offset_minutes: int = 0) -> datetime:
    tz = UTC if offset_minutes == 0 else timezone(timedelta(minutes=offset_minutes))
    return datetime(1970, 1, 1, tzinfo=UTC).astimezone(tz) + timedelta(milliseconds=ms)


def now() -> datetime:
    return truncate_ms(datetime.now(UTC))


# --- parsing and rendering of single values ---------------------------------------------------

_IDENTIFIER_RE: Final = re.compile(r"^[0-9A-Za-z_:\-]{1,128}$")
_URI_BAD: Final = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")


def _check_uri(text: str) -> str:
    if _URI_BAD.search(text):
        raise InvalidValue(f"invalid URI {text!r}", value=text)
    try:
        urllib.parse.urlsplit(text)
    except ValueError:
        raise InvalidValue(f"invalid URI {text!r}", value=text) from None
    return text


_DECIMAL_MAX_EXPONENT: Final = 1000


def _check_long(number: int) -> int:
    if not _LONG_MIN <= number <= _LONG_MAX:
        raise InvalidValue(f"{number} is out of the range of a Long", value=str(number))
    return number


def parse_value(text: str, type_: PropertyType) -> Value:
    """Convert a canonical string (or user input) to a value of `type_`; InvalidValue on failure."""
    try:
        if type_ in (PropertyType.STRING, PropertyType.UNDEFINED):
            return text
        if type_ is PropertyType.LONG:
            stripped = text.strip()
            if not re.fullmatch(r"[+-]?\d+", stripped):
                raise ValueError
            return _check_long(int(stripped))
        if type_ is PropertyType.DOUBLE:
            if "_" in text:  # Python's float() takes digit separators; base-10 text has none
                raise ValueError
            number = float(text.strip())
            return number
        if type_ is PropertyType.DECIMAL:
            if "_" in text:
                raise ValueError
            dec = Decimal(text.strip())
            # A huge exponent ('1e999999999') would be written out digit by digit when stored.
            if not dec.is_finite() or abs(dec.adjusted()) > _DECIMAL_MAX_EXPONENT:
                raise ValueError
            return dec
        if type_ is PropertyType.BOOLEAN:
            return text.strip().lower() == "true"
        if type_ is PropertyType.DATE:
            return parse_iso_date(text)
        if type_ is PropertyType.BINARY:
            return Binary.of(text.encode("utf-8"))
        if type_ is PropertyType.NAME:
            return _names.validate_name(text)
        if type_ is PropertyType.PATH:
            if text.startswith("/"):
                return _path.normalize(text)
            return _path.normalize_relative(text)
        if type_ in REFERENCE_TYPES:
            if not _IDENTIFIER_RE.match(text):
                raise ValueError
            return text
        if type_ is PropertyType.URI:
            return _check_uri(text)
    except InvalidValue:
        raise
    except (ValueError, InvalidOperation, InvalidName, InvalidPath, OverflowError):
        pass
    raise InvalidValue(
        f"cannot convert {text[:100]!r} to {type_.jcr_name}", value=text[:100], type=type_.jcr_name
    )


def to_string(value: Value, type_: PropertyType) -> str:
    """The canonical string form of a value (spec §4.1)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_iso_date(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
            return f"{value:.1f}"
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Binary):
        return (value.data or b"").decode("utf-8", "replace")
    return str(value)


def type_of(value: object) -> PropertyType:
    """The natural property type of a Python value."""
    if isinstance(value, bool):
        return PropertyType.BOOLEAN
    if isinstance(value, int):
        return PropertyType.LONG
    if isinstance(value, float):
        return PropertyType.DOUBLE
    if isinstance(value, Decimal):
        return PropertyType.DECIMAL
    if isinstance(value, datetime):
        return PropertyType.DATE
    if isinstance(value, Binary | bytes):
        return PropertyType.BINARY
    if isinstance(value, str):
        return PropertyType.STRING
    raise InvalidValue(f"unsupported value of type {type(value).__name__}")


def convert(value: Value, from_type: PropertyType, to_type: PropertyType) -> Value:
    """Convert one value between property types following the table of spec §4.3."""
    if from_type == to_type or to_type is PropertyType.UNDEFINED:
        return value
    if from_type is PropertyType.BINARY:
        if isinstance(value, Binary) and value.data is None:
            raise InvalidValue("binary data is not loaded")
        assert isinstance(value, Binary)
        assert value.data is not None
        try:
            text = value.data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidValue(
                f"binary {value.sha256[:12]} is not valid UTF-8 text", type=to_type.jcr_name
            ) from None
        return convert(text, PropertyType.STRING, to_type)
    if to_type is PropertyType.STRING:
        return to_string(value, from_type)
    if to_type is PropertyType.BINARY:
        return Binary.of(to_string(value, from_type).encode("utf-8"))
    if from_type is PropertyType.STRING:
        assert isinstance(value, str)
        return parse_value(value, to_type)
    if from_type in NUMERIC or from_type is PropertyType.DATE:
        number: Any = epoch_ms(value) if isinstance(value, datetime) else value
        if to_type is PropertyType.LONG:
            if isinstance(number, float) and not math.isfinite(number):
                raise InvalidValue(f"{number} cannot be a Long")
            return _check_long(int(number))
        if to_type is PropertyType.DOUBLE:
            return float(number)
        if to_type is PropertyType.DECIMAL:
            return Decimal(number) if not isinstance(number, float) else Decimal(repr(number))
        if to_type is PropertyType.DATE:
            try:
                return from_epoch_ms(int(number))
            except (ValueError, OverflowError):
                raise InvalidValue(
                    f"{number} milliseconds is not a representable date", type=to_type.jcr_name
                ) from None
    if from_type is PropertyType.NAME and to_type is PropertyType.PATH:
        return str(value)
    if from_type is PropertyType.NAME and to_type is PropertyType.URI:
        return "./" + urllib.parse.quote(str(value), safe="")
    if from_type is PropertyType.PATH and to_type is PropertyType.NAME:
        text = str(value)
        if "/" in text or text in (".", ".."):
            raise InvalidValue(f"path {text!r} is not a single name")
        return text
    if from_type is PropertyType.PATH and to_type is PropertyType.URI:
        text = str(value)
        return urllib.parse.quote(text if text.startswith("/") else "./" + text, safe="/.")
    if from_type in REFERENCE_TYPES and to_type in REFERENCE_TYPES:
        return value
    if from_type is PropertyType.URI and to_type in (PropertyType.NAME, PropertyType.PATH):
        text = urllib.parse.unquote(str(value))
        if "://" in text or text.startswith("//"):
            raise InvalidValue(f"URI {value!r} is not relative")
        return parse_value(text.removeprefix("./"), to_type)
    raise InvalidValue(
        f"a {from_type.jcr_name} cannot be converted to {to_type.jcr_name}",
        type=to_type.jcr_name,
    )


def convert_property(prop: Property, to_type: PropertyType) -> Property:
    if prop.type == to_type or to_type is PropertyType.UNDEFINED:
        return prop
    return Property(
        to_type, prop.multiple, tuple(convert(v, prop.type, to_type) for v in prop.values)
    )


def make_property(value: Any, type_: PropertyType | None = None) -> Property:
    """Build a Property from Python values: a list or tuple makes a multi-valued property.

    Strings are parsed when `type_` asks for another type; other values are converted.
    """
    multiple = isinstance(value, list | tuple)
    raw: list[Any] = list(value) if multiple else [value]
    if type_ is None or type_ is PropertyType.UNDEFINED:
        type_ = type_of(raw[0]) if raw else PropertyType.STRING
    out: list[Value] = []
    for item in raw:
        if item is None:
            raise InvalidValue("a value must not be null")
        if isinstance(item, bytes):
            item = Binary.of(item)
        if isinstance(item, datetime):
            item = truncate_ms(item)
        if isinstance(item, float) and type_ is not PropertyType.DOUBLE and not math.isfinite(item):
            raise InvalidValue(f"{item} is not a finite number")
        item_type = type_of(item)
        out.append(convert(item, item_type, type_) if item_type != type_ else item)
    if type_ is PropertyType.LONG:
        for v in out:
            _check_long(int(v))  # type: ignore[arg-type]  # LONG values are ints here
    return Property(type_, multiple, tuple(out))


# --- msgpack codec ----------------------------------------------------------------------------
# Stored form (spec §11.2): {name: [type_code, multiple, value or [values]]}. Per-type encodings:
# DATE -> [epoch_ms, offset_minutes]; DECIMAL -> str; BINARY -> bytes (<= 4 KiB) or
# {"blob": sha256-hex, "len": n}; everything else natively.


def _encode_value(value: Value, type_: PropertyType) -> Any:
    if type_ is PropertyType.DATE:
        assert isinstance(value, datetime)
        off = value.utcoffset() or timedelta(0)
        return [epoch_ms(value), int(off.total_seconds() // 60)]
    if type_ is PropertyType.DECIMAL:
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if type_ is PropertyType.BINARY:
        assert isinstance(value, Binary)
        if value.data is not None and value.length <= INLINE_BINARY_LIMIT:
            return value.data
        return {"blob": value.sha256, "len": value.length}
    return value


def _decode_value(raw: Any, type_: int) -> Value:
    if type_ == 5:
        return from_epoch_ms(raw[0], raw[1])
    if type_ == 12:
        return Decimal(raw)
    if type_ == 2:
        if isinstance(raw, bytes):
            return Binary(hashlib.sha256(raw).hexdigest(), len(raw), raw)
        return Binary(raw["blob"], raw["len"], None)
    if type_ == 4:
        return float(raw)
    return raw  # type: ignore[no-any-return]  # msgpack gives the native str/int/bool


_TYPES: Final = list(PropertyType)


_NATIVE: Final = frozenset(
    {1, 3, 4, 6, 7, 8, 9, 10, 11}  # stored as msgpack's own str/int/float/bool
)


# One Packer for every encode: `msgpack.packb` builds a new Packer per call, which cost a bulk
# load a tenth of its time. Packing holds the GIL throughout, so threads may share it.
_PACKER: Final = msgpack.Packer(use_bin_type=True)


_REFERENCING: Final = frozenset(
    {PropertyType.BINARY, PropertyType.REFERENCE, PropertyType.WEAKREFERENCE}
)


def _encoded(
    props: Mapping[str, Property],
    primary: str | None = None,
    mixins: Sequence[str] = (),
    text: list[str] | None = None,
    not_text: Collection[str] = (),
) -> tuple[bytes, bool]:
    """The msgpack blob, and whether a value is BINARY or a reference; with `text`, the
    STRING values of properties not named in `not_text` are appended to it in the same pass
    (a commit's full-text rows: one walk over a new node's properties instead of three)."""
    out: dict[str, tuple[Any, ...]] = {}
    if primary is not None:
        out["jcr:primaryType"] = (PropertyType.NAME, False, primary)
        if mixins:
            out["jcr:mixinTypes"] = (PropertyType.NAME, True, mixins)
    string_type = PropertyType.STRING  # (`string` names this module's constructor)
    decimal = PropertyType.DECIMAL
    referencing = False
    for key, (t, multiple, values) in props.items():
        # IntEnum members pack as their int (msgpack's non-strict mode packs int subclasses).
        # Tuples: msgpack packs them as arrays, and they cost less to make than lists.
        if t is string_type:
            out[key] = (t, True, values) if multiple else (t, False, values[0])
            if text is not None and key not in not_text:
                text.extend(values)  # type: ignore[arg-type]  # STRING values are str
            continue
        if t in _REFERENCING:
            referencing = True
        if multiple:
            out[key] = (
                t,
                True,
                values if t in _NATIVE else [_encode_value(v, t) for v in values],
            )
        elif t in _NATIVE:
            out[key] = (t, False, values[0])
        elif t is decimal and type(values[0]) is Decimal:  # prices: the common non-native
            out[key] = (t, False, format(values[0], "f"))
        else:
            out[key] = (t, False, _encode_value(values[0], t))
    return _PACKER.pack(out), referencing


def encode_properties(props: Mapping[str, Property]) -> bytes:
    return _encoded(props)[0]


def encode_node(primary: str, mixins: Sequence[str], props: Mapping[str, Property]) -> bytes:
    """A node's stored property blob: its type properties (see `type_properties`), then the
    rest, in one pass and without an intermediate dict of Properties."""
    return _encoded(props, primary, mixins)[0]


def encode_new_node(
    primary: str,
    mixins: Sequence[str],
    props: Mapping[str, Property],
    text: list[str],
    not_text: Collection[str],
) -> tuple[bytes, bool]:
    """`encode_node` for a commit's new nodes: also appends the node's STRING values (but
    those of `not_text`) to `text`, and says whether any value is BINARY or a reference."""
    return _encoded(props, primary, mixins, text, not_text)


def decode_properties(blob: bytes) -> dict[str, Property]:
    raw = msgpack.unpackb(blob, raw=False)
    out: dict[str, Property] = {}
    for key, (t, multiple, v) in raw.items():
        ptype = _TYPES[t]
        if multiple:
            out[key] = Property(ptype, True, tuple(_decode_value(x, t) for x in v))
        else:
            out[key] = Property(ptype, False, (_decode_value(v, t),))
    return out


def stored_strings(blob: bytes, skip: Collection[str]) -> list[str]:
    """The STRING values of a stored property blob but those of the properties in `skip`, in
    order, without making the other values (a subtree delete asks this of every node)."""
    out: list[str] = []
    for key, (t, multiple, v) in msgpack.unpackb(blob, raw=False).items():
        if t == 1 and key not in skip:  # PropertyType.STRING
            if multiple:
                out.extend(v)
            else:
                out.append(v)
    return out


def pack(obj: Any) -> bytes:
    """msgpack for repository-internal structures (journal entries, compiled node types)."""
    return msgpack.packb(obj, use_bin_type=True)  # type: ignore[no-any-return]  # untyped lib


def unpack(blob: bytes) -> Any:
    return msgpack.unpackb(blob, raw=False, strict_map_key=False)


def type_properties(primary: str, mixins: Iterable[str]) -> dict[str, Property]:
    """jcr:primaryType and jcr:mixinTypes as properties: the store keeps them inside the
    property blob as well as in their columns (spec §11.2)."""
    out = {"jcr:primaryType": Property(PropertyType.NAME, False, (primary,))}
    kinds = tuple(mixins)
    if kinds:
        out["jcr:mixinTypes"] = Property(PropertyType.NAME, True, kinds)
    return out


def blobs_of(props: Mapping[str, Property]) -> list[Binary]:
    """Binaries too large to inline, which go to the content-addressed blob table."""
    return [
        v
        for p in props.values()
        if p.type is PropertyType.BINARY
        for v in p.values
        if isinstance(v, Binary) and v.length > INLINE_BINARY_LIMIT and v.data is not None
    ]
