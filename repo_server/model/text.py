"""A node's searchable text: its STRING property values, one per line (the full-text index)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from repo_server.model import names as N
from repo_server.model.values import Property, PropertyType, stored_strings

# Properties never searched by text: identifiers, user ids, resource types and templates (a
# search for "admin" or "product" should not find every node created by admin or rendered as
# a product), and security internals. Changing this set changes every node's text: bump
# FULLTEXT_VERSION (repo_server.query.indexing) with it, so stores rebuild their index.
NOT_TEXT: Final = frozenset(
    {
        N.JCR_UUID,
        "jcr:createdBy",
        "jcr:lastModifiedBy",
        "cq:lastModifiedBy",
        "jcr:mimeType",
        "jcr:encoding",
        N.SLING_RESOURCE_TYPE,
        "sling:resourceSuperType",
        "cq:template",
        "rep:password",
        "rep:authorizableId",
        "rep:principalName",
    }
)


def node_text(props: Mapping[str, Property]) -> str:
    """The searchable text of a node with these properties ("" when it has none).

    The commit makes the same text for new nodes while encoding them (`encode_new_node` with
    NOT_TEXT, one walk for both); tests/store/test_import_tree.py holds the two together."""
    string = PropertyType.STRING
    excluded = NOT_TEXT
    texts: list[str] = [
        value  # type: ignore[misc]  # STRING values are str
        for name, (type_, _, values) in props.items()
        if type_ is string and name not in excluded
        for value in values
    ]
    return "\n".join(texts)


def stored_text(blob: bytes) -> str:
    """`node_text` of a stored property blob: the store's SQL function `repo_text`, through
    which the full-text index reads the text it does not keep (schema.FULLTEXT_DDL)."""
    return "\n".join(stored_strings(blob, NOT_TEXT))
