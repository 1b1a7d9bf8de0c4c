"""Real server processes for the end-to-end tests (helpers in `e2e_support.py`).

start_server (factory: `python -m repo_server serve` on a free port and its own data dir;
polls /system/health; terminates, waits and if needed kills only the processes it started)
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .e2e_support import (
    ADMIN_PASSWORD,
    RECEIVER_PASSWORD,
    Server,
    StartServer,
    free_port,
    stop,
    wait_healthy,
)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    started: list[Server] = []

    def start(role: str, *extra: str, name: str | None = None, port: int | None = None) -> Server:
        data_dir = tmp_path / (name or role)
        data_dir.mkdir(exist_ok=True)
        port = port or free_port()
        log = tmp_path / f"{name or role}-{len(started)}.log"
        env = {
            **os.environ,
            "REPO_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "REPO_REPLICATION_PASSWORD": RECEIVER_PASSWORD,
            "REPO_REPLICATION_RETRY_DELAY_MS": "300",
        }
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "repo_server",
                    "serve",
                    "--role",
                    role,
                    "--port",
                    str(port),
                    "--data-dir",
                    str(data_dir),
                    *extra,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        server = Server(process, port, data_dir, log)
        started.append(server)
        wait_healthy(server)
        return server

    yield start
    for server in reversed(started):
        stop(server)
