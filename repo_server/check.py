"""`repo-server check`: verify the tree invariants of a store (like treebeard's find_problems)."""

from __future__ import annotations

import os

from repo_server.config import Settings
from repo_server.errors import InvalidInput
from repo_server.model import names as N
from repo_server.model.values import decode_properties
from repo_server.store.base import StoreReader
from repo_server.store.sqlite import SQLiteNodeStore


def find_problems(reader: StoreReader) -> list[str]:
    problems: list[str] = []
    rows = reader.execute(
        "SELECT id, parent_id, name, path, sort_key, ptype, uuid, rev, props FROM node"
    )
    by_id = {r[0]: r for r in rows}
    head = reader.head_revision()
    roots = [r for r in rows if r[3] == "/"]
    if len(roots) != 1:
        problems.append(f"expected one root node, found {len(roots)}")
    siblings: dict[tuple[object, object], str] = {}
    for _node_id, parent_id, name, path, sort_key, ptype, uuid, rev, blob in rows:
        assert isinstance(path, str)
        assert isinstance(name, str)
        if path != "/":
            parent = by_id.get(parent_id)
            if parent is None:
                problems.append(f"{path}: parent {parent_id} does not exist")
            else:
                expected = ("" if parent[3] == "/" else str(parent[3])) + "/" + name
                if expected != path:
                    problems.append(
                        f"{path}: path does not match parent {parent[3]} and name {name}"
                    )
            if sort_key is not None:
                key = (parent_id, sort_key)
                if key in siblings:
                    problems.append(f"{path}: same position as sibling {siblings[key]}")
                siblings[key] = path
        if isinstance(rev, int) and rev > head:
            problems.append(f"{path}: revision {rev} is newer than the journal head {head}")
        try:
            assert isinstance(blob, bytes)
            props = decode_properties(blob)
        except Exception as exc:
            problems.append(f"{path}: properties cannot be decoded: {exc}")
            continue
        ptype_prop = props.get(N.JCR_PRIMARY_TYPE)
        if ptype_prop is None or ptype_prop.values[0] != ptype:
            problems.append(f"{path}: jcr:primaryType does not match the type column {ptype}")
        uuid_prop = props.get(N.JCR_UUID)
        if (uuid_prop.values[0] if uuid_prop else None) != uuid:
            problems.append(f"{path}: jcr:uuid does not match the uuid column")
    for (source_id,) in reader.execute("SELECT DISTINCT source_id FROM ref"):
        if source_id not in by_id:
            problems.append(f"reference row from missing node {source_id}")
    for target, source_id, name in reader.execute(
        "SELECT target, source_id, name FROM ref WHERE weak = 0 AND target NOT IN "
        "(SELECT uuid FROM node WHERE uuid IS NOT NULL)"
    ):
        problems.append(f"dangling REFERENCE {name} of node {source_id} to {target}")
    return problems


async def check_store(settings: Settings) -> list[str]:
    if not os.path.exists(settings.store_path):  # noqa: ASYNC240 - once, before opening
        # Opening would create an empty store (and report its missing root): say what is wrong.
        raise InvalidInput(f"no repository at {settings.store_path}", path=settings.store_path)
    store = SQLiteNodeStore(settings.store_path)
    await store.open()
    try:
        return await store.read(find_problems)
    finally:
        await store.close()
