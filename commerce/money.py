"""Money (commerce-api §5): `PriceInfo`, deterministic formatting, price filters and quantity
tiers. Amounts are `Decimal` end to end; a `float` amount raises `TypeError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from commerce.errors import CurrencyError, InvalidMoneyError, PriceNotFoundError

if TYPE_CHECKING:
    from commerce.product import Product

# --- classifiers (§5.3) ------------------------------------------------------------------------
UNIT: Final = "UNIT"
LINE: Final = "LINE"
CART: Final = "CART"
SHIPPING: Final = "SHIPPING"
ORDER: Final = "ORDER"
TOTAL: Final = "TOTAL"
PRE_TAX: Final = "PRE_TAX"
POST_TAX: Final = "POST_TAX"
TAX: Final = "TAX"
DISCOUNT: Final = "DISCOUNT"

# --- currencies and locales (§5.1, §5.2) -------------------------------------------------------
LOCALE_CURRENCIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "en_US": "USD",
        "en_CA": "CAD",
        "en_GB": "GBP",
        "en_AU": "AUD",
        "de_DE": "EUR",
        "fr_FR": "EUR",
        "it_IT": "EUR",
        "es_ES": "EUR",
        "nl_NL": "EUR",
        "de_CH": "CHF",
        "fr_CH": "CHF",
        "ja_JP": "JPY",
        "zh_CN": "CNY",
        "pt_BR": "BRL",
        "sv_SE": "SEK",
    }
)
# ISO 4217 codes in current use; an amount in anything else is refused (CurrencyError).
ISO_CURRENCIES: Final = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWL",
    ]
)
_MINOR_UNITS: Final[Mapping[str, int]] = MappingProxyType(
    {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "JOD": 3}
)
_SYMBOLS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "USD": "$",
        "CAD": "$",
        "AUD": "$",
        "EUR": "€",
        "GBP": "£",
        "JPY": "¥",
        "CNY": "¥",
        "CHF": "CHF",
        "BRL": "R$",
        "SEK": "kr",
    }
)
NBSP: Final = "\u00a0"
_LOCALE = re.compile(r"^([a-zA-Z]{2,3})(?:[_-]([a-zA-Z]{2}|\d{3}))?$")


@dataclass(frozen=True, slots=True)
class _Style:
    prefix: bool
    group: str
    decimal: str
    gap: str  # between a prefix symbol and the number ("" for en_US "$1.00")


_EN: Final = _Style(prefix=True, group=",", decimal=".", gap="")
_STYLES: Final[Mapping[str, _Style]] = MappingProxyType(
    {
        "ja_JP": _EN,
        "zh_CN": _EN,
        "pt_BR": _Style(prefix=True, group=".", decimal=",", gap=NBSP),
        "de_DE": _Style(prefix=False, group=".", decimal=",", gap=NBSP),
        "it_IT": _Style(prefix=False, group=".", decimal=",", gap=NBSP),
        "es_ES": _Style(prefix=False, group=".", decimal=",", gap=NBSP),
        "nl_NL": _Style(prefix=False, group=".", decimal=",", gap=NBSP),
        "de_CH": _Style(prefix=False, group="'", decimal=".", gap=NBSP),
        "fr_CH": _Style(prefix=False, group="'", decimal=".", gap=NBSP),
        "fr_FR": _Style(prefix=False, group=NBSP, decimal=",", gap=NBSP),
        "sv_SE": _Style(prefix=False, group=NBSP, decimal=",", gap=NBSP),
    }
)


# Locales already normalized (every PriceInfo normalizes its own): bounded, valid ones only.
_NORMALIZED: dict[str, str] = {}


def normalize_locale(locale: str) -> str:
    """`ll_CC` (also from `ll-CC`); CurrencyError for something that is not a locale."""
    if not isinstance(locale, str):
        raise TypeError(f"a locale is a str, not {type(locale).__name__}")
    known = _NORMALIZED.get(locale)
    if known is not None:
        return known
    found = _LOCALE.match(locale.strip())
    if found is None:
        raise CurrencyError(f"{locale!r} is not a locale (ll_CC)", locale=locale)
    language, country = found.group(1).lower(), found.group(2)
    norm = f"{language}_{country.upper()}" if country else language
    if len(_NORMALIZED) < 1024:
        _NORMALIZED[locale] = norm
    return norm


def currency_for_locale(locale: str) -> str:
    """The default currency of a locale; CurrencyError for a locale with no country, or one
    the built-in table does not know."""
    norm = normalize_locale(locale)
    if "_" not in norm:
        raise CurrencyError(f"locale {locale!r} has no country: give a currency", locale=locale)
    found = LOCALE_CURRENCIES.get(norm)
    if found is None:
        raise CurrencyError(f"no default currency for locale {locale!r}", locale=locale)
    return found


def check_currency(currency: str) -> str:
    if not isinstance(currency, str):
        raise TypeError(f"a currency is an ISO 4217 str, not {type(currency).__name__}")
    if currency in ISO_CURRENCIES:
        return currency
    code = currency.strip().upper()
    if code not in ISO_CURRENCIES:
        raise CurrencyError(f"{currency!r} is not an ISO 4217 currency", currency=currency)
    return code


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def to_decimal(amount: object) -> Decimal:
    """A Decimal amount: Decimal and int pass, float raises TypeError (money is never a
    float), a non-finite Decimal raises InvalidMoneyError."""
    if type(amount) is Decimal and amount.is_finite():
        return amount
    if isinstance(amount, bool | float):
        raise TypeError(f"money is a Decimal, not {type(amount).__name__} ({amount!r})")
    if isinstance(amount, int):
        return Decimal(amount)
    if not isinstance(amount, Decimal):
        raise TypeError(f"money is a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise InvalidMoneyError(f"{amount} is not a finite amount", amount=str(amount))
    return amount


def parse_amount(text: object, *, field_name: str = "amount") -> Decimal:
    """A decimal string from outside ("12.50") as Decimal; InvalidMoneyError otherwise.
    Floats are refused as everywhere: JSON numbers must come as strings."""
    if isinstance(text, Decimal):
        return to_decimal(text)
    if not isinstance(text, str) or not re.fullmatch(r"-?\d+(\.\d+)?", text.strip()):
        raise InvalidMoneyError(
            f'{field_name} must be a decimal string such as "12.50", not {text!r}',
            field=field_name,
        )
    try:
        return Decimal(text.strip())
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise InvalidMoneyError(f"{text!r} is not a decimal", field=field_name) from exc


_EXPONENTS: Final = tuple(Decimal(1).scaleb(-units) for units in range(5))


def _exponent(currency: str) -> Decimal:
    units = minor_units(currency)
    return _EXPONENTS[units] if units < len(_EXPONENTS) else Decimal(1).scaleb(-units)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor units, half up (cart arithmetic, §6.3)."""
    return to_decimal(amount).quantize(_exponent(currency), rounding=ROUND_HALF_UP)


