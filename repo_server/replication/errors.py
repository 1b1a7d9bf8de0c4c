"""Errors of replication: leaves of the families in `repo_server.errors` with stable codes."""

from __future__ import annotations

from repo_server.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable


class ReplicationError(Unavailable):
    """Replication cannot run (spec §15 `ReplicationError`)."""

    code = "replication-failed"


class NoReplicationAgent(ReplicationError):
    """No enabled agent would take the request."""

    code = "no-replication-agent"


class ReplicationPermissionError(Forbidden):
    """The user lacks `crx:replicate` on one of the paths (nothing was replicated)."""

    code = "replication-not-allowed"


class ActivationRejected(Conflict):
    """A preprocessor vetoed the request; `details["reasons"]` lists `{path, product, reason}`."""

    code = "activation-rejected"


class MissingCommand(InvalidInput):
    code = "missing-command"


class UnknownCommand(InvalidInput):
    code = "unknown-command"


class MissingPath(InvalidInput):
    code = "missing-path"


class InvalidPackage(InvalidInput):
    """A receiver request whose body is not a replication package."""

    code = "invalid-replication-package"


class ReceiverDisabled(Forbidden):
    """Replication is received by publish instances only."""

    code = "receiver-disabled"


class AgentNotFound(NotFound):
    code = "agent-not-found"
