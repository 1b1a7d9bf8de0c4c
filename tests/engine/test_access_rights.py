"""Type-level access rights (spec §7): AccessRight rows, enforced on nested and expanded items."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

PRODUCTS = "InboundProduct/Products"
RIGHTS = "IntegrationService/AccessRights"
Sessions = dict[str, requests.Session]


@pytest.fixture(scope="module")
def server(make_server: Callable[..., Any]) -> Any:
    return make_server()


@pytest.fixture(scope="module")
def base(server: Any) -> str:
    return f"{server.url}/odata2webservices"


@pytest.fixture(scope="module")
def users(server: Any) -> Sessions:
    groups = {
        "viewer": ("integrationviewgroup",),
        "creator": ("integrationcreategroup",),
        "deleter": ("integrationdeletegroup",),
        "member": ("integrationusergroup",),
    }
    for uid, member_of in groups.items():
        server.add_user(uid, f"{uid}-pw", *member_of)
    sessions = {uid: server.session(uid, f"{uid}-pw") for uid in groups}
    sessions["admin"] = server.session()
    return sessions


def _key(*parts: str) -> str:
    return quote("|".join(parts), safe="")


@pytest.fixture
def restrict(users: Sessions, base: str) -> Iterator[Callable[..., None]]:
    """Store an AccessRight row for the test; removed again afterwards."""
    made: list[str] = []

    def add(group: str, item_type: str, **values: bool) -> None:
        body: dict[str, Any] = {"group": group, "itemType": item_type, **values}
        r = users["admin"].post(f"{base}/{RIGHTS}", json=body)
        assert r.status_code == 201, r.text
        made.append(r.json()["d"]["integrationKey"])

    yield add
    for key in made:
        r = users["admin"].delete(f"{base}/{RIGHTS}('{quote(key, safe='')}')")
        assert r.status_code == 204, r.text


def _variant(code: str, catalog: str) -> dict[str, Any]:
    cv = {"version": "Staged", "catalog": {"id": catalog}}
    return {"code": code, "catalogVersion": cv}


def _product_url(base: str, catalog: str, code: str) -> str:
    return f"{base}/{PRODUCTS}('{_key('Staged', catalog, code)}')"


def test_defaults_keep_the_groups_working(
    users: Sessions, base: str, make_product: Any, assert_error: Any
) -> None:
    r = users["admin"].get(f"{base}/{RIGHTS}", params={"$top": "50"})
    rows = {(e["group"], e["itemType"]) for e in r.json()["d"]["results"]}
    assert ("integrationcreategroup", "Item") in rows
    assert ("integrationadmingroup", "Item") in rows
    body = make_product("ar-1", catalog="ArDefault", variants=[_variant("ar-1-v", "ArDefault")])
    assert users["creator"].post(f"{base}/{PRODUCTS}", json=body).status_code == 201
    url = _product_url(base, "ArDefault", "ar-1")
    assert users["viewer"].get(url, params={"$expand": "variants"}).status_code == 200
    assert users["deleter"].delete(url).status_code == 204
    # integrationusergroup alone grants no method (it is the parent group, spec §7).
    assert_error(users["member"].get(f"{base}/{PRODUCTS}"), 403, "forbidden")


def test_nested_create_needs_the_create_right(
    users: Sessions, base: str, make_product: Any, assert_error: Any, restrict: Any
) -> None:
    # A restriction on integrationusergroup reaches every create/view/delete member.
    restrict("integrationusergroup", "Catalog", create=False)
    body = make_product("ar-2", catalog="ArNoCatalog")
    error = assert_error(users["creator"].post(f"{base}/{PRODUCTS}", json=body), 403, "forbidden")
    assert error["innererror"] == "Catalog"
    admin = users["admin"]
    assert admin.get(_product_url(base, "ArNoCatalog", "ar-2")).status_code == 404
    r = admin.get(f"{base}/InboundProduct/Catalogs('ArNoCatalog')")
    assert r.status_code == 404  # nothing of the refused POST persisted
    # With the catalog already there, the same POST only creates the product.
    assert admin.post(f"{base}/InboundProduct/Catalogs", json={"id": "ArNoCatalog"}).ok
    assert users["creator"].post(f"{base}/{PRODUCTS}", json=body).status_code == 201


def test_nested_variants_are_checked(
    users: Sessions, base: str, make_product: Any, assert_error: Any, restrict: Any
) -> None:
    restrict("integrationcreategroup", "VariantProduct", create=False)
    body = make_product("ar-3", catalog="ArVariants", variants=[_variant("ar-3-v", "ArVariants")])
    assert_error(users["creator"].post(f"{base}/{PRODUCTS}", json=body), 403, "forbidden")
    assert users["admin"].get(_product_url(base, "ArVariants", "ar-3")).status_code == 404
    del body["variants"]
    assert users["creator"].post(f"{base}/{PRODUCTS}", json=body).status_code == 201


def test_update_needs_the_change_right(
    users: Sessions, base: str, make_product: Any, assert_error: Any, restrict: Any
) -> None:
    creator = users["creator"]
    assert creator.post(f"{base}/{PRODUCTS}", json=make_product("ar-4", catalog="ArChange")).ok
    restrict("integrationcreategroup", "Product", change=False)
    url = _product_url(base, "ArChange", "ar-4")
    update = make_product("ar-4", catalog="ArChange", ean="123")
    assert_error(creator.post(f"{base}/{PRODUCTS}", json=update), 403, "forbidden")
    assert_error(creator.patch(url, json={"ean": "456"}), 403, "forbidden")
    assert users["admin"].get(url).json()["d"]["ean"] is None
    # Creating another product is still allowed: create and change are separate rights.
    assert creator.post(f"{base}/{PRODUCTS}", json=make_product("ar-5", catalog="ArChange")).ok


def test_read_is_checked_on_expanded_and_navigated_types(
    users: Sessions, base: str, make_product: Any, assert_error: Any, restrict: Any
) -> None:
    admin, viewer = users["admin"], users["viewer"]
    assert admin.post(f"{base}/{PRODUCTS}", json=make_product("ar-6", catalog="ArRead")).ok
    restrict("integrationviewgroup", "CatalogVersion", read=False)
    url = _product_url(base, "ArRead", "ar-6")
    assert viewer.get(url).status_code == 200
    assert_error(viewer.get(url, params={"$expand": "catalogVersion"}), 403, "forbidden")
    assert_error(viewer.get(f"{url}/catalogVersion"), 403, "forbidden")
    assert_error(viewer.get(f"{base}/InboundProduct/CatalogVersions"), 403, "forbidden")
    assert_error(viewer.get(f"{base}/InboundProduct/CatalogVersions/$count"), 403, "forbidden")
    r = viewer.get(f"{base}/{PRODUCTS}", params={"$expand": "catalogVersion/catalog"})
    assert_error(r, 403, "forbidden")


def test_delete_needs_remove_on_every_cascaded_type(
    users: Sessions, base: str, make_product: Any, assert_error: Any, restrict: Any
) -> None:
    body = make_product("ar-7", catalog="ArRemove", variants=[_variant("ar-7-v", "ArRemove")])
    assert users["admin"].post(f"{base}/{PRODUCTS}", json=body).ok
    restrict("integrationdeletegroup", "VariantProduct", remove=False)
    url = _product_url(base, "ArRemove", "ar-7")
    assert_error(users["deleter"].delete(url), 403, "forbidden")
    assert users["admin"].get(url).status_code == 200


def test_a_type_row_overrides_the_item_row(
    users: Sessions, base: str, assert_error: Any, restrict: Any
) -> None:
    viewer = users["viewer"]
    restrict("integrationviewgroup", "Product", read=False)
    assert_error(viewer.get(f"{base}/{PRODUCTS}"), 403, "forbidden")
    assert viewer.get(f"{base}/InboundProduct/Catalogs").status_code == 200
    # The group check still comes first: a type row cannot give the delete group GET.
    restrict("integrationdeletegroup", "Catalog", read=True)
    assert_error(users["deleter"].get(f"{base}/InboundProduct/Catalogs"), 403, "forbidden")


def test_bad_rights_are_refused_and_nothing_kept(
    users: Sessions, base: str, assert_error: Any
) -> None:
    admin = users["admin"]
    before = admin.get(f"{base}/{RIGHTS}/$count").text
    bad: list[dict[str, Any]] = [
        {"group": "nosuchgroup", "itemType": "Product", "read": True},
        {"group": "integrationviewgroup", "itemType": "NoSuchType", "read": True},
    ]
    for body in bad:
        assert_error(admin.post(f"{base}/{RIGHTS}", json=body), 400, "invalid_attribute_value")
    assert_error(admin.post(f"{base}/{RIGHTS}", json={"itemType": "Product"}), 400, "missing_key")
    assert_error(
        admin.post(
            f"{base}/{RIGHTS}", json={"group": "integrationviewgroup", "itemType": "X", "read": 3}
        ),
        400,
        "invalid_attribute_value",
    )
    assert admin.get(f"{base}/{RIGHTS}/$count").text == before
    # Only admins with the service group edit rights.
    assert_error(users["creator"].post(f"{base}/{RIGHTS}", json={}), 403, "forbidden")


def test_switching_rights_off_restores_group_checks(
    make_server: Callable[..., Any], make_product: Any, assert_error: Any
) -> None:
    server = make_server(access_rights=False)
    base = f"{server.url}/odata2webservices"
    server.add_user("creator", "pw", "integrationcreategroup")
    admin, creator = server.session(), server.session("creator", "pw")
    deny = {"group": "integrationcreategroup", "itemType": "Item", "create": False}
    assert admin.post(f"{base}/{RIGHTS}", json=deny).status_code == 201
    assert creator.post(f"{base}/{PRODUCTS}", json=make_product("off-1")).status_code == 201
    assert_error(creator.get(f"{base}/{PRODUCTS}"), 403, "forbidden")
