"""`repo-server serve` and `get`: run the HTTP server, or answer one request in-process."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from repo_server.config import Settings
from repo_server.http.app import create_app
from repo_server.loader import load_document, read_document
from repo_server.session.session import Repository
from repo_server.store.sqlite import SQLiteNodeStore

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_files(sets: tuple[str, ...] = ("roots", "examples", "demo")) -> list[Path]:
    """The fixture files of the given sets, in MANIFEST order (parents first)."""
    manifest = json.loads((FIXTURES / "MANIFEST.json").read_text(encoding="utf-8"))
    entries = manifest["files"] if isinstance(manifest, dict) else manifest
    return [FIXTURES / e["file"] for e in entries if e.get("set") in sets]


async def load_demo(settings: Settings) -> int:
    """Load the demo content unless the repository already has content under /etc/commerce."""
    repository = Repository(SQLiteNodeStore(settings.store_path))
    await repository.open()
    try:
        session = repository.session("admin")
        if await session.exists("/etc/commerce/products"):
            return 0
        total = 0
        for filename in fixture_files():
            total += await load_document(session, read_document(str(filename)))
        return total
    finally:
        await repository.close()


def serve(settings: Settings) -> int:
    os.makedirs(settings.data_dir, exist_ok=True)
    if settings.load_demo and FIXTURES.exists():
        loaded = asyncio.run(load_demo(settings))
        if loaded:
            print(f"Loaded the demo content ({loaded} nodes).", flush=True)
    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/"

    def announce(*_: Any) -> None:
        password_file = os.path.join(settings.data_dir, "admin-password")
        if settings.admin_password:
            how = "the password from REPO_ADMIN_PASSWORD"
        elif os.path.exists(password_file):
            how = f"the password in {password_file}"
        else:
            how = "the password set on first start"
        print(
            f"Repository ({settings.role}) on {url}\n"
            f"  browse: {url}content.html   health: {url}system/health\n"
            f"  log in as admin with {how}",
            flush=True,
        )

    web.run_app(app, host=settings.host, port=settings.port, print=announce)
    return 0


async def get_once(settings: Settings, url: str, user: str) -> int:
    """GET one URL against an in-process app and print status, headers and body."""
    from aiohttp.test_utils import TestClient, TestServer

    app = create_app(settings)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        headers = {}
        password = settings.admin_password
        password_file = Path(settings.data_dir) / "admin-password"
        if password is None and password_file.exists():
            password = password_file.read_text(encoding="utf-8").strip()
        if password and user == "admin":
            from aiohttp import encode_basic_auth

            headers["Authorization"] = encode_basic_auth("admin", password)
        resp = await client.get(url, headers=headers)
        body = await resp.read()
        print(f"{resp.status} {resp.reason}")
        for key, value in resp.headers.items():
            print(f"{key}: {value}")
        print()
        sys.stdout.write(body.decode("utf-8", "replace"))
        sys.stdout.write("\n")
        return 0 if resp.status < 400 else 1
