"""The one exception hierarchy of the repository; `http/middleware.py` maps it to responses.

Every class carries the HTTP status and a stable, kebab-case machine code. The code is public
API: it never changes meaning. Keyword details given to the constructor go to the response body.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RepoError(Exception):
    """Root of all repository errors: an unexpected failure unless a subclass says otherwise."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message


# --- 400: the client sent something malformed -------------------------------------------------
class InvalidInput(RepoError):
    status = 400
    code = "invalid-input"


class InvalidPath(InvalidInput):
    code = "invalid-path"


class InvalidName(InvalidInput):
    code = "invalid-name"


class InvalidValue(InvalidInput):
    """A value that cannot be parsed or converted to the requested property type."""

    code = "invalid-value"


class InvalidPointer(InvalidInput):
    code = "invalid-pointer"


class InvalidNodeTypeDefinition(InvalidInput):
    code = "invalid-node-type-definition"


class ConstraintViolation(InvalidInput):
    """A node-type rule would be broken (mandatory, protected, allowed types, value constraints)."""

    code = "constraint-violation"


class ProtectedItem(ConstraintViolation):
    code = "protected-item"


class InvalidSelector(InvalidInput):
    code = "invalid-selector"


class InvalidOperation(InvalidInput):
    code = "invalid-operation"


class InvalidToken(InvalidInput):
    code = "invalid-token"


# --- 401/403: who you are and what you may do -------------------------------------------------
class Unauthorized(RepoError):
    status = 401
    code = "unauthorized"


class Forbidden(RepoError):
    status = 403
    code = "forbidden"


class AccessDenied(Forbidden):
    code = "access-denied"


class DeleteWithSelectors(Forbidden):
    """Sling refuses `:operation=delete` on a URL with selectors, extension or suffix."""

    code = "delete-with-selectors"


# --- 404 -------------------------------------------------------------------------------------
class NotFound(RepoError):
    status = 404
    code = "not-found"


class NodeNotFound(NotFound):
    code = "node-not-found"


class PropertyNotFound(NotFound):
    code = "property-not-found"


class NodeTypeNotFound(NotFound):
    code = "node-type-not-found"


class NamespaceNotFound(NotFound):
    code = "namespace-not-found"


# --- 409: the request conflicts with the current state ---------------------------------------
class Conflict(RepoError):
    status = 409
    code = "conflict"


class NodeExists(Conflict):
    code = "node-exists"


class MoveIntoDescendant(Conflict):
    code = "move-into-descendant"


class ReferentialIntegrity(Conflict):
    """Removing a node (or its referenceability) that REFERENCE properties still point to."""

    code = "referential-integrity"


class ConcurrentModification(Conflict):
    """Another commit changed what this session changed (spec §10.4): refresh and retry."""

    code = "concurrent-modification"


class NodeTypeInUse(Conflict):
    code = "node-type-in-use"


class IllegalNodeName(Conflict):
    """A name posted to the Sling POST servlet that is not a valid node name (sling-http §3.13)."""

    code = "illegal-node-name"


class ChildNodeNotAllowed(Conflict):
    """The parent's node type allows no such child (e.g. under nt:file): 409 in Sling."""

    code = "child-node-not-allowed"


class UnknownSibling(Conflict):
    code = "unknown-sibling"


class PatchTestFailed(Conflict):
    """A JSON Patch `test` operation did not match."""

    code = "patch-test-failed"


# --- 412/413 ---------------------------------------------------------------------------------
class PreconditionFailed(RepoError):
    status = 412
    code = "precondition-failed"


class StaleRevision(PreconditionFailed):
    code = "stale-revision"


class DestinationExists(PreconditionFailed):
    code = "destination-exists"


class DestinationParentMissing(PreconditionFailed):
    code = "destination-parent-missing"


class MissingParameter(PreconditionFailed):
    """A Sling operation parameter is missing (import without content): 412 in Sling."""

    code = "missing-parameter"


class PayloadTooLarge(RepoError):
    status = 413
    code = "payload-too-large"


class UnsupportedMediaType(RepoError):
    status = 415
    code = "unsupported-media-type"


class UnprocessableValue(RepoError):
    """Sling answers 422 for values that do not convert to the requested type (sling-http §3.13)."""

    status = 422
    code = "unprocessable-value"


class NodeTypeConstraint(UnprocessableValue):
    """A node-type constraint broken by a Sling POST (422 there, sling-http §3.13)."""

    code = "node-type-constraint"


# --- 500s the Sling POST servlet mandates (sling-http §3.13) ---------------------------------
class PostFailed(RepoError):
    code = "post-failed"


class UnknownOperation(PostFailed):
    code = "unknown-operation"


class MissingDestination(PostFailed):
    code = "missing-destination"


class DestinationNotFolder(PostFailed):
    code = "destination-not-folder"


class InvalidOrder(PostFailed):
    code = "invalid-order"


class NameInUse(PostFailed):
    code = "name-in-use"


# --- 503 -------------------------------------------------------------------------------------
class Unavailable(RepoError):
    status = 503
    code = "unavailable"


class StoreUnavailable(Unavailable):
    code = "store-unavailable"


class QueryLimitExceeded(InvalidInput):
    code = "query-limit-exceeded"
