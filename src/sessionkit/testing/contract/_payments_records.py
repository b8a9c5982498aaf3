"""The payments the payments contract stores, and the generic contract filled in for them.

:func:`make_payment` builds a payment of a stand-in booking, which
:meth:`PaymentsRecordsContract.prepare` stores (with its session) when
missing; :data:`EXACT_AMOUNTS` lists the amounts every adapter must give back
exactly; :class:`PaymentsRecordsContract` is the base of
:class:`~sessionkit.testing.contract.PaymentsRepositoryContract` that fills in
:class:`~sessionkit.testing.contract.RepositoryContract` for
:data:`~sessionkit.ports.PAYMENTS`. The small helpers beside them are the
tests'. Kept apart from :mod:`sessionkit.testing.contract.payments` (the
tests) by the style's size limit; that module exports :func:`make_payment` and
:data:`EXACT_AMOUNTS` under its own name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import attrs

from sessionkit.errors import SessionNotFound
from sessionkit.model.money import Money
from sessionkit.model.payment import PENDING, Due, Payment
from sessionkit.ports import BOOKINGS, PAYMENTS, PaymentRepository, UnitOfWork
from sessionkit.testing.contract._support import T0, TENANT
from sessionkit.testing.contract.bookings import make_booking, make_booking_session
from sessionkit.testing.contract.parents import ParentsContract

__all__ = ["EXACT_AMOUNTS", "PaymentsRecordsContract", "make_payment"]

EXACT_AMOUNTS = (
    ("60.00", "EUR"),
    ("0.01", "EUR"),
    ("0.125", "EUR"),  # below the minor unit: Money allows it, storage must keep it
    ("0.000001", "EUR"),
    ("999999999999.99", "EUR"),
    ("999999999999999.999999", "EUR"),  # just below Money's MAX_AMOUNT
    ("1050", "JPY"),
    ("0.5", "JPY"),
    ("1.234", "BHD"),
    ("123456789012.345", "BHD"),
    ("1.2345", "CLF"),
)
"""Amounts (with their currencies) every adapter must give back exactly as stored."""


_MICRO = Decimal("0.000001")


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def make_payment(
    payment_id: str,
    *,
    tenant: str = TENANT,
    booking_id: str | None = None,
    session_id: str = "s1",
    participant: str | None = None,
    at: float = 0.0,
    amount: str = "60.00",
    currency: str = "EUR",
    provider: str = "fake",
    status: str = PENDING,
    intent_ref: str | None = None,
    refunded: str = "0",
    refund_due: str = "0",
    refund_sending: str = "0",
    due: Due | None = None,
    created: float = -50.0,
    updated: float | None = None,
) -> Payment:
    """Return a payment of booking ``booking_id`` (default ``b-<payment_id>``) in ``session_id``.

    ``participant`` defaults to ``student:<booking id>``; ``at`` (the session's
    start), ``created`` and ``updated`` are hours after :data:`T0`.
    """
    booking = booking_id or f"b-{payment_id}"
    return Payment(
        id=payment_id,
        tenant=tenant,
        booking_id=booking,
        session_id=session_id,
        participant=participant or f"student:{booking}",
        session_start=_at(at),
        amount=Money.of(amount, currency),
        provider=provider,
        status=status,
        intent_ref=intent_ref,
        refunded=Decimal(refunded),
        refund_due=Decimal(refund_due),
        refund_sending=Decimal(refund_sending),
        due=due,
        created_at=_at(created),
        created_by="contract",
        updated_at=None if updated is None else _at(updated),
        updated_by=None if updated is None else "contract",
    )


def _share(amount: str, parts: int) -> str:
    """Return about ``amount / parts`` with at most six places and no trailing zeros."""
    return str((Decimal(amount) / parts).quantize(_MICRO, ROUND_DOWN).normalize())


def _ids(payments: Sequence[Payment]) -> list[str]:
    return [p.id for p in payments]


class PaymentsRecordsContract(ParentsContract[Payment]):
    """The generic contract filled in for :data:`~sessionkit.ports.PAYMENTS`; no tests here."""

    kind = PAYMENTS

    # ------------------------------------------------------------------ the generic contract

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Payment:
        """Return a pending payment of booking ``b<variant>`` with intent ``pi_<variant>``."""
        return make_payment(
            record_id, tenant=tenant, booking_id=f"b{variant}", intent_ref=f"pi_{variant}"
        )

    def change(self, record: Payment) -> Payment:
        """Return the payment with another failure reason."""
        return attrs.evolve(record, failure=(record.failure or "") + "changed")

    def prepare(self, uow: UnitOfWork, records: Sequence[Payment]) -> None:
        """Add the payments' bookings (and their sessions) that are not stored yet."""
        wanted = {(r.tenant, r.session_id, r.booking_id) for r in records}
        for tenant, session_id in sorted({(t, s) for t, s, _ in wanted}):
            try:
                uow.sessions.get(tenant, session_id)
            except SessionNotFound:
                uow.sessions.add(make_booking_session(session_id, tenant=tenant))
        bookings = uow.repository(BOOKINGS)
        for tenant, session_id, booking_id in sorted(wanted):
            if not bookings.get_many(tenant, [booking_id]):
                bookings.add(make_booking(booking_id, tenant=tenant, session_id=session_id))

    def collide(self, record: Payment, new_id: str) -> Payment:
        """Return a payment of the same booking, with an intent of its own."""
        return attrs.evolve(record, id=new_id, intent_ref=f"{record.intent_ref}-{new_id}")

    # ------------------------------------------------------------------ helpers

    def payments(self, uow: UnitOfWork) -> PaymentRepository:
        """Return the unit's payment repository."""
        return uow.repository(PAYMENTS)
