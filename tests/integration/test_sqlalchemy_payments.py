"""Paid bookings end to end on SQL stores, and amounts that come back exactly.

The flows of ``tests/unit/test_services_payments.py`` that touch every
payment read and write (pay, decline to the waitlist, expiry with the late
money refunded, a refund retried by the job, manual payments marked paid)
run here over :class:`~sessionkit.adapters.sqlalchemy.SqlAlchemyStore` with
the fake provider, on a SQLite file always and on PostgreSQL and MariaDB
when their URLs are set (the engines of ``conftest.py``). Hypothesis then
stores amounts of up to 1e12 with each currency's minor-unit digits (and
sub-minor ones) and reads them back equal; an amount the columns would round
is refused. Last, migration 0009 goes down and up over stored bookings, and
0017 adds the retry columns to stored payments.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, select

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, alembic_config, upgrade
from sessionkit.adapters.sqlalchemy.payment_rows import (
    payment_events_table,
    payment_values,
    payments_table,
    received_event_values,
)
from sessionkit.errors import InvalidValue, PaymentNotFound, RefundKeyReused
from sessionkit.model.booking import CANCELLED, CONFIRMED, EXPIRED, HELD, OFFERED, WAITLISTED
from sessionkit.model.booking_events import BookingConfirmed
from sessionkit.model.money import Money, minor_unit
from sessionkit.model.payment import (
    FAILED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
    Payment,
    PaymentEvent,
    ReceivedEvent,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules, Rate
from sessionkit.ports import PAYMENTS
from sessionkit.services.payments import RETRY_FIRST, Checkout, DueReport
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.contract import T0, TENANT
from sessionkit.testing.contract.bookings import make_booking, make_booking_session
from sessionkit.testing.contract.payments import make_payment
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=1))


def pay_of(checkout: Checkout) -> Payment:
    """Return the checkout's payment (every checkout here has one)."""
    assert checkout.payment is not None
    return checkout.payment


