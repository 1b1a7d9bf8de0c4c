"""``$batch`` (spec §5.4): changesets atomic, sequential, limits, part headers, raw formats."""

from __future__ import annotations

import json
from typing import Any

import requests


def _post(code: str, catalog: str, headers: str = "") -> str:
    body = json.dumps(
        {"code": code, "catalogVersion": {"version": "Staged", "catalog": {"id": catalog}}}
    )
    return (
        "Content-Type: application/http\n"
        "Content-Transfer-Encoding:binary\n\n"
        "POST Products HTTP/1.1\n"
        f"Content-Type: application/json\n{headers}\n"
        f"{body}\n"
    )


def _changeset(name: str, *parts: str) -> str:
    inner = "".join(f"--{name}\n{p}" for p in parts) + f"--{name}--\n"
    return f"Content-Type: multipart/mixed; boundary={name}\n\n{inner}"


def _batch(*entries: str, boundary: str = "batch_x") -> tuple[bytes, dict[str, str]]:
    body = "".join(f"--{boundary}\n{e}" for e in entries) + f"--{boundary}--\n"
    return body.encode(), {"Content-Type": f"multipart/mixed; boundary={boundary}"}


def _exists(http: requests.Session, odata_url: str, catalog: str, code: str) -> bool:
    url = f"{odata_url}/InboundProduct/Products('Staged%7C{catalog}%7C{code}')"
    return bool(http.get(url).status_code == 200)


def test_a_changeset_with_one_bad_part_persists_nothing_and_later_ones_run(
    http: requests.Session, odata_url: str
) -> None:
    good = _changeset("cs1", _post("b1", "BatchA"), _post("b2", "BatchA"))
    bad = _changeset(
        "cs2", _post("b3", "BatchB"), _post("", "BatchB").replace('"code": ""', '"nosuch": 1')
    )
    later = _changeset("cs3", _post("b4", "BatchC"))
    body, headers = _batch(good, bad, later)
    r = http.post(f"{odata_url}/InboundProduct/$batch", data=body, headers=headers)
    assert r.status_code == 202, r.text
    assert r.headers["Content-Type"].startswith("multipart/mixed; boundary=batchresponse_")
    text = r.text
    assert text.count("HTTP/1.1 201 Created") == 3
    assert "HTTP/1.1 400 Bad Request" in text
    assert '"code":"invalid_property"' in text
    assert _exists(http, odata_url, "BatchA", "b2")
    assert not _exists(http, odata_url, "BatchB", "b3")
    assert http.get(f"{odata_url}/InboundProduct/Catalogs('BatchB')").status_code == 404
    assert _exists(http, odata_url, "BatchC", "b4")


def test_crlf_absolute_paths_gets_and_part_headers(http: requests.Session, odata_url: str) -> None:
    german = (
        _post("b5", "BatchD", headers="Content-Language: de\n")
        .replace('"catalogVersion"', '"name": "Hemd", "catalogVersion"')
        .replace("POST Products", "POST /odata2webservices/InboundProduct/Products")
    )
    get = (
        "Content-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        "GET Products('Staged%7CBatchD%7Cb5')?$select=name HTTP/1.1\nAccept-Language: de\n\n"
    )
    body, headers = _batch(_changeset("cs", german), get)
    body = body.replace(b"\n", b"\r\n")
    r = http.post(f"{odata_url}/InboundProduct/$batch", data=body, headers=headers)
    assert r.status_code == 202, r.text
    assert "HTTP/1.1 200 OK" in r.text
    assert '"name":"Hemd"' in r.text


def test_oversized_batch_is_refused_before_anything_runs(
    make_server: Any, assert_error: Any
) -> None:
    server = make_server(batch_limit=3)
    http = server.session()
    url = f"{server.url}/odata2webservices/InboundProduct"
    body, headers = _batch(_changeset("cs", *(_post(f"o{i}", "Over") for i in range(3))))
    assert_error(
        http.post(f"{url}/$batch", data=body, headers=headers), 400, "batch_limit_exceeded"
    )
    assert http.get(f"{url}/Catalogs('Over')").status_code == 404
    body, headers = _batch(_changeset("cs", *(_post(f"o{i}", "Over") for i in range(2))))
    assert http.post(f"{url}/$batch", data=body, headers=headers).status_code == 202


def test_malformed_batches_are_400(
    http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    url = f"{odata_url}/InboundProduct/$batch"
    assert_error(
        http.post(url, data=b"x", headers={"Content-Type": "application/json"}),
        415,
        "unsupported_media_type",
    )
    unclosed = b"--b\nContent-Type: application/http\n\nGET Products HTTP/1.1\n\n"
    r = http.post(url, data=unclosed, headers={"Content-Type": "multipart/mixed; boundary=b"})
    assert_error(r, 400, "odata_error")
    assert_error(
        http.post(url, data=b"", headers={"Content-Type": "multipart/mixed"}), 400, "odata_error"
    )
    assert_error(http.get(url), 405, "method_not_allowed")
