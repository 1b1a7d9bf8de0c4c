"""Node types: definitions, the CND parser, the registry with effective types, constraints."""

from repo_server.nodetypes.cnd import format_cnd, parse_cnd
from repo_server.nodetypes.constraints import check_constraints
from repo_server.nodetypes.definitions import ChildNodeDefinition, NodeType, PropertyDefinition
from repo_server.nodetypes.registry import EffectiveNodeType, NodeTypeRegistry

__all__ = [
    "ChildNodeDefinition",
    "EffectiveNodeType",
    "NodeType",
    "NodeTypeRegistry",
    "PropertyDefinition",
    "check_constraints",
    "format_cnd",
    "parse_cnd",
]
