"""Sling's JSON content format: import into a session, export from it (docs/CONTENT-FORMAT.md).

An object is a node (key order = child order); `jcr:primaryType` and `jcr:mixinTypes` set the
types; strings, integers, fractions, booleans and arrays become String, Long, Double, Boolean
and multi-valued properties; `name@TypeHint` gives an explicit type; protected names are
skipped. The same reader serves `repo-server load`, fixtures and `:operation=import`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from repo_server.errors import InvalidInput, InvalidValue
from repo_server.model import names as N
from repo_server.model.values import (
    Binary,
    Property,
    PropertyType,
    format_iso_date,
    make_property,
    new_record,
    parse_value,
    to_string,
)

PROTECTED_ON_IMPORT: Final = frozenset(
    {
        N.JCR_UUID,
        N.JCR_CREATED,
        N.JCR_CREATED_BY,
        "jcr:baseVersion",
        "jcr:predecessors",
        "jcr:versionHistory",
        "jcr:isCheckedOut",
    }
)


@dataclass
class ImportedNode:
    """One node of a parsed document: where it goes, its types and properties."""

    path: str
    primary: str | None
    mixins: list[str]
    props: dict[str, Property]


@lru_cache(maxsize=256)
def parse_type_hint(hint: str) -> tuple[PropertyType, bool]:
    multiple = hint.endswith("[]")
    name = hint[:-2] if multiple else hint
    return PropertyType.from_name(name), multiple


@lru_cache(maxsize=4096)
def _member_name(key: str) -> str:
    return N.validate_name(key)


_NATURAL: Final = {
    str: PropertyType.STRING,
    int: PropertyType.LONG,
    float: PropertyType.DOUBLE,
    bool: PropertyType.BOOLEAN,
}


def json_property(name: str, value: Any, hint: str | None) -> Property:
    """Turn one JSON member into a Property following the content format."""
    if hint is None:
        # Fast path for the plain JSON scalars, which are most of any import.
        natural = _NATURAL.get(type(value))
        if natural is not None:
            if natural is PropertyType.LONG and not -(2**63) <= value < 2**63:
                raise InvalidValue(f"property {name}: {value} is out of the range of a Long")
            return new_record(Property, (natural, False, (value,)))
    if hint:
        type_, multiple = parse_type_hint(hint)
        if type(value) is str and not multiple:  # the usual hinted member: "12.50" as Decimal
            return new_record(Property, (type_, False, (parse_value(value, type_),)))
        items = value if isinstance(value, list) else [value]
        values = []
        for item in items:
            if isinstance(item, dict | list) or item is None:
                raise InvalidValue(f"property {name}: a {type_.jcr_name} value must be a scalar")
            values.append(parse_value(item if isinstance(item, str) else _scalar(item), type_))
        return Property(type_, multiple or isinstance(value, list), tuple(values))
    if isinstance(value, list):
        if not value:
            return Property(PropertyType.STRING, True, ())
        first_type = _NATURAL.get(type(value[0]))
        if first_type is not None and all(type(v) is type(value[0]) for v in value):
            return make_property(value, first_type)
        if any(isinstance(v, dict | list) or v is None for v in value):
            raise InvalidValue(f"property {name}: arrays may hold only scalars")
        first = value[0]
        return make_property([v if type(v) is type(first) else _scalar(v) for v in value])
    if value is None:
        raise InvalidValue(f"property {name}: null is not a value")
    return make_property(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_document(doc: Mapping[str, Any], target: str) -> Iterator[ImportedNode]:
    """Walk a JSON document placed at `target` (depth first, parents before children)."""
    if not isinstance(doc, Mapping):
        raise InvalidInput("a content document must be a JSON object")
    # An explicit stack instead of recursive generators: nested `yield from` costs a frame
    # switch per level for every node, which dominated bulk loads.
    stack: list[tuple[Mapping[str, Any], str]] = [(doc, target)]
    pop = stack.pop
    while stack:
        obj, path = pop()
        yield _node_of(obj, path, stack)


def _node_of(
    obj: Mapping[str, Any], path: str, stack: list[tuple[Mapping[str, Any], str]]
) -> ImportedNode:
    """The node of one JSON object; its child objects go on `stack`, first child on top."""
    # The hot loop of every bulk load: one pass over the members, plain scalars typed inline,
    # and type hints (rare) applied after the pass instead of looked up for every member.
    primary = obj.get(N.JCR_PRIMARY_TYPE)
    if primary is not None and type(primary) is not str:
        raise InvalidValue(f"{path}: jcr:primaryType must be a string")
    mixins = obj.get(N.JCR_MIXIN_TYPES)
    if mixins is None:
        mixins = []
    elif isinstance(mixins, str):
        mixins = [mixins]
    elif not isinstance(mixins, list) or not all(isinstance(m, str) for m in mixins):
        raise InvalidValue(f"{path}: jcr:mixinTypes must be a list of names")
    props: dict[str, Property] = {}
    children: list[tuple[Mapping[str, Any], str]] = []
    prefix = path + "/" if path != "/" else "/"
    hinted: list[str] | None = None
    natural_of = _NATURAL
    long_type = PropertyType.LONG
    for key, value in obj.items():
        kind = type(value)
        if kind is dict:
            if key[:1] != ":":
                children.append((value, prefix + _member_name(key)))
            continue
        name = _property_member(key)
        if not name:
            continue
        if name is _HINT:
            if hinted is None:
                hinted = []
            hinted.append(key)
            continue
        # `json_property`'s own fast path for plain scalars, inlined (a call per member).
        natural = natural_of.get(kind)
        try:
            if natural is None:
                props[name] = json_property(key, value, None)
            elif natural is long_type and not -(2**63) <= value < 2**63:
                raise InvalidValue(f"property {key}: {value} is out of the range of a Long")
            else:
                props[name] = new_record(Property, (natural, False, (value,)))
        except InvalidValue:
            # A value that is only right with its type hint (10**30 as a Double): the
            # hinted pass below makes it; without a hint it is wrong.
            if f"{key}@TypeHint" not in obj:
                raise
    if hinted is not None:
        for key in hinted:
            base, _, suffix = key.rpartition("@")
            if suffix != "TypeHint":
                continue
            if base not in obj:
                raise InvalidValue(f"{path}: {key} has no value {base!r} to apply to")
            hint = obj[key]
            if not isinstance(hint, str):
                raise InvalidValue(f"{path}: {key} must be a string")
            value = obj[base]
            if type(value) is dict:
                continue
            name = _property_member(base)
            if name and name is not _HINT:
                props[name] = json_property(base, value, hint)
    if children:
        children.reverse()
        stack.extend(children)
    return ImportedNode(path, primary, mixins, props)


_SKIPPED: Final = PROTECTED_ON_IMPORT | {N.JCR_PRIMARY_TYPE, N.JCR_MIXIN_TYPES}
_HINT: Final = "\x00hint"  # control characters are never in names: cannot clash


@lru_cache(maxsize=4096)
def _property_member(key: str) -> str:
    """What a scalar member sets: its property's qualified name, "" when it sets none (the
    types, protected names, `:` keys), or _HINT for a `name@Suffix` key. Cached: a load
    meets the same few keys on every node."""
    if key in _SKIPPED or key.startswith(":"):
        return ""
    if "@" in key:
        return _HINT
    return N.validate_name(key)


def export_value(prop: Property) -> tuple[Any, str | None]:
    """A property as a JSON value plus the type hint it needs to come back the same."""
    natural = {PropertyType.STRING, PropertyType.LONG, PropertyType.DOUBLE, PropertyType.BOOLEAN}

    def one(v: Any) -> Any:
        if prop.type in (PropertyType.LONG, PropertyType.BOOLEAN, PropertyType.DOUBLE):
            return v
        if prop.type is PropertyType.DATE:
            return format_iso_date(v)
        if isinstance(v, Binary):
            return to_string(v, prop.type)
        return to_string(v, prop.type)

    value: Any = [one(v) for v in prop.values] if prop.multiple else one(prop.values[0])
    hint = None
    if prop.type not in natural or (
        prop.multiple and not prop.values and prop.type is not PropertyType.STRING
    ):
        hint = prop.type.jcr_name + ("[]" if prop.multiple else "")
    return value, hint
