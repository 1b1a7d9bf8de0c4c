"""Replication over HTTP: `POST /bin/replicate.json` (AEM's endpoint), the agents' queues,
the replication status of a path, and the publish-side receiver `POST /bin/receive`.

`setup_routes` also puts the replication service into the app's cleanup context, after the
repository's (it needs the store open and security bootstrapped), so its delivery tasks start
with the app and stop before the store closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Final

from aiohttp import web
from multidict import MultiDict

from repo_server.errors import InvalidInput, NodeNotFound, Unauthorized
from repo_server.http.keys import extensions_key, repository_key, settings_key
from repo_server.http.security_http import policy_of, require_admin, session_for
from repo_server.model import path as P
from repo_server.replication import ReplicationActionType, replication_of, start_replication
from repo_server.replication.errors import (
    MissingCommand,
    MissingPath,
    ReceiverDisabled,
    UnknownCommand,
)
from repo_server.replication.receiver import receive, receive_batch
from repo_server.replication.service import ReplicationService
from repo_server.replication.transport import BATCH_CONTENT_TYPE, ENTRY_HEADER, ORIGIN_HEADER
from repo_server.security.acl import ANONYMOUS

_TRUE: Final = frozenset({"true", "1", "yes", "on"})


def _service(request: web.Request) -> ReplicationService:
    return replication_of(request.app[repository_key])


async def _params(request: web.Request) -> MultiDict[str]:
    """Query string and form fields together (AEM's servlet reads both)."""
    out: MultiDict[str] = MultiDict(request.query)
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, value in (await request.post()).items():
            if isinstance(value, str):
                out.add(key, value)
    return out


def parse_command(params: MultiDict[str]) -> ReplicationActionType:
    raw = params.get("cmd", "").strip()
    if not raw:
        raise MissingCommand("the field 'cmd' (Activate or Deactivate) is required", field="cmd")
    action = ReplicationActionType.from_name(raw)
    if action is None:
        raise UnknownCommand(f"unknown replication command {raw!r}", cmd=raw)
    return action


def parse_paths(params: MultiDict[str]) -> list[str]:
    raw = [p.strip() for p in params.getall("path", []) if p.strip()]
    if not raw:
        raise MissingPath("at least one 'path' field is required", field="path")
    return [P.normalize(p) for p in raw]  # InvalidPath (400) for a malformed one


async def replicate(request: web.Request) -> web.Response:
    params = await _params(request)
    action = parse_command(params)
    paths = parse_paths(params)
    deep = params.get("deep", "").strip().lower() in _TRUE
    policy = policy_of(request)
    queued = await _service(request).replicator.replicate(
        policy.user_id, action, paths, access=policy, deep=deep
    )
    return web.json_response(
        {
            "status": 200,
            "cmd": action.value,
            "paths": list(dict.fromkeys(q.path for q in queued)),
            "queued": [
                {"agent": q.agent, "id": q.id, "action": q.action, "path": q.path} for q in queued
            ],
        }
    )


async def _readable_agent(request: web.Request) -> str:
    name = request.match_info["name"]
    folder = request.match_info["folder"]
    service = _service(request)
    path = P.join(P.join("/etc/replication", folder), name)
    if path != P.join(service.agents.root, name) or not await session_for(request).exists(path):
        raise NodeNotFound(f"no replication agent at {path}", path=path)
    return name


async def get_queue(request: web.Request) -> web.Response:
    name = await _readable_agent(request)
    service = _service(request)
    agent, queue = await service.agent_queue(name)
    status = await queue.status()
    entries = await queue.entries()
    return web.json_response(
        {
            "agent": agent.to_json(),
            "state": status.state,
            "paused": queue.paused,
            "statusTime": status.status_time,
            "nextRetry": status.next_retry_time,
            "processingSince": status.processing_since,
            "lastProcessTime": status.last_process_time,
            "entries": [e.to_json() for e in entries],
        }
    )


async def post_queue(request: web.Request) -> web.Response:
    """`cmd=retry` retries the head now; `cmd=clear` drops the given `id`s (all without)."""
    require_admin(request)
    name = await _readable_agent(request)
    params = await _params(request)
    service = _service(request)
    _agent, queue = await service.agent_queue(name)
    cmd = params.get("cmd", "").strip().lower()
    if cmd == "retry":
        await service.force_retry(name)
        return web.json_response({"status": 200, "cmd": "retry"})
    if cmd == "clear":
        try:
            ids = [int(i) for i in params.getall("id", [])]
        except ValueError:
            raise InvalidInput("queue entry ids are integers", field="id") from None
        removed = await queue.clear(ids or None)
        return web.json_response({"status": 200, "cmd": "clear", "removed": removed})
    if not cmd:
        raise MissingCommand("the field 'cmd' (retry or clear) is required", field="cmd")
    raise UnknownCommand(f"unknown queue command {cmd!r}", cmd=cmd)


async def get_status(request: web.Request) -> web.Response:
    """`GET /bin/replication/status.json?path=...`: the recorded status and what is pending."""
    path = P.normalize(request.query.get("path", "") or "")
    await session_for(request).node(path)
    status = await _service(request).replicator.replication_status(path)
    body: dict[str, Any] = {"path": path, "replicated": status is not None}
    if status is not None:
        body.update(
            {
                "lastReplicated": status.last_replicated.isoformat()
                if status.last_replicated
                else None,
                "lastReplicatedBy": status.last_replicated_by,
                "lastReplicationAction": status.last_action,
                "pending": [e.to_json() | {"agent": e.agent} for e in status.pending],
                "isActivated": status.is_activated,
                "isDelivered": status.is_delivered,
            }
        )
    return web.json_response(body)


async def receive_package(request: web.Request) -> web.Response:
    if request.app[settings_key].role != "publish":
        raise ReceiverDisabled("only a publish instance receives replication")
    policy = policy_of(request)
    if policy.user_id == ANONYMOUS:
        raise Unauthorized("replication needs the credentials of a replication user")
    origin = request.headers.get(ORIGIN_HEADER)
    repository = request.app[repository_key]
    if request.content_type == BATCH_CONTENT_TYPE:
        batch = await receive_batch(repository, policy, await request.read(), origin)
        return web.json_response({"status": 200, **batch})
    raw_id = request.headers.get(ENTRY_HEADER)
    try:
        entry_id = int(raw_id) if raw_id is not None else None
    except ValueError:
        raise InvalidInput(f"{ENTRY_HEADER} must be an integer", header=ENTRY_HEADER) from None
    body = await request.read()
    result = await receive(repository, policy, body, origin, entry_id)
    return web.json_response({"status": 200, **result})


async def _replication_ctx(app: web.Application) -> AsyncIterator[None]:
    service = await start_replication(
        app[repository_key], app[settings_key], app[extensions_key].services
    )
    try:
        yield
    finally:
        await service.stop()


def setup_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(_replication_ctx)
    router = app.router
    router.add_post("/bin/replicate.json", replicate)
    router.add_post("/bin/replicate", replicate)
    router.add_get("/bin/replication/status.json", get_status)
    router.add_post("/bin/receive", receive_package)
    agent = r"/etc/replication/{folder:agents\.[^/.]+}/{name:[^/]+}.queue.json"
    router.add_get(agent, get_queue)
    router.add_post(agent, post_queue)
