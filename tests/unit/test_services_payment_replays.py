"""Payment events and manual payments delivered again: applied once, answered as the first time.

On the in-memory store and on SQLite: an event first heard before its
payment's intent was stored is applied when delivered again (it was kept as
seen, and every redelivery answered ``"duplicate"``); a provider's name holds
no ``:``, so two providers' events never share a receipt; ``mark_paid`` sent
again for a payment it marked paid answers as the first time and writes
nothing, and one past being paid is a conflict, not bad input.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import InvalidValue, TransitionRefused
from sessionkit.model.booking import CONFIRMED
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    CANCELLED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUND_RECEIPTS,
    PaymentEvent,
    ReceivedEvent,
)
from sessionkit.model.session import Session
from sessionkit.policies import BookingRules, Rate
from sessionkit.ports import PAYMENT_EVENTS, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.payments import Checkout
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

from ._store_support import STORES, StoreMaker, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


class Desk:
    """A kit over a fresh store with the fake provider (intents ``pi_1``, ...), 40 EUR an hour."""

    def __init__(self, store: StoreMaker) -> None:
        self.events = RecordingPublisher()
        self.uow: UnitOfWorkFactory = store(self.events)
        self.gateway = FakeGateway(clock=lambda: NOW)
        self.kit = kit_on(
            self.uow,
            NOW,
            booking_rules=BookingRules(hold_for=timedelta(minutes=15)),
            gateway=self.gateway,
            pricing=Rate(Money.of(40, "EUR")),
        )

    def slot(self, hours: int = 24) -> Session:
        start = NOW + timedelta(hours=hours)
        return self.kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(hours=1),
            lifecycle="lms",
            capacity=3,
        )

    def receipts(self, key: str) -> list[ReceivedEvent]:
        with self.uow() as uow:
            return uow.repository(PAYMENT_EVENTS).get_many(T, [key])


@pytest.fixture(params=sorted(STORES))
def desk(request: pytest.FixtureRequest) -> Desk:
    return Desk(STORES[request.param])


def _succeeded(intent_ref: str, event_id: str = "evt_early") -> PaymentEvent:
    return PaymentEvent(
        provider="fake", event_id=event_id, type="succeeded", occurred_at=NOW, intent_ref=intent_ref
    )


def _payment_id(checkout: Checkout) -> str:
    assert checkout.payment is not None
    return checkout.payment.id


# ------------------------------------------------------------- an event before its payment


def test_an_event_heard_before_its_intent_was_stored_is_applied_when_delivered_again(
    desk: Desk,
) -> None:
    # The provider's webhook outran the kit storing the intent's reference: the event was
    # kept as seen, so its redelivery, once the payment was known, was a "duplicate" and the
    # payment stayed PENDING for good.
    early = _succeeded("pi_1")
    assert desk.kit.payments.apply(T, early).outcome == "unknown"
    assert desk.receipts(early.key) == []  # nothing kept of it
    assert desk.kit.payments.apply(T, early).outcome == "unknown"
    checkout = desk.kit.payments.book(T, desk.slot().id, "student:ana", actor="ana")
    assert checkout.payment is not None
    assert checkout.payment.intent_ref == "pi_1"
    applied = desk.kit.payments.apply(T, early)
    assert applied.outcome == "applied"
    assert applied.payment is not None
    assert applied.payment.status == PAID
    assert desk.kit.bookings.get(T, checkout.booking.id).status == CONFIRMED
    [receipt] = desk.receipts(early.key)
    assert (receipt.payment_id, receipt.outcome) == (checkout.payment.id, "applied")
    # Exactly once from there on: the same event again changes nothing.
    before = desk.kit.payments.get(T, checkout.payment.id)
    published = len(desk.events.events)
    assert desk.kit.payments.apply(T, early).outcome == "duplicate"
    assert desk.kit.payments.get(T, checkout.payment.id) == before
    assert desk.events.events[published:] == []


def test_an_unknown_receipt_an_earlier_version_stored_lets_the_event_be_applied(
    desk: Desk,
) -> None:
    early = _succeeded("pi_1")
    with desk.uow() as uow:  # as the kit stored such an event before
        uow.repository(PAYMENT_EVENTS).add(
            ReceivedEvent(
                id=early.key,
                tenant=T,
                payment_id=None,
                type="succeeded",
                outcome="unknown",
                received_at=NOW,
            )
        )
        uow.commit()
    assert desk.kit.payments.apply(T, early).outcome == "unknown"  # still no such payment
    [kept] = desk.receipts(early.key)
    assert (kept.outcome, kept.version) == ("unknown", 1)  # left as it was
    checkout = desk.kit.payments.book(T, desk.slot().id, "student:ana", actor="ana")
    assert desk.kit.payments.apply(T, early).outcome == "applied"
    assert desk.kit.payments.get(T, _payment_id(checkout)).status == PAID
    [receipt] = desk.receipts(early.key)
    assert (receipt.payment_id, receipt.outcome, receipt.version) == (
        _payment_id(checkout),
        "applied",
        2,
    )
    assert desk.kit.payments.apply(T, early).outcome == "duplicate"


# ------------------------------------------------------------------ providers' names


def test_a_provider_name_holding_a_colon_is_refused() -> None:
    # Receipts are stored under provider:event_id: provider "a:b"'s event "c" and provider
    # "a"'s event "b:c" shared one, and the second was answered "duplicate", unapplied.
    with pytest.raises(InvalidValue) as refused:
        PaymentEvent(provider="a:b", event_id="c", type="failed", occurred_at=NOW, payment_id="p")
    assert refused.value.value == "a:b"
    assert refused.value.expected == "a provider name without ':', such as 'stripe'"
    assert str(refused.value).startswith("PaymentEvent.provider 'a:b' must not contain ':'")
    ok = PaymentEvent(provider="a", event_id="b:c", type="failed", occurred_at=NOW, payment_id="p")
    assert ok.key == "a:b:c"  # an event's own id may hold ':'; the provider's ends at the first
    with pytest.raises(InvalidValue, match="the gateway's name 'stripe:eu' must not contain"):
        SessionKit(
            uow=STORES["memory"](RecordingPublisher()),
            clock=ManualClock(NOW),
            gateway=FakeGateway("stripe:eu", clock=lambda: NOW),
        )


def test_the_refund_receipts_name_is_no_providers() -> None:
    # Goodwill refunds' keys are kept as receipts "sessionkit-refund:<digest>" beside the
    # providers' events: a provider of that name could take one for its event's receipt.
    with pytest.raises(InvalidValue) as refused:
        PaymentEvent(
            provider=REFUND_RECEIPTS, event_id="c", type="failed", occurred_at=NOW, payment_id="p"
        )
    assert (refused.value.value, refused.value.expected) == (
        "sessionkit-refund",
        "a provider name other than 'sessionkit-refund', such as 'stripe'",
    )
    with pytest.raises(InvalidValue, match="the gateway's name 'sessionkit-refund' is reserved"):
        SessionKit(
            uow=STORES["memory"](RecordingPublisher()),
            clock=ManualClock(NOW),
            gateway=FakeGateway(REFUND_RECEIPTS, clock=lambda: NOW),
        )


# ------------------------------------------------------------------- mark_paid again


def test_mark_paid_sent_again_answers_as_the_first_time_and_writes_nothing(desk: Desk) -> None:
    session = desk.slot()
    first = desk.kit.payments.book(T, session.id, "client:a", actor="c", manual=True, confirm=True)
    second = desk.kit.payments.book(T, session.id, "client:b", actor="c", manual=True, confirm=True)
    [paid] = desk.kit.payments.mark_paid(T, [_payment_id(first)], actor="priya")
    assert (paid.status, paid.version) == (PAID, 2)
    published = len(desk.events.events)
    # Its answer lost, the cashier sends it again: the same payment, nothing written.
    assert desk.kit.payments.mark_paid(T, [_payment_id(first)], actor="priya") == [paid]
    assert desk.kit.payments.get(T, paid.id) == paid
    assert desk.events.events[published:] == []
    # Sent again with another payment: that one is marked, the first returned as it is.
    both = desk.kit.payments.mark_paid(T, [paid.id, _payment_id(second)], actor="priya")
    assert [(p.id, p.status, p.version) for p in both] == [
        (paid.id, PAID, 2),
        (_payment_id(second), PAID, 2),
    ]
    assert desk.kit.bookings.get(T, second.booking.id).status == CONFIRMED


def test_mark_paid_of_a_manual_payment_past_being_paid_is_refused_as_a_conflict(
    desk: Desk,
) -> None:
    session = desk.slot()
    refunded = desk.kit.payments.book(
        T, session.id, "client:a", actor="c", manual=True, confirm=True
    )
    pending = desk.kit.payments.book(
        T, session.id, "client:b", actor="c", manual=True, confirm=True
    )
    dropped = desk.kit.payments.book(
        T, session.id, "client:c", actor="c", manual=True, confirm=True
    )
    desk.kit.payments.mark_paid(T, [_payment_id(refunded)], actor="priya")
    desk.kit.payments.refund(T, _payment_id(refunded), Money.of(10, "EUR"), actor="priya")
    desk.kit.payments.cancel(T, dropped.booking.id, actor="priya", role="host")
    assert desk.kit.payments.get(T, _payment_id(dropped)).status == CANCELLED
    for checkout, status, why in [
        (refunded, PARTIALLY_REFUNDED, "it was paid, and refunded since"),
        (dropped, CANCELLED, "its booking was released before it was paid"),
    ]:
        published = len(desk.events.events)
        with pytest.raises(TransitionRefused) as refused:
            desk.kit.payments.mark_paid(
                T, [_payment_id(pending), _payment_id(checkout)], actor="priya"
            )
        error = refused.value
        assert (error.subject, error.subject_id, error.status, error.transition) == (
            "payment",
            _payment_id(checkout),
            status,
            "succeed",
        )
        assert error.reason == f"{why}; only pending manual payments are marked paid"
        # All or none: the pending one in the same call is left as it was.
        assert desk.kit.payments.get(T, _payment_id(pending)).status == PENDING
        assert desk.kit.payments.get(T, _payment_id(checkout)).status == status
        assert desk.events.events[published:] == []
