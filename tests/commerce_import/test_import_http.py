"""POST /bin/commerce/import and `repo-server commerce import`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from commerce.importer.cli import main as commerce_main
from repo_server.cli import main as repo_main
from repo_server.config import Settings
from repo_server.loader import load_document
from repo_server.session.session import Repository

from .catalog_import_support import CATALOGS, ROOT, Client, basic, encode, repository_of, sample

URL = "/bin/commerce/import"


def form(data: bytes, filename: str = "feed.json", **fields: str) -> aiohttp.FormData:
    out = aiohttp.FormData()
    for key, value in fields.items():
        out.add_field(key, value)
    out.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return out


def repository(client: Client) -> Repository:
    return repository_of(client)


async def post(
    client: Client, data: aiohttp.FormData, status: int = 200, **kw: Any
) -> dict[str, Any]:
    resp = await client.post(URL, data=data, **kw)
    body: dict[str, Any] = await resp.json()
    assert resp.status == status, body
    return body


async def load_roots(client: Client) -> None:
    session = repository(client).session("admin")
    for name in ("etc", "content"):
        doc = json.loads((CATALOGS.parent / "roots" / f"{name}.json").read_text("utf-8"))
        await load_document(session, doc)


async def test_posting_a_feed_imports_it_and_answers_the_report(client: Client) -> None:
    body = await post(client, form(sample("trailhead.json"), catalog="trailhead"))
    assert body["counts"]["created"] == 4
    assert body["path"] == f"{ROOT}/trailhead"
    assert await repository(client).session().exists(f"{ROOT}/trailhead/men/shirts/summit_tee")
    again = await post(client, form(sample("trailhead.json"), catalog="trailhead"))
    assert again["operations"] == 0
    assert again["revision"]["before"] == again["revision"]["after"]


async def test_the_format_comes_from_the_file_name_unless_given(client: Client) -> None:
    body = await post(client, form(sample("trailhead.csv"), "trailhead.csv", catalog="c"))
    assert body["counts"]["created"] == 4
    forced = await post(
        client, form(sample("trailhead.csv"), "upload.bin", catalog="d", format="csv")
    )
    assert forced["counts"]["created"] == 4


async def test_a_dry_run_answers_what_would_change_and_writes_nothing(client: Client) -> None:
    head = repository(client).store.head
    body = await post(client, form(sample("trailhead.json"), catalog="t", dryRun="true"))
    assert body["dryRun"] is True
    assert body["counts"]["created"] == 4
    assert repository(client).store.head == head


@pytest.mark.parametrize(
    ("data", "filename", "fields", "status", "code"),
    [
        (b'{"products": [}', "f.json", {"catalog": "t"}, 422, "invalid-feed"),
        (b'{"products": [{"title": "x"}]}', "f.json", {"catalog": "t"}, 422, "invalid-feed"),
        (b"sku\nA\n", "f.txt", {"catalog": "t"}, 400, "unknown-feed-format"),
        (b"sku\nA\n", "f.csv", {"catalog": "t", "format": "xml"}, 400, "unknown-feed-format"),
        (b"sku\nA\n", "f.csv", {}, 400, "invalid-import-request"),
        (b"sku\nA\n", "f.csv", {"catalog": "a:b"}, 400, "invalid-import-request"),
        (b"sku\nA\n", "f.csv", {"catalog": "t", "dryRun": "maybe"}, 400, "invalid-import-request"),
    ],
)
async def test_bad_requests_get_a_stable_code_and_write_nothing(
    client: Client, data: bytes, filename: str, fields: dict[str, str], status: int, code: str
) -> None:
    head = repository(client).store.head
    body = await post(client, form(data, filename, **fields), status)
    assert body["code"] == code
    if code == "invalid-feed":
        assert body["details"]["errors"][0]["where"] in ("line 1", "products[0]")
    assert repository(client).store.head == head
    assert not await repository(client).session().exists(f"{ROOT}/t")


async def test_skip_invalid_answers_200_with_what_was_skipped(client: Client) -> None:
    doc = {"products": [{"sku": "A", "name": "a"}, {"name": "b"}, {"sku": "C", "price": "x"}]}
    body = await post(client, form(encode(doc), catalog="t", skipInvalid="true"))
    assert body["counts"]["created"] == 1
    assert [s["where"] for s in body["skipped"]] == ["products[1]", "products[2]"]


async def test_authors_may_import_and_other_users_may_not(
    client: Client, settings: Settings
) -> None:
    await load_roots(client)
    admin = basic("admin", settings.admin_password or "")
    for name, groups in (("alice", "authors"), ("bob", "")):
        resp = await client.post(
            "/system/userManager/user.create.json",
            data={":name": name, "pwd": "pw-123456", "pwdConfirm": "pw-123456"},
            headers=admin,
        )
        assert resp.status == 200, await resp.text()
        if groups:
            resp = await client.post(
                f"/system/userManager/group/{groups}.update.json",
                data={":member": name},
                headers=admin,
            )
            assert resp.status == 200, await resp.text()
    alice = await post(
        client, form(sample("trailhead.json"), catalog="t"), headers=basic("alice", "pw-123456")
    )
    assert alice["counts"]["created"] == 4
    resp = await client.post(
        URL, data=form(sample("trailhead.json"), catalog="u"), headers=basic("bob", "pw-123456")
    )
    assert resp.status in (403, 404)
    assert not await repository(client).session().exists(f"{ROOT}/u")


def test_the_cli_imports_with_a_progress_bar_and_exits_0(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = str(CATALOGS / "trailhead.json")
    assert commerce_main(["import", feed, "--catalog", "t", "--data-dir", settings.data_dir]) == 0
    out, err = capsys.readouterr()
    assert "4 created" in out
    assert "4/4 products" in err
    code = repo_main(
        ["commerce", "import", feed, "--catalog", "t", "--data-dir", settings.data_dir, "--json"]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["operations"] == 0


def test_the_cli_dry_run_and_bad_input_exit_codes(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    feed = str(CATALOGS / "trailhead.csv")
    args = ["--catalog", "t", "--data-dir", settings.data_dir]
    assert commerce_main(["import", feed, *args, "--dry-run"]) == 0
    assert "would change" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"products": [{"name": "no-sku"}]}')
    assert commerce_main(["import", str(bad), *args]) == 2
    assert "products[0]: the product has no SKU" in capsys.readouterr().err
    other = tmp_path / "feed.xml"
    other.write_text("<x/>")
    assert commerce_main(["import", str(other), *args]) == 2
    assert "unknown feed format" in capsys.readouterr().err
    assert commerce_main(["import", str(tmp_path / "missing.json"), *args]) == 2
