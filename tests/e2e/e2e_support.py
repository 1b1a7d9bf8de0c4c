"""Helpers of the end-to-end tests: server processes we start, and how to stop them."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
