"""The repository adapter, settings, cart entry strings and the plugin's entry point."""

from __future__ import annotations

from configparser import ConfigParser
from pathlib import Path

import pytest

from commerce.config import CommerceSettings, commerce_settings
from commerce.errors import CommerceError, InvalidQuantityError, UnsupportedOperationError
from commerce.http.render import RenderCache
from commerce.repo import RepoSession
from commerce.service import JcrCommerceService
from repo_server.config import Settings, SettingsError
from repo_server.session.session import ContentSession

from .commerce_support import SHIRT, StoreReads


async def test_reads_are_cached_per_session_and_batched(
    examples: ContentSession, store_reads: StoreReads
) -> None:
    repo = RepoSession(examples)
    store_reads.reset()
    found = await repo.nodes([SHIRT, f"{SHIRT}/shirt-s", f"{SHIRT}/nothing", "/etc"])
    assert sorted(found) == ["/etc", SHIRT, f"{SHIRT}/shirt-s"]
    assert store_reads.count == 1
    await repo.nodes([SHIRT, f"{SHIRT}/nothing"])
    assert await repo.get(f"{SHIRT}/nothing") is None
    assert store_reads.count == 1


async def test_node_reads_parent_children_and_values(repo: RepoSession) -> None:
    shirt = await repo.get(SHIRT)
    assert shirt is not None
    assert (shirt.name, shirt.primary_type, shirt.mixins) == ("shirt", "nt:unstructured", ())
    assert shirt.properties["cq:productVariantAxes"] == ["size"]
    assert "price" in shirt.properties
    assert len(shirt.properties) == len(list(shirt.properties))
    assert [c.name for c in await shirt.children()] == ["shirt-s", "shirt-m", "shirt-l"]
    parent = await shirt.parent()
    assert parent is not None
    assert parent.path == "/etc/commerce/products"
    root = await repo.get("/")
    assert root is not None
    assert await root.parent() is None


async def test_query_walks_a_subtree_in_document_order(repo: RepoSession) -> None:
    sizes = await repo.query(SHIRT, lambda n: "size" in n.properties)
    assert [n.name for n in sizes] == ["shirt-s", "shirt-m", "shirt-l"]
    assert await repo.query("/nothing", lambda n: True) == []


async def test_writes_go_through_the_session_and_drop_the_cache(examples: ContentSession) -> None:
    repo = RepoSession(examples)
    assert await repo.get(f"{SHIRT}/shirt-xl") is None
    await repo.create(f"{SHIRT}/shirt-xl", "nt:unstructured", {"size": "XL"})
    await repo.update(f"{SHIRT}/shirt-xl", {"cq:commerceType": "variant", "size": None})
    # Transient changes are visible to batch reads before the save.
    found = await repo.nodes([f"{SHIRT}/shirt-xl"])
    assert found[f"{SHIRT}/shirt-xl"].properties["cq:commerceType"] == "variant"
    await repo.save()
    saved = await RepoSession(examples).get(f"{SHIRT}/shirt-xl")
    assert saved is not None
    assert "size" not in saved.properties
    await repo.delete(f"{SHIRT}/shirt-xl")
    await repo.save()
    assert await repo.get(f"{SHIRT}/shirt-xl") is None
    assert repo.user_id == "admin"


def test_settings_have_defaults_and_refuse_unknown_keys(settings: Settings) -> None:
    assert commerce_settings(settings) == CommerceSettings()
    custom = CommerceSettings.from_mapping({"providers": ["jcr"], "jcr_ranking": 5})
    assert (custom.providers, custom.jcr_ranking) == (("jcr",), 5)
    with pytest.raises(SettingsError, match=r"commerce\.nope"):
        CommerceSettings.from_mapping({"nope": 1})
    with pytest.raises(SettingsError, match="jcr_ranking"):
        CommerceSettings.from_mapping({"jcr_ranking": True})


def test_cart_entries_use_aem_s_string_format() -> None:
    text = JcrCommerceService.serialize_cart_entry("/p/a", 2, {"size": "M", "note": "a=b"})
    assert text == "/p/a;2;size=M\fnote=a=b"
    assert JcrCommerceService.deserialize_cart_entry(text) == (
        "/p/a",
        2,
        {"size": "M", "note": "a=b"},
    )
    assert JcrCommerceService.deserialize_cart_entry("/p/b;1;") == ("/p/b", 1, {})
    with pytest.raises(ValueError, match="no '='"):
        JcrCommerceService.deserialize_cart_entry("/p/b;1;broken")


async def test_the_jcr_service_basics(repo: RepoSession) -> None:
    service = JcrCommerceService("jcr", repo)
    assert await service.is_available()
    assert service.order_predicates() == ("openOrders",)
    assert (service.server, service.context) == (None, {})
    with pytest.raises(UnsupportedOperationError):
        await service.get_product_collection("summer")


def test_commerce_errors_are_repository_errors_and_python_ones() -> None:
    error = InvalidQuantityError("quantity 0", cause=KeyError("q"))
    assert isinstance(error, CommerceError)
    assert isinstance(error, ValueError)
    assert (error.status, error.code) == (400, "invalid-quantity")
    assert isinstance(error.__cause__, KeyError)


def test_the_render_cache_keeps_one_revision_and_a_bounded_size() -> None:
    cache = RenderCache(2)
    cache.put(("a",), 1, b"A")
    cache.put(("b",), 1, b"B")
    assert cache.get(("a",), 1) == b"A"
    assert cache.get(("a",), 2) is None
    cache.put(("c",), 1, b"C")  # evicts the least recently used: b
    assert cache.get(("b",), 1) is None
    off = RenderCache(0)
    off.put(("a",), 1, b"A")
    assert off.get(("a",), 1) is None


def test_the_plugin_is_declared_as_an_entry_point() -> None:
    config = ConfigParser()
    config.read(Path(__file__).resolve().parents[2] / "setup.cfg")
    plugins = config["options.entry_points"]["repo_server.plugins"]
    assert "commerce = commerce.plugin:register" in plugins
