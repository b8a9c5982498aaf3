"""A command writing a payment while ``run_due`` counts a failed call on it: the command wins.

``kit.payments.run_due`` records a failed provider call on the payment
(``failed_calls``, ``retry_at``) in a unit of work of its own, which takes no
session lock, and so may commit between a command's read of the payment and
its versioned write. The command then met a record moved on: a provider's
event (``apply``) or a checkout's intent (``book``) raised
``ConcurrentModification`` to the caller (the webhook answered 500, the
client its error after the hold was made) though nothing was decided against
it. Such a command now runs again, as every other command does, re-reading
the payment; the provider is asked nothing twice.

Deterministic, not a lottery: the command's first write of a payment is held
while a run in another thread fails at a call of that payment and counts it.
On PostgreSQL and MariaDB; on a SQLite file the run would wait for the
command's ``BEGIN IMMEDIATE``, so the two never meet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy._payments import SqlAlchemyPaymentRepository
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.errors import PaymentGatewayError
from sessionkit.model.money import Money
from sessionkit.model.payment import CANCELLED, PENDING, REFUNDED
from sessionkit.model.session import Session
from sessionkit.policies import Rate
from sessionkit.ports import RefundReceipt
from sessionkit.services.payments import DueReport
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

Meanwhile = list[Callable[[], object]]


@pytest.fixture(params=["postgres", "mysql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    shared: Engine = request.getfixturevalue(f"race_{request.param}")
    clear_tables(shared)
    return shared


@pytest.fixture
def meanwhile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Meanwhile]:
    """Run what the test queues, in another thread, before the next payment write lands."""
    queued: Meanwhile = []
    original = SqlAlchemyPaymentRepository.update

    def update(self: Any, record: Any, *, expected_version: int) -> Any:
        if queued:
            work, errors = queued.pop(0), []

            def run() -> None:
                try:
                    work()
                except BaseException as error:  # noqa: BLE001  # reported by the assert below
                    errors.append(error)

            other = threading.Thread(target=run, name="meanwhile")
            other.start()
            other.join(60)
            assert not other.is_alive(), "the write meanwhile waited for the command"
            assert errors == []
        return original(self, record, expected_version=expected_version)

    monkeypatch.setattr(SqlAlchemyPaymentRepository, "update", update)
    yield queued
    assert queued == [], "the command wrote no payment"


class AnswersFailed(FakeGateway):
    """A provider answering sessionkit's refunds failed while ``refusing`` (a closed card)."""

    refusing = False

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        if not self.refusing:
            return super().refund(intent_ref, amount, idempotency_key=idempotency_key)
        failed = RefundReceipt(ref="re_closed", status="failed")
        return self._once("refund", idempotency_key, (intent_ref, amount), lambda: failed)


class Shop:
    def __init__(self, engine: Engine) -> None:
        self.clock = ManualClock(NOW)
        self.gateway = AnswersFailed(clock=self.clock.now)
        self.kit = SessionKit(
            uow=SqlAlchemyStore(engine).unit_of_work,
            clock=self.clock,
            gateway=self.gateway,
            pricing=Rate(Money.of(40, "EUR")),
        )

    def slot(self) -> Session:
        start = NOW + timedelta(days=2)
        return self.kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(minutes=90),
            lifecycle="marketplace",
            capacity=1,
            title="Maths",
        )

    def paid(self) -> tuple[str, str]:
        """A paid seat: its payment's id and intent."""
        checkout = self.kit.payments.book(T, self.slot().id, "student:ana", actor="ana")
        assert checkout.payment is not None
        payment_id, ref = checkout.payment.id, checkout.payment.intent_ref or ""
        self.gateway.pay(ref)
        assert [self.kit.payments.apply(T, e).outcome for e in self.gateway.drain()] == ["applied"]
        return payment_id, ref

    def failing_run(self) -> DueReport:
        """A run of the due calls whose provider call fails, counted on its payment."""
        self.gateway.fail_next()
        report = self.kit.run_payment_calls()
        assert (report.done, len(report.failed)) == (0, 1)
        return report

    def calls(self, operation: str) -> int:
        return sum(1 for op, _key in self.gateway.calls if op == operation)


def test_an_event_applied_while_a_run_counts_a_failed_cancel_is_applied(
    engine: Engine, meanwhile: Meanwhile
) -> None:
    # The hold ran out and its intent's cancel fails (the provider is down for calls), but
    # the customer paid first: the provider's success arrives as a run fails the cancel.
    shop = Shop(engine)
    checkout = shop.kit.payments.book(T, shop.slot().id, "student:ana", actor="ana")
    assert checkout.payment is not None
    payment_id, ref = checkout.payment.id, checkout.payment.intent_ref or ""
    shop.clock.advance(timedelta(minutes=16))
    shop.gateway.fail_next()
    assert shop.kit.expire_holds().expired == 1  # its cancel fails at the commit
    shop.gateway.pay(ref)
    [event] = shop.gateway.drain()
    before = shop.kit.payments.get(T, payment_id)
    assert (before.status, before.due) == (CANCELLED, "cancel")
    meanwhile.append(shop.failing_run)
    assert shop.kit.payments.apply(T, event).outcome == "applied"
    after = shop.kit.payments.get(T, payment_id)
    # Late money, refunded at once; the failed cancel's count is cleared by the decision.
    assert (after.status, after.refunded, after.due, after.failed_calls, after.retry_at) == (
        REFUNDED,
        Decimal("60.00"),
        None,
        0,
        None,
    )
    assert (shop.calls("cancel"), shop.calls("refund")) == (2, 1)
    assert shop.gateway.intents[ref].refunded == Decimal("60.00")


