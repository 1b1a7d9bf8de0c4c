"""get_inherited (spec §12) in the ancestors, pages and component modes, in one query per step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from repo_server.errors import NodeNotFound
from repo_server.session.session import ContentSession

SITE = "/content/site"
EN = "/content/site/en"
PRODUCTS = "/content/site/en/products"
PRODUCT = "/content/site/en/products/jcr:content/par/product"
IMAGE = "/content/site/en/products/jcr:content/footer/image"


@pytest.fixture
async def site(session: ContentSession) -> ContentSession:
    await session.add_node("/content", "sling:OrderedFolder")
    for page in (SITE, EN, PRODUCTS):
        await session.add_node(page, "cq:Page")
        await session.add_node(f"{page}/jcr:content", "cq:PageContent")
    await session.set_property(f"{SITE}/jcr:content", "cq:commerceProvider", "jcr")
    for page in (SITE, EN, PRODUCTS):
        await session.add_node(f"{page}/jcr:content/footer")
        await session.add_node(f"{page}/jcr:content/footer/image")
    await session.add_node(f"{PRODUCTS}/jcr:content/par")
    await session.add_node(PRODUCT)
    await session.save()
    return session


async def inherited(session: ContentSession, path: str, name: str, mode: Any) -> object:
    prop = await session.get_inherited(path, name, mode)
    return None if prop is None else prop.value


# --- ancestors --------------------------------------------------------------------------------


async def test_the_nodes_own_value_comes_first(site: ContentSession) -> None:
    await site.set_property(PRODUCT, "cq:commerceProvider", "own")
    await site.save()
    assert await inherited(site, PRODUCT, "cq:commerceProvider", "ancestors") == "own"


async def test_ancestors_mode_finds_a_value_on_an_ancestor_pages_jcr_content(
    site: ContentSession,
) -> None:
    assert await inherited(site, PRODUCT, "cq:commerceProvider", "ancestors") == "jcr"
    assert await inherited(site, PRODUCTS, "cq:commerceProvider", "ancestors") == "jcr"
    assert await inherited(site, SITE, "cq:commerceProvider", "ancestors") == "jcr"


async def test_ancestors_mode_takes_the_nearest_value(site: ContentSession) -> None:
    await site.set_property(f"{EN}/jcr:content", "cq:commerceProvider", "nearer")
    await site.save()
    assert await inherited(site, PRODUCT, "cq:commerceProvider", "ancestors") == "nearer"
    assert await inherited(site, SITE, "cq:commerceProvider", "ancestors") == "jcr"


async def test_ancestors_mode_finds_a_value_on_a_plain_folder(session: ContentSession) -> None:
    await session.add_node("/etc", "sling:Folder")
    await session.add_node("/etc/products", "sling:Folder", properties={"cq:commerceProvider": "g"})
    await session.add_node("/etc/products/shirt", "nt:unstructured")
    await session.add_node("/etc/products/shirt/shirt-s", "nt:unstructured")
    await session.save()
    assert (
        await inherited(session, "/etc/products/shirt/shirt-s", "cq:commerceProvider", "ancestors")
        == "g"
    )


async def test_ancestors_mode_ignores_jcr_content_of_nodes_that_are_not_pages(
    session: ContentSession,
) -> None:
    await session.add_node("/folder", "nt:unstructured")
    await session.add_node("/folder/jcr:content", properties={"x": "hidden"})
    await session.add_node("/folder/child")
    await session.save()
    assert await inherited(session, "/folder/child", "x", "ancestors") is None


async def test_ancestors_mode_returns_none_when_nothing_has_the_value(
    site: ContentSession,
) -> None:
    assert await inherited(site, PRODUCT, "nowhere", "ancestors") is None


async def test_ancestors_mode_sees_transient_changes(site: ContentSession) -> None:
    await site.set_property(f"{PRODUCTS}/jcr:content/par", "cq:commerceProvider", "unsaved")
    assert await inherited(site, PRODUCT, "cq:commerceProvider", "ancestors") == "unsaved"
    await site.remove(f"{PRODUCTS}/jcr:content/par")
    await site.add_node(f"{PRODUCTS}/jcr:content/par")
    await site.add_node(PRODUCT)
    assert await inherited(site, PRODUCT, "cq:commerceProvider", "ancestors") == "jcr"


# --- pages ------------------------------------------------------------------------------------


async def test_pages_mode_looks_at_the_same_relative_node_of_each_ancestor_page(
    site: ContentSession,
) -> None:
    await site.set_property(f"{SITE}/jcr:content/footer/image", "fileReference", "/site.png")
    await site.save()
    assert await inherited(site, IMAGE, "fileReference", "pages") == "/site.png"
    await site.set_property(f"{EN}/jcr:content/footer/image", "fileReference", "/en.png")
    await site.save()
    assert await inherited(site, IMAGE, "fileReference", "pages") == "/en.png"


async def test_pages_mode_does_not_look_at_ancestors_inside_the_same_page(
    site: ContentSession,
) -> None:
    await site.set_property(f"{PRODUCTS}/jcr:content/footer", "fileReference", "/same-page.png")
    await site.set_property(f"{EN}/jcr:content/footer", "fileReference", "/parent-footer.png")
    await site.save()
    assert await inherited(site, IMAGE, "fileReference", "pages") is None
    await site.set_property(f"{SITE}/jcr:content/footer/image", "fileReference", "/site.png")
    await site.save()
    assert await inherited(site, IMAGE, "fileReference", "pages") == "/site.png"


async def test_pages_mode_finds_page_properties_on_ancestor_page_content(
    site: ContentSession,
) -> None:
    assert await inherited(site, f"{PRODUCTS}/jcr:content", "cq:commerceProvider", "pages") == "jcr"


async def test_pages_mode_prefers_the_nodes_own_value(site: ContentSession) -> None:
    await site.set_property(IMAGE, "fileReference", "/own.png")
    await site.set_property(f"{SITE}/jcr:content/footer/image", "fileReference", "/site.png")
    await site.save()
    assert await inherited(site, IMAGE, "fileReference", "pages") == "/own.png"


async def test_pages_mode_outside_any_page_finds_nothing(session: ContentSession) -> None:
    await session.add_node("/plain", properties={"x": 1})
    await session.add_node("/plain/child")
    await session.save()
    assert await inherited(session, "/plain/child", "x", "pages") is None


# --- component --------------------------------------------------------------------------------


async def test_component_mode_walks_up_within_the_page_content(site: ContentSession) -> None:
    await site.set_property(f"{PRODUCTS}/jcr:content", "theme", "dark")
    await site.save()
    assert await inherited(site, PRODUCT, "theme", "component") == "dark"
    await site.set_property(f"{PRODUCTS}/jcr:content/par", "theme", "light")
    await site.save()
    assert await inherited(site, PRODUCT, "theme", "component") == "light"


async def test_component_mode_never_looks_above_the_pages_jcr_content(
    site: ContentSession,
) -> None:
    await site.set_property("/content", "theme", "above-the-site")
    await site.set_property(f"{EN}/jcr:content", "theme", "parent-page")
    await site.save()
    assert await inherited(site, PRODUCT, "theme", "ancestors") == "parent-page"
    assert await inherited(site, PRODUCT, "theme", "component") is None
    assert await inherited(site, PRODUCT, "cq:commerceProvider", "component") is None


@pytest.mark.parametrize("mode", ["ancestors", "pages", "component"])
async def test_a_missing_node_is_not_found_in_every_mode(site: ContentSession, mode: str) -> None:
    with pytest.raises(NodeNotFound, match="/content/site/nope"):
        await site.get_inherited(f"{SITE}/nope", "cq:commerceProvider", mode)  # type: ignore[arg-type]


# --- cost -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "reads"), [("ancestors", 1), ("component", 1), ("pages", 2)])
async def test_the_ancestors_come_in_one_query_per_step(
    site: ContentSession, monkeypatch: pytest.MonkeyPatch, mode: str, reads: int
) -> None:
    calls: list[Callable[..., object]] = []
    threaded, inline = site.store.read, site.store.read_point

    async def counting(fn: Callable[..., Any]) -> Any:
        calls.append(fn)
        return await threaded(fn)

    def counting_inline(fn: Callable[..., Any]) -> Any:
        calls.append(fn)
        return inline(fn)

    monkeypatch.setattr(site.store, "read", counting)
    monkeypatch.setattr(site.store, "read_point", counting_inline)
    await site.get_inherited(IMAGE, "fileReference", mode)  # type: ignore[arg-type]
    assert len(calls) == reads
