"""The admin shows a payment's amounts to its currency's minor unit, as Money does.

The amount columns are ``numeric(21, 6)`` (their text on SQLite), so the
payment list, a payment's page and its title (``str``, also the History
entries' name) read "60.000000 EUR" for the 60.00 EUR that ``Money`` and the
kit's messages show. Places beyond the minor unit that an amount really has
(a per-minute rate's 0.125 EUR) are kept, as ``str(Money)`` keeps them.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from django.contrib.admin import site
from django.contrib.admin.utils import display_for_value

from sessionkit.contrib.django.admin import PaymentAdmin
from sessionkit.contrib.django.fields import shown_amount
from sessionkit.contrib.django.models import PaymentRecord


def _payment(amount: str, refunded: str, currency: str) -> PaymentRecord:
    return PaymentRecord(
        tenant="acme",
        record_id="p-1",
        booking_ref="b-1",
        amount=Decimal(amount),
        refunded=Decimal(refunded),
        currency=currency,
    )


@pytest.mark.parametrize(
    ("amount", "refunded", "currency", "shown"),
    [
        ("60.000000", "12.500000", "EUR", ("60.00", "12.50")),
        ("1050.000000", "0.000000", "JPY", ("1050", "0")),
        ("1.500000", "0.250000", "BHD", ("1.500", "0.250")),
        ("0.125000", "0.000000", "EUR", ("0.125", "0.00")),
    ],
    ids=["eur", "jpy", "bhd", "sub-cent"],
)
def test_the_list_columns(
    amount: str, refunded: str, currency: str, shown: tuple[str, str]
) -> None:
    admin = PaymentAdmin(PaymentRecord, site)
    payment = _payment(amount, refunded, currency)
    columns = (admin.payment_amount(payment), admin.refunded_amount(payment))
    assert tuple(display_for_value(value, "-") for value in columns) == shown


def test_the_title() -> None:
    assert str(_payment("60.000000", "0", "EUR")) == "60.00 EUR for b-1 (acme/p-1)"


def test_the_page_shows_the_columns_in_place_of_the_fields() -> None:
    admin = PaymentAdmin(PaymentRecord, site)
    fields = admin.get_readonly_fields(None)  # type: ignore[arg-type]  # the request is unused
    assert ("amount" in fields, "refunded" in fields) == (False, False)
    assert (
        fields.index("payment_amount") < fields.index("currency") < fields.index("refunded_amount")
    )


def test_a_hosts_decimal_precision_changes_nothing() -> None:
    """Shown in Money's decimal context: a thread's 6 digits raised, or rounded 1234.567891."""
    with localcontext(prec=6):
        shown = (
            shown_amount(Decimal("123456.000000"), "EUR"),
            shown_amount(Decimal("1234.567891"), "EUR"),
        )
    assert tuple(map(str, shown)) == ("123456.00", "1234.567891")