class Shop:
    """A kit over a SQL store with the fake provider, 40 EUR an hour, and shortcuts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.clock = ManualClock(NOW)
        self.events = RecordingPublisher()
        self.store = SqlAlchemyStore(engine, self.events)
        self.gateway = FakeGateway(clock=self.clock.now)
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=self.store.unit_of_work,
            clock=self.clock,
            ids=lambda: f"x{next(counter)}",
            booking_rules=RULES,
            gateway=self.gateway,
            pricing=Rate(Money.of(40, "EUR")),
        )

    def slot(self, *, capacity: int = 1, days: int = 2) -> Session:
        start = NOW + timedelta(days=days)
        return self.kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(minutes=90),
            resources=[ResourceRef("tutor", "tina")],
            lifecycle="marketplace",
            capacity=capacity,
            title="Maths",
        )

    def deliver(self, *, duplicate: bool = False) -> list[str]:
        return [
            self.kit.payments.apply(T, e).outcome for e in self.gateway.drain(duplicate=duplicate)
        ]

    def paid(self, session: Session, student: str) -> str:
        checkout = self.kit.payments.book(T, session.id, f"student:{student}", actor=student)
        self.gateway.pay(pay_of(checkout).intent_ref or "")
        self.deliver()
        return checkout.booking.id


@pytest.fixture
def shop(race_engine: Engine) -> Shop:
    return Shop(race_engine)


# ---------------------------------------------------------------------- flows


def test_a_paid_booking_is_confirmed_once_by_its_event(shop: Shop) -> None:
    s = shop.slot()
    checkout = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert (checkout.booking.status, pay_of(checkout).status) == (HELD, PENDING)
    assert pay_of(checkout).amount == Money.of("60.00", "EUR")
    again = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert (again.booking.id, pay_of(again).id) == (checkout.booking.id, pay_of(checkout).id)
    shop.gateway.pay(pay_of(checkout).intent_ref or "")
    assert shop.deliver(duplicate=True) == ["applied", "duplicate"]
    assert shop.kit.bookings.get(T, checkout.booking.id).status == CONFIRMED
    paid = shop.kit.payments.get(T, pay_of(checkout).id)
    assert (paid.status, paid.kept, paid.due) == (PAID, Money.of(60, "EUR"), None)
    assert len(shop.events.of_type(BookingConfirmed)) == 1
    assert shop.kit.payments.for_booking(T, checkout.booking.id) == paid


def test_a_decline_releases_the_seat_to_the_waitlist(shop: Shop) -> None:
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    ben = shop.kit.bookings.book(T, s.id, "student:ben", actor="ben", waitlist=True)
    assert ben.status == WAITLISTED
    shop.gateway.decline(pay_of(ana).intent_ref or "", "expired_card")
    assert shop.deliver() == ["applied"]
    assert shop.kit.bookings.get(T, ana.booking.id).status == CANCELLED
    failed = shop.kit.payments.get(T, pay_of(ana).id)
    assert (failed.status, failed.failure) == (FAILED, "expired_card")
    assert shop.kit.bookings.get(T, ben.id).status == OFFERED
    claim = shop.kit.payments.claim(T, ben.id, actor="ben")
    shop.gateway.pay(pay_of(claim).intent_ref or "")
    shop.deliver()
    assert shop.kit.bookings.get(T, ben.id).status == CONFIRMED
    assert pay_of(shop.kit.payments.claim(T, ben.id, actor="ben")).id == pay_of(claim).id


def test_an_expired_hold_cancels_the_intent_and_late_money_goes_back(shop: Shop) -> None:
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    shop.clock.advance(timedelta(minutes=16))
    shop.gateway.pay(pay_of(ana).intent_ref or "")  # paid just as the hold ran out
    assert shop.kit.expire_holds().expired == 1
    assert ("cancel", pay_of(ana).gateway_key("cancel")) in shop.gateway.calls
    refunded = shop.kit.payments.get(T, pay_of(ana).id)
    assert (refunded.status, refunded.refunded, refunded.kept.amount) == (
        REFUNDED,
        Decimal("60.00"),
        Decimal(0),
    )
    assert shop.kit.bookings.get(T, ana.booking.id).status == EXPIRED
    assert shop.gateway.collected("EUR") == Money.zero("EUR")
    assert shop.deliver() == ["stale", "stale"]
    assert shop.kit.payments.get(T, pay_of(ana).id).refunded == Decimal("60.00")


def test_a_refund_the_provider_missed_is_made_by_the_job(shop: Shop) -> None:
    s = shop.slot()
    booking = shop.paid(s, "ana")
    shop.gateway.fail_next()
    payment = shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
    assert payment is not None
    assert (payment.due, payment.refund_due) == ("refund", Decimal("60.00"))
    with shop.store.unit_of_work() as uow:
        assert [p.id for p in uow.repository(PAYMENTS).with_due(None, limit=10)] == [payment.id]
    report = shop.kit.run_payment_calls()
    assert (report.done, report.failed) == (1, ())
    again = shop.kit.payments.get(T, payment.id)
    assert (again.status, again.refund_due, again.refund_sending, again.due) == (
        REFUNDED,
        Decimal(0),
        Decimal(0),
        None,
    )
    assert shop.kit.run_payment_calls().done == 0


def test_a_refund_the_job_failed_waits_its_retry_time(shop: Shop) -> None:
    """The failure is counted on the payment as read back from the database, and waits."""
    booking = shop.paid(shop.slot(), "ana")
    shop.gateway.fail_next(2)  # at the cancel's commit, and by the job
    payment = shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
    assert payment is not None
    assert len(shop.kit.run_payment_calls().failed) == 1
    waiting = shop.kit.payments.get(T, payment.id)
    assert (waiting.due, waiting.failed_calls, waiting.retry_at) == (
        "refund",
        1,
        NOW + RETRY_FIRST,
    )
    assert shop.kit.run_payment_calls() == DueReport()
    shop.clock.advance(RETRY_FIRST)
    assert shop.kit.run_payment_calls().done == 1
    done = shop.kit.payments.get(T, payment.id)
    assert (done.status, done.due, done.failed_calls, done.retry_at) == (REFUNDED, None, 0, None)


def test_a_refund_retried_with_its_key_refunds_once(shop: Shop) -> None:
    payment = shop.kit.payments.for_booking(T, shop.paid(shop.slot(), "ana"))
    assert payment is not None
    ten = Money.of(10, "EUR")
    first = shop.kit.payments.refund(T, payment.id, ten, actor="admin", idempotency_key="r1")
    again = shop.kit.payments.refund(T, payment.id, ten, actor="admin", idempotency_key="r1")
    assert (again, again.status, again.refunded) == (first, PARTIALLY_REFUNDED, Decimal(10))
    with pytest.raises(RefundKeyReused):
        shop.kit.payments.refund(
            T, payment.id, Money.of(20, "EUR"), actor="admin", idempotency_key="r1"
        )
    assert shop.gateway.intents[payment.intent_ref or ""].refunded == Decimal(10)
    table = payment_events_table  # the key's receipt sits beside the provider events'
    with shop.engine.connect() as db:
        rows = db.execute(
            select(table.c.payment_id, table.c.outcome).where(table.c.type == "refund")
        )
        assert [tuple(row) for row in rows] == [(payment.id, "10.00 EUR")]


def test_an_event_heard_before_its_payment_is_applied_when_delivered_again(shop: Shop) -> None:
    # Before its intent's reference was stored, an event was "unknown" and its receipt kept,
    # so its redelivery was a "duplicate". No receipt is kept now; one an earlier version
    # kept is replaced once the event is applied.
    early, legacy = (
        PaymentEvent(
            provider="fake", event_id=name, type="succeeded", occurred_at=NOW, intent_ref=ref
        )
        for name, ref in (("evt_early", "pi_1"), ("evt_legacy", "pi_2"))
    )
    assert [shop.kit.payments.apply(T, e).outcome for e in (early, legacy)] == ["unknown"] * 2
    table = payment_events_table
    with shop.engine.begin() as db:
        assert db.execute(select(table.c.id)).all() == []
        db.execute(
            table.insert().values(
                received_event_values(
                    ReceivedEvent(
                        id=legacy.key,
                        tenant=T,
                        payment_id=None,
                        type="succeeded",
                        outcome="unknown",
                        received_at=NOW,
                    )
                )
            )
        )
    s = shop.slot(capacity=2)
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    ben = shop.kit.payments.book(T, s.id, "student:ben", actor="ben")
    assert (pay_of(ana).intent_ref, pay_of(ben).intent_ref) == ("pi_1", "pi_2")
    assert [shop.kit.payments.apply(T, e).outcome for e in (early, legacy)] == ["applied"] * 2
    assert [shop.kit.payments.apply(T, e).outcome for e in (early, legacy)] == ["duplicate"] * 2
    assert {b.status for b in shop.kit.bookings.for_session(T, s.id)} == {CONFIRMED}
    with shop.engine.connect() as db:
        rows = db.execute(
            select(table.c.id, table.c.payment_id, table.c.outcome, table.c.version).order_by(
                table.c.id
            )
        )
        assert [tuple(row) for row in rows] == [
            (early.key, pay_of(ana).id, "applied", 1),
            (legacy.key, pay_of(ben).id, "applied", 2),
        ]


def test_manual_payments_are_marked_paid_all_or_nothing(shop: Shop) -> None:
    s = shop.slot(capacity=3)
    a = shop.kit.payments.book(T, s.id, "client:a", actor="c", manual=True)
    b = shop.kit.payments.book(T, s.id, "client:b", actor="c", manual=True)
    assert (pay_of(a).provider, pay_of(a).due, a.client_secret) == ("manual", None, None)
    with pytest.raises(PaymentNotFound):
        shop.kit.payments.mark_paid(T, [pay_of(a).id, "nope"], actor="consultant")
    assert shop.kit.payments.get(T, pay_of(a).id).status == PENDING
    paid = shop.kit.payments.mark_paid(T, [pay_of(a).id, pay_of(b).id], actor="consultant")
    assert [p.status for p in paid] == [PAID, PAID]
    assert {x.status for x in shop.kit.bookings.for_session(T, s.id)} == {CONFIRMED}
    assert shop.gateway.calls == []
    cancelled = shop.kit.payments.cancel(T, a.booking.id, actor="c", role="provider")
    assert cancelled is not None
    assert (cancelled.status, cancelled.refunded) == (REFUNDED, Decimal("60.00"))
    assert [p.id for p in shop.kit.payments.list(T, statuses=[PAID])] == [pay_of(b).id]
    mine = shop.kit.payments.list(T, participant="client:a", session_ids=[s.id])
    assert [p.id for p in mine] == [pay_of(a).id]


# ---------------------------------------------------------------------- exact amounts

CURRENCIES = ("EUR", "USD", "JPY", "BHD", "KWD", "CLF")


@st.composite
def amounts(draw: st.DrawFn) -> tuple[str, Decimal, Decimal, Decimal]:
    """A currency, an amount up to 1e12 with its minor unit's places (or up to 6), two refunds."""
    currency = draw(st.sampled_from(CURRENCIES))
    places = minor_unit(currency) + draw(st.integers(0, 6 - minor_unit(currency)))
    units = draw(st.integers(1, 10**12 * 10**places))
    refunded = draw(st.integers(0, units))
    due = draw(st.integers(0, units - refunded))

    def scaled(n: int) -> Decimal:
        return Decimal(n).scaleb(-places)

    return currency, scaled(units), scaled(refunded), scaled(due)


