"""Inbound monitoring (spec §9): InboundRequest records, read-only InboundIntegrationMonitoring."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pyodata  # type: ignore[import-untyped]
import pytest
import requests

PRODUCTS = "InboundProduct/Products"
REQUESTS = "InboundIntegrationMonitoring/InboundRequests"


@pytest.fixture(scope="module")
def server(make_server: Callable[..., Any]) -> Any:
    server = make_server(inbound_monitoring=True, inbound_error_payload=True)
    server.add_user("monitor", "monitor-pw", "integrationmonitoringgroup")
    server.add_user("viewer", "viewer-pw", "integrationviewgroup")
    return server


@pytest.fixture(scope="module")
def base(server: Any) -> str:
    return f"{server.url}/odata2webservices"


def _records(session: requests.Session, base: str, **params: str) -> list[dict[str, Any]]:
    query = {"$expand": "status,errors,user", "$top": "100", **params}
    r = session.get(f"{base}/{REQUESTS}", params=query)
    assert r.status_code == 200, r.text
    return list(r.json()["d"]["results"])


def test_success_and_error_requests_are_recorded(server: Any, base: str, make_product: Any) -> None:
    admin = server.session()
    r = admin.post(
        f"{base}/{PRODUCTS}",
        json=make_product("mon-1", catalog="Mon"),
        headers={"Integration-Message-Id": "msg-1", "SAP-PASSPORT": "pp"},
    )
    assert r.status_code == 201
    bad = admin.post(f"{base}/{PRODUCTS}", json={**make_product("mon-2"), "nope": 1})
    assert bad.status_code == 400
    records = _records(admin, base, **{"$filter": "type eq 'InboundProduct'"})
    ok = next(e for e in records if e["messageId"] == "msg-1")
    assert ok["status"]["code"] == "SUCCESS"
    assert ok["user"]["uid"] == "admin"
    assert ok["httpMethod"] == "POST"
    assert ok["requestIntegrationKey"] == "Staged|Mon|mon-1"
    assert ok["sapPassport"] == "pp"
    assert ok["payload"] is None  # success payload retention is off
    assert ok["errors"]["results"] == []
    assert ok["integrationKey"].endswith("|msg-1|Staged%7CMon%7Cmon-1")
    failed = [e for e in records if e["status"]["code"] == "ERROR"]
    assert len(failed) == 1
    assert failed[0]["errors"]["results"][0]["code"] == "invalid_property"
    assert "nope" in failed[0]["payload"]  # error payload retention is on
    # GETs are not recorded.
    admin.get(f"{base}/{PRODUCTS}")
    assert len(_records(admin, base, **{"$filter": "type eq 'InboundProduct'"})) == 2


def test_patch_delete_and_forbidden_are_recorded(server: Any, base: str, make_product: Any) -> None:
    admin, viewer = server.session(), server.session("viewer", "viewer-pw")
    assert admin.post(f"{base}/{PRODUCTS}", json=make_product("mon-3", catalog="Mon3")).ok
    url = f"{base}/{PRODUCTS}('Staged%7CMon3%7Cmon-3')"
    assert admin.patch(url, json={"ean": "1"}).status_code == 204
    assert viewer.delete(url).status_code == 403
    assert admin.delete(url).status_code == 204
    records = _records(admin, base, **{"$filter": "requestIntegrationKey eq 'Staged|Mon3|mon-3'"})
    seen = [(e["httpMethod"], e["status"]["code"], e["user"]["uid"]) for e in records]
    assert seen == [
        ("POST", "SUCCESS", "admin"),
        ("PATCH", "SUCCESS", "admin"),
        ("DELETE", "ERROR", "viewer"),
        ("DELETE", "SUCCESS", "admin"),
    ]
    assert records[2]["errors"]["results"][0]["code"] == "forbidden"


def test_monitoring_is_read_only_and_for_the_monitoring_group(
    server: Any, base: str, assert_error: Any
) -> None:
    monitor = server.session("monitor", "monitor-pw")
    records = _records(monitor, base)
    assert records
    key = records[0]["integrationKey"]
    assert monitor.get(f"{base}/{REQUESTS}('{quote(key, safe='')}')").ok
    assert monitor.get(f"{base}/{REQUESTS}/$count").text == str(len(records))
    assert_error(server.session("viewer", "viewer-pw").get(f"{base}/{REQUESTS}"), 403, "forbidden")
    assert_error(monitor.get(f"{base}/{PRODUCTS}"), 403, "forbidden")
    one = f"{base}/{REQUESTS}('{quote(key, safe='')}')"
    for session in (monitor, server.session()):
        assert_error(session.post(f"{base}/{REQUESTS}", json={}), 405, "method_not_allowed")
        assert_error(session.patch(one, json={"type": "x"}), 405, "method_not_allowed")
        assert_error(session.delete(one), 405, "method_not_allowed")
    assert monitor.get(f"{base}/{REQUESTS}/$count").text == str(len(records))


def test_pyodata_reads_the_monitoring_service(server: Any) -> None:
    client = pyodata.Client(
        f"{server.url}/odata2webservices/InboundIntegrationMonitoring",
        server.session("monitor", "monitor-pw"),
    )
    found = client.entity_sets.InboundRequests.get_entities().expand("status").execute()
    assert all(e.status.code in ("SUCCESS", "ERROR") for e in found)


def test_monitoring_is_off_by_default(engine_server: Any, make_product: Any) -> None:
    admin = engine_server.session()
    base = f"{engine_server.url}/odata2webservices"
    assert admin.post(f"{base}/{PRODUCTS}", json=make_product("mon-off")).status_code == 201
    assert admin.get(f"{base}/{REQUESTS}/$count").text == "0"
