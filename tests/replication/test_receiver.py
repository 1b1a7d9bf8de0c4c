"""The publish side: who may deliver, what a forged or malformed call gets, idempotence."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app
from repo_server.http.keys import repository_key
from repo_server.replication import ReplicationActionType
from repo_server.replication.package import Package, PackageNode, encode, snapshot
from repo_server.replication.receiver import PASSWORD_FILE
from repo_server.security import security_of, users

from .replication_support import ADMIN, RECEIVER_PASSWORD, Client, Pair, assert_error, basic

RECEIVER = basic("replication-receiver", RECEIVER_PASSWORD)
MSGPACK = {"Content-Type": "application/x-msgpack"}


def _package(path: str = "/content/forged") -> bytes:
    node = PackageNode(path, "nt:unstructured", (), {})
    return encode(Package(ReplicationActionType.ACTIVATE, path, (), (node,)))


async def _absent(publish: Client, path: str = "/content/forged") -> None:
    assert not await publish.app[repository_key].session("admin").exists(path)


async def test_an_unauthenticated_call_is_refused(publish: Client) -> None:
    resp = await publish.post("/bin/receive", data=_package(), headers=MSGPACK)
    await assert_error(resp, 401, "unauthorized")
    await _absent(publish)


async def test_a_forged_password_is_refused(publish: Client) -> None:
    headers = {**MSGPACK, **basic("replication-receiver", "guess")}
    resp = await publish.post("/bin/receive", data=_package(), headers=headers)
    await assert_error(resp, 401, "invalid-credentials")
    await _absent(publish)


async def test_a_user_without_replication_rights_is_refused(publish: Client) -> None:
    repository = publish.app[repository_key]
    await users.create_user(
        security_of(repository), repository.session("admin"), "visitor", "pw-visitor", {}
    )
    headers = {**MSGPACK, **basic("visitor", "pw-visitor")}
    resp = await publish.post("/bin/receive", data=_package(), headers=headers)
    await assert_error(resp, 403, "replication-not-allowed")
    await _absent(publish)


async def test_a_malformed_package_is_refused(publish: Client) -> None:
    for body in (b"", b"not msgpack at all", b"\x81\xa1v\x07"):
        resp = await publish.post("/bin/receive", data=body, headers={**MSGPACK, **RECEIVER})
        await assert_error(resp, 400, "invalid-replication-package")


async def test_a_bad_entry_header_is_refused(publish: Client) -> None:
    headers = {**MSGPACK, **RECEIVER, "X-Replication-Origin": "o", "X-Replication-Entry": "x"}
    resp = await publish.post("/bin/receive", data=_package(), headers=headers)
    await assert_error(resp, 400, "invalid-input")
    await _absent(publish)


async def test_the_author_does_not_receive(author: Client) -> None:
    resp = await author.post("/bin/receive", data=_package(), headers={**MSGPACK, **ADMIN})
    await assert_error(resp, 403, "receiver-disabled")


async def test_an_entry_delivered_twice_is_applied_once(pair: Pair) -> None:
    await pair.make_page("/content/site/a", "First")
    repository = pair.repo(pair.author)
    package = await repository.store.read(
        lambda r: snapshot(r, ReplicationActionType.ACTIVATE, "/content/site/a")
    )
    headers = {**MSGPACK, **RECEIVER, "X-Replication-Origin": "test/agent"}
    resp = await pair.publish.post(
        "/bin/receive", data=package, headers={**headers, "X-Replication-Entry": "7"}
    )
    assert (await resp.json())["status"] == "applied"
    session = pair.repo(pair.publish).session("admin")
    await session.set_property("/content/site/a/jcr:content", "jcr:title", "Changed on publish")
    await session.save()
    for entry in ("7", "5"):
        resp = await pair.publish.post(
            "/bin/receive", data=package, headers={**headers, "X-Replication-Entry": entry}
        )
        assert (await resp.json())["status"] == "duplicate"
    content = await (await pair.on_publish("/content/site/a/jcr:content")).json()
    assert content["jcr:title"] == "Changed on publish"
    resp = await pair.publish.post(
        "/bin/receive", data=package, headers={**headers, "X-Replication-Entry": "8"}
    )
    assert (await resp.json())["status"] == "applied"
    content = await (await pair.on_publish("/content/site/a/jcr:content")).json()
    assert content["jcr:title"] == "First"


async def test_publish_refuses_authoring_writes(publish: Client) -> None:
    for headers in ({}, RECEIVER):
        resp = await publish.post("/content/x", data={"a": "1"}, headers=headers)
        assert resp.status == 403
        assert "access-denied" in await resp.text()
    await _absent(publish, "/content/x")


async def test_receiver_password_is_written_to_the_data_dir_when_not_configured(
    aiohttp_client: AiohttpClient, publish_settings: Settings
) -> None:
    settings = replace(
        publish_settings, data_dir=publish_settings.data_dir + "-2", replication_password=None
    )
    client = await aiohttp_client(create_app(settings))
    path = os.path.join(settings.data_dir, PASSWORD_FILE)
    assert os.stat(path).st_mode & 0o777 == 0o600
    password = (await asyncio.to_thread(Path(path).read_text, encoding="utf-8")).strip()
    resp = await client.post(
        "/bin/receive",
        data=_package(),
        headers={**MSGPACK, **basic("replication-receiver", password)},
    )
    assert resp.status == 200, await resp.text()
