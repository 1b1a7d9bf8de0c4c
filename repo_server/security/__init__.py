"""Users, groups, authentication and access control of the repository.

`bootstrap_security` runs at application start: it attaches a `SecurityManager` to the
repository (credentials table, token secret, compiled ACLs kept fresh from the journal) and,
on the first start of a data directory, creates the built-in accounts and default ACLs.
"""

from __future__ import annotations

from repo_server.config import Settings
from repo_server.security.acl import ADMIN, AclPolicy
from repo_server.security.defaults import install_defaults, set_first_admin_password
from repo_server.security.manager import SecurityManager, security_of
from repo_server.session.session import Repository

__all__ = ["AclPolicy", "SecurityManager", "bootstrap_security", "security_of"]


async def bootstrap_security(repository: Repository, settings: Settings) -> None:
    """Attach security to `repository`; on first start seed accounts, ACLs and the admin."""
    manager = await SecurityManager.attach(repository, settings)
    # "First start" = no admin credentials yet: a crash half-way through seeding repeats it.
    if await manager.password_hash(ADMIN) is None:
        await install_defaults(manager)
        await set_first_admin_password(manager, settings.admin_password)
