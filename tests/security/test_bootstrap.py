"""First start of a data directory: the admin password, built-in accounts, default ACLs."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from repo_server.config import Settings, load_settings
from repo_server.security import bootstrap_security, security_of
from repo_server.security.errors import InvalidCredentials
from repo_server.session.session import Repository
from repo_server.store.sqlite import SQLiteNodeStore


def read_files(directory: str) -> dict[str, bytes]:
    """Every file of a directory (the store, its WAL, secrets) by name."""
    return {name: Path(directory, name).read_bytes() for name in os.listdir(directory)}


def password_file(directory: str) -> tuple[str, int] | None:
    """The admin-password file's text and permission bits, if it exists."""
    path = Path(directory, "admin-password")
    if not path.exists():
        return None
    return path.read_text().strip(), stat.S_IMODE(path.stat().st_mode)


async def start(settings: Settings) -> Repository:
    repo = Repository(SQLiteNodeStore(settings.store_path))
    await repo.open()
    await bootstrap_security(repo, settings)
    return repo


@pytest.fixture
def random_settings(settings: Settings) -> Settings:
    return replace(settings, admin_password=None)


@pytest.fixture
async def started(settings: Settings) -> AsyncIterator[Repository]:
    repo = await start(settings)
    try:
        yield repo
    finally:
        await repo.close()


async def test_the_configured_admin_password_is_used_and_not_written_anywhere(
    started: Repository, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await security_of(started).authenticate("admin", "admin-secret") == "admin"
    assert await asyncio.to_thread(password_file, settings.data_dir) is None
    assert "admin-secret" not in capsys.readouterr().out


async def test_the_environment_variable_sets_the_first_admin_password(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"REPO_ADMIN_PASSWORD": "from-env", "REPO_DATA_DIR": str(tmp_path / "d")}
    )
    repo = await start(settings)
    try:
        assert await security_of(repo).authenticate("admin", "from-env") == "admin"
    finally:
        await repo.close()


async def test_without_a_password_a_random_one_is_written_0600_and_printed_once(
    random_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = await start(random_settings)
    try:
        found = await asyncio.to_thread(password_file, random_settings.data_dir)
        assert found is not None
        password, mode = found
        assert len(password) >= 20
        assert mode == 0o600
        assert password in capsys.readouterr().out
        assert await security_of(repo).authenticate("admin", password) == "admin"
    finally:
        await repo.close()
    repo = await start(replace(random_settings, admin_password="ignored-later"))
    try:
        assert capsys.readouterr().out == ""
        assert await asyncio.to_thread(password_file, random_settings.data_dir) == (
            password,
            0o600,
        )
        assert await security_of(repo).authenticate("admin", password) == "admin"
        with pytest.raises(InvalidCredentials):
            await security_of(repo).authenticate("admin", "ignored-later")
    finally:
        await repo.close()


async def test_first_start_creates_the_accounts_folders_and_default_acls(
    started: Repository,
) -> None:
    session = started.session("admin")
    for path, primary_type in (
        ("/home", "rep:AuthorizableFolder"),
        ("/home/users/admin", "rep:User"),
        ("/home/users/anonymous", "rep:User"),
        ("/home/groups/authors", "rep:Group"),
        ("/home/groups/administrators", "rep:Group"),
        ("/content", "sling:OrderedFolder"),
        ("/etc/commerce", "sling:Folder"),
        ("/rep:policy", "rep:ACL"),
        ("/content/rep:policy", "rep:ACL"),
        ("/etc/commerce/rep:policy", "rep:ACL"),
    ):
        assert (await session.node(path)).primary_type == primary_type, path
    root = await session.node("/")
    assert "rep:AccessControllable" in root.mixins
    with pytest.raises(InvalidCredentials):
        await security_of(started).authenticate("anonymous", "")


async def test_no_password_reaches_the_database_file_or_the_log(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    repo = await start(settings)
    try:
        await security_of(repo).authenticate("admin", "admin-secret")
        with pytest.raises(InvalidCredentials):
            await security_of(repo).authenticate("admin", "typo-secret")
    finally:
        await repo.close()
    for name, data in (await asyncio.to_thread(read_files, settings.data_dir)).items():
        assert b"admin-secret" not in data, name
        assert b"typo-secret" not in data, name
    assert "secret" not in caplog.text


async def test_login_tokens_survive_a_restart(settings: Settings) -> None:
    repo = await start(settings)
    try:
        token = await security_of(repo).issue_token("admin")
    finally:
        await repo.close()
    repo = await start(settings)
    try:
        assert await security_of(repo).authenticate_token(token) == "admin"
    finally:
        await repo.close()