def _booked(store: SqlAlchemyStore, booking_id: str = "b1") -> None:
    """Store session s1 and a booking of it, once."""
    with store.unit_of_work() as uow:
        if not uow.bookings.get_many(TENANT, [booking_id]):
            if not uow.sessions.get_many(TENANT, ["s1"]):
                uow.sessions.add(make_booking_session("s1"))
            uow.bookings.add(make_booking(booking_id))
            uow.commit()


# The engine is emptied once per test, not per example: each example deletes its payment.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=amounts())
def test_amounts_read_back_equal(
    race_engine: Engine, drawn: tuple[str, Decimal, Decimal, Decimal]
) -> None:
    currency, amount, refunded, due = drawn
    store = SqlAlchemyStore(race_engine)
    _booked(store)
    payment = make_payment(
        "p1",
        booking_id="b1",
        amount=str(amount),
        currency=currency,
        status=PAID,
        refunded=str(refunded),
        refund_due=str(due),
        refund_sending=str(due),
    )
    with store.unit_of_work() as uow:
        uow.repository(PAYMENTS).add(payment)
        uow.commit()
    with store.unit_of_work() as uow:
        payments = uow.repository(PAYMENTS)
        got = payments.get(TENANT, "p1")
        payments.delete(TENANT, "p1", expected_version=1)
        uow.commit()
    assert got == payment
    assert (got.amount.amount, got.refunded, got.refund_due, got.refund_sending) == (
        amount,
        refunded,
        due,
        due,
    )
    # Shown with the currency's places, or with the places it needs past them: a trailing
    # zero past the minor unit is not kept (NUMERIC keeps the value, not how it was written).
    step = Decimal(1).scaleb(-minor_unit(currency))
    shown = amount.quantize(step) if amount == amount.quantize(step) else amount.normalize()
    assert str(got.amount) == str(Money.of(shown, currency))


