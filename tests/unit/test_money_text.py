"""Amounts written as text: ASCII decimal numbers only, as a price field or a webhook sends them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.analytics_money import Revenue, RevenueRow
from sessionkit.model.money import Money


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("60", Decimal(60)),
        (" 60.50 ", Decimal("60.50")),
        ("-1.5", Decimal("-1.5")),
        ("+2", Decimal(2)),
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("1e3", Decimal(1000)),
        ("2.5E-2", Decimal("0.025")),
    ],
)
def test_a_decimal_number_in_ascii_is_an_amount(text: str, amount: Decimal) -> None:
    assert Money.of(text, "EUR").amount == amount


@pytest.mark.parametrize(
    "text",
    [
        "\u0661\u0662",  # Arabic-Indic digits, which Decimal reads as 12
        "\uff16\uff10",  # full-width digits
        "1_000",  # an underscore, which Decimal skips
        "1 000",
        "NaN",
        "Infinity",
        "",
        "1,5",
        "0x10",
    ],
)
def test_other_text_is_refused_naming_it(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Money.of(text, "EUR")
    assert caught.value.value == text


def test_a_float_is_still_the_wrong_type() -> None:
    with pytest.raises(WrongType):
        Money.of(1.5, "EUR")  # type: ignore[arg-type]  # the refusal under test


@pytest.mark.parametrize(("share", "refused"), [(33.3, WrongType), ("33,3", InvalidValue)])
def test_a_percent_refused_names_its_share_not_an_amount(
    share: object, refused: type[Exception]
) -> None:
    # Money.percent(33.3) said "amount must be a Decimal, ...", naming no argument it has.
    with pytest.raises(refused, match=r"^share ") as caught:
        Money.of(60, "EUR").percent(share)  # type: ignore[arg-type]  # the refusal under test
    assert getattr(caught.value, "value", share) == share


def test_negating_zero_gives_no_negative_zero() -> None:
    # Decimal's copy_negate kept a sign on zero: -Money.zero("EUR") printed "-0.00 EUR".
    assert str(-Money.zero("EUR")) == "0.00 EUR"
    assert str(-Money.of(0, "JPY")) == "0 JPY"
    assert str(-Money.of("2.50", "EUR")) == "-2.50 EUR"
    assert str(-Money.of("-2.50", "EUR")) == "2.50 EUR"


def test_a_key_of_a_revenue_result_not_grouped_is_refused() -> None:
    # Its rows have no key, so total(key=...) answered a silent zero.
    row = RevenueRow(
        key=None,
        currency="EUR",
        payments=1,
        booked=Decimal(40),
        paid=Decimal(40),
        refunded=Decimal(0),
        refund_due=Decimal(0),
        kept=Decimal(40),
        pending=Decimal(0),
    )
    revenue = Revenue(tenant="acme", by=None, rows=(row,))
    assert revenue.total("paid", "EUR") == Money.of(40, "EUR")
    with pytest.raises(InvalidValue, match="not grouped takes no key") as keyed:
        revenue.total("paid", "EUR", key="client:ana")
    assert keyed.value.value == "client:ana"


@pytest.mark.parametrize("share", ["100.01", 150, Decimal(-5), "-0.5"])
def test_a_percent_outside_0_to_100_is_refused_naming_it(share: object) -> None:
    # Money.percent(150) gave 90.00 EUR of 60.00, and percent(-5) a negative "refund".
    with pytest.raises(InvalidValue, match=r"^share must be a percent from 0 to 100") as caught:
        Money.of(60, "EUR").percent(share)  # type: ignore[arg-type]  # strings and ints alike
    assert (caught.value.value, caught.value.expected) == (share, "0..100")


@pytest.mark.parametrize(("share", "part"), [(0, "0.00"), ("100", "60.00"), ("99.99", "59.99")])
def test_a_percent_from_0_to_100_is_taken(share: int | str, part: str) -> None:
    assert Money.of(60, "EUR").percent(share) == Money.of(part, "EUR")
