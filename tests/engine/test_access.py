"""Access control (spec §7): Basic, OAuth2 client credentials, channels, groups."""

from __future__ import annotations

from typing import Any

import pytest
import requests

PRODUCTS = "InboundProduct/Products"


@pytest.fixture(scope="module")
def users(engine_server: Any) -> dict[str, requests.Session]:
    groups = {
        "viewer": ("integrationviewgroup",),
        "creator": ("integrationcreategroup",),
        "deleter": ("integrationdeletegroup", "integrationviewgroup"),
        "nobody": (),
        "plainadmin": ("integrationadmingroup",),
    }
    for uid, member_of in groups.items():
        engine_server.add_user(uid, f"{uid}-pw", *member_of)
    return {uid: engine_server.session(uid, f"{uid}-pw") for uid in groups}


def test_missing_or_bad_credentials_are_401_with_a_realm(odata_url: str, assert_error: Any) -> None:
    r = requests.get(f"{odata_url}/{PRODUCTS}")
    assert_error(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"] == 'Basic realm="odata2webservices"'
    assert_error(
        requests.get(f"{odata_url}/{PRODUCTS}", auth=("admin", "wrong")), 401, "unauthorized"
    )
    assert_error(requests.get(f"{odata_url}/{PRODUCTS}", auth=("ghost", "x")), 401, "unauthorized")


def test_groups_decide_read_create_delete(
    users: dict[str, requests.Session], odata_url: str, assert_error: Any, make_product: Any
) -> None:
    viewer, creator, deleter = users["viewer"], users["creator"], users["deleter"]
    body = make_product("acl-1", catalog="Acl")
    assert_error(viewer.post(f"{odata_url}/{PRODUCTS}", json=body), 403, "forbidden")
    assert creator.post(f"{odata_url}/{PRODUCTS}", json=body).status_code == 201
    url = f"{odata_url}/{PRODUCTS}('Staged%7CAcl%7Cacl-1')"
    assert viewer.get(url).status_code == 200
    assert_error(creator.get(url), 403, "forbidden")
    assert creator.get(f"{odata_url}/InboundProduct/$metadata").status_code == 200
    assert_error(creator.delete(url), 403, "forbidden")
    assert_error(users["nobody"].get(url), 403, "forbidden")
    assert deleter.delete(url).status_code == 204
    assert deleter.get(url).status_code == 404


def test_meta_api_needs_the_service_group(
    users: dict[str, requests.Session], http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    url = f"{odata_url}/IntegrationService/IntegrationObjects"
    assert_error(users["plainadmin"].get(url), 403, "forbidden")
    assert_error(users["viewer"].get(url), 403, "forbidden")
    assert http.get(url).status_code == 200
    assert users["plainadmin"].get(f"{odata_url}/{PRODUCTS}").status_code == 200


def _oauth_io(http: requests.Session, odata_url: str) -> None:
    definition: dict[str, Any] = {
        "code": "OAuthProduct",
        "items": [
            {
                "code": "Product",
                "type": "Product",
                "root": True,
                "attributes": [
                    {"attributeName": "code", "attributeDescriptor": "code", "unique": True},
                    {"attributeName": "name", "attributeDescriptor": "name"},
                    {
                        "attributeName": "catalogVersion",
                        "attributeDescriptor": "catalogVersion",
                        "unique": True,
                        "autoCreate": True,
                        "returnIntegrationObjectItem": {"code": "CatalogVersion"},
                    },
                ],
            },
            {
                "code": "CatalogVersion",
                "type": "CatalogVersion",
                "attributes": [
                    {"attributeName": "version", "attributeDescriptor": "version", "unique": True},
                    {
                        "attributeName": "catalog",
                        "attributeDescriptor": "catalog",
                        "unique": True,
                        "autoCreate": True,
                        "returnIntegrationObjectItem": {"code": "Catalog"},
                    },
                ],
            },
            {
                "code": "Catalog",
                "type": "Catalog",
                "attributes": [
                    {"attributeName": "id", "attributeDescriptor": "id", "unique": True}
                ],
            },
        ],
    }
    r = http.post(f"{odata_url}/IntegrationService/IntegrationObjects", json=definition)
    assert r.status_code == 201, r.text


def test_an_io_without_channel_is_not_exposed_until_one_exists(
    http: requests.Session, odata_url: str, engine_server: Any, assert_error: Any
) -> None:
    _oauth_io(http, odata_url)
    assert_error(http.get(f"{odata_url}/OAuthProduct/Products"), 404, "not_found")
    r = http.post(
        f"{odata_url}/IntegrationService/InboundChannelConfigurations",
        json={"integrationObject": {"code": "OAuthProduct"}, "authenticationType": "OAUTH"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["d"]["integrationKey"] == "OAuthProduct"
    # OAUTH channel: Basic is refused, a client-credentials token is accepted.
    assert_error(http.get(f"{odata_url}/OAuthProduct/Products"), 401, "unauthorized")
    engine_server.add_user(
        "integrator", "integrator-pw", "integrationcreategroup", "integrationviewgroup"
    )

    async def add_client() -> None:
        engine = engine_server.engine
        async with engine.write() as session:
            await engine.auth.add_client(session.conn, "client-1", "s3cret", "integrator")

    engine_server.run(add_client())
    token_url = f"{engine_server.url}/authorizationserver/oauth/token"
    bad = requests.post(
        token_url, data={"grant_type": "client_credentials"}, auth=("client-1", "x")
    )
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"
    grant = requests.post(token_url, data={"grant_type": "password"}, auth=("client-1", "s3cret"))
    assert grant.json()["error"] == "unsupported_grant_type"
    r = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "client-1",
            "client_secret": "s3cret",
        },
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert r.json()["token_type"] == "bearer"
    bearer = {"Authorization": f"Bearer {token}"}
    r = requests.post(
        f"{odata_url}/OAuthProduct/Products",
        json={"code": "o1", "catalogVersion": {"version": "Staged", "catalog": {"id": "OAuth"}}},
        headers=bearer,
    )
    assert r.status_code == 201, r.text
    assert requests.get(f"{odata_url}/OAuthProduct/Products", headers=bearer).json()["d"]["results"]
    assert_error(
        requests.get(
            f"{odata_url}/OAuthProduct/Products", headers={"Authorization": "Bearer nope"}
        ),
        401,
        "unauthorized",
    )
