"""Payment commands that lost a race run again, as every other command does.

The store is the in-memory one, whose unit of work is made to find a record
moved on at its commit, as a SQL store's versioned write does when a
concurrent writer committed between the unit's read and its write (see
``test_services_retries.py``). The real interleavings, a due-call run
counting a failed call on the payment meanwhile, are played on PostgreSQL and
MariaDB in ``tests/integration/test_sqlalchemy_payment_bookkeeping_races.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._store import InMemoryUnitOfWork
from sessionkit.errors import (
    ConcurrentModification,
    PaymentGatewayError,
    SessionKitError,
    StorageTimeout,
    WrongType,
)
from sessionkit.model.booking import CONFIRMED, HELD, OFFERED
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, PENDING, REFUNDED
from sessionkit.policies import BookingRules, Rate
from sessionkit.policies.retries import PaymentRetries
from sessionkit.ports import Intent, RefundReceipt
from sessionkit.services.payments import RETRY_FIRST, DueReport
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


class MovedOn:
    """A unit-of-work factory whose next ``losses`` commits find a payment moved on meanwhile.

    Or meet another of the store's errors, ``fault``.
    """

    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.losses = 0
        self.commits = 0
        self.fault: Callable[[], SessionKitError] = lambda: ConcurrentModification("p1", 3, 4)

    def __call__(self) -> InMemoryUnitOfWork:
        factory = self

        class Losing(InMemoryUnitOfWork):
            def commit(self) -> None:
                factory.commits += 1
                if factory.losses > 0:
                    factory.losses -= 1
                    raise factory.fault()
                super().commit()

        return Losing(self.store)


class Refusing(FakeGateway):
    """A provider answering refunds failed while ``refusing`` (a closed card)."""

    refusing = False

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        if not self.refusing:
            return super().refund(intent_ref, amount, idempotency_key=idempotency_key)
        failed = RefundReceipt(ref="re_closed", status="failed")
        return self._once("refund", idempotency_key, (intent_ref, amount), lambda: failed)


class Shop:
    def __init__(self, retries: PaymentRetries | None = None) -> None:
        self.units = MovedOn()
        self.clock = ManualClock(NOW)
        self.gateway = Refusing(clock=self.clock.now)
        self.kit = SessionKit(
            uow=self.units,
            clock=self.clock,
            gateway=self.gateway,
            pricing=Rate(Money.of(40, "EUR")),
            booking_rules=BookingRules(waitlist=True, offer_for=timedelta(hours=1)),
            payment_retries=retries,
        )

    def session_id(self, capacity: int = 2) -> str:
        start = NOW + timedelta(days=2)
        return self.kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(minutes=90),
            lifecycle="marketplace",
            capacity=capacity,
            title="Maths",
        ).id

    def lose_next(self) -> int:
        """Make the next commit lose; return the commits so far."""
        self.units.losses = 1
        return self.units.commits


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_a_provider_event_whose_payment_moved_on_is_applied_at_the_next_attempt(
    shop: Shop,
) -> None:
    checkout = shop.kit.payments.book(T, shop.session_id(), "student:ana", actor="ana")
    assert checkout.payment is not None
    shop.gateway.pay(checkout.payment.intent_ref or "")
    [event] = shop.gateway.drain()
    before = shop.lose_next()
    assert shop.kit.payments.apply(T, event).outcome == "applied"
    assert shop.units.commits == before + 2
    assert shop.kit.payments.get(T, checkout.payment.id).status == PAID
    assert shop.kit.bookings.get(T, checkout.booking.id).status == CONFIRMED


def test_a_failed_refund_retried_whose_payment_moved_on_is_sent_once(shop: Shop) -> None:
    checkout = shop.kit.payments.book(T, shop.session_id(), "student:ana", actor="ana")
    assert checkout.payment is not None
    payment_id, ref = checkout.payment.id, checkout.payment.intent_ref or ""
    shop.gateway.pay(ref)
    [event] = shop.gateway.drain()
    shop.kit.payments.apply(T, event)
    shop.gateway.refusing = True
    shop.kit.payments.cancel(T, checkout.booking.id, actor="tina", role="provider")
    shop.gateway.refusing = False
    before = shop.lose_next()
    retried = shop.kit.payments.retry_refund(T, payment_id, actor="tina")
    assert shop.units.commits > before + 1  # the lost attempt, then the one that committed
    assert (retried.status, retried.refunded, retried.due, retried.refunds) == (
        REFUNDED,
        Decimal("60.00"),
        None,
        2,
    )
    refunds = [key for op, key in shop.gateway.calls if op == "refund"]
    assert refunds == [retried.gateway_key("refund", 1), retried.gateway_key("refund", 2)]


def test_manual_payments_whose_payment_moved_on_are_marked_paid_at_the_next_attempt(
    shop: Shop,
) -> None:
    session_id = shop.session_id()
    checkouts = [
        shop.kit.payments.book(T, session_id, f"client:{who}", actor="c", manual=True)
        for who in ("a", "b")
    ]
    ids = [c.payment.id for c in checkouts if c.payment is not None]
    before = shop.lose_next()
    paid = shop.kit.payments.mark_paid(T, ids, actor="consultant")
    assert shop.units.commits == before + 2
    assert [(p.id, p.status) for p in paid] == [(i, PAID) for i in ids]
    assert {b.status for b in shop.kit.bookings.for_session(T, session_id)} == {CONFIRMED}


def test_a_paid_booking_whose_hold_lost_a_race_is_held_at_the_next_attempt(shop: Shop) -> None:
    # The hold's unit was the one payment unit not run again: a lost race reached the
    # customer as ConcurrentModification, though nothing was written and nothing asked.
    session_id = shop.session_id()
    before = shop.lose_next()
    checkout = shop.kit.payments.book(T, session_id, "student:ana", actor="ana")
    payment = checkout.payment
    assert shop.units.commits == before + 3  # the lost hold, the hold, the intent's answer
    assert (checkout.booking.status, payment.status, payment.due) == (HELD, PENDING, None)
    assert checkout.client_secret == f"{payment.intent_ref}_secret"
    assert shop.gateway.calls == [("create_intent", payment.gateway_key("create"))]
    assert [b.id for b in shop.kit.bookings.for_session(T, session_id)] == [checkout.booking.id]


def test_a_claim_whose_unit_lost_a_race_opens_one_payment_at_the_next_attempt(
    shop: Shop,
) -> None:
    session_id = shop.session_id(capacity=1)
    ana = shop.kit.payments.book(T, session_id, "student:ana", actor="ana")
    ben = shop.kit.bookings.book(T, session_id, "student:ben", actor="ben", waitlist=True)
    shop.gateway.decline(ana.payment.intent_ref or "", "expired_card")
    [event] = shop.gateway.drain()
    shop.kit.payments.apply(T, event)
    assert shop.kit.bookings.get(T, ben.id).status == OFFERED
    before = shop.lose_next()
    checkout = shop.kit.payments.claim(T, ben.id, actor="ben")
    payment = checkout.payment
    assert shop.units.commits == before + 3  # the lost claim, the claim, the intent's answer
    assert (checkout.booking.status, payment.status, payment.due) == (OFFERED, PENDING, None)
    assert checkout.client_secret == f"{payment.intent_ref}_secret"
    assert [c for c in shop.gateway.calls if c[1] != ana.payment.gateway_key("create")] == [
        ("create_intent", payment.gateway_key("create"))
    ]
    assert shop.kit.payments.for_booking(T, ben.id) == payment


def _create_down(shop: Shop, monkeypatch: pytest.MonkeyPatch, losses: int) -> str:
    """Book with the provider down, and keep it down; return the payment, its intent due.

    Each try of a run at the intent makes the next ``losses`` commits (the run's write of
    the call's wait) fail as the shop's units fail.
    """
    shop.gateway.fail_next()
    with pytest.raises(PaymentGatewayError):
        shop.kit.payments.book(T, shop.session_id(), "student:ana", actor="ana")
    [payment] = shop.kit.payments.list(T)
    assert payment.due == "create"

    def down(**_kwargs: Any) -> Intent:
        shop.units.losses = losses
        raise PaymentGatewayError("create_intent", payment.id, detail="the provider is down")

    monkeypatch.setattr(shop.gateway, "create_intent", down)
    return payment.id


def test_a_failed_call_whose_wait_lost_a_race_waits_after_the_next_attempt(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The write of the call's wait was tried once: lost to a deadlock, the call stayed due
    # with no retry time, and the next run tried it again at once.
    payment_id = _create_down(shop, monkeypatch, losses=2)
    report = shop.kit.payments.run_due()
    assert ([f[1] for f in report.failed], report.unscheduled) == ([payment_id], ())
    waiting = shop.kit.payments.get(T, payment_id)
    assert (waiting.due, waiting.failed_calls, waiting.retry_at) == ("create", 1, NOW + RETRY_FIRST)
    assert shop.kit.payments.run_due() == DueReport()  # it waits


def test_a_failed_call_whose_wait_the_store_refused_is_reported_unscheduled(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store's error was swallowed: nothing said the call had no wait, to be tried at once.
    shop.units.fault = lambda: StorageTimeout("lock wait timeout", waited_for="a payment's row")
    payment_id = _create_down(shop, monkeypatch, losses=1)
    report = shop.kit.payments.run_due()
    [(tenant, failed_id, refusal)] = report.failed
    [(_, unscheduled_id, lost)] = report.unscheduled
    assert (tenant, failed_id, unscheduled_id) == (T, payment_id, payment_id)
    assert isinstance(refusal, PaymentGatewayError)
    assert isinstance(lost, StorageTimeout)
    assert lost.waited_for == "a payment's row"
    stored = shop.kit.payments.get(T, payment_id)
    assert (stored.due, stored.failed_calls, stored.retry_at) == ("create", 0, None)


def test_a_failed_call_waits_as_the_kit_s_payment_retries_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The waits were module constants: a host whose provider recovers in seconds, or one
    # that must not call more than hourly, could not say so.
    shop = Shop(PaymentRetries(first=timedelta(seconds=10), most=timedelta(seconds=25)))
    payment_id = _create_down(shop, monkeypatch, losses=0)
    waits = []
    for _ in range(4):
        assert len(shop.kit.payments.run_due().failed) == 1
        at = shop.kit.payments.get(T, payment_id).retry_at
        assert at is not None
        waits.append(at - shop.clock.now())
        shop.clock.set(at)
    assert waits == [timedelta(seconds=s) for s in (10, 20, 25, 25)]
    assert shop.kit.payments.get(T, payment_id).failed_calls == 4


def test_payment_retries_of_another_kind_are_refused_when_the_kit_is_made() -> None:
    with pytest.raises(WrongType) as caught:
        SessionKit(
            uow=InMemoryStore().unit_of_work,
            clock=ManualClock(NOW),
            payment_retries=timedelta(minutes=1),  # type: ignore[arg-type]  # refused
        )
    assert (caught.value.name, caught.value.expected) == (
        "payment_retries",
        "a PaymentRetries or None",
    )
