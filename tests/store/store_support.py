"""Helpers for the store tests (imported as a plain module; no cross-directory conftest imports)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from repo_server.model import path as P
from repo_server.model.values import (
    Property,
    PropertyType,
    encode_properties,
    make_property,
    type_properties,
)
from repo_server.store.base import NewRow, StoreWriter
from repo_server.store.sqlite import SQLiteNodeStore


def insert_paths(
    writer: StoreWriter,
    paths: Sequence[str],
    *,
    ptype: str = "nt:unstructured",
    props: Mapping[str, Any] | None = None,
    uuids: Mapping[str, str] | None = None,
    sort_keys: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Insert plain nodes at `paths` (parents first, the root created when missing)."""
    ids: dict[str, int] = {}
    revision = writer.next_revision()
    if writer.node("/") is None:
        root_id = writer.allocate_ids(1)
        writer.insert_nodes(
            [NewRow(root_id, 0, "", "/", None, "rep:root", None, encoded_props("rep:root", {}))],
            revision,
        )
        writer.execute("UPDATE node SET parent_id = NULL WHERE id = ?", (root_id,))
    rows = []
    first = writer.allocate_ids(len(paths))
    for offset, path in enumerate(paths):
        node_id = first + offset
        ids[path] = node_id
        parent_path = P.parent(path)
        if parent_path in ids:
            parent_id = ids[parent_path]
        else:
            parent = writer.node(parent_path)
            assert parent is not None, parent_path
            parent_id = parent.id
        extra = dict(props or {})
        uuid = (uuids or {}).get(path)
        if uuid is not None:
            extra["jcr:uuid"] = uuid
        rows.append(
            NewRow(
                node_id,
                parent_id,
                P.name(path),
                path,
                (sort_keys or {}).get(path),
                ptype,
                uuid,
                encoded_props(ptype, extra),
            )
        )
    writer.insert_nodes(rows, revision)
    writer.append_journal("test", [], 0)
    return ids


def encoded_props(ptype: str, extra: Mapping[str, Any]) -> bytes:
    props: dict[str, Property] = dict(type_properties(ptype, []))
    for name, value in extra.items():
        props[name] = value if isinstance(value, Property) else make_property(value)
    return encode_properties(props)


async def insert(store: SQLiteNodeStore, *paths: str, **kwargs: Any) -> dict[str, int]:
    return await store.write(lambda w: insert_paths(w, list(paths), **kwargs))


def string(value: str) -> Property:
    return Property(PropertyType.STRING, False, (value,))
