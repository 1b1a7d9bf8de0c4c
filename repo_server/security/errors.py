"""Errors of authentication, user management and access control.

Leaves of the families in `repo_server.errors` (as `commerce/errors.py` does), so the error
middleware renders them like any other: 401s get `WWW-Authenticate` from there.
"""

from __future__ import annotations

from repo_server.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized


class InvalidCredentials(Unauthorized):
    """Unknown user, wrong password, or an account that may not log in."""

    code = "invalid-credentials"


class MalformedCredentials(Unauthorized):
    """An `Authorization: Basic` header that does not decode to `user:password`."""

    code = "malformed-credentials"


class InvalidLoginToken(Unauthorized):
    """A login-token cookie that is tampered with, expired, or older than a password change."""

    code = "invalid-login-token"


class OriginNotAllowed(Forbidden):
    """A browser write from an origin outside `allowed_origins` (Sling's referrer filter)."""

    code = "origin-not-allowed"


class AdminRequired(Forbidden):
    code = "admin-required"


class MissingField(InvalidInput):
    """A required form field is absent or empty."""

    code = "missing-field"


class PasswordMismatch(InvalidInput):
    code = "password-mismatch"


class InvalidAuthorizableId(InvalidInput):
    code = "invalid-authorizable-id"


class InvalidPrivilege(InvalidInput):
    code = "invalid-privilege"


class UnknownPrincipal(InvalidInput):
    """An access control entry or group membership names no existing user or group."""

    code = "unknown-principal"


class AuthorizableNotFound(NotFound):
    code = "authorizable-not-found"


class AuthorizableExists(Conflict):
    code = "authorizable-exists"


class ProtectedAuthorizable(Forbidden):
    """The built-in accounts (`admin`, `anonymous`, `everyone`) cannot be deleted."""

    code = "protected-authorizable"


class CyclicMembership(InvalidInput):
    """A group would end up a member of itself."""

    code = "cyclic-membership"
