"""CommerceQuery parameters, FacetParamHelper toggling (spec §10) and the JCR search provider."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce.errors import QueryError
from commerce.search import (
    CommerceFacet,
    CommerceFacetValue,
    CommerceQuery,
    FacetConfig,
    FacetParamHelper,
    InvalidPageError,
    InvalidPageSizeError,
    JcrSearchProvider,
    PaginationInfo,
    SearchProviderRegistry,
    UnknownFacetError,
    UnknownSortError,
)
from repo_server.session.session import Repository

ROOT = "/etc/commerce/products/shop"


def test_from_params_reads_q_page_size_sort_and_facets() -> None:
    query = CommerceQuery.from_params(
        {
            "q": "shirt",
            "page": "2",
            "pagesize": "5",
            "sort": "name-asc",
            "facet_color": ["red", "", "blue", "red"],
            "facet_size": "M",
            "other": "x",
        }
    )
    assert query == CommerceQuery(
        "shirt", 2, 5, "name-asc", {"color": ("red", "blue"), "size": ("M",)}
    )
    assert query.to_params() == [
        ("q", "shirt"),
        ("page", "2"),
        ("pagesize", "5"),
        ("sort", "name-asc"),
        ("facet_color", "red"),
        ("facet_color", "blue"),
        ("facet_size", "M"),
    ]
    assert CommerceQuery().to_params() == [("q", "")]


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("page", "-1", InvalidPageError),
        ("page", "x", InvalidPageError),
        ("page", "\u00b2", InvalidPageError),
        ("page", "9" * 5000, InvalidPageError),
        ("pagesize", "0", InvalidPageSizeError),
        ("pagesize", "-2", InvalidPageSizeError),
        ("pagesize", "1.5", InvalidPageSizeError),
    ],
)
def test_bad_page_numbers_raise_query_error(name: str, value: str, error: type[QueryError]) -> None:
    with pytest.raises(error):
        CommerceQuery.from_params({name: value})


def test_pagesize_minus_one_means_all() -> None:
    query = CommerceQuery.from_params({"pagesize": "-1"})
    assert query.page_size == -1
    assert query.all_results
    assert query.to_params() == [("q", ""), ("pagesize", "-1")]


def _facets() -> list[CommerceFacet]:
    return [
        CommerceFacet(
            "color",
            "Color",
            True,
            (CommerceFacetValue("red", "red", 1, True), CommerceFacetValue("blue", "blue", 1)),
        ),
        CommerceFacet(
            "size",
            "Size",
            False,
            (CommerceFacetValue("M", "M", 1, True), CommerceFacetValue("L", "L", 1)),
        ),
    ]


@pytest.mark.parametrize(
    ("facet", "value", "expected"),
    [
        ("color", "blue", "facet_color=red&facet_color=blue&facet_size=M"),
        ("color", "red", "facet_size=M"),
        ("size", "L", "facet_color=red&facet_size=L"),
        ("brand", "Acme Co", "facet_color=red&facet_size=M&facet_brand=Acme+Co"),
    ],
)
def test_toggling_follows_the_spec_examples(facet: str, value: str, expected: str) -> None:
    assert FacetParamHelper.toggle_facet_params(_facets(), facet, value) == expected


def test_facet_params_and_empty_toggles() -> None:
    assert FacetParamHelper.facet_params("brand", "A&B") == "facet_brand=A%26B"
    only = [CommerceFacet("size", "Size", False, (CommerceFacetValue("M", "M", 1, True),))]
    assert FacetParamHelper.toggle_facet_params(only, "size", "M") == ""


def test_pagination_has_at_least_one_page() -> None:
    assert PaginationInfo.of(10, 0, 0).total_pages == 1
    assert PaginationInfo.of(10, 0, 21).total_pages == 3


def test_the_best_ranked_search_provider_serves() -> None:
    registry = SearchProviderRegistry()
    low, high = JcrSearchProvider("/a"), JcrSearchProvider("/b")
    registry.register(low, ranking=1)
    registry.register(high, ranking=5)
    assert registry.get() is high
    assert registry.get("jcr") is high
    assert registry.get("solr") is None


async def test_text_matches_every_token_and_ranks_title_hits(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    session = catalog.session("admin")
    result = await provider.search(CommerceQuery("red"), session)
    assert [p.name for p in result.products] == ["red-hat", "red-shirt"]
    both = await provider.search(CommerceQuery("red SHIRT"), session)
    assert [p.name for p in both.products] == ["red-shirt"]
    by_id = await provider.search(CommerceQuery("striped-shirt"), session)
    assert by_id.pagination.total_results == 1


async def test_facets_count_over_the_whole_result_with_disjunctive_counting(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    session = catalog.session("admin")
    query = CommerceQuery(page_size=1, facets={"color": ("red",)})
    result = await provider.search(query, session)
    assert result.pagination.total_results == 3  # red shirt, striped shirt, red hat
    assert len(result.products) == 1
    colors = {v.id: (v.product_count, v.selected) for v in result.facets[0].values}
    # Colour counts ignore the colour selection itself: every product shows.
    assert colors == {"red": (3, True), "blue": (2, False), "green": (1, False)}
    categories = {v.id: v.product_count for v in result.facets[2].values}
    assert categories == {"shirts": 2, "hats": 1}
    assert result.facets[0].multi_select
    assert not result.facets[2].multi_select


async def test_a_nested_variant_counts_for_its_product(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    """Variants may nest (sizes below a colour): every level's values belong to the product."""
    session = catalog.session("admin")
    base = f"{ROOT}/layered-shirt"
    await session.add_node(
        base,
        "nt:unstructured",
        properties={
            "cq:commerceType": "product",
            "jcr:title": "Layered Shirt",
            "cq:productVariantAxes": ["color", "size"],
        },
    )
    await session.add_node(
        f"{base}/yellow",
        "nt:unstructured",
        properties={"cq:commerceType": "variant", "color": "yellow"},
    )
    await session.add_node(
        f"{base}/yellow/xxl",
        "nt:unstructured",
        properties={"cq:commerceType": "variant", "size": "XXL"},
    )
    await session.save()
    result = await provider.search(CommerceQuery("layered", facets={"size": ("XXL",)}), session)
    assert [p.name for p in result.products] == ["layered-shirt"]
    values = {f.id: {v.id: v.product_count for v in f.values} for f in result.facets}
    assert (values["color"], values["size"]) == ({"yellow": 1}, {"XXL": 1})
    # Browsing without text (answered from the property indexes where they are declared).
    browsed = await provider.search(CommerceQuery(facets={"size": ("XXL",)}), session)
    assert [p.name for p in browsed.products] == ["layered-shirt"]
    values = {f.id: {v.id: v.product_count for v in f.values} for f in browsed.facets}
    assert values["color"] == {"yellow": 1}
    assert values["size"]["XXL"] == 1