def test_an_amount_the_columns_would_round_is_refused(race_engine: Engine) -> None:
    store = SqlAlchemyStore(race_engine)
    _booked(store)
    with store.unit_of_work() as uow:
        payments = uow.repository(PAYMENTS)
        seven = make_payment("p1", booking_id="b1", amount="0.1234567")
        with pytest.raises(InvalidValue) as caught:
            payments.add(seven)
        assert "6 decimal places" in str(caught.value)
        payments.add(make_payment("p2", booking_id="b1", amount="0.123456"))
        stored = payments.get(TENANT, "p2")
        with pytest.raises(InvalidValue):
            payments.update(_with_refund(stored, "0.0000001"), expected_version=1)
        uow.commit()
    with store.unit_of_work() as uow:
        got = uow.repository(PAYMENTS).get_many(TENANT, ["p1", "p2"])
    assert [(p.id, p.amount.amount, p.refund_due) for p in got] == [
        ("p2", Decimal("0.123456"), Decimal(0))
    ]


def _with_refund(payment: Payment, due: str) -> Payment:
    return make_payment(
        payment.id, booking_id=payment.booking_id, amount=str(payment.amount.amount), refund_due=due
    )


# ---------------------------------------------------------------------- migration 0009


def test_migration_0009_goes_down_and_up_over_stored_bookings(race_engine: Engine) -> None:
    store = SqlAlchemyStore(race_engine)
    _booked(store)
    config = alembic_config(race_engine)
    command.stamp(config, "head")  # create_schema made the tables of the head revision
    command.downgrade(config, "0008_title_search")
    tables = set(inspect(race_engine).get_table_names())
    assert {"sessionkit_payments", "sessionkit_payment_events"}.isdisjoint(tables)
    upgrade(race_engine)
    with store.unit_of_work() as uow:
        assert uow.bookings.get(TENANT, "b1").id == "b1"
        uow.repository(PAYMENTS).add(make_payment("p1", booking_id="b1"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.repository(PAYMENTS).for_booking(TENANT, "b1") is not None


# ---------------------------------------------------------------------- migration 0017


def test_migration_0017_adds_the_retry_columns_to_stored_payments(blank_engine: Engine) -> None:
    """Payments stored before it have no failed call; a run stopped midway is finished."""
    upgrade(blank_engine, "0016_journal_tenant_reads")
    store = SqlAlchemyStore(blank_engine)
    _booked(store)
    _booked(store, "b2")
    before = [
        make_payment("p1", booking_id="b1", due="refund", created=-5),
        make_payment("p2", booking_id="b2"),
    ]
    with blank_engine.begin() as connection:
        for payment in before:
            row = payment_values(payment)
            del row["failed_calls"], row["retry_at"]
            connection.execute(payments_table.insert().values(row))
        # A run stopped after its first column (MySQL commits each ALTER TABLE).
        connection.exec_driver_sql(
            "ALTER TABLE sessionkit_payments ADD failed_calls INTEGER DEFAULT 0 NOT NULL"
        )
    upgrade(blank_engine)
    with store.unit_of_work() as uow:
        payments = uow.repository(PAYMENTS)
        assert payments.get_many(TENANT, ["p1", "p2"]) == before
        assert [p.id for p in payments.with_due(None, limit=10, now=T0)] == ["p1"]
        waiting = attrs.evolve(before[0], failed_calls=1, retry_at=T0 + timedelta(minutes=1))
        payments.update(waiting, expected_version=1)
        assert payments.with_due(None, limit=10, now=T0) == []
        uow.commit()
    shape = _payments_shape(blank_engine)
    command.downgrade(alembic_config(blank_engine), "0016_journal_tenant_reads")
    columns = {c["name"] for c in inspect(blank_engine).get_columns("sessionkit_payments")}
    assert {"failed_calls", "retry_at"}.isdisjoint(columns)
    with blank_engine.connect() as connection:
        kept = connection.execute(select(payments_table.c.id, payments_table.c.version))
        assert sorted(kept) == [("p1", 2), ("p2", 1)]
        # Back to 0016's meaning: the last change while a call is due, not a retry time.
        since = connection.execute(select(payments_table.c.id, payments_table.c.due_since))
        assert sorted(since) == [("p1", before[0].created_at), ("p2", None)]
    upgrade(blank_engine)
    assert _payments_shape(blank_engine) == shape  # SQLite's copied table kept its keys too
    with store.unit_of_work() as uow:
        again = uow.repository(PAYMENTS).get(TENANT, "p1")
    assert (again.failed_calls, again.retry_at, again.version) == (0, None, 2)


def _payments_shape(engine: Engine) -> tuple[list[list[str | None]], ...]:
    """The payments table's indexes, unique constraints and foreign keys, by their columns."""
    found = inspect(engine)
    table = "sessionkit_payments"
    return (
        sorted(i["column_names"] for i in found.get_indexes(table)),
        sorted(list[str | None](u["column_names"]) for u in found.get_unique_constraints(table)),
        sorted(list[str | None](f["constrained_columns"]) for f in found.get_foreign_keys(table)),
    )


@pytest.mark.parametrize("host", ["commits", "rolls back"])
def test_a_refund_in_a_joined_unit_is_left_due_until_the_host_commits(
    shop: Shop, host: str
) -> None:
    """A cancel in the host's session (``store.join``) never refunds before the host commits.

    The refund went to the provider when the savepoint was released: a host that then rolled
    back kept a confirmed, paid seat whose money was already back. It stays due, for
    ``run_due``, once the host's commit made it durable.
    """
    from sqlalchemy.orm import Session as OrmSession

    booking_id = shop.paid(shop.slot(), "ana")
    engine = shop.engine
    if engine.dialect.name != "sqlite":  # a joined unit counts in the host's level
        engine = engine.execution_options(isolation_level="READ COMMITTED")
    with OrmSession(engine) as db:
        joined = SessionKit(
            uow=lambda: shop.store.join(db),
            clock=shop.clock,
            gateway=shop.gateway,
            pricing=Rate(Money.of(40, "EUR")),
        )
        joined.bookings.cancel(T, booking_id, actor="ana")
        assert str(shop.gateway.collected("EUR")) == "60.00 EUR"
        if host == "commits":
            db.commit()
        else:
            db.rollback()
    [payment] = shop.kit.payments.list(T)
    assert str(shop.gateway.collected("EUR")) == "60.00 EUR"
    if host == "rolls back":
        assert (shop.kit.bookings.get(T, booking_id).status, payment.status) == (CONFIRMED, PAID)
        assert payment.due is None
        return
    assert (payment.status, payment.due) == (PAID, "refund")
    assert shop.kit.payments.run_due().done == 1
    assert shop.kit.payments.get(T, payment.id).status == REFUNDED
    assert str(shop.gateway.collected("EUR")) == "0.00 EUR"
