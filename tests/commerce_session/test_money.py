"""Money (spec §5): PriceInfo, formatting, filters, quantity tiers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce.errors import CurrencyError, InvalidMoneyError, PriceNotFoundError
from commerce.money import (
    CART,
    PRE_TAX,
    TAX,
    UNIT,
    PriceFilter,
    PriceInfo,
    first,
    format_price,
    parse_amount,
    quantity_breakpoints,
    quantize,
    set_formatter,
    set_price,
    unit_price_for,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "USD", "en_US", "$1,234.50"),
        ("1234.5", "EUR", "de_DE", f"1.234,50{NBSP}€"),
        ("-5", "USD", "en_US", "-$5.00"),
        ("1234", "JPY", "ja_JP", "¥1,234"),
        ("5", "EUR", "en_US", f"EUR{NBSP}5.00"),
        ("1234.5", "BRL", "pt_BR", f"R${NBSP}1.234,50"),
        ("1234.5", "CHF", "de_CH", f"1'234.50{NBSP}CHF"),
        ("1234567.5", "EUR", "fr_FR", f"1{NBSP}234{NBSP}567,50{NBSP}€"),
        ("1.005", "KWD", "en_US", f"KWD{NBSP}1.005"),
        ("0.125", "USD", "en_US", "$0.12"),  # half-even when formatting
        ("9.99", "USD", "xx_YY", f"USD{NBSP}9.99"),  # en_US rules; not its own currency
    ],
)
def test_format_price(amount: str, currency: str, locale: str, expected: str) -> None:
    assert format_price(Decimal(amount), currency, locale) == expected


def test_a_float_amount_raises_type_error() -> None:
    with pytest.raises(TypeError):
        PriceInfo(12.5, "USD", "en_US")  # type: ignore[arg-type]  # the point of the test
    with pytest.raises(TypeError):
        format_price(1.0, "USD", "en_US")  # type: ignore[arg-type]  # the point of the test


def test_a_locale_without_country_needs_a_currency() -> None:
    with pytest.raises(CurrencyError):
        PriceInfo.for_locale(Decimal("1"), "en")
    assert PriceInfo.for_locale(Decimal("1"), "en", "USD").formatted == f"USD{NBSP}1.00"
    assert PriceInfo.for_locale(Decimal("1"), "de-CH").currency == "CHF"


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(CurrencyError):
        PriceInfo(Decimal("1"), "XYZ", "en_US")


def test_price_info_carries_its_currency_as_a_type_and_str_is_formatted() -> None:
    price = PriceInfo(Decimal("3"), "USD", "en-US", frozenset({UNIT}))
    assert price.types == {UNIT, "USD"}
    assert price.locale == "en_US"
    assert str(price) == "$3.00"
    with pytest.raises(ValueError, match="min_quantity"):
        PriceInfo(Decimal("3"), "USD", "en_US", min_quantity=0)


def test_price_filter_matches_all_types_and_no_excluded_one() -> None:
    pre = PriceInfo(Decimal("1"), "USD", "en_US", frozenset({CART, PRE_TAX}))
    tax = PriceInfo(Decimal("2"), "USD", "en_US", frozenset({CART, TAX}))
    assert first([pre, tax], PriceFilter(CART)) is pre
    assert first([pre, tax], PriceFilter(CART, exclude=[PRE_TAX])) is tax
    assert first([pre, tax], lambda p: p.amount > 1) is tax
    assert first([pre, tax], None) is pre
    prices = [pre, tax]
    set_price(prices, PriceInfo(Decimal("5"), "USD", "en_US", frozenset({CART, TAX})))
    assert [p.amount for p in prices] == [Decimal("1"), Decimal("5")]


def test_quantity_tiers_pick_the_largest_applicable_breakpoint() -> None:
    tiers = [
        PriceInfo(Decimal(a), "USD", "en_US", frozenset({UNIT}), q)
        for q, a in ((1, "10.00"), (10, "9.00"), (50, "8.00"))
    ]
    assert unit_price_for(tiers, 9).amount == Decimal("10.00")
    assert unit_price_for(tiers, 10).amount == Decimal("9.00")
    unit = unit_price_for(tiers, 75)
    assert unit.amount * 75 == Decimal("600.00")
    assert quantity_breakpoints(tiers) == (1, 10, 50)
    with pytest.raises(PriceNotFoundError):
        unit_price_for(tiers[1:], 5)


def test_quantize_is_half_up_to_minor_units() -> None:
    assert quantize(Decimal("10.025"), "USD") == Decimal("10.03")
    assert quantize(Decimal("10.5"), "JPY") == Decimal("11")


def test_bad_money_text_is_refused() -> None:
    for bad in ("1e3", "abc", "", "NaN", 1.5):
        with pytest.raises(InvalidMoneyError):
            parse_amount(bad)
    assert parse_amount(" 12.50 ") == Decimal("12.50")


def test_another_formatter_can_be_plugged_in() -> None:
    set_formatter(lambda amount, currency, locale: f"{currency} {amount}")
    try:
        assert PriceInfo(Decimal("1.5"), "USD", "en_US").formatted == "USD 1.5"
    finally:
        set_formatter(None)
    assert PriceInfo(Decimal("1.5"), "USD", "en_US").formatted == "$1.50"
