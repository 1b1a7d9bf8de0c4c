"""Helpers of the end-to-end tests: server processes we start, and how to stop them."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADMIN_PASSWORD = "e2e-admin-secret"
RECEIVER_PASSWORD = "e2e-receiver-secret"
STARTUP_TIMEOUT_S = 30.0


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(
                f"server exited with {server.process.returncode}: {server.log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/system/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not healthy in time: {server.log.read_text()[-2000:]}")


def stop(server: Server) -> None:
    """Stop one server we started: terminate, wait, kill if it does not go."""
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


StartServer = Callable[..., Server]


# --- talking to the servers over HTTP (urllib: no event loop in these tests) -------------------
ADMIN = "Basic " + base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()


def request(
    url: str, fields: list[tuple[str, str]] | None = None, *, auth: bool = True
) -> tuple[int, Any]:
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if auth:
        req.add_header("Authorization", ADMIN)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode("utf-8", "replace")


def make_page(author: str, path: str, title: str) -> None:
    status, body = request(f"{author}{path}", [("jcr:primaryType", "cq:Page")])
    assert status in (200, 201), body
    status, body = request(
        f"{author}{path}/jcr:content",
        [("jcr:primaryType", "cq:PageContent"), ("jcr:title", title)],
    )
    assert status in (200, 201), body


def set_title(author: str, path: str, title: str) -> None:
    status, body = request(f"{author}{path}/jcr:content", [("jcr:title", title)])
    assert status == 200, body


def replicate(author: str, cmd: str, *paths: str) -> dict[str, Any]:
    status, body = request(
        f"{author}/bin/replicate.json", [("cmd", cmd), *(("path", p) for p in paths)]
    )
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def queue(author: str) -> dict[str, Any]:
    status, body = request(f"{author}/etc/replication/agents.author/publish.queue.json")
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def wait_for(check: Any, what: str, within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def published(publish: str, path: str) -> tuple[int, Any]:
    return request(f"{publish}{path}.json", auth=False)
