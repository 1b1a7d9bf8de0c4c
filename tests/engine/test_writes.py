"""Write semantics (spec §5): upsert, merge vs replace, localized values, partOf, status codes."""

from __future__ import annotations

from typing import Any

import requests

PRODUCTS = "InboundProduct/Products"


def _url(odata_url: str, catalog: str, code: str) -> str:
    return f"{odata_url}/{PRODUCTS}('Staged%7C{catalog}%7C{code}')"


def _category(http: requests.Session, odata_url: str, catalog: str, code: str) -> dict[str, Any]:
    cv: dict[str, Any] = {"version": "Staged", "catalog": {"id": catalog}}
    r = http.post(
        f"{odata_url}/InboundCategory/Categories", json={"code": code, "catalogVersion": cv}
    )
    assert r.status_code == 201, r.text
    return {"code": code, "catalogVersion": cv}


def test_post_twice_updates_and_merges_collections(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    c1 = _category(http, odata_url, "Merge", "c1")
    c2 = _category(http, odata_url, "Merge", "c2")
    r = http.post(
        f"{odata_url}/{PRODUCTS}",
        json=make_product("m1", catalog="Merge", name="One", ean="123", supercategories=[c1]),
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"].endswith("/Products('Staged%7CMerge%7Cm1')")
    r = http.post(
        f"{odata_url}/{PRODUCTS}",
        json=make_product("m1", catalog="Merge", name="Two", supercategories=[c2, c1]),
    )
    assert r.status_code == 201
    d = http.get(_url(odata_url, "Merge", "m1"), params={"$expand": "supercategories"}).json()["d"]
    assert d["name"] == "Two"
    assert d["ean"] == "123"  # absent on update = unchanged
    assert [c["code"] for c in d["supercategories"]["results"]] == ["c1", "c2"]


def test_patch_replaces_collections_and_nulls_primitives(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    c1 = _category(http, odata_url, "Replace", "c1")
    c2 = _category(http, odata_url, "Replace", "c2")
    cv: dict[str, Any] = {"version": "Staged", "catalog": {"id": "Replace"}}
    body = make_product(
        "r1",
        catalog="Replace",
        ean="1",
        supercategories=[c1, c2],
        variants=[{"code": "r1-a", "catalogVersion": cv}, {"code": "r1-b", "catalogVersion": cv}],
    )
    assert http.post(f"{odata_url}/{PRODUCTS}", json=body).status_code == 201
    url = _url(odata_url, "Replace", "r1")
    r = http.patch(
        url,
        json={
            "ean": None,
            "supercategories": [c2],
            "variants": [{"code": "r1-b", "catalogVersion": cv}],
        },
    )
    assert r.status_code == 204, r.text
    d = http.get(url, params={"$expand": "supercategories,variants"}).json()["d"]
    assert d["ean"] is None
    assert [c["code"] for c in d["supercategories"]["results"]] == ["c2"]
    assert [v["code"] for v in d["variants"]["results"]] == ["r1-b"]
    # the dropped variant was partOf the product, so it is gone
    gone = f"{odata_url}/InboundProduct/VariantProducts('Staged%7CReplace%7Cr1-a')"
    assert http.get(gone).status_code == 404
    assert http.patch(url, json={"supercategories": []}).status_code == 204
    d = http.get(url, params={"$expand": "supercategories"}).json()["d"]
    assert d["supercategories"]["results"] == []


def test_delete_cascades_to_part_of_children(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    cv: dict[str, Any] = {"version": "Staged", "catalog": {"id": "Cascade"}}
    body = make_product("d1", catalog="Cascade", variants=[{"code": "d1-a", "catalogVersion": cv}])
    assert http.post(f"{odata_url}/{PRODUCTS}", json=body).status_code == 201
    assert http.delete(_url(odata_url, "Cascade", "d1")).status_code == 204
    variant = f"{odata_url}/InboundProduct/VariantProducts('Staged%7CCascade%7Cd1-a')"
    assert http.get(variant).status_code == 404
    assert http.get(f"{odata_url}/InboundProduct/Catalogs('Cascade')").status_code == 200


def test_localized_attributes_write_several_languages(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    body = make_product(
        "l1",
        catalog="Loc",
        name="plain",
        localizedAttributes=[
            {"language": "en", "name": "Shirt"},
            {"language": "de", "name": "Hemd"},
        ],
    )
    assert http.post(f"{odata_url}/{PRODUCTS}", json=body).status_code == 201
    url = _url(odata_url, "Loc", "l1")
    assert http.get(url).json()["d"]["name"] == "Shirt"  # localizedAttributes wins
    assert http.get(url, headers={"Accept-Language": "de-DE"}).json()["d"]["name"] == "Hemd"
    d = http.get(url, params={"$expand": "localizedAttributes"}).json()["d"]
    rows = {r["language"]: r["name"] for r in d["localizedAttributes"]["results"]}
    assert rows == {"de": "Hemd", "en": "Shirt"}
    r = http.patch(url, json={"localizedAttributes": [{"language": "de", "name": "Oberhemd"}]})
    assert r.status_code == 204
    d = http.get(url, params={"$expand": "localizedAttributes"}).json()["d"]
    assert [(r["language"], r["name"]) for r in d["localizedAttributes"]["results"]] == [
        ("de", "Oberhemd")
    ]
    only_here = "catalogVersion/integrationKey eq 'Staged|Loc'"
    r = http.get(f"{odata_url}/{PRODUCTS}", params={"$filter": f"name eq 'Shirt' and {only_here}"})
    filtered = r.json()["d"]["results"]
    assert filtered == []


def test_values_travel_in_odata_v2_formats(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    cv: dict[str, Any] = {"version": "Staged", "catalog": {"id": "Formats"}}
    body = make_product(
        "f1",
        catalog="Formats",
        onlineDate="/Date(1568915657343)/",
        europe1Prices=[{"currency": "EUR", "minqtd": "1", "price": "19.90", "net": True}],
    )
    assert http.post(f"{odata_url}/{PRODUCTS}", json=body).status_code == 201, cv
    d = http.get(_url(odata_url, "Formats", "f1"), params={"$expand": "europe1Prices"}).json()["d"]
    assert d["onlineDate"] == "/Date(1568915657343)/"
    price = d["europe1Prices"]["results"][0]
    assert price["price"] == "19.9"
    assert price["minqtd"] == "1"
    assert price["net"] is True
    assert price["integrationKey"] == "Staged|Formats|EUR|1|f1"
    r = http.get(
        f"{odata_url}/{PRODUCTS}",
        params={"$filter": "onlineDate gt datetime'2019-09-01T00:00:00' and code eq 'f1'"},
    )
    assert [p["code"] for p in r.json()["d"]["results"]] == ["f1"]


def test_select_trims_properties_and_keeps_the_key(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    assert http.post(f"{odata_url}/{PRODUCTS}", json=make_product("s1", catalog="Sel", ean="9")).ok
    d = http.get(_url(odata_url, "Sel", "s1"), params={"$select": "ean"}).json()["d"]
    assert set(d) == {"__metadata", "ean", "integrationKey"}


def test_sap_status_codes_switch(make_server: Any, make_product: Any) -> None:
    server = make_server(sap_status_codes=True)
    http = server.session()
    base = f"{server.url}/odata2webservices/{PRODUCTS}"
    assert http.post(base, json=make_product("sap1", catalog="Sap")).status_code == 201
    url = f"{base}('Staged%7CSap%7Csap1')"
    r = http.patch(url, json={"name": "x"})
    assert r.status_code == 200
    assert r.json()["d"]["name"] == "x"
    r = http.delete(url)
    assert r.status_code == 200
    assert r.content == b""


def test_service_document_json_and_xml(http: requests.Session, odata_url: str) -> None:
    r = http.get(f"{odata_url}/InboundProduct", headers={"Accept": "application/json"})
    assert "Products" in r.json()["d"]["EntitySets"]
    r = http.get(f"{odata_url}/InboundProduct/")
    assert r.headers["Content-Type"].startswith("application/xml")
    assert '<collection href="Categories">' in r.text
