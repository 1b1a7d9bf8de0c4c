"""``$metadata`` (EDMX, spec §2) and the service document of one integration object."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import quoteattr

from commerce.engine.model.io import IntegrationObject, IOAttribute, IOItem

EDMX_NS: Final = "http://schemas.microsoft.com/ado/2007/06/edmx"
EDM_NS: Final = "http://schemas.microsoft.com/ado/2008/09/edm"
METADATA_NS: Final = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
SAP_NS: Final = "http://schemas.sap.com/commerce"
NAMESPACE: Final = "HybrisCommerceOData"
LOCALIZED_PREFIX: Final = "Localized___"


@dataclass(frozen=True, slots=True)
class _Association:
    name: str
    source: str
    target: str
    source_role: str
    target_role: str
    many: bool
    source_set: str
    target_set: str


def _a(value: str) -> str:
    return quoteattr(value)


def localized_type(item: IOItem) -> str:
    return f"{LOCALIZED_PREFIX}{item.code}"


def localized_set(item: IOItem) -> str:
    return f"{LOCALIZED_PREFIX}{item.entity_set}"


def _roles(source: str, target: str) -> tuple[str, str]:
    # Role names equal the type names (spec §2); a self reference needs two distinct names.
    return source, (target if target != source else f"{target}1")


def _associations(io: IntegrationObject) -> Iterator[_Association]:
    for item in io.items.values():
        for attr in item.attributes.values():
            if attr.target_item is None:
                continue
            target = io.items[attr.target_item]
            src_role, dst_role = _roles(item.code, target.code)
            yield _Association(
                f"FK_{item.code}_{attr.name}",
                item.code,
                target.code,
                src_role,
                dst_role,
                attr.is_collection,
                item.entity_set,
                target.entity_set,
            )
        if item.localized:
            src_role, dst_role = _roles(item.code, localized_type(item))
            yield _Association(
                f"FK_{item.code}_localizedAttributes",
                item.code,
                localized_type(item),
                src_role,
                dst_role,
                True,
                item.entity_set,
                localized_set(item),
            )


def _property(attr: IOAttribute) -> str:
    a = attr.attribute
    assert a.primitive is not None  # only primitives become Property elements
    nullable = not (attr.unique or a.mandatory)
    extra = ""
    if attr.unique:
        extra += ' s:IsUnique="true"'
    if a.localized:
        extra += ' s:IsLanguageDependent="true"'
    return (
        f'<Property Name={_a(attr.name)} Type="{a.primitive.edm}" '
        f'Nullable="{str(nullable).lower()}"{extra}/>'
    )


def _navigation(item: IOItem, attr: IOAttribute, io: IntegrationObject) -> str:
    assert attr.target_item is not None  # navigations always name their target
    src_role, dst_role = _roles(item.code, io.items[attr.target_item].code)
    extra = ""
    if attr.unique:
        extra += ' s:IsUnique="true"'
    if attr.auto_create:
        extra += ' s:IsAutoCreate="true"'
    if attr.part_of:
        extra += ' s:IsPartOf="true"'
    return (
        f"<NavigationProperty Name={_a(attr.name)} "
        f'Relationship="{NAMESPACE}.FK_{item.code}_{attr.name}" '
        f"FromRole={_a(src_role)} ToRole={_a(dst_role)}{extra}/>"
    )


def metadata(io: IntegrationObject) -> str:
    """The EDMX document; self-consistent by construction (every role and set it names exists)."""
    out: list[str] = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<edmx:Edmx Version="1.0" xmlns:edmx="{EDMX_NS}">',
        f'<edmx:DataServices m:DataServiceVersion="2.0" xmlns:m="{METADATA_NS}">',
        f'<Schema Namespace="{NAMESPACE}" xmlns="{EDM_NS}" xmlns:s="{SAP_NS}" '
        's:schema-version="1">',
    ]
    for item in io.items.values():
        out.append(f"<EntityType Name={_a(item.code)}>")
        out.append('<Key><PropertyRef Name="integrationKey"/></Key>')
        for attr in item.attributes.values():
            if attr.target_item is None:
                out.append(_property(attr))
        out.append(
            f'<Property Name="integrationKey" Type="Edm.String" Nullable="false" '
            f"s:Alias={_a(item.alias)}/>"
        )
        for attr in item.attributes.values():
            if attr.target_item is not None:
                out.append(_navigation(item, attr, io))
        if item.localized:
            src_role, dst_role = _roles(item.code, localized_type(item))
            out.append(
                f'<NavigationProperty Name="localizedAttributes" '
                f'Relationship="{NAMESPACE}.FK_{item.code}_localizedAttributes" '
                f"FromRole={_a(src_role)} ToRole={_a(dst_role)}/>"
            )
        out.append("</EntityType>")
        if item.localized:
            out.append(f"<EntityType Name={_a(localized_type(item))}>")
            out.append('<Key><PropertyRef Name="language"/></Key>')
            out.append('<Property Name="language" Type="Edm.String" Nullable="false"/>')
            for attr in item.localized:
                out.append(
                    f'<Property Name={_a(attr.name)} Type="Edm.String" Nullable="true" '
                    's:IsLanguageDependent="true"/>'
                )
            out.append("</EntityType>")
    associations = list(_associations(io))
    for assoc in associations:
        out.append(f"<Association Name={_a(assoc.name)}>")
        out.append(
            f'<End Type="{NAMESPACE}.{assoc.source}" Multiplicity="0..1" '
            f"Role={_a(assoc.source_role)}/>"
        )
        out.append(
            f'<End Type="{NAMESPACE}.{assoc.target}" '
            f'Multiplicity="{"*" if assoc.many else "0..1"}" '
            f"Role={_a(assoc.target_role)}/>"
        )
        out.append("</Association>")
    out.append('<EntityContainer Name="Container" m:IsDefaultEntityContainer="true">')
    for item in io.items.values():
        out.append(f'<EntitySet Name={_a(item.entity_set)} EntityType="{NAMESPACE}.{item.code}"/>')
        if item.localized:
            out.append(
                f"<EntitySet Name={_a(localized_set(item))} "
                f'EntityType="{NAMESPACE}.{localized_type(item)}"/>'
            )
    for assoc in associations:
        out.append(
            f'<AssociationSet Name={_a(assoc.name)} Association="{NAMESPACE}.{assoc.name}">'
            f"<End EntitySet={_a(assoc.source_set)} Role={_a(assoc.source_role)}/>"
            f"<End EntitySet={_a(assoc.target_set)} Role={_a(assoc.target_role)}/>"
            "</AssociationSet>"
        )
    out.append("</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>")
    return "".join(out)


def service_document(io: IntegrationObject, base: str) -> str:
    """AtomPub service document listing the IO's entity sets."""
    sets = "".join(
        f"<collection href={_a(i.entity_set)}><atom:title>{i.entity_set}</atom:title></collection>"
        for i in io.items.values()
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<service xml:base={_a(base + "/")} xmlns="http://www.w3.org/2007/app" '
        'xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<workspace><atom:title>Default</atom:title>{sets}</workspace></service>"
    )
