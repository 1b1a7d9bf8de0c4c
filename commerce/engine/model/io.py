"""Integration objects: runtime-defined views over item types, validated into a usable model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from commerce.engine.errors import MisconfiguredAttribute
from commerce.engine.model.keys import sort_segments
from commerce.engine.model.types import Attribute, ItemType, Kind, Primitive, TypeSystem
from commerce.engine.model.values import JSONValue

AUTH_TYPES: Final = frozenset({"BASIC", "OAUTH"})
RESERVED_NAMES: Final = frozenset({"integrationKey", "localizedAttributes"})


@dataclass(frozen=True, slots=True)
class AttributeDefinition:
    name: str
    descriptor: str
    unique: bool = False
    auto_create: bool = False
    part_of: bool = False
    return_item: str | None = None


@dataclass(frozen=True, slots=True)
class ItemDefinition:
    code: str
    type: str
    root: bool = False
    entity_set: str | None = None
    attributes: tuple[AttributeDefinition, ...] = ()


@dataclass(frozen=True, slots=True)
class IODefinition:
    """An IO as stored: what the IntegrationService IO and the definition file describe."""

    code: str
    items: tuple[ItemDefinition, ...]
    authentication: str | None = None


@dataclass(frozen=True, slots=True)
class IOAttribute:
    name: str
    attribute: Attribute
    unique: bool
    auto_create: bool
    part_of: bool
    target_item: str | None

    @property
    def is_navigation(self) -> bool:
        return self.attribute.kind is not Kind.PRIMITIVE

    @property
    def is_collection(self) -> bool:
        return self.attribute.kind is Kind.COLLECTION


@dataclass(frozen=True, slots=True)
class KeySegment:
    """One integrationKey segment: its alias name and the attribute path that supplies its value."""

    name: str
    path: tuple[str, ...]
    primitive: Primitive


@dataclass(frozen=True, slots=True)
class IOItem:
    code: str
    type: ItemType
    root: bool
    entity_set: str
    attributes: Mapping[str, IOAttribute]
    key: tuple[KeySegment, ...] = ()
    # Derived once in build(): reads walk these for every entity of a page.
    localized: tuple[IOAttribute, ...] = ()
    unique_attributes: tuple[IOAttribute, ...] = ()
    primitives: tuple[IOAttribute, ...] = ()
    navigations: tuple[IOAttribute, ...] = ()

    @property
    def alias(self) -> str:
        return "|".join(s.name for s in self.key)


@dataclass(frozen=True, slots=True)
class IntegrationObject:
    code: str
    items: Mapping[str, IOItem]
    entity_sets: Mapping[str, str]
    authentication: str | None
    builtin: bool = False
    definition: IODefinition | None = field(default=None, compare=False)
    types: TypeSystem = field(default_factory=TypeSystem, compare=False)

    def item_for_set(self, entity_set: str) -> IOItem | None:
        code = self.entity_sets.get(entity_set)
        return None if code is None else self.items[code]


def pluralize(name: str) -> str:
    """Entity-set name of an item code (``Category`` -> ``Categories``), fixed at definition."""
    if name.endswith("y") and name[-2:-1] not in ("a", "e", "i", "o", "u"):
        return name[:-1] + "ies"
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    return name + "s"


def build(
    definition: IODefinition, types: TypeSystem, *, builtin: bool = False
) -> IntegrationObject:
    """Validate a definition against the type system; raises MisconfiguredAttribute."""
    code = definition.code
    if definition.authentication is not None and definition.authentication not in AUTH_TYPES:
        raise MisconfiguredAttribute(
            f"Integration object [{code}] has unknown authenticationType "
            f"[{definition.authentication}]."
        )
    item_defs = {i.code: i for i in definition.items}
    if len(item_defs) != len(definition.items):
        raise MisconfiguredAttribute(f"Integration object [{code}] repeats an item code.")
    items: dict[str, IOItem] = {}
    for item_def in definition.items:
        item_type = types.get(item_def.type)
        if item_type is None:
            raise MisconfiguredAttribute(
                f"Item [{item_def.code}] of [{code}] names unknown type [{item_def.type}]."
            )
        attributes: dict[str, IOAttribute] = {}
        for a in item_def.attributes:
            attributes[a.name] = _build_attribute(code, item_def, item_type, a, item_defs, types)
        items[item_def.code] = IOItem(
            code=item_def.code,
            type=item_type,
            root=item_def.root,
            entity_set=item_def.entity_set or pluralize(item_def.code),
            attributes=attributes,
            unique_attributes=tuple(a for a in attributes.values() if a.unique),
        )
    keyed = {c: _with_key(code, items, c) for c in items}
    sets = {i.entity_set: i.code for i in keyed.values()}
    if len(sets) != len(keyed):
        raise MisconfiguredAttribute(f"Integration object [{code}] repeats an entity set name.")
    if sum(1 for i in keyed.values() if i.root) > 1:
        raise MisconfiguredAttribute(f"Integration object [{code}] has more than one root item.")
    return IntegrationObject(
        code=code,
        items=keyed,
        entity_sets=sets,
        authentication=definition.authentication,
        builtin=builtin,
        definition=definition,
        types=types,
    )


def _build_attribute(
    io_code: str,
    item_def: ItemDefinition,
    item_type: ItemType,
    a: AttributeDefinition,
    item_defs: Mapping[str, ItemDefinition],
    types: TypeSystem,
) -> IOAttribute:
    where = f"[{io_code}.{item_def.code}.{a.name}]"
    if a.name in RESERVED_NAMES:
        raise MisconfiguredAttribute(f"Attribute {where} uses a reserved name.")
    attribute = item_type.attributes.get(a.descriptor)
    if attribute is None:
        raise MisconfiguredAttribute(
            f"Attribute {where} names unknown attribute [{a.descriptor}] of type "
            f"[{item_type.code}]."
        )
    target_item: str | None = None
    if attribute.kind is Kind.PRIMITIVE:
        if a.return_item is not None:
            raise MisconfiguredAttribute(f"Primitive attribute {where} cannot return an item.")
        if a.unique and attribute.localized:
            raise MisconfiguredAttribute(f"Localized attribute {where} cannot be unique.")
    else:
        target_def = item_defs.get(a.return_item or "")
        if target_def is None:
            raise MisconfiguredAttribute(
                f"Navigation {where} needs a returnIntegrationObjectItem of the same IO."
            )
        if target_def.type != attribute.target or types.get(target_def.type) is None:
            raise MisconfiguredAttribute(
                f"Navigation {where} returns [{target_def.code}] of type [{target_def.type}], "
                f"but the attribute holds [{attribute.target}]."
            )
        if a.unique and attribute.kind is Kind.COLLECTION:
            raise MisconfiguredAttribute(f"Collection {where} cannot be unique.")
        target_item = target_def.code
    return IOAttribute(
        name=a.name,
        attribute=attribute,
        unique=a.unique,
        auto_create=a.auto_create,
        part_of=a.part_of or attribute.part_of,
        target_item=target_item,
    )


def _with_key(io_code: str, items: Mapping[str, IOItem], code: str) -> IOItem:
    segments = _segments(io_code, items, code, ())
    if not segments:
        raise MisconfiguredAttribute(
            f"Item [{io_code}.{code}] has no unique attribute, so it has no integrationKey."
        )
    order = sort_segments([s.name for s in segments])
    by_name: dict[str, KeySegment] = {}
    for s in segments:
        if s.name in by_name:
            raise MisconfiguredAttribute(f"Item [{io_code}.{code}] repeats key segment [{s.name}].")
        by_name[s.name] = s
    item = items[code]
    attributes = item.attributes.values()
    return IOItem(
        code=item.code,
        type=item.type,
        root=item.root,
        entity_set=item.entity_set,
        attributes=item.attributes,
        key=tuple(by_name[n] for n in order),
        localized=tuple(a for a in attributes if a.attribute.localized),
        unique_attributes=item.unique_attributes,
        primitives=tuple(a for a in attributes if a.target_item is None),
        navigations=tuple(a for a in attributes if a.target_item is not None),
    )


def _segments(
    io_code: str, items: Mapping[str, IOItem], code: str, stack: tuple[str, ...]
) -> list[KeySegment]:
    if code in stack:
        raise MisconfiguredAttribute(
            f"Key attributes of [{io_code}] form a cycle: {' -> '.join((*stack, code))}."
        )
    result: list[KeySegment] = []
    for attr in items[code].unique_attributes:
        if attr.target_item is None:
            primitive = attr.attribute.primitive
            assert primitive is not None  # primitives always carry their kind
            result.append(KeySegment(f"{code}_{attr.name}", (attr.name,), primitive))
        else:
            for inner in _segments(io_code, items, attr.target_item, (*stack, code)):
                result.append(KeySegment(inner.name, (attr.name, *inner.path), inner.primitive))
    return result


def definition_from_json(data: JSONValue) -> IODefinition:
    """Parse one IO of the definition-file format (docs/ENGINE.md); raises MisconfiguredAttribute.

    ``{"code": "InboundX", "authenticationType": "BASIC", "items": [{"code": "Product",
    "type": "Product", "root": true, "attributes": {"code": {"unique": true},
    "catalogVersion": {"unique": true, "returnItem": "CatalogVersion", "autoCreate": true}}}]}``
    """
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        raise MisconfiguredAttribute("An integration object definition needs a string 'code'.")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise MisconfiguredAttribute(f"Integration object [{data['code']}] needs a list 'items'.")
    auth = data.get("authenticationType")
    if auth is not None and not isinstance(auth, str):
        raise MisconfiguredAttribute("'authenticationType' must be a string.")
    return IODefinition(
        code=str(data["code"]),
        items=tuple(_item_from_json(i) for i in raw_items),
        authentication=auth,
    )


def _item_from_json(data: JSONValue) -> ItemDefinition:
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        raise MisconfiguredAttribute("An integration object item needs a string 'code'.")
    code = str(data["code"])
    attrs = data.get("attributes", {})
    if not isinstance(attrs, dict):
        raise MisconfiguredAttribute(f"Item [{code}]: 'attributes' must be an object.")
    entity_set = data.get("entitySet")
    return ItemDefinition(
        code=code,
        type=str(data.get("type", code)),
        root=data.get("root") is True,
        entity_set=entity_set if isinstance(entity_set, str) else None,
        attributes=tuple(_attribute_from_json(code, n, o) for n, o in attrs.items()),
    )


def _attribute_from_json(item: str, name: str, data: JSONValue) -> AttributeDefinition:
    if not isinstance(data, dict):
        raise MisconfiguredAttribute(f"Attribute [{item}.{name}] must be an object.")
    descriptor = data.get("descriptor", name)
    return_item = data.get("returnItem")
    return AttributeDefinition(
        name=name,
        descriptor=descriptor if isinstance(descriptor, str) else name,
        unique=data.get("unique") is True,
        auto_create=data.get("autoCreate") is True,
        part_of=data.get("partOf") is True,
        return_item=return_item if isinstance(return_item, str) else None,
    )


def definitions_from_json(data: JSONValue) -> list[IODefinition]:
    """The whole definition file: ``{"integrationObjects": [...]}``."""
    if not isinstance(data, dict) or not isinstance(data.get("integrationObjects"), list):
        raise MisconfiguredAttribute("The definition file needs a list 'integrationObjects'.")
    objects = data["integrationObjects"]
    assert isinstance(objects, list)
    return [definition_from_json(o) for o in objects]
