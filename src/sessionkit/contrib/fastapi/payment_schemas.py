"""Pydantic v2 schemas of paid bookings, payments, refunds and the provider's events.

Amounts travel as decimal text (``"40.00"``), never as JSON numbers, so no
float ever touches money; :class:`~sessionkit.model.money.Money` checks them
when the route builds its values (a bad amount is a 422 problem).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from sessionkit.contrib.fastapi.booking_schemas import BookingCreate, BookingOut, booking_out
from sessionkit.contrib.fastapi.schema_types import Ids, IsoInstant, _In, _KeysetPage, _Out
from sessionkit.contrib.fastapi.session_schemas import SessionCreate
from sessionkit.model.booking import EXPIRED, OFFERED, WAITLISTED
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    MANUAL,
    OPEN_PAYMENT_STATUSES,
    Payment,
    PaymentEvent,
    PaymentEventType,
)
from sessionkit.model.text import MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_REF_LENGTH
from sessionkit.services.payments import Applied, Checkout

__all__ = [
    "AppliedOut",
    "CancelledPaidOut",
    "CheckoutOut",
    "DraftPaidBookingCreate",
    "MarkPaid",
    "MoneyIn",
    "MoneyOut",
    "NextAction",
    "PaidBookingCreate",
    "PaymentEventIn",
    "PaymentOut",
    "PaymentPage",
    "RefundCreate",
    "applied_out",
    "checkout_out",
    "money_out",
    "money_text",
    "next_action",
    "payment_out",
]


def money_text(amount: Decimal, currency: str) -> str:
    """Return ``amount`` as text in the currency's minor unit where exact: ``"9.50"``."""
    return str(Money.of(amount, currency)).rsplit(" ", 1)[0]


class MoneyIn(_In):
    """An amount of one currency, e.g. ``{"amount": "10.00", "currency": "EUR"}``."""

    amount: str = Field(
        description="A decimal number as text (never a JSON number: no float touches money).",
        examples=["40.00"],
        max_length=40,
    )
    currency: str = Field(examples=["EUR"], max_length=10)

    def to_money(self) -> Money:
        """Return the domain value (``InvalidValue`` / ``UnknownCurrency`` for bad input)."""
        return Money.of(self.amount, self.currency)


class MoneyOut(BaseModel):
    """An amount of one currency, the amount as decimal text."""

    amount: str
    currency: str


def money_out(money: Money) -> MoneyOut:
    """Return the response schema of ``money``."""
    return MoneyOut(amount=money_text(money.amount, money.currency), currency=money.currency)


# -- payments ----------------------------------------------------------------------------


class PaymentOut(_Out):
    """A booking's payment: its amount, status, refunds and the provider's reference.

    ``refunded`` is what the provider confirmed giving back, ``refund_due`` what
    was decided and not confirmed yet, ``refundable`` what a refund may still
    give back; ``due`` the provider call still to make, if any, ``failed_calls``
    how often the payment job failed at it since the payment last changed and
    ``retry_at`` when the job tries it again (``None``: at its next run).
    """

    id: str
    booking_id: str
    session_id: str
    participant: str
    session_start: datetime
    amount: str = Field(examples=["40.00"])
    currency: str
    provider: str
    status: str
    intent_ref: str | None
    refunded: str
    refund_due: str
    refundable: str
    due: str | None
    failed_calls: int
    retry_at: datetime | None
    failure: str | None
    metadata: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime | None


def payment_out(payment: Payment) -> PaymentOut:
    """Return the response schema of ``payment``."""
    currency = payment.currency
    return PaymentOut.of(
        payment,
        participant=str(payment.participant),
        amount=money_text(payment.amount.amount, currency),
        refunded=money_text(payment.refunded, currency),
        refund_due=money_text(payment.refund_due, currency),
        refundable=money_text(payment.refundable.amount, currency),
        metadata=dict(payment.metadata),
    )


class PaymentPage(_KeysetPage[PaymentOut]):
    """One page of payments by session start; ``next_cursor`` continues."""


# -- booking and paying ------------------------------------------------------------------


class PaidBookingCreate(BookingCreate):
    """Seats held until their payment succeeds (or, ``manual``, paid outside sessionkit).

    ``manual=true`` takes the money outside sessionkit (cash, invoice; no
    provider call); with ``confirm=true`` too the booking is confirmed at once
    and its payment stays pending until marked paid.
    """

    manual: StrictBool = False


class DraftPaidBookingCreate(PaidBookingCreate):
    """Paid seats of a session created by this booking: ``session`` as ``POST /sessions`` takes."""

    session: SessionCreate


NextAction = Literal[
    "pay", "await_provider", "claim", "wait_for_offer", "collect", "retry", "expired", "none"
]
"""What the client does next with a checkout (see :func:`next_action`)."""


