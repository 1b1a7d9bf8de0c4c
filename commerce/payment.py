"""Payment connectors (issue 5): ranked services that turn card data into a token and
authorize an amount against it. A deployment registers its own with a higher ranking.

The built-in `TestPaymentConnector` never sees a real network and never keeps card data. Its
documented behaviour:

- `card.number` must be 12-19 digits (spaces and dashes ignored) passing the Luhn check,
  `card.expiry` `MM/YY` or `MM/YYYY` not in the past, `card.cvv` 3 or 4 digits; anything
  else is a `PaymentError` (412 `payment`).
- `4000000000000002` (generic decline) and `4000000000000069` (expired card) tokenise to
  `tok_decline_<hex>`; every other valid number to `tok_test_<hex>`.
- A pre-made token may come instead of card data as `payment.token`; it must look like
  `tok_test_<hex>` or `tok_decline_<hex>`.
- `authorize` declines every `tok_decline_` token (`PaymentDeclinedError`, 402
  `payment-declined`) and approves `tok_test_` ones.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from commerce.errors import PaymentDeclinedError, PaymentError
from commerce.methods import PaymentMethod
from commerce.money import PriceInfo


@dataclass(frozen=True, slots=True)
class Authorization:
    token: str
    transaction_id: str
    amount: PriceInfo
    order_id: str


class PaymentConnector:
    """The payment SPI; the ServiceRegistry key under which connectors are registered."""

    name: str = "none"

    async def tokenize(self, method: PaymentMethod, sensitive: Mapping[str, str]) -> str:
        """A token standing for the card data; PaymentError when it is refused."""
        raise PaymentError(f"payment connector {self.name} cannot tokenise")

    async def authorize(self, token: str, amount: PriceInfo, order_id: str) -> Authorization:
        """Reserve `amount`; PaymentDeclinedError when declined, PaymentError on failure."""
        raise PaymentError(f"payment connector {self.name} cannot authorize")

    async def void(self, authorization: Authorization) -> None:
        """Release an authorization whose order could not be stored (best effort)."""
        return None


DECLINED_NUMBERS: Final = frozenset({"4000000000000002", "4000000000000069"})
_TOKEN: Final = re.compile(r"^tok_(test|decline)_[0-9a-f]{16,64}$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


class TestPaymentConnector(PaymentConnector):
    """Deterministic test payments (see the module doc); keeps authorizations, never cards."""

    name = "test"
    __test__ = False  # not a pytest test class

    def __init__(self, clock: type[datetime] = datetime) -> None:
        self.clock = clock
        self.authorizations: list[Authorization] = []
        self.voided: list[str] = []

    async def tokenize(self, method: PaymentMethod, sensitive: Mapping[str, str]) -> str:
        given = sensitive.get("payment.token")
        if given is not None:
            if not _TOKEN.match(given):
                raise PaymentError("payment.token is not a token of this connector", field="token")
            return given
        number = re.sub(r"[\s-]", "", sensitive.get("card.number", ""))
        problems: dict[str, str] = {}
        if not number:
            problems["card.number"] = "missing"
        elif not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_ok(number):
            problems["card.number"] = "not a valid card number"
        expiry = sensitive.get("card.expiry", "").strip()
        found = re.fullmatch(r"(\d{1,2})/(\d{2}|\d{4})", expiry)
        if found is None or not 1 <= int(found.group(1)) <= 12:
            problems["card.expiry"] = "not MM/YY"
        else:
            month, year = int(found.group(1)), int(found.group(2))
            year = year + 2000 if year < 100 else year
            today = self.clock.now(UTC)
            if (year, month) < (today.year, today.month):
                problems["card.expiry"] = "the card has expired"
        cvv = sensitive.get("card.cvv", "").strip()
        if not re.fullmatch(r"\d{3,4}", cvv):
            problems["card.cvv"] = "not 3 or 4 digits"
        if problems:
            # The field names only: the values are card data and never leave this function.
            raise PaymentError("the card was refused", invalid=problems)
        kind = "decline" if number in DECLINED_NUMBERS else "test"
        return f"tok_{kind}_{secrets.token_hex(12)}"

    async def authorize(self, token: str, amount: PriceInfo, order_id: str) -> Authorization:
        if token.startswith("tok_decline_"):
            raise PaymentDeclinedError("the card was declined", orderId=order_id)
        if not _TOKEN.match(token):
            raise PaymentError("unknown payment token")
        found = Authorization(token, f"txn_{secrets.token_hex(8)}", amount, order_id)
        self.authorizations.append(found)
        return found

    async def void(self, authorization: Authorization) -> None:
        self.voided.append(authorization.transaction_id)
