"""Helpers of the commerce tests: fixture loading, node lookup, store read counting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from commerce.repo import Node, RepoSession
from repo_server.loader import load_document
from repo_server.session.session import ContentSession

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BANYAN = "/etc/commerce/products/banyan-example/banyan_shirt"
BANYAN_PAGE = "/content/banyan-example/banyan-shirt"
BANYAN_REF = f"{BANYAN_PAGE}/jcr:content/par/product"
SALE_REF = "/content/banyan-example/banyan-shirt-sale/jcr:content/par/product"
JCR_EXAMPLE = "/etc/commerce/products/jcr-example"
HYBRIS_EXAMPLE = "/etc/commerce/products/hybris-example"
SHIRT = "/etc/commerce/products/shirt"
SHIRT_REF = "/content/big-and-tall/en/shirts/jcr:content/par/shirt"


def manifest(*sets: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / "MANIFEST.json").read_text("utf-8"))
    return [f for f in data["files"] if f["set"] in sets]


async def load_sets(session: ContentSession, *sets: str) -> None:
    for entry in manifest(*sets):
        doc = json.loads((FIXTURES / entry["file"]).read_text("utf-8"))
        await load_document(session, doc)


async def node(repo: RepoSession, path: str) -> Node:
    found = await repo.get(path)
    assert found is not None, path
    return found


class StoreReads:
    """Counts `store.read` calls: each is one round trip to the store."""

    def __init__(self) -> None:
        self.count = 0

    def reset(self) -> None:
        self.count = 0