async def test_facets_or_within_and_across(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    session = catalog.session("admin")
    either = await provider.search(CommerceQuery(facets={"color": ("green", "blue")}), session)
    assert {p.name for p in either.products} == {"blue-shirt", "green-shirt", "striped-shirt"}
    both = await provider.search(
        CommerceQuery(facets={"color": ("red",), "category": ("hats",)}), session
    )
    assert [p.name for p in both.products] == ["red-hat"]


async def test_sorts_and_unknown_sort_or_facet(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    session = catalog.session("admin")
    down = await provider.search(CommerceQuery(sort_id="name-desc"), session)
    assert [p.name for p in down.products][:2] == ["striped-shirt", "red-shirt"]
    assert [s.id for s in down.sorts if s.selected] == ["name-desc"]
    with pytest.raises(UnknownSortError):
        await provider.search(CommerceQuery(sort_id="price-sideways"), session)
    configured = JcrSearchProvider(ROOT, facets={"color": FacetConfig("color", "Color")})
    with pytest.raises(UnknownFacetError):
        await configured.search(CommerceQuery(facets={"brand": ("x",)}), session)


async def test_a_selected_facet_no_product_has_finds_nothing_but_stays_toggleable(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    result = await provider.search(
        CommerceQuery(facets={"brand": ("x",)}), catalog.session("admin")
    )
    assert result.products == ()
    brand = next(f for f in result.facets if f.id == "brand")
    assert [(v.id, v.product_count, v.selected) for v in brand.values] == [("x", 0, True)]
    assert FacetParamHelper.toggle_facet_params(result.facets, "brand", "x") == ""


async def test_default_facets_are_the_variant_axes_and_the_category(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    result = await provider.search(CommerceQuery(), catalog.session("admin"))
    assert [(f.id, f.multi_select) for f in result.facets] == [
        ("color", True),
        ("size", True),
        ("category", False),
    ]
    sizes = {v.id: v.product_count for v in result.facets[1].values}
    assert sizes == {"S": 1, "M": 4, "L": 2}


async def test_price_sorts_use_the_decimal_price_and_put_unpriced_last(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    session = catalog.session("admin")
    prices = {"red-shirt": "9.50", "blue-shirt": "10.00", "green-shirt": "100", "red-hat": "9.5"}
    for name, price in prices.items():
        await session.set_property(f"{ROOT}/{name}", "price", Decimal(price))
    await session.save()
    up = await provider.search(CommerceQuery(sort_id="price-asc"), session)
    # 9.50 == 9.5: ties go by title; 100 > 10.00 numerically; no price: last.
    assert [p.name for p in up.products] == [
        "red-hat",
        "red-shirt",
        "blue-shirt",
        "green-shirt",
        "striped-shirt",
    ]
    down = await provider.search(CommerceQuery(sort_id="price-desc"), session)
    assert [p.name for p in down.products] == [
        "green-shirt",
        "blue-shirt",
        "red-hat",
        "red-shirt",
        "striped-shirt",
    ]


async def test_tokens_match_at_word_starts(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    session = catalog.session("admin")
    found = await provider.search(CommerceQuery("shir"), session)
    assert found.pagination.total_results == 4
    middle = await provider.search(CommerceQuery("hirt"), session)
    assert middle.pagination.total_results == 0
    punct = await provider.search(CommerceQuery("striped-"), session)
    assert [p.name for p in punct.products] == ["striped-shirt"]


async def test_page_size_all_and_pages(catalog: Repository, provider: JcrSearchProvider) -> None:
    session = catalog.session("admin")
    every = await provider.search(CommerceQuery(page_size=-1), session)
    assert len(every.products) == 5
    assert (every.pagination.page_size, every.pagination.total_pages) == (-1, 1)
    second = await provider.search(CommerceQuery(page=1, page_size=2), session)
    assert len(second.products) == 2
    assert second.pagination.total_pages == 3
    beyond = await provider.search(CommerceQuery(page=9, page_size=2), session)
    assert beyond.products == ()


async def test_search_below_a_section_root(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    one = await provider.search(CommerceQuery(), catalog.session("admin"), root=f"{ROOT}/red-hat")
    assert [p.name for p in one.products] == ["red-hat"]


class _Hide:
    def can_read(self, path: str) -> bool:
        return "red-hat" not in path

    def can_write(self, path: str) -> bool:
        return False


async def test_search_leaves_out_unreadable_products(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    result = await provider.search(CommerceQuery("red"), catalog.session("bob", _Hide()))
    assert [p.name for p in result.products] == ["red-shirt"]


class _HideHatAndLargeBlue:
    def can_read(self, path: str) -> bool:
        return "red-hat" not in path and not path.endswith("/blue-shirt/v1")

    def can_write(self, path: str) -> bool:
        return False


async def test_a_browse_counts_only_readable_products_and_variants(
    catalog: Repository, provider: JcrSearchProvider
) -> None:
    session = catalog.session("bob", _HideHatAndLargeBlue())
    result = await provider.search(CommerceQuery(), session)
    names = {p.name for p in result.products}
    assert names == {"red-shirt", "blue-shirt", "green-shirt", "striped-shirt"}
    counts = {f.id: {v.id: v.product_count for v in f.values} for f in result.facets}
    assert counts["color"] == {"red": 2, "blue": 2, "green": 1}
    assert counts["size"] == {"S": 1, "M": 3, "L": 1}  # blue-shirt's L is hidden
    assert counts["category"] == {"shirts": 4}
