"""Users, groups and access control (provisional: replaced by the access-control work)."""

from __future__ import annotations

from repo_server.config import Settings
from repo_server.session.session import Repository


async def bootstrap_security(repository: Repository, settings: Settings) -> None:
    """Create the admin account and default groups on first start (provisional: nothing)."""
    del repository, settings
