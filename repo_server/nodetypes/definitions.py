"""Node type definitions as frozen values: node types, property and child node definitions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from repo_server.model.values import PropertyType, Value

RESIDUAL: Final = "*"
ON_PARENT_VERSION: Final = frozenset(
    {"COPY", "VERSION", "INITIALIZE", "COMPUTE", "IGNORE", "ABORT"}
)


@dataclass(frozen=True, slots=True)
class PropertyDefinition:
    """One `- name (TYPE) ...` line of a node type; `name` is a qualified name or `*`."""

    name: str
    required_type: PropertyType
    multiple: bool = False
    mandatory: bool = False
    autocreated: bool = False
    protected: bool = False
    # Already converted to `required_type` (strings when it is UNDEFINED).
    default_values: tuple[Value, ...] = ()
    # Raw constraint strings as written in the CND; `constraints.py` compiles them.
    constraints: tuple[str, ...] = ()
    on_parent_version: str = "COPY"
    declaring_type: str = ""

    @property
    def is_residual(self) -> bool:
        return self.name == RESIDUAL


@dataclass(frozen=True, slots=True)
class ChildNodeDefinition:
    """One `+ name (Req1, Req2) = Default ...` line of a node type; `name` may be `*`."""

    name: str
    required_types: tuple[str, ...] = ("nt:base",)
    default_type: str | None = None
    mandatory: bool = False
    autocreated: bool = False
    protected: bool = False
    sns: bool = False  # accepted and kept, but ignored: no same-name siblings (spec §6.3)
    on_parent_version: str = "COPY"
    declaring_type: str = ""

    @property
    def is_residual(self) -> bool:
        return self.name == RESIDUAL


@dataclass(frozen=True, slots=True)
class NodeType:
    """A node type as declared; inherited definitions live in the registry's effective types."""

    name: str
    # As declared: the implicit `nt:base` of primary types is added by the registry (spec §7.2).
    supertypes: tuple[str, ...] = ()
    mixin: bool = False
    abstract: bool = False
    orderable: bool = False
    queryable: bool = True
    primary_item: str | None = None
    properties: tuple[PropertyDefinition, ...] = ()
    children: tuple[ChildNodeDefinition, ...] = ()
