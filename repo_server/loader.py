"""`repo-server load` and `export`: JSON content in and out of a store, in batched saves."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any, Final

from repo_server.config import Settings
from repo_server.errors import InvalidInput, NodeNotFound
from repo_server.model import path as P
from repo_server.model.values import PropertyType
from repo_server.session.content import ImportedNode, export_value, parse_document
from repo_server.session.operations import ImportTree
from repo_server.session.session import ContentSession, Repository
from repo_server.store.sqlite import SQLiteNodeStore

BATCH: Final = 2000  # nodes per save (spec §10.1 suggests about 1000 for long jobs)

_gc_pauses = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a bulk load or import runs (process-wide, restored
    after).

    A load or import builds hundreds of thousands of long-lived, acyclic objects (the feed, the
    plan, the nodes of each save); the collector's full passes walk all of them again and again:
    a third of the CPU time of a 90,000-node catalog import, a tenth of `repo-server load`
    (docs/PERFORMANCE.md). Reference counting still frees everything else; cycles made meanwhile
    are collected once the last one ends.
    """
    global _gc_pauses
    if _gc_pauses == 0 and not gc.isenabled():
        yield  # disabled by someone else: leave it so
        return
    _gc_pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0:
            gc.enable()


def read_document(filename: str) -> dict[str, Any]:
    try:
        with open(filename, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read {filename}: {exc}", file=filename) from exc
    if not isinstance(doc, dict):
        raise InvalidInput(f"{filename}: a content file holds one JSON object", file=filename)
    return doc


async def load_document(
    session: ContentSession,
    doc: dict[str, Any],
    target: str | None = None,
    *,
    progress: Any = None,
) -> int:
    """Load one document at its `:path` (or `target`); returns the number of nodes written.

    A tree whose root does not exist yet is queued as plain node additions and saved in
    batches (the fast path of bulk loads); otherwise properties merge into existing nodes.
    """
    root = doc.get(":path", target)
    if not isinstance(root, str):
        raise InvalidInput("the document has no ':path' and no target path was given")
    root = P.normalize(root)
    nodes = parse_document(doc, root)
    count = 0
    if not await session.exists(root):
        # A new subtree: batches of plain additions, each one bulk ImportTree and one save.
        while batch := list(islice(nodes, BATCH)):
            session.queue(ImportTree(batch))
            await session.save()
            count += len(batch)
            if progress:
                progress(count)
        return count
    for item in nodes:
        await _merge(session, item)
        count += 1
        if count % BATCH == 0:
            await session.save()
            if progress:
                progress(count)
    await session.save()
    if progress:
        progress(count)
    return count


async def _merge(session: ContentSession, item: ImportedNode) -> None:
    node = await session.get_node(item.path)
    if node is None:
        await session.add_node(item.path, item.primary, mixins=item.mixins, properties=item.props)
        return
    if item.primary and item.primary != node.primary_type:
        await session.set_primary_type(item.path, item.primary)
    for mixin in item.mixins:
        await session.add_mixin(item.path, mixin)
    for name, prop in item.props.items():
        await session.set_property(item.path, name, prop)


async def _load_file(
    repository: Repository,
    filename: str,
    target: str | None,
    before: int,
    started: float,
    quiet: bool,
) -> int:
    doc = read_document(filename)
    session = repository.session("admin")

    def progress(n: int) -> None:
        if not quiet:
            rate = (before + n) / max(time.perf_counter() - started, 1e-9)
            name = os.path.basename(filename)
            print(f"\r{name}: {n} nodes ({rate:,.0f}/s)", end="", file=sys.stderr)

    count = await load_document(session, doc, target, progress=progress)
    if not quiet:
        print(file=sys.stderr)
    return count


async def load_files(
    settings: Settings, files: list[str], target: str | None, *, quiet: bool = False
) -> int:
    repository = Repository(SQLiteNodeStore(settings.store_path))
    await repository.open()
    try:
        total = 0
        started = time.perf_counter()
        for filename in files:
            with gc_paused():
                total += await _load_file(repository, filename, target, total, started, quiet)

        elapsed = time.perf_counter() - started
        if not quiet:
            rate = total / max(elapsed, 1e-9)
            print(f"loaded {total} nodes in {elapsed:.2f}s ({rate:,.0f} nodes/s)")
        return 0
    finally:
        await repository.close()


def node_document(tree: Any) -> dict[str, Any]:
    node = tree.node
    out: dict[str, Any] = {"jcr:primaryType": node.primary_type}
    if node.mixins:
        out["jcr:mixinTypes"] = list(node.mixins)
    for name, prop in node.properties.items():
        if prop.type is PropertyType.BINARY:
            continue
        value, hint = export_value(prop)
        out[name] = value
        if hint:
            out[f"{name}@TypeHint"] = hint
    for child in tree.children:
        out[child.node.name] = node_document(child)
    return out


async def export_tree(settings: Settings, path: str) -> dict[str, Any]:
    repository = Repository(SQLiteNodeStore(settings.store_path))
    await repository.open()
    try:
        session = repository.session("admin")
        path = P.normalize(path)
        if not await session.exists(path):
            raise NodeNotFound(f"no node at {path}", path=path)
        doc = node_document(await session.subtree(path, None))
        return {":path": path, **doc}
    finally:
        await repository.close()
