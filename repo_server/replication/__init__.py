"""Replication: agents, durable queues, transport and the publish-side receiver (spec §15).

Generic: any content replicates. Plugins add rules as `ReplicationPreprocessor` services and
hear what happened as `ReplicationListener` services (see `api.py`).
"""

from __future__ import annotations

from repo_server.config import Settings
from repo_server.replication.api import (
    RejectionReason,
    ReplicationAction,
    ReplicationActionType,
    ReplicationEvent,
    ReplicationListener,
    ReplicationOptions,
    ReplicationPreprocessor,
)
from repo_server.replication.errors import (
    ActivationRejected,
    NoReplicationAgent,
    ReplicationError,
    ReplicationPermissionError,
)
from repo_server.replication.replicator import ReplicationStatus, Replicator
from repo_server.replication.service import ReplicationService, replication_of
from repo_server.services import ServiceRegistry
from repo_server.session.session import Repository

__all__ = [
    "ActivationRejected",
    "NoReplicationAgent",
    "RejectionReason",
    "ReplicationAction",
    "ReplicationActionType",
    "ReplicationError",
    "ReplicationEvent",
    "ReplicationListener",
    "ReplicationOptions",
    "ReplicationPermissionError",
    "ReplicationPreprocessor",
    "ReplicationService",
    "ReplicationStatus",
    "Replicator",
    "replication_of",
    "start_replication",
]


async def start_replication(
    repository: Repository, settings: Settings, services: ServiceRegistry
) -> ReplicationService:
    """Attach replication to an open repository whose security is bootstrapped, and start it:
    on publish the receiver user, on author the default agent, then delivery."""
    service = await ReplicationService.attach(repository, settings, services)
    if settings.role == "publish":
        from repo_server.replication.receiver import ensure_receiver_user
        from repo_server.security import security_of

        await ensure_receiver_user(security_of(repository), settings)
    await service.start()
    return service
