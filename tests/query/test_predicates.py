"""Each predicate of the query model, run through a session against saved content."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from repo_server.query import engine
from repo_server.query.errors import InvalidFullText, InvalidPredicate
from repo_server.query.model import (
    FullTextPredicate,
    Group,
    MixinPredicate,
    NamePredicate,
    Order,
    PathPredicate,
    PropertyPredicate,
    RangePredicate,
    TypePredicate,
)
from repo_server.session.session import Repository

from .query_support import Search, paths

SHOP = "/content/shop"


async def test_path_descendants_exclude_the_node_itself(search: Search) -> None:
    result = await search(PathPredicate("/content/site"))
    assert paths(result) == [
        "/content/site/about",
        "/content/site/about/jcr:content",
        "/content/site/jcr:content",
    ]
    with_self = await search(PathPredicate("/content/site", include_self=True))
    assert with_self.total == 4


async def test_path_children_and_exact(search: Search) -> None:
    children = await search(PathPredicate("/content/site", "children"))
    assert paths(children) == ["/content/site/about", "/content/site/jcr:content"]
    exact = await search(PathPredicate("/content/site/about", "exact"))
    assert paths(exact) == ["/content/site/about"]
    assert exact.plan == "path /content/site/about"


async def test_path_range_does_not_match_a_sibling_sharing_a_prefix(
    shop: Repository, search: Search
) -> None:
    session = shop.session("admin")
    await session.add_node("/content/shopping", "nt:unstructured")
    await session.add_node("/content/shopping/x", "nt:unstructured", properties={"sku": "X"})
    await session.save()
    result = await search(PathPredicate(SHOP), PropertyPredicate("sku", values=("X",)))
    assert result.total == 0


async def test_type_matches_subtypes_and_mixins(search: Search) -> None:
    folders = await search(TypePredicate("nt:folder"))
    # sling:Folder and sling:OrderedFolder are subtypes of nt:folder.
    assert paths(folders) == ["/content/notes", SHOP]
    hierarchy = await search(PathPredicate("/content"), TypePredicate("nt:hierarchyNode"))
    assert "/content/site" in paths(hierarchy)
    titled = await search(PathPredicate("/content"), TypePredicate("mix:title"))
    # cq:PageContent inherits mix:title; the note has it as a mixin.
    assert paths(titled) == [
        "/content/notes/hats",
        "/content/site/about/jcr:content",
        "/content/site/jcr:content",
    ]


async def test_mixin_predicate_matches_only_mixins(search: Search) -> None:
    result = await search(MixinPredicate("mix:title"))
    assert paths(result) == ["/content/notes/hats"]


async def test_unknown_node_type_is_an_invalid_predicate(search: Search) -> None:
    with pytest.raises(InvalidPredicate):
        await search(TypePredicate("nt:nothing"))


async def test_node_name_exact_and_wildcards(search: Search) -> None:
    assert paths(await search(PathPredicate(SHOP), NamePredicate("p07"))) == [f"{SHOP}/p07"]
    result = await search(PathPredicate(SHOP), NamePredicate("p1?"))
    assert paths(result) == [f"{SHOP}/p10", f"{SHOP}/p11", f"{SHOP}/p12"]
    assert (await search(PathPredicate(SHOP), NamePredicate("p*"))).total == 12


async def test_property_equals_converts_the_literal_to_the_stored_type(search: Search) -> None:
    by_long = await search(PathPredicate(SHOP), PropertyPredicate("price", values=("30",)))
    assert paths(by_long) == [f"{SHOP}/p03"]
    by_double = await search(PathPredicate(SHOP), PropertyPredicate("weight", values=("3.5",)))
    assert paths(by_double) == [f"{SHOP}/p03"]
    by_bool = await search(PathPredicate(SHOP), PropertyPredicate("onSale", values=("true",)))
    assert by_bool.total == 6
    by_date = await search(
        PathPredicate(SHOP), PropertyPredicate("released", values=("2024-01-04T00:00:00.000Z",))
    )
    assert paths(by_date) == [f"{SHOP}/p03"]
    typed = await search(PathPredicate(SHOP), PropertyPredicate("price", values=(Decimal(40),)))
    assert paths(typed) == [f"{SHOP}/p04"]


async def test_property_equals_any_value_and_all_values(search: Search) -> None:
    any_color = await search(
        PathPredicate(SHOP), PropertyPredicate("color", values=("red", "blue"))
    )
    assert any_color.total == 8
    both_tags = await search(
        PathPredicate(SHOP), PropertyPredicate("tags", values=("sale", "new"), all_values=True)
    )
    assert both_tags.total == 6
    one_tag = await search(PathPredicate(SHOP), PropertyPredicate("tags", values=("new",)))
    assert one_tag.total == 12


async def test_property_unequals_like_exists_and_not(search: Search) -> None:
    unequal = await search(
        PathPredicate(SHOP), PropertyPredicate("color", "unequals", ("red", "green"))
    )
    assert {n.properties["color"].values[0] for n in unequal.nodes} == {"blue"}
    assert unequal.total == 4
    like = await search(PathPredicate(SHOP), PropertyPredicate("sku", "like", ("SKU-01%",)))
    assert paths(like) == [f"{SHOP}/p10", f"{SHOP}/p11", f"{SHOP}/p12"]
    like_one = await search(PathPredicate("/content"), PropertyPredicate("sku", "like", ("HAT-_",)))
    assert paths(like_one) == ["/content/notes/hats"]
    exists = await search(PathPredicate("/content"), PropertyPredicate("sku", "exists"))
    assert exists.total == 13
    missing = await search(PathPredicate("/content/site"), PropertyPredicate("jcr:title", "not"))
    assert paths(missing) == ["/content/site/about"]


async def test_number_range_with_inclusive_and_exclusive_bounds(search: Search) -> None:
    closed = await search(
        PathPredicate(SHOP), RangePredicate("price", "number", 30, 50, True, True)
    )
    assert paths(closed) == [f"{SHOP}/p03", f"{SHOP}/p04", f"{SHOP}/p05"]
    opened = await search(PathPredicate(SHOP), RangePredicate("price", "number", 30, 50))
    assert paths(opened) == [f"{SHOP}/p04"]
    above = await search(PathPredicate(SHOP), RangePredicate("weight", "number", lower=11.5))
    assert paths(above) == [f"{SHOP}/p12"]


async def test_date_range(search: Search) -> None:
    result = await search(
        PathPredicate(SHOP),
        RangePredicate(
            "released",
            "date",
            datetime(2024, 1, 3, tzinfo=UTC),
            datetime(2024, 1, 6, tzinfo=UTC),
            lower_inclusive=True,
        ),
    )
    assert paths(result) == [f"{SHOP}/p02", f"{SHOP}/p03", f"{SHOP}/p04"]


async def test_fulltext_words_phrases_or_exclusion_and_prefix(search: Search) -> None:
    red = await search(FullTextPredicate("red shirt"))
    assert red.total == 4
    assert red.plan == "full-text index"
    phrase = await search(FullTextPredicate('"shirt number 1"'))
    assert paths(phrase) == [f"{SHOP}/p01"]
    either = await search(FullTextPredicate("hats OR green"))
    assert either.total == 2 + 4
    not_red = await search(FullTextPredicate("shirt -red"))
    assert not_red.total == 8
    prefix = await search(FullTextPredicate("shir*"))
    assert prefix.total == 13  # twelve products and the about page's text


async def test_fulltext_ignores_case_and_diacritics(search: Search) -> None:
    assert (await search(FullTextPredicate("RÉD"))).total == 4


async def test_fulltext_on_one_property(search: Search) -> None:
    result = await search(FullTextPredicate("shirts", "text"))
    assert paths(result) == ["/content/site/about/jcr:content"]
    assert (await search(FullTextPredicate("shop", "text"))).total == 0


async def test_fulltext_without_a_positive_term_is_refused(search: Search) -> None:
    with pytest.raises(InvalidFullText):
        await search(FullTextPredicate("-red"))
    with pytest.raises(InvalidFullText):
        await search(FullTextPredicate("  ! "))


async def test_fulltext_excerpts_highlight_the_terms(search: Search) -> None:
    result = await search(
        FullTextPredicate("hats"),
        PathPredicate("/content/notes"),
        options=engine.QueryOptions(excerpts=True),
    )
    assert "<strong>Hats</strong>" in result.excerpts["/content/notes/hats"]
    plain = await search(FullTextPredicate("hats"), PathPredicate("/content/notes"))
    assert plain.excerpts == {}


async def test_or_groups_and_negation(search: Search) -> None:
    result = await search(
        PathPredicate(SHOP),
        Group((PropertyPredicate("color", values=("red",)), NamePredicate("p01")), any=True),
    )
    assert result.total == 5
    negated = await search(
        PathPredicate(SHOP), Group((PropertyPredicate("color", values=("red",)),), negate=True)
    )
    assert negated.total == 8
    top_or = await search(NamePredicate("p02"), NamePredicate("hats"), any=True)
    assert paths(top_or) == ["/content/notes/hats", f"{SHOP}/p02"]


async def test_order_by_property_path_and_name(search: Search) -> None:
    by_price = await search(
        PathPredicate(SHOP), orders=(Order("@price", descending=True),), limit=3
    )
    assert paths(by_price) == [f"{SHOP}/p12", f"{SHOP}/p11", f"{SHOP}/p10"]
    by_color = await search(
        PathPredicate(SHOP), orders=(Order("@color"), Order("@price", descending=True)), limit=2
    )
    assert paths(by_color) == [f"{SHOP}/p11", f"{SHOP}/p08"]  # blue first, dearest first
    by_name = await search(PathPredicate("/content", "children"), orders=(Order("nodename"),))
    assert [n.name for n in by_name.nodes] == ["notes", "shop", "site"]


async def test_nodes_without_the_sort_property_come_last(search: Search) -> None:
    for descending in (False, True):
        result = await search(
            PathPredicate("/content/site"), orders=(Order("@jcr:title", descending),)
        )
        assert paths(result)[-1] == "/content/site/about"


async def test_order_ignoring_case(shop: Repository, search: Search) -> None:
    session = shop.session("admin")
    await session.add_node("/content/words", "nt:unstructured")
    for name, word in (("a", "banana"), ("b", "Apple"), ("c", "cherry")):
        await session.add_node(f"/content/words/{name}", "nt:unstructured", properties={"w": word})
    await session.save()
    plain = await search(PathPredicate("/content/words"), orders=(Order("@w"),))
    assert [n.name for n in plain.nodes] == ["b", "a", "c"]
    folded = await search(PathPredicate("/content/words"), orders=(Order("@w", ignore_case=True),))
    assert [n.name for n in folded.nodes] == ["b", "a", "c"]
    down = await search(PathPredicate("/content/words"), orders=(Order("@w", True, True),))
    assert [n.name for n in down.nodes] == ["c", "a", "b"]


async def test_offset_limit_and_total(search: Search) -> None:
    page = await search(PathPredicate(SHOP), orders=(Order("@price"),), offset=10, limit=5)
    assert page.total == 12
    assert page.offset == 10
    assert paths(page) == [f"{SHOP}/p11", f"{SHOP}/p12"]
    assert not page.more


async def test_guessed_total_stops_counting_early(search: Search) -> None:
    result = await search(PathPredicate(SHOP), limit=2, guess_total=0)
    assert result.more
    assert result.total == 3
    assert len(result.nodes) == 2
    everything = await search(PathPredicate(SHOP), limit=2, guess_total=100)
    assert not everything.more
    assert everything.total == 12


class _DenyBelow:
    def __init__(self, *hidden: str) -> None:
        self.hidden = hidden

    def can_read(self, path: str) -> bool:
        return not any(path == h or path.startswith(h + "/") for h in self.hidden)

    def can_write(self, path: str) -> bool:
        return False


async def test_results_and_totals_leave_out_unreadable_nodes(search: Search) -> None:
    policy = _DenyBelow(f"{SHOP}/p03", "/content/notes")
    result = await search(
        PathPredicate("/content"), PropertyPredicate("sku", "exists"), access=policy
    )
    assert result.total == 11
    assert f"{SHOP}/p03" not in paths(result)
    fulltext = await search(FullTextPredicate("hats"), access=policy)
    assert paths(fulltext) == ["/content/site/about/jcr:content"]
