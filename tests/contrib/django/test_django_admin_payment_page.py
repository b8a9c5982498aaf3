"""A payment's page in the admin: each amount once, to its currency's minor unit.

The amounts are ``numeric(21, 6)`` columns; the page shows them as the list
does (60.00 EUR, not 60.000000 EUR), the refund under way's too, in the
admin's language (60,00 in German). Showing the list's columns in place of
the fields left the fields out of the read-only ones, so Django's form took
them back in: the page read "Amount: 60.000000" above "Amount: 60.00", and
"Refunded" twice likewise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import translation
from tests.contrib.django._admin_client import admin_client

from sessionkit.contrib.django.models import PaymentRecord
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.ports import PAYMENTS
from sessionkit.testing.contract.bookings import make_booking, make_booking_session
from sessionkit.testing.contract.payments import make_payment

ALIAS = "default"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def client() -> Iterator[Client]:
    with admin_client("payment-page-root", NOW) as logged_in:
        yield logged_in


def _page(
    client: Client, amount: str, refunded: str, refund_due: str = "0", refund_sending: str = "0"
) -> dict[str, list[str]]:
    """The payment page's read-only values by label (a label shown twice has two)."""
    with DjangoStore(using=ALIAS).unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1"))
        uow.bookings.add(make_booking("b-p1"))
        uow.repository(PAYMENTS).add(
            make_payment(
                "p1",
                amount=amount,
                refunded=refunded,
                refund_due=refund_due,
                refund_sending=refund_sending,
            )
        )
        uow.commit()
    row = PaymentRecord.objects.using(ALIAS).get(record_id="p1")
    page = client.get(f"/admin/sessionkit/paymentrecord/{row.pk}/change/").content.decode()
    shown: dict[str, list[str]] = {}
    for label, value in re.findall(
        r'<label>([^<]*):</label>\s*<div class="readonly">([^<]*)<', page
    ):
        shown.setdefault(label, []).append(value)
    return shown


def test_each_amount_is_shown_once(client: Client) -> None:
    shown = _page(client, "60", "12.5")
    assert (shown["Amount"], shown["Refunded"], shown["Currency"]) == (
        ["60.00"],
        ["12.50"],
        ["EUR"],
    )
    assert [label for label, values in shown.items() if len(values) > 1] == []


def test_the_refunds_under_way_are_shown_as_the_amount(client: Client) -> None:
    shown = _page(client, "60", "10", refund_due="7.5", refund_sending="5")
    assert (shown["Refund due"], shown["Refund sending"]) == (["7.50"], ["5.00"])


def test_the_page_shows_amounts_as_the_list_does_in_the_admins_language(client: Client) -> None:
    """German: "60,00" in the list and on the page (the page read "60.00", unlocalized)."""
    with translation.override("de"):
        shown = _page(client, "1234.5", "12.5")
        listed = client.get("/admin/sessionkit/paymentrecord/").content.decode()
    assert (shown["Amount"], shown["Refunded"]) == (["1234,50"], ["12,50"])
    assert ("1234,50" in listed, "12,50" in listed) == (True, True)
