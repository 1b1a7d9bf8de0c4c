"""SAP's own OData client, pyodata, drives the engine over real HTTP (issue 9 acceptance)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from pyodata.exceptions import HttpError  # type: ignore[import-untyped]

Client = Callable[[str], Any]

IOS = ["InboundProduct", "InboundCategory", "InboundB2BUnit", "InboundB2BCustomer"]


@pytest.mark.parametrize("io", [*IOS, "IntegrationService"])
def test_pyodata_parses_the_metadata_of_every_io(client: Client, io: str) -> None:
    schema = client(io).schema
    for entity_type in schema.entity_types:
        if entity_type.name.startswith("Localized___"):
            assert [p.name for p in entity_type.key_proprties] == ["language"]
        else:
            assert [p.name for p in entity_type.key_proprties] == ["integrationKey"]


def test_product_alias_follows_the_key_segments(client: Client) -> None:
    product = client("InboundProduct").schema.entity_type("Product")
    nav = {n.name: n for n in product.nav_proprties}
    assert nav["supercategories"].to_role.multiplicity == "*"
    assert nav["catalogVersion"].to_role.multiplicity == "0..1"


def test_create_with_nested_items_computes_every_key(client: Client) -> None:
    categories = client("InboundCategory")
    categories.entity_sets.Categories.create_entity().set(
        code="shirts",
        name="Shirts",
        catalogVersion={"version": "Staged", "catalog": {"id": "Apparel"}},
    ).execute()
    service = client("InboundProduct")
    created = (
        service.entity_sets.Products.create_entity()
        .set(
            code="shirt-1",
            name="Shirt",
            approvalStatus="approved",
            catalogVersion={"version": "Staged", "catalog": {"id": "Apparel"}},
            supercategories=[
                {
                    "code": "shirts",
                    "catalogVersion": {"version": "Staged", "catalog": {"id": "Apparel"}},
                }
            ],
            unit={"code": "pieces"},
            variants=[
                {
                    "code": f"shirt-1-{size}",
                    "size": size,
                    "catalogVersion": {"version": "Staged", "catalog": {"id": "Apparel"}},
                }
                for size in ("S", "M", "L")
            ],
        )
        .execute()
    )
    assert created.integrationKey == "Staged|Apparel|shirt-1"
    cv = service.entity_sets.CatalogVersions.get_entity("Staged|Apparel").execute()
    assert cv.version == "Staged"
    catalog = cv.nav("catalog").execute()
    assert catalog.id == "Apparel"
    fetched = (
        service.entity_sets.Products.get_entity("Staged|Apparel|shirt-1")
        .expand("supercategories,variants,catalogVersion/catalog,unit")
        .execute()
    )
    assert fetched.unit.integrationKey == "pieces"
    assert fetched.catalogVersion.catalog.id == "Apparel"
    assert [c.code for c in fetched.supercategories] == ["shirts"]
    assert sorted(v.size for v in fetched.variants) == ["L", "M", "S"]
    variant = service.entity_sets.VariantProducts.get_entity("Staged|Apparel|shirt-1-M").execute()
    assert variant.nav("baseProduct").execute().code == "shirt-1"


@pytest.mark.parametrize("code", ["a|b", "o'neil", "x/y", "100%|/'"])
def test_get_by_key_with_pipe_quote_and_slash(client: Client, code: str) -> None:
    service = client("InboundProduct")
    created = (
        service.entity_sets.Products.create_entity()
        .set(code=code, catalogVersion={"version": "Staged", "catalog": {"id": "Keys"}})
        .execute()
    )
    escaped = code.replace("%", "%25").replace("|", "%7C")
    assert created.integrationKey == f"Staged|Keys|{escaped}"
    fetched = service.entity_sets.Products.get_entity(created.integrationKey).execute()
    assert fetched.code == code


def _seed(client: Client, catalog: str, count: int) -> Any:
    service = client("InboundProduct")
    for i in range(count):
        service.entity_sets.Products.create_entity().set(
            code=f"p{i:03d}",
            name=f"Product {i}",
            approvalStatus="approved" if i % 2 == 0 else "check",
            numberContentUnits=i,
            catalogVersion={"version": "Online", "catalog": {"id": catalog}},
        ).execute()
    return service


def test_filter_top_skip_inlinecount_and_next(client: Client) -> None:
    service = _seed(client, "Paging", 25)
    query = (
        service.entity_sets.Products.get_entities()
        .filter("approvalStatus eq 'approved' and catalogVersion/integrationKey eq 'Online|Paging'")
        .count(inline=True)
    )
    first = query.execute()
    assert first.total_count == 13
    assert len(first) == 10
    codes = [p.code for p in first]
    page = first
    while page.next_url:
        page = service.entity_sets.Products.get_entities().next_url(page.next_url).execute()
        codes.extend(p.code for p in page)
    assert codes == [f"p{i:03d}" for i in range(0, 25, 2)]
    window = (
        service.entity_sets.Products.get_entities()
        .filter("catalogVersion/integrationKey eq 'Online|Paging'")
        .order_by("numberContentUnits desc")
        .skip(2)
        .top(3)
        .execute()
    )
    assert [p.code for p in window] == ["p022", "p021", "p020"]


def test_count_segment_respects_the_filter(client: Client) -> None:
    service = _seed(client, "Counting", 4)
    total = (
        service.entity_sets.Products.get_entities()
        .filter("catalogVersion/integrationKey eq 'Online|Counting' and numberContentUnits ge 2")
        .count()
        .execute()
    )
    assert total == 2


def test_navigation_of_a_collection(client: Client) -> None:
    service = client("InboundProduct")
    service.entity_sets.Products.create_entity().set(
        code="nav-1",
        catalogVersion={"version": "Staged", "catalog": {"id": "Nav"}},
        variants=[
            {"code": "nav-1-a", "catalogVersion": {"version": "Staged", "catalog": {"id": "Nav"}}}
        ],
    ).execute()
    product = service.entity_sets.Products.get_entity("Staged|Nav|nav-1").execute()
    variants = product.nav("variants").get_entities().execute()
    assert [v.code for v in variants] == ["nav-1-a"]


def test_patch_answers_204_and_delete_204_then_404(client: Client) -> None:
    service = client("InboundProduct")
    service.entity_sets.Products.create_entity().set(
        code="patch-1", name="Old", catalogVersion={"version": "Staged", "catalog": {"id": "Edit"}}
    ).execute()
    service.entity_sets.Products.update_entity("Staged|Edit|patch-1").set(name="New").execute()
    fetched = service.entity_sets.Products.get_entity("Staged|Edit|patch-1").execute()
    assert fetched.name == "New"
    service.entity_sets.Products.delete_entity("Staged|Edit|patch-1").execute()
    with pytest.raises(HttpError) as caught:
        service.entity_sets.Products.get_entity("Staged|Edit|patch-1").execute()
    response: requests.Response = caught.value.response
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_batch_changeset_with_two_posts(client: Client) -> None:
    service = client("InboundProduct")
    batch = service.create_batch()
    changeset = service.create_changeset()
    for code in ("batch-1", "batch-2"):
        changeset.add_request(
            service.entity_sets.Products.create_entity().set(
                code=code, catalogVersion={"version": "Staged", "catalog": {"id": "Batch"}}
            )
        )
    batch.add_request(changeset)
    results = batch.execute()
    assert [e.integrationKey for e in results[0]] == [
        "Staged|Batch|batch-1",
        "Staged|Batch|batch-2",
    ]
    assert (
        service.entity_sets.Products.get_entity("Staged|Batch|batch-2").execute().code == "batch-2"
    )


def test_custom_headers_choose_the_language(client: Client) -> None:
    service = client("InboundProduct")
    request = service.entity_sets.Products.create_entity().set(
        code="lang-1", name="Hemd", catalogVersion={"version": "Staged", "catalog": {"id": "Lang"}}
    )
    request.add_headers({"Content-Language": "de"})
    request.execute()
    german = service.entity_sets.Products.get_entity("Staged|Lang|lang-1")
    german.add_headers({"Accept-Language": "de"})
    assert german.execute().name == "Hemd"
    english = service.entity_sets.Products.get_entity("Staged|Lang|lang-1").execute()
    assert not english.name  # pyodata reads a null Edm.String as ""


def test_top_above_the_page_maximum_pages_with_skiptoken(make_server: Any) -> None:
    server = make_server(page_size_max=4, page_size_default=2)
    service = server.client("InboundProduct")
    for i in range(7):
        service.entity_sets.Products.create_entity().set(
            code=f"t{i}", catalogVersion={"version": "Staged", "catalog": {"id": "Top"}}
        ).execute()
    first = service.entity_sets.Products.get_entities().top(6).execute()
    assert len(first) == 4
    assert "%24skiptoken=4" in first.next_url
    second = service.entity_sets.Products.get_entities().next_url(first.next_url).execute()
    assert [p.code for p in second] == ["t4", "t5"]
    assert second.next_url is None
    default = service.entity_sets.Products.get_entities().execute()
    assert len(default) == 2
