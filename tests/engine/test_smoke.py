"""Smoke: the engine starts, serves metadata and takes one product."""

from __future__ import annotations

from typing import Any

import requests


def test_post_then_get(http: requests.Session, odata_url: str, make_product: Any) -> None:
    r = http.post(f"{odata_url}/InboundProduct/Products", json=make_product("smoke1", name="Smoke"))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["d"]["integrationKey"] == "Staged|Default|smoke1"
    r = http.get(f"{odata_url}/InboundProduct/Products('Staged%7CDefault%7Csmoke1')")
    assert r.status_code == 200, r.text
    assert r.json()["d"]["name"] == "Smoke"