def next_action(checkout: Checkout, *, now: datetime | None = None) -> NextAction:
    """Return what the client does next, judging the booking at ``now``.

    ``pay``: complete the payment with ``client_secret`` (the provider's
    browser flow). ``await_provider``: the intent is open at the provider,
    which gave no ``client_secret`` for it; its webhook will settle it.
    ``claim``: the booking is offered a seat and its payment waits for
    ``POST /bookings/{id}/claim``. ``wait_for_offer``: the booking is on
    the waitlist; it is paid when a seat is offered.
    ``collect``: a manual payment to collect and mark paid. ``retry``: the
    provider was not reached; send the request again with the same
    ``Idempotency-Key``. ``expired``: the booking ran out by ``now`` (its
    hold or offer ended, or its session started while it waited): it will
    not be confirmed, and paying is no use; book again with a new key.
    ``none``: nothing is open (paid at once, or closed). ``now`` is the
    kit's (``kit.context.now()``); ``None`` judges the stored status.
    """
    payment, booking = checkout.payment, checkout.booking
    if payment.status not in OPEN_PAYMENT_STATUSES:
        # Paid at once (an intent that succeeded when made still has its secret) or closed.
        return "none"
    if (booking.status if now is None else booking.status_at(now)) == EXPIRED:
        return "expired"  # before "pay": a booking that ran out is not paid for
    if checkout.client_secret is not None:
        return "pay"
    if payment.provider == MANUAL:
        return "collect"
    if payment.intent_ref is not None:
        return "await_provider"
    if payment.due == "create":
        return "retry"
    if booking.status == OFFERED:
        return "claim"
    if booking.status == WAITLISTED:
        return "wait_for_offer"
    return "none"


class CheckoutOut(BaseModel):
    """A paid booking: the booking, its payment, and what the client does next."""

    booking: BookingOut
    payment: PaymentOut
    next_action: NextAction = Field(
        description="pay: with client_secret; await_provider: its webhook settles it; claim: "
        "POST /bookings/{id}/claim; wait_for_offer: waitlisted; collect: a manual payment; "
        "retry: with the same Idempotency-Key; expired: the booking ran out, book again with "
        "a new key; none: nothing is open."
    )
    client_secret: str | None = Field(
        description="The provider's secret for its browser flow (with next_action 'pay')."
    )


def checkout_out(checkout: Checkout, *, now: datetime | None = None) -> CheckoutOut:
    """Return the response schema of a checkout, its ``next_action`` judged at ``now``.

    Only ``pay`` shows the ``client_secret``: a booking that ran out, or a
    payment paid at once or closed, has nothing to be paid.
    """
    action = next_action(checkout, now=now)
    return CheckoutOut(
        booking=booking_out(checkout.booking),
        payment=payment_out(checkout.payment),
        next_action=action,
        client_secret=checkout.client_secret if action == "pay" else None,
    )


class CancelledPaidOut(BaseModel):
    """A cancelled booking and its payment as the refund policy left it (``None``: unpaid)."""

    booking: BookingOut
    payment: PaymentOut | None


class RefundCreate(MoneyIn):
    """A goodwill refund: ``amount`` of ``currency`` given back from a paid payment, and why."""

    reason: str | None = Field(default=None, max_length=MAX_REF_LENGTH)


class MarkPaid(_In):
    """Manual payments (cash, invoice) recorded as paid, all or none."""

    payment_ids: Ids = Field(min_length=1)


# -- the provider's events ---------------------------------------------------------------


class PaymentEventIn(_In):
    """One event of the payment provider, in sessionkit's shape, its signature verified.

    ``payment_id`` is sessionkit's payment id (in every intent's metadata),
    ``intent_ref`` the provider's reference: either finds the payment.
    ``amount`` is what a ``refunded`` event gave back in all (default:
    everything).
    """

    provider: str = Field(max_length=MAX_NAME_LENGTH * 2, examples=["stripe"])
    event_id: str = Field(max_length=MAX_ID_LENGTH, examples=["evt_1"])
    type: PaymentEventType
    occurred_at: IsoInstant
    payment_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    intent_ref: str | None = Field(default=None, max_length=MAX_REF_LENGTH)
    amount: MoneyIn | None = None
    reason: str | None = Field(default=None, max_length=MAX_REF_LENGTH)

    @classmethod
    def of(cls, event: PaymentEvent) -> PaymentEventIn:
        """Return the wire shape of ``event`` (a relay forwarding verified events, a test)."""
        amount = event.amount
        return cls(
            provider=event.provider,
            event_id=event.event_id,
            type=event.type,
            occurred_at=event.occurred_at,
            payment_id=event.payment_id,
            intent_ref=event.intent_ref,
            amount=None
            if amount is None
            else MoneyIn(amount=str(amount.amount), currency=amount.currency),
            reason=event.reason,
        )

    def to_event(self) -> PaymentEvent:
        """Return the domain event (``InvalidValue`` and friends for bad input)."""
        return PaymentEvent(
            provider=self.provider,
            event_id=self.event_id,
            type=self.type,
            occurred_at=self.occurred_at,
            payment_id=self.payment_id,
            intent_ref=self.intent_ref,
            amount=None if self.amount is None else self.amount.to_money(),
            reason=self.reason,
        )


class AppliedOut(BaseModel):
    """What applying one provider event did.

    ``outcome``: ``applied``; ``duplicate`` (seen before: nothing changed);
    ``stale`` (the payment had moved past it); ``unknown`` (no such payment here
    yet: answered 503 with ``Retry-After`` so that the provider sends it again,
    200 once its ``occurred_at`` is a day old).
    """

    outcome: Literal["applied", "duplicate", "stale", "unknown"]
    payment: PaymentOut | None


def applied_out(applied: Applied) -> AppliedOut:
    """Return the response schema of an applied event."""
    found = applied.payment
    return AppliedOut(
        outcome=applied.outcome, payment=None if found is None else payment_out(found)
    )
