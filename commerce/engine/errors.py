"""The engine's one exception hierarchy; each class carries its HTTP status and SAP error code."""

from __future__ import annotations

from typing import ClassVar


class EngineError(Exception):
    """Root of every error the engine reports to a client (spec §8).

    ``status`` and ``code`` are class attributes so the middleware maps any error by MRO; ``code``
    values are SAP's names and are public API. ``inner`` becomes ``innererror`` (usually the
    integrationKey of the failing item).
    """

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, inner: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.inner = inner


class InvalidInput(EngineError):
    """The request cannot be processed as sent (400)."""

    status = 400
    code = "runtime_error"


class MissingKey(InvalidInput):
    code = "missing_key"


class MissingNavProperty(InvalidInput):
    code = "missing_nav_property"


class MissingProperty(InvalidInput):
    code = "missing_property"


class InvalidProperty(InvalidInput):
    code = "invalid_property"


class InvalidAttributeValue(InvalidInput):
    code = "invalid_attribute_value"


class InvalidLanguage(InvalidInput):
    code = "invalid_language"


class InvalidKey(InvalidInput):
    code = "invalid_key"


class InvalidQueryParameter(InvalidInput):
    code = "invalid_query_parameter"


class FilterNotSupported(InvalidInput):
    code = "filter_not_supported"


class OperatorNotSupported(InvalidInput):
    code = "operator_not_supported"


class IntegrationKeyNotSupported(InvalidInput):
    code = "integration_key_not_supported"


class OrderByIntegrationKeyNotSupported(InvalidInput):
    code = "order_by_integration_key_not_supported"


class OrderByNestedAttributeNotSupported(InvalidInput):
    code = "order_by_nested_attribute_not_supported"


class ODataError(InvalidInput):
    """The body does not match the EDMX (malformed JSON, wrong shapes)."""

    code = "odata_error"


class HookNotFound(InvalidInput):
    code = "hook_not_found"


class PrePersistError(InvalidInput):
    code = "pre_persist_error"


class PostPersistError(InvalidInput):
    code = "post_persist_error"


class InvalidHookHeader(InvalidInput):
    code = "invalid_hook_header"


class BatchLimitExceeded(InvalidInput):
    code = "batch_limit_exceeded"


class DeletionFailure(InvalidInput):
    code = "deletion_failure"


class SchemaGenerationError(InvalidInput):
    code = "schema_generation_error"


class MisconfiguredAttribute(InvalidInput):
    """An integration object definition is inconsistent (key cycle, unknown attribute...)."""

    code = "misconfigured_attribute"


class Unauthorized(EngineError):
    status = 401
    code = "unauthorized"


class Forbidden(EngineError):
    status = 403
    code = "forbidden"


class NotFound(EngineError):
    status = 404
    code = "not_found"


class UnknownKeyOnDelete(NotFound):
    """DELETE of an unknown key: SAP answers 404 with ``invalid_key``."""

    code = "invalid_key"


class MethodNotAllowed(EngineError):
    status = 405
    code = "method_not_allowed"


class NotAcceptable(EngineError):
    status = 406
    code = "not_acceptable"


class UnsupportedMediaType(EngineError):
    status = 415
    code = "unsupported_media_type"


class StoreUnavailable(EngineError):
    status = 503
    code = "service_unavailable"