# --- formatting (§5.2) --------------------------------------------------------------------------
Formatter = Callable[[Decimal, str, str], str]


def _group(digits: str, sep: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def builtin_format(amount: Decimal, currency: str, locale: str) -> str:
    """The deterministic formatter of §5.2 (no CLDR): half-even to minor units, the locale
    group's separators, the local symbol for the locale's own currency, else the ISO code."""
    return _format(to_decimal(amount), check_currency(currency), locale)


# Pure in its arguments (equal amounts format alike: the amount is quantized first), and a
# cart page shows the same few amounts again and again.
@lru_cache(maxsize=4096)
def _format(amount: Decimal, currency: str, locale: str) -> str:
    try:
        norm = normalize_locale(locale)
    except CurrencyError:
        norm = "en_US"
    style = _STYLES.get(norm, _EN)
    units = minor_units(currency)
    rounded = amount.quantize(_exponent(currency), rounding=ROUND_HALF_EVEN)
    negative = rounded < 0
    text = format(abs(rounded), "f")
    whole, _, frac = text.partition(".")
    number = _group(whole, style.group) + (style.decimal + frac if units else "")
    own = LOCALE_CURRENCIES.get(norm) == currency
    symbol = _SYMBOLS.get(currency, currency) if own else currency
    if style.prefix:
        gap = style.gap if own else NBSP
        body = f"{symbol}{gap}{number}"
    else:
        body = f"{number}{NBSP}{symbol}"
    return f"-{body}" if negative else body


_formatter: list[Formatter] = [builtin_format]


def set_formatter(formatter: Formatter | None) -> None:
    """Plug another formatter (a Babel backend); None restores the built-in one."""
    _formatter[0] = formatter or builtin_format


def format_price(amount: Decimal, currency: str, locale: str) -> str:
    return _formatter[0](to_decimal(amount), currency, locale)


# --- PriceInfo (§5.1) ---------------------------------------------------------------------------
_NO_EXTRA: Final[Mapping[str, Any]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PriceInfo:
    """An amount in a currency, shown for a locale, classified by `types`.

    The currency code is always one of the types (as `DefaultJcrCartEntry.setPrice` did).
    Raises TypeError for a float amount, CurrencyError for an unknown currency, ValueError for
    `min_quantity < 1`.
    """

    amount: Decimal
    currency: str
    locale: str
    types: frozenset[str] = frozenset()
    min_quantity: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        currency = check_currency(self.currency)
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "locale", normalize_locale(self.locale))
        object.__setattr__(self, "types", frozenset(self.types) | {currency})
        if isinstance(self.min_quantity, bool) or not isinstance(self.min_quantity, int):
            raise TypeError("min_quantity is an int")
        if self.min_quantity < 1:
            raise ValueError(f"min_quantity must be at least 1, not {self.min_quantity}")
        extra = self.extra
        object.__setattr__(self, "extra", MappingProxyType(dict(extra)) if extra else _NO_EXTRA)

    @classmethod
    def for_locale(
        cls,
        amount: Decimal,
        locale: str,
        currency: str | None = None,
        types: Iterable[str] = (),
        min_quantity: int = 1,
        extra: Mapping[str, Any] | None = None,
    ) -> PriceInfo:
        """A price in `currency`, or the locale's default currency (CurrencyError if none)."""
        code = currency if currency is not None else currency_for_locale(locale)
        return cls(amount, code, locale, frozenset(types), min_quantity, extra or {})

    @property
    def formatted(self) -> str:
        return format_price(self.amount, self.currency, self.locale)

    def with_types(self, *types: str) -> PriceInfo:
        return PriceInfo(
            self.amount, self.currency, self.locale, frozenset(types), self.min_quantity, self.extra
        )

    def with_amount(self, amount: Decimal) -> PriceInfo:
        return PriceInfo(
            amount, self.currency, self.locale, self.types, self.min_quantity, self.extra
        )

    def __str__(self) -> str:
        return self.formatted


# --- filters (§5.3) -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, init=False)
class PriceFilter:
    """Matches a price carrying every one of `types` and none of `exclude`."""

    types: frozenset[str]
    exclude: frozenset[str]

    def __init__(self, *types: str, exclude: Iterable[str] = ()) -> None:
        object.__setattr__(self, "types", frozenset(types))
        object.__setattr__(self, "exclude", frozenset(exclude))

    def __call__(self, price: PriceInfo) -> bool:
        return self.types <= price.types and not (self.exclude & price.types)


PriceSelector = PriceFilter | Callable[[PriceInfo], bool] | None


def matches(selector: PriceSelector, price: PriceInfo) -> bool:
    return True if selector is None else bool(selector(price))


def select(prices: Iterable[PriceInfo], selector: PriceSelector = None) -> list[PriceInfo]:
    return [p for p in prices if matches(selector, p)]


def first(prices: Iterable[PriceInfo], selector: PriceSelector = None) -> PriceInfo | None:
    return next((p for p in prices if matches(selector, p)), None)


def set_price(prices: MutableSequence[PriceInfo], new: PriceInfo) -> MutableSequence[PriceInfo]:
    """Replace the price whose types equal the new one's, else append; returns `prices`."""
    for i, old in enumerate(prices):
        if old.types == new.types:
            prices[i] = new
            return prices
    prices.append(new)
    return prices


# --- quantity tiers (§5.4) ----------------------------------------------------------------------
def unit_price_for(
    prices: Sequence[PriceInfo], quantity: int, selector: PriceSelector = None
) -> PriceInfo:
    """The matching price with the largest `min_quantity <= quantity` (ties: the earliest);
    PriceNotFoundError when none applies."""
    flt = selector if selector is not None else PriceFilter(UNIT)
    best: PriceInfo | None = None
    for price in prices:
        if not matches(flt, price) or price.min_quantity > quantity:
            continue
        if best is None or price.min_quantity > best.min_quantity:
            best = price
    if best is None:
        raise PriceNotFoundError(f"no unit price for a quantity of {quantity}", quantity=quantity)
    return best


def quantity_breakpoints(prices: Iterable[PriceInfo]) -> tuple[int, ...]:
    return tuple(sorted({p.min_quantity for p in prices if UNIT in p.types}))


def parse_tiers(raw: object, *, where: str) -> list[tuple[int, Decimal]]:
    """`priceTiers` values `"<minQty>=<amount>"`; InvalidMoneyError for a malformed one."""
    values = raw if isinstance(raw, list) else [raw]
    out: list[tuple[int, Decimal]] = []
    for item in values:
        qty, sep, amount = str(item).partition("=")
        if not sep or not qty.strip().isdigit() or int(qty) < 1:
            raise InvalidMoneyError(f"{where}: price tier {item!r} is not <minQty>=<amount>")
        out.append((int(qty), parse_amount(amount, field_name="priceTiers")))
    return out


def product_unit_prices(
    product: Product,
    locale: str,
    currency: str | None = None,
    *,
    tax_rate: Decimal | None = None,
) -> list[PriceInfo]:
    """A product's UNIT+PRE_TAX prices, tiers included (§5.4), in `currency` when the product
    has `price.<ISO>` for it, else in its own currency (`currency` property, else the
    locale's). With `tax_rate`, each is followed by its UNIT+POST_TAX gross price (a product
    with `vatFree=true` has gross = net). Raises PriceNotFoundError when there is no price.
    """
    own = product.get_property("currency", str) or currency_for_locale(locale)
    code = own
    base = None
    tiers_raw: object = None
    if currency is not None and currency != own:
        base = product.get_property(f"price.{currency}", Decimal)
        if base is not None:
            code = currency
            tiers_raw = product.get_property(f"priceTiers.{currency}")
    if base is None:
        base = product.get_property("price", Decimal)
        tiers_raw = product.get_property("priceTiers")
    if base is None:
        raise PriceNotFoundError(f"{product.path} has no price", path=product.path)
    levels = [(1, base)]
    if tiers_raw is not None:
        levels.extend(parse_tiers(tiers_raw, where=product.path))
    vat_free = bool(product.get_property("vatFree", bool))
    out: list[PriceInfo] = []
    for min_qty, amount in levels:
        extra = {"vatFree": True} if vat_free else {}
        out.append(PriceInfo(amount, code, locale, frozenset({UNIT, PRE_TAX}), min_qty, extra))
    if tax_rate is not None:
        for min_qty, amount in levels:
            gross = amount if vat_free else quantize(amount * (1 + tax_rate), code)
            out.append(PriceInfo(gross, code, locale, frozenset({UNIT, POST_TAX}), min_qty))
    return out
