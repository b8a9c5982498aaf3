"""Revenue and client money: each group's payment totals summed into the figures, in one pass.

Private to the services package; :class:`~sessionkit.services.analytics.Analytics`
reads the totals (one row per group, currency and payment status) and hands them here.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext

import attrs

from sessionkit.model.analytics import ClientMoney, PaymentTotal, RevenueRow
from sessionkit.model.money import DECIMALS, minor_unit
from sessionkit.model.payment import CANCELLED, FAILED, OPEN_PAYMENT_STATUSES, PAID_STATUSES

__all__ = ["client_money", "revenue_row"]

_NOT_BOOKED = frozenset({FAILED, CANCELLED})
"""Payments that never stood for a booking: declined, or released before any money came in."""


def _in_places(amount: Decimal, currency: str) -> Decimal:
    """``amount`` written with the currency's decimal places, as every store gives it.

    SQL sums come with the amount column's six places (``Decimal("60.000000")``)
    where memory's keep the amounts' own; both are shown in the currency's
    places. Never rounded: an amount finer than those keeps its own digits,
    and no more (``Decimal("20.005000")`` is ``20.005`` from every store).
    """
    written = amount.quantize(Decimal(1).scaleb(-minor_unit(currency)))
    return written if written == amount else amount.normalize()


@attrs.define
class _Money:
    """One group's figures, summed in one pass over its rows (one per payment status)."""

    payments: int = 0
    booked: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    back: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)
    refund_due: Decimal = Decimal(0)
    pending: Decimal = Decimal(0)

    @classmethod
    def of(cls, totals: Iterable[PaymentTotal]) -> _Money:
        found = cls()
        for t in totals:
            found.payments += t.payments
            found.refunded += t.refunded
            found.refund_due += t.refund_due
            if t.status not in _NOT_BOOKED:
                found.booked += t.amount
            if t.status in PAID_STATUSES:
                found.paid += t.amount
                found.back += t.refunded + t.refund_due
            elif t.status in OPEN_PAYMENT_STATUSES:
                found.pending += t.amount
        return found


def revenue_row(key: str | None, currency: str, totals: list[PaymentTotal]) -> RevenueRow:
    with localcontext(DECIMALS):  # summed after the read's unit, as in the commands' own
        return _revenue_row(key, currency, _Money.of(totals))


def _revenue_row(key: str | None, currency: str, money: _Money) -> RevenueRow:
    return RevenueRow(
        key=key,
        currency=currency,
        payments=money.payments,
        booked=_in_places(money.booked, currency),
        paid=_in_places(money.paid, currency),
        refunded=_in_places(money.refunded, currency),
        refund_due=_in_places(money.refund_due, currency),
        kept=_in_places(money.paid - money.back, currency),
        pending=_in_places(money.pending, currency),
    )


def client_money(currency: str, totals: list[PaymentTotal]) -> ClientMoney:
    with localcontext(DECIMALS):  # summed after the read's unit, as in the commands' own
        return _client_money(currency, _Money.of(totals))


def _client_money(currency: str, money: _Money) -> ClientMoney:
    return ClientMoney(
        currency=currency,
        paid=_in_places(money.paid - money.back, currency),
        pending=_in_places(money.pending, currency),
        refunded=_in_places(money.refunded, currency),
    )
