"""Commerce errors (commerce-api §1): subclasses of the families of `repo_server.errors`.

`CommerceError` is the root every commerce failure can be caught by; each leaf also inherits the
repository family that says what an HTTP client can do about it, so the one error middleware
answers with the right status and a stable code.
"""

from __future__ import annotations

from typing import Any

from repo_server.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RepoError,
    Unavailable,
)


class CommerceError(RepoError):
    """Root of the commerce errors; `cause` keeps the original exception when there is one."""

    def __init__(self, message: str, *, cause: BaseException | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause


class NotAuthorizedError(CommerceError, Forbidden):
    code = "not-authorized"


class ProviderNotFoundError(CommerceError, Unavailable):
    """`cq:commerceProvider` names a provider with no registered factory, or none exists."""

    code = "provider-unavailable"


class ServiceUnavailableError(CommerceError, Unavailable):
    code = "service-unavailable"


class ProductStructureError(CommerceError, Conflict):
    """A broken product tree: a variant with no base, a `productData` cycle."""

    code = "product-structure"


class NotAProductError(CommerceError, NotFound):
    """The resource does not adapt to a product (HTTP renderings only; Python gets None)."""

    code = "not-a-product"


class InvalidFilterError(CommerceError, InvalidInput):
    code = "invalid-filter"


class NotPurchasableError(CommerceError, Conflict):
    code = "not-purchasable"


class InvalidQuantityError(CommerceError, InvalidInput, ValueError):
    code = "invalid-quantity"


class CartEntryIndexError(CommerceError, InvalidInput, IndexError):
    code = "cart-entry-index"


class ReadOnlyCartEntryError(CommerceError, Conflict):
    code = "read-only-cart-entry"


class PriceNotFoundError(CommerceError, NotFound):
    code = "price-not-found"


class CurrencyError(CommerceError, InvalidInput):
    code = "currency"


class VoucherError(CommerceError, InvalidInput):
    code = "voucher"

    def __init__(self, message: str, *, shopper_message: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.shopper_message = shopper_message or message


class EmptyCartError(CommerceError, Conflict):
    code = "empty-cart"


class OrderValidationError(CommerceError, InvalidInput):
    code = "order-validation"

    def __init__(
        self,
        message: str,
        *,
        missing: tuple[str, ...] = (),
        invalid: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, missing=list(missing), invalid=dict(invalid or {}), **details)
        self.missing = missing
        self.invalid = dict(invalid or {})


class PaymentError(CommerceError, PreconditionFailed):
    code = "payment"


class QueryError(CommerceError, InvalidInput, ValueError):
    code = "invalid-query"


class UnsupportedOperationError(CommerceError):
    status = 501
    code = "unsupported-operation"


class ImporterError(CommerceError):
    code = "importer"


class InvalidFeedError(ImporterError, InvalidInput):
    """A catalog feed that cannot be imported; `details.errors` names each bad line or item."""

    status = 422
    code = "invalid-feed"


class UnknownFeedFormatError(ImporterError, InvalidInput):
    code = "unknown-feed-format"


class InvalidImportRequestError(ImporterError, InvalidInput):
    """An import request without a catalog or a file, or with an unusable option."""

    code = "invalid-import-request"


class ImportInProgressError(ImporterError, Conflict):
    code = "import-in-progress"


class ReplicationError(CommerceError):
    code = "replication"


class ReplicationPermissionError(ReplicationError, Forbidden):
    code = "replication-permission"


class ActivationRejectedError(ReplicationError, Conflict):
    code = "activation-rejected"


# --- CommerceSession (issue 5) --------------------------------------------------------------------
class PaymentDeclinedError(PaymentError):
    """The payment connector declined the charge; the cart is kept."""

    status = 402
    code = "payment-declined"


class InvalidMoneyError(CommerceError, InvalidInput, ValueError):
    """An amount that is not a finite decimal, or a currency that does not match."""

    code = "invalid-money"


class SensitiveFieldError(CommerceError, InvalidInput, ValueError):
    """Card or payment data outside `submit_order` (spec §6.5): it is never stored."""

    code = "sensitive-field"


class CartCookieError(CommerceError, InvalidInput):
    """The anonymous cart cookie is not one this server signed (tampered or foreign)."""

    code = "cart-cookie"


class InvalidCommerceRequest(CommerceError, InvalidInput):
    """A malformed `/bin/commerce` request: bad JSON, a missing field, an unknown operation."""

    code = "invalid-request"


# --- catalog versions and activation (issue 6) ----------------------------------------------------
class NotInCatalogVersionError(CommerceError, NotFound):
    """The product (or the product data a page needs) is not in the catalog version asked for."""

    code = "not-in-catalog-version"


class InvalidCatalogVersionError(CommerceError, InvalidInput):
    """`catalogVersion` names neither `Staged` nor `Online`."""

    code = "invalid-catalog-version"


class NotProductDataError(CommerceError, InvalidInput):
    """`commerce:sync` / `commerce:unsync` on a path outside the product data."""

    code = "not-product-data"


class CatalogSyncDisabledError(CommerceError, Forbidden):
    """Catalog versions are changed on author only; publish receives the Online version."""

    code = "catalog-sync-disabled"