def test_a_checkout_whose_intent_a_run_failed_at_meanwhile_stores_its_intent(
    engine: Engine, meanwhile: Meanwhile
) -> None:
    # A run reads the new payment's due intent while the checkout asks the provider for it;
    # the run's own call fails and is counted as the checkout stores the intent it got.
    shop = Shop(engine)
    meanwhile.append(shop.failing_run)
    checkout = shop.kit.payments.book(T, shop.slot().id, "student:ana", actor="ana")
    payment = checkout.payment
    assert payment is not None
    assert payment.intent_ref is not None
    assert checkout.client_secret == f"{payment.intent_ref}_secret"
    stored = shop.kit.payments.get(T, payment.id)
    assert (stored.status, stored.due, stored.intent_ref, stored.failed_calls) == (
        PENDING,
        None,
        payment.intent_ref,
        0,
    )
    assert shop.calls("create_intent") == 2  # the checkout's, and the run's that failed
    assert len(shop.gateway.intents) == 1


def test_a_refund_made_while_another_run_fails_at_it_is_recorded_by_its_run(
    engine: Engine, meanwhile: Meanwhile
) -> None:
    # A run's refund call goes through while a second run, which read the same due call,
    # fails at it (under the same key) and counts the failure before the first records it.
    shop = Shop(engine)
    payment_id, ref = shop.paid()
    shop.gateway.fail_next()  # the provider blips: the refund stays due, claimed
    shop.kit.payments.refund(T, payment_id, Money.of(10, "EUR"), actor="admin")
    meanwhile.append(shop.failing_run)
    report = shop.kit.run_payment_calls()
    assert (report.done, report.failed) == (1, ())
    after = shop.kit.payments.get(T, payment_id)
    assert (after.refunded, after.refund_due, after.refund_sending, after.due) == (
        Decimal(10),
        Decimal(0),
        Decimal(0),
        None,
    )
    assert (after.refunds, after.failed_calls, after.retry_at) == (1, 0, None)
    keys = {key for op, key in shop.gateway.calls if op == "refund"}
    assert (shop.calls("refund"), keys) == (3, {after.gateway_key("refund", 1)})
    assert shop.gateway.intents[ref].refunded == Decimal(10)


def test_a_refund_answered_failed_while_another_run_fails_at_it_is_given_up_by_its_run(
    engine: Engine, meanwhile: Meanwhile
) -> None:
    # As above, but the provider answers the first run's call "failed" (a closed card).
    shop = Shop(engine)
    payment_id, _ref = shop.paid()
    shop.gateway.refusing = True
    shop.gateway.fail_next()
    shop.kit.payments.refund(T, payment_id, Money.of(10, "EUR"), actor="admin")
    meanwhile.append(shop.failing_run)
    [(_, failed_id, error)] = shop.kit.run_payment_calls().failed
    assert (failed_id, type(error)) == (payment_id, PaymentGatewayError)
    assert "'re_closed' failed" in str(error)
    given_up = shop.kit.payments.get(T, payment_id)
    assert (given_up.refunds, given_up.refund_sending, given_up.refund_due, given_up.due) == (
        1,
        Decimal(0),
        Decimal(10),
        "refund",
    )
    assert given_up.failure == "the provider answered refund 're_closed' failed"


def test_a_failed_refund_retried_while_the_provider_reports_part_of_it_sends_the_rest(
    engine: Engine, meanwhile: Meanwhile
) -> None:
    # An admin gives 10 of a failed 30 EUR refund back on the provider's dashboard; its
    # event is applied while another admin retries the refund (the card mended).
    shop = Shop(engine)
    payment_id, ref = shop.paid()
    shop.gateway.refusing = True
    shop.kit.payments.refund(T, payment_id, Money.of(30, "EUR"), actor="admin")
    shop.gateway.refusing = False
    FakeGateway.refund(shop.gateway, ref, Money.of(10, "EUR"), idempotency_key="dashboard")
    [event] = shop.gateway.drain()
    meanwhile.append(lambda: shop.kit.payments.apply(T, event))
    retried = shop.kit.payments.retry_refund(T, payment_id, actor="admin")
    assert (retried.refunded, retried.refund_due, retried.due, retried.failure) == (
        Decimal(30),
        Decimal(0),
        None,
        None,
    )
    assert retried.refunds == 2
    assert shop.gateway.intents[ref].refunded == Decimal(30)
