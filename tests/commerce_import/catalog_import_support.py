"""Helpers of the catalog import tests: sample feeds, feed building, tree snapshots."""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from repo_server.http.keys import repository_key
from repo_server.loader import node_document
from repo_server.session.session import ContentSession, Repository

from ..http_support import Client as Client
from ..http_support import basic as basic

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CATALOGS = FIXTURES / "catalogs"
ROOT = "/etc/commerce/products"

AiohttpClient = Callable[..., Awaitable[Client]]


def repository_of(client: Client) -> Repository:
    app = client.app
    assert app is not None
    return app[repository_key]


def sample(name: str) -> bytes:
    return (CATALOGS / name).read_bytes()


def sample_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sample("trailhead.json"))
    return doc


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def product(doc: dict[str, Any], sku: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in doc["products"] if p["sku"] == sku)
    return found


def changed(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)


async def tree(session: ContentSession, path: str) -> dict[str, Any]:
    """The subtree as content-format JSON without the repository's own bookkeeping."""
    doc: dict[str, Any] = node_document(await session.subtree(path, None))
    return _strip(doc)


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key.startswith(("jcr:created", "jcr:lastModified")):
            continue
        out[key] = _strip(value) if isinstance(value, dict) else value
    return out
