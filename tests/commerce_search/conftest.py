"""Fixtures of the commerce search tests.

repository (tests/conftest.py) -> catalog (four shirts and a hat with colour/size variants under
/etc/commerce/products/shop; twice: with and without the search indexes)
-> provider (JcrSearchProvider over that catalog)
"""

from __future__ import annotations

import pytest

from commerce.search import JcrSearchProvider, declare_search_indexes
from repo_server.session.session import Repository

ROOT = "/etc/commerce/products/shop"
PRODUCTS = {
    "red-shirt": ("Red Shirt", "shirts", [("red", "S"), ("red", "M")]),
    "blue-shirt": ("Blue Shirt", "shirts", [("blue", "M"), ("blue", "L")]),
    "green-shirt": ("Green Shirt", "shirts", [("green", "L")]),
    "striped-shirt": ("Striped Shirt", "shirts", [("red", "M"), ("blue", "M")]),
    "red-hat": ("Red Hat", "hats", [("red", "M")]),
}


@pytest.fixture(params=["decoded", "indexed"])
async def catalog(repository: Repository, request: pytest.FixtureRequest) -> Repository:
    """The catalog, without (searches decode the nodes) and with the search indexes declared
    (searches without text answer from the indexes): every provider test runs both ways."""
    session = repository.session("admin")
    if request.param == "indexed":
        await declare_search_indexes(session, save=False)
    for path in ("/etc", "/etc/commerce", "/etc/commerce/products", ROOT):
        await session.add_node(path, "nt:unstructured")
    for name, (title, category, variants) in PRODUCTS.items():
        base = f"{ROOT}/{name}"
        await session.add_node(
            base,
            "nt:unstructured",
            properties={
                "cq:commerceType": "product",
                "jcr:title": title,
                "identifier": name.upper(),
                "category": category,
                "cq:productVariantAxes": ["color", "size"],
            },
        )
        for i, (color, size) in enumerate(variants):
            await session.add_node(
                f"{base}/v{i}",
                "nt:unstructured",
                properties={"cq:commerceType": "variant", "color": color, "size": size},
            )
    await session.save()
    return repository


@pytest.fixture
def provider(catalog: Repository) -> JcrSearchProvider:
    return JcrSearchProvider(ROOT)
