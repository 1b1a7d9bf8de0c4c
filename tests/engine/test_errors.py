"""Bad input of every kind: the documented 4xx code, an SAP error body, nothing persisted."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from commerce.engine.model.values import JSONValue

PRODUCTS = "InboundProduct/Products"


@pytest.fixture
def count(http: requests.Session, odata_url: str) -> Any:
    def products(catalog: str) -> int:
        r = http.get(
            f"{odata_url}/InboundProduct/CatalogVersions/$count",
            params={"$filter": f"catalog/id eq '{catalog}'"},
        )
        assert r.status_code == 200, r.text
        versions = int(r.text)
        r = http.get(
            f"{odata_url}/{PRODUCTS}/$count",
            params={"$filter": f"catalogVersion/integrationKey eq 'Staged|{catalog}'"},
        )
        return versions + int(r.text)

    return products


@pytest.mark.parametrize(
    ("filter_", "code"),
    [
        ("code eq", "filter_not_supported"),
        ("code eq 'x", "filter_not_supported"),
        ("(code eq 'x'", "filter_not_supported"),
        ("code add 'x'", "operator_not_supported"),
        ("code like 'x'", "operator_not_supported"),
        ("substringof('x', code)", "filter_not_supported"),
        ("catalogVersion/catalog/id eq 'x'", "filter_not_supported"),
        ("integrationKey eq 'Staged|Default|x'", "integration_key_not_supported"),
        ("nosuch eq 'x'", "invalid_property"),
        ("numberContentUnits eq 'ten'", "filter_not_supported"),
        ("onlineDate gt datetime'not-a-date'", "filter_not_supported"),
    ],
)
def test_bad_filter_is_a_400_with_its_code(
    http: requests.Session, odata_url: str, assert_error: Any, filter_: str, code: str
) -> None:
    r = http.get(f"{odata_url}/{PRODUCTS}", params={"$filter": filter_})
    assert_error(r, 400, code)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"$top": "-1"}, "invalid_query_parameter"),
        ({"$skip": "x"}, "invalid_query_parameter"),
        ({"$inlinecount": "some"}, "invalid_query_parameter"),
        ({"$orderby": "integrationKey"}, "order_by_integration_key_not_supported"),
        ({"$orderby": "catalogVersion/version"}, "order_by_nested_attribute_not_supported"),
        ({"$orderby": "code sideways"}, "invalid_query_parameter"),
        ({"$expand": "nosuch"}, "invalid_property"),
        ({"$select": "nosuch"}, "invalid_property"),
        ({"$unknown": "1"}, "invalid_query_parameter"),
        ({"$skiptoken": "abc"}, "invalid_query_parameter"),
    ],
)
def test_bad_query_options_are_400(
    http: requests.Session, odata_url: str, assert_error: Any, params: dict[str, str], code: str
) -> None:
    assert_error(http.get(f"{odata_url}/{PRODUCTS}", params=params), 400, code)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"code": "x", "nosuch": 1}, "invalid_property"),
        ({"catalogVersion": {"version": "Staged", "catalog": {"id": "{catalog}"}}}, "missing_key"),
        ({"code": None}, "missing_key"),
        ({"code": "x", "catalogVersion": None}, "missing_key"),
        ({"code": "x", "catalogVersion": {"version": "Staged"}}, "missing_key"),
        ({"code": "x", "numberContentUnits": "many"}, "invalid_attribute_value"),
        ({"code": "x", "onlineDate": "yesterday"}, "invalid_attribute_value"),
        ({"code": "x", "supercategories": {"code": "c"}}, "odata_error"),
        (
            {"code": "x", "localizedAttributes": [{"language": "xx", "name": "n"}]},
            "invalid_language",
        ),
        (
            {
                "code": "x",
                "supercategories": [
                    {
                        "code": "nosuchcat",
                        "catalogVersion": {"version": "Staged", "catalog": {"id": "{catalog}"}},
                    }
                ],
            },
            "missing_nav_property",
        ),
        (
            {"code": "x", "variants": [{"code": "v", "nosuch": True}]},
            "invalid_property",
        ),
    ],
)
def test_bad_payload_is_400_and_persists_nothing(
    http: requests.Session,
    odata_url: str,
    assert_error: Any,
    count: Any,
    payload: dict[str, JSONValue],
    code: str,
    request: pytest.FixtureRequest,
) -> None:
    catalog = f"Bad{abs(hash(request.node.name)) % 10**8}"
    body = json.loads(json.dumps(payload).replace("{catalog}", catalog))
    body.setdefault("catalogVersion", {"version": "Staged", "catalog": {"id": catalog}})
    r = http.post(f"{odata_url}/{PRODUCTS}", json=body)
    assert_error(r, 400, code)
    assert count(catalog) == 0


def test_malformed_json_is_an_odata_error(
    http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    r = http.post(
        f"{odata_url}/{PRODUCTS}", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_error(r, 400, "odata_error")


def test_xml_body_is_unsupported_media_type(
    http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    r = http.post(
        f"{odata_url}/{PRODUCTS}", data=b"<a/>", headers={"Content-Type": "application/xml"}
    )
    assert_error(r, 415, "unsupported_media_type")


def test_unknown_language_header_is_invalid_language(
    http: requests.Session, odata_url: str, assert_error: Any, make_product: Any
) -> None:
    r = http.post(
        f"{odata_url}/{PRODUCTS}",
        json=make_product("lang-x", catalog="BadLang"),
        headers={"Content-Language": "xx"},
    )
    err = assert_error(r, 400, "invalid_language")
    assert err["message"]["value"] == "The language provided [xx] is not available."
    r = http.get(f"{odata_url}/{PRODUCTS}", headers={"Accept-Language": "klingon"})
    assert_error(r, 400, "invalid_language")


def test_unknown_set_and_key_are_not_found(
    http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    err = assert_error(http.get(f"{odata_url}/InboundProduct/Nothings"), 404, "not_found")
    assert err["message"]["value"] == (
        "Could not find an entity set or function import for 'Nothings'."
    )
    err = assert_error(
        http.get(f"{odata_url}/{PRODUCTS}('Staged%7CDefault%7Cnone')"), 404, "not_found"
    )
    assert err["message"]["value"] == (
        "Product with integration key [Staged|Default|none] was not found."
    )
    assert_error(http.get(f"{odata_url}/NoSuchIO/Products"), 404, "not_found")
    assert_error(
        http.delete(f"{odata_url}/{PRODUCTS}('Staged%7CDefault%7Cnone')"), 404, "invalid_key"
    )


def test_key_with_wrong_segment_count_is_invalid_key(
    http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    assert_error(http.get(f"{odata_url}/{PRODUCTS}('only-one')"), 400, "invalid_key")
    assert_error(http.get(f"{odata_url}/{PRODUCTS}('unterminated"), 400, "invalid_key")


def test_patch_implying_another_key_is_invalid_key(
    http: requests.Session, odata_url: str, assert_error: Any, make_product: Any
) -> None:
    r = http.post(f"{odata_url}/{PRODUCTS}", json=make_product("pk-1", catalog="PatchKey"))
    assert r.status_code == 201
    url = f"{odata_url}/{PRODUCTS}('Staged%7CPatchKey%7Cpk-1')"
    assert_error(http.patch(url, json={"code": "pk-2"}), 400, "invalid_key")
    assert http.get(url).json()["d"]["code"] == "pk-1"
    assert_error(
        http.patch(f"{odata_url}/{PRODUCTS}", json={"name": "x"}), 405, "method_not_allowed"
    )
    assert_error(
        http.patch(f"{odata_url}/{PRODUCTS}('Staged%7CPatchKey%7Cnone')", json={}), 404, "not_found"
    )


def test_metadata_errors_are_xml(http: requests.Session, odata_url: str) -> None:
    r = http.get(f"{odata_url}/NoSuchIO/$metadata")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/xml")
    assert "<code>not_found</code>" in r.text


def test_xml_accept_on_data_is_406(
    http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    r = http.get(f"{odata_url}/{PRODUCTS}", headers={"Accept": "application/atom+xml"})
    assert r.status_code == 406
    assert "<code>not_acceptable</code>" in r.text


def test_put_is_not_allowed(http: requests.Session, odata_url: str, assert_error: Any) -> None:
    r = http.put(f"{odata_url}/{PRODUCTS}('Staged%7CDefault%7Cx')", json={})
    assert_error(r, 405, "method_not_allowed")


def test_merge_is_patch_and_integration_key_form_is_accepted(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    assert http.post(f"{odata_url}/{PRODUCTS}", json=make_product("mg1", catalog="Merge2")).ok
    url = f"{odata_url}/{PRODUCTS}(integrationKey='Staged%7CMerge2%7Cmg1')"
    assert http.request("MERGE", url, json={"name": "merged"}).status_code == 204
    assert http.get(url).json()["d"]["name"] == "merged"


def test_absolute_urls_follow_the_request_host(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    assert http.post(f"{odata_url}/{PRODUCTS}", json=make_product("host1", catalog="Host")).ok
    r = http.get(f"{odata_url}/{PRODUCTS}('Staged%7CHost%7Chost1')")
    uri = r.json()["d"]["__metadata"]["uri"]
    assert uri == f"{odata_url}/{PRODUCTS}('Staged%7CHost%7Chost1')"
    forwarded = http.get(
        f"{odata_url}/{PRODUCTS}('Staged%7CHost%7Chost1')",
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    )
    assert forwarded.json()["d"]["__metadata"]["uri"] == uri  # not trusted unless configured


def test_an_unexpected_failure_is_a_plain_500(
    http: requests.Session, odata_url: str, engine_server: Any, assert_error: Any
) -> None:
    engine = engine_server.engine
    original = engine.query

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail")

    engine.query = broken
    try:
        r = http.get(f"{odata_url}/{PRODUCTS}")
    finally:
        engine.query = original
    err = assert_error(r, 500, "internal_error")
    assert "secret detail" not in r.text
    assert err["message"]["value"] == "An internal error occurred; see the engine log."
