"""Attendance, usage and payments on the Django store, through the kit.

The academy's individual lessons (capacity 1) go ABSENT 15 minutes past the
start when nobody attended: the tick asks the stored presence log
(``attendance_facts()``), on SQLite through ``manage.py sessionkit_tick``
and on PostgreSQL through ``kit.tick``. A join moves a READY lesson ONGOING,
and it then stays so. Session codes come from the store's counter, one
after the other; a completed lesson consumes its credit once. A paid
booking is confirmed by the provider's event, applied once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from sessionkit.contrib.django.store import DjangoStore
from sessionkit.model.attendance import JOIN, PresenceEvent
from sessionkit.model.money import Money
from sessionkit.model.session import Session
from sessionkit.model.usage import SessionCodes
from sessionkit.policies import Rate
from sessionkit.ports import BOOKINGS, PRESENCE, USAGE
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import TENANT
from sessionkit.testing.payments import FakeGateway

from .conftest import POSTGRES_URL, clear
from .django_settings import KITS

START = datetime(2026, 3, 2, 17, tzinfo=UTC)
"""The lesson's start; READY is due 15 minutes before it, ABSENT 15 minutes after."""


@pytest.fixture(params=["sqlite", "postgres"])
def kit(request: pytest.FixtureRequest) -> Iterator[tuple[SessionKit, ManualClock, str]]:
    """A kit reading attended facts from the Django store, named by ``SESSIONKIT_KIT``."""
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL tests")
    using: str = request.getfixturevalue(
        "postgres_db" if request.param == "postgres" else "sqlite_db"
    )
    clear(using)
    clock = ManualClock(START - timedelta(days=1))
    made = SessionKit(
        uow=DjangoStore(using=using).unit_of_work, clock=clock, facts=attendance_facts()
    )
    KITS.append(made)
    yield made, clock, using
    KITS.remove(made)
    clear(using)


def lesson(kit: SessionKit, *, capacity: int = 1, teacher: str = "teacher:tara") -> Session:
    return kit.sessions.create_extra(
        TENANT,
        actor="test",
        start=START,
        end=START + timedelta(minutes=45),
        lifecycle="academy",
        capacity=capacity,
        resources=[teacher],
    )


def tick(kit: SessionKit, using: str) -> str:
    """Tick once: the management command on SQLite's default alias, else ``kit.tick``."""
    if using == "default":
        out = StringIO()
        call_command("sessionkit_tick", "--kind", "advance", stdout=out)
        return out.getvalue().splitlines()[0]
    report = kit.tick(kinds=["advance"])
    return f"advance: {report.advanced} sessions advanced, {len(report.failed)} failed"


def status(kit: SessionKit, session_id: str) -> str:
    with kit.context.uow() as uow:
        return uow.sessions.get(TENANT, session_id).status


def test_an_individual_lesson_nobody_joins_becomes_absent(
    kit: tuple[SessionKit, ManualClock, str],
) -> None:
    made, clock, using = kit
    alone = lesson(made)
    circle = lesson(
        made, capacity=4, teacher="teacher:umar"
    )  # ABSENT is for individual lessons only
    clock._now = START - timedelta(minutes=10)
    assert tick(made, using) == "advance: 2 sessions advanced, 0 failed"
    assert (status(made, alone.id), status(made, circle.id)) == ("READY", "READY")
    clock._now = START + timedelta(minutes=16)
    assert tick(made, using) == "advance: 1 sessions advanced, 0 failed"
    assert (status(made, alone.id), status(made, circle.id)) == ("ABSENT", "READY")


def test_a_join_makes_a_lesson_ongoing_and_keeps_it_from_absent(
    kit: tuple[SessionKit, ManualClock, str],
) -> None:
    made, clock, using = kit
    alone = lesson(made)
    clock._now = START - timedelta(minutes=10)
    tick(made, using)
    clock._now = START + timedelta(minutes=2)
    join = PresenceEvent(
        provider="meet",
        event_id="e1",
        session_id=alone.id,
        participant="student:ana",
        action=JOIN,
        at=clock.now(),
    )
    report = made.attendance.record_presence(TENANT, [join])
    assert (report.recorded, [s.status for s in report.started]) == (1, ["ONGOING"])
    assert made.attendance.record_presence(TENANT, [join]).duplicates == 1
    clock._now = START + timedelta(minutes=16)
    assert tick(made, using) == "advance: 0 sessions advanced, 0 failed"
    assert status(made, alone.id) == "ONGOING"
    with made.context.uow() as uow:
        stored = uow.repository(PRESENCE).for_sessions(TENANT, [alone.id])
    assert [(p.id, p.participant.id) for p in stored] == [("meet:e1", "ana")]


def test_session_codes_follow_one_another_and_usage_counts_once(
    kit: tuple[SessionKit, ManualClock, str],
) -> None:
    made, clock, _ = kit
    coded = SessionKit(
        uow=made.context.uow,
        clock=clock,
        facts=attendance_facts(),
        codes=SessionCodes(prefix="QSE"),
    )
    sessions = [
        coded.sessions.create_extra(
            TENANT,
            actor="test",
            start=START + timedelta(hours=n),
            end=START + timedelta(hours=n, minutes=45),
            lifecycle="academy",
            capacity=1,
        )
        for n in range(3)
    ]
    codes = [coded.usage.code_of(TENANT, s.id) for s in sessions]
    assert codes == [f"QSE-{TENANT}-{n:06d}" for n in (1, 2, 3)]
    subscription = coded.usage.subscribe(
        TENANT,
        actor="test",
        subscriber="student:ana",
        credits=8,
        starts=START - timedelta(days=1),
    )
    first = sessions[0]
    for _ in range(2):  # a replayed consumption is the same entry
        coded.usage.consume(TENANT, first.id, actor="test", participants=["student:ana"])
    with coded.context.uow() as uow:
        entries = uow.repository(USAGE).for_subscription(TENANT, subscription.id)
    assert [(e.session_id, e.participant.id, e.active) for e in entries] == [
        (first.id, "ana", True)
    ]


def test_a_paid_booking_confirms_once_however_often_the_provider_says_so(
    kit: tuple[SessionKit, ManualClock, str],
) -> None:
    """A checkout on the Django store: the provider's event applied once, then duplicates."""
    made, clock, _ = kit
    gateway = FakeGateway(clock=clock.now)
    paying = SessionKit(
        uow=made.context.uow,
        clock=clock,
        gateway=gateway,
        pricing=Rate(Money.of("40.00", "EUR")),
    )
    slot = lesson(made, capacity=2)
    checkout = paying.payments.book(TENANT, slot.id, "student:ana", actor="ana")
    assert checkout.payment.amount == Money.of("30.00", "EUR")  # 45 minutes at 40 an hour
    gateway.pay(checkout.payment.intent_ref or "")
    events = gateway.drain(duplicate=True)
    outcomes = [paying.payments.apply(TENANT, event).outcome for event in events]
    assert outcomes.count("applied") == 1
    assert set(outcomes) == {"applied", "duplicate"}
    paid = paying.payments.get(TENANT, checkout.payment.id)
    assert (paid.status, str(paid.kept)) == ("PAID", "30.00 EUR")
    with paying.context.uow() as uow:
        assert uow.repository(BOOKINGS).get(TENANT, checkout.booking.id).status == "CONFIRMED"


@pytest.mark.parametrize("host", ["commits", "rolls back"])
def test_a_refund_inside_the_hosts_transaction_waits_for_its_commit(
    kit: tuple[SessionKit, ManualClock, str], host: str
) -> None:
    """A cancel inside ``transaction.atomic()`` refunds only once the host commits.

    The refund went to the provider when sessionkit's savepoint was released: a host that
    then rolled back kept a confirmed, paid seat whose money was already back.
    """
    from django.db import transaction

    made, clock, using = kit
    gateway = FakeGateway(clock=clock.now)
    paying = SessionKit(
        uow=made.context.uow, clock=clock, gateway=gateway, pricing=Rate(Money.of(40, "EUR"))
    )
    checkout = paying.payments.book(TENANT, lesson(made).id, "student:ana", actor="ana")
    gateway.pay(checkout.payment.intent_ref or "")
    for event in gateway.drain():
        paying.payments.apply(TENANT, event)
    inside = None
    with contextlib.suppress(RuntimeError), transaction.atomic(using=using):
        paying.bookings.cancel(TENANT, checkout.booking.id, actor="ana")
        inside = str(gateway.collected("EUR"))
        if host == "rolls back":
            raise RuntimeError("the host's own write failed")
    assert inside == "30.00 EUR"  # nothing went back before the host's commit
    payment = paying.payments.get(TENANT, checkout.payment.id)
    booking = paying.bookings.get(TENANT, checkout.booking.id)
    if host == "commits":
        assert (booking.status, payment.status, str(gateway.collected("EUR"))) == (
            "CANCELLED",
            "REFUNDED",
            "0.00 EUR",
        )
    else:
        assert (booking.status, payment.status, payment.due) == ("CONFIRMED", "PAID", None)
        assert str(gateway.collected("EUR")) == "30.00 EUR"


class _Down:
    """A publisher that raises once ``down`` (a notification service gone down)."""

    def __init__(self) -> None:
        self.down = False
        self.batches = 0

    def publish(self, events: object) -> None:
        self.batches += 1
        if self.down:
            raise RuntimeError("the notifier is down")


def test_a_refund_inside_the_hosts_transaction_is_made_when_publishing_raises(
    kit: tuple[SessionKit, ManualClock, str],
) -> None:
    """Inside ``atomic()``, a publisher that raises at the host's commit still lets the refund go.

    The events and the refund were two ``on_commit`` callbacks, and Django runs none after
    one that raised: the money stayed with the provider (the call left due) although the
    services promise the calls a commit left due are made before the publisher's error.
    """
    from django.db import transaction

    made, clock, using = kit
    gateway = FakeGateway(clock=clock.now)
    down = _Down()
    paying = SessionKit(
        uow=DjangoStore(down, using=using).unit_of_work,
        clock=clock,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
    )
    checkout = paying.payments.book(TENANT, lesson(made).id, "student:ana", actor="ana")
    gateway.pay(checkout.payment.intent_ref or "")
    for event in gateway.drain():
        paying.payments.apply(TENANT, event)
    down.down, batches = True, down.batches
    with pytest.raises(RuntimeError, match="the notifier is down"), transaction.atomic(using=using):
        paying.bookings.cancel(TENANT, checkout.booking.id, actor="ana")
    payment = paying.payments.get(TENANT, checkout.payment.id)
    assert (payment.status, payment.due, str(gateway.collected("EUR"))) == (
        "REFUNDED",
        None,
        "0.00 EUR",
    )
    assert down.batches > batches  # the cancel's events were offered to the publisher


def _paying_on_default(
    kit: tuple[SessionKit, ManualClock, str],
) -> tuple[SessionKit, SessionKit, FakeGateway]:
    """The kit, a kit over its store that prices lessons (40 EUR an hour), and its provider.

    Skips on another alias than ``default``: the management command runs on that one.
    """
    made, clock, using = kit
    if using != "default":
        pytest.skip("the management command runs on the default alias")
    gateway = FakeGateway(clock=clock.now)
    paying = SessionKit(
        uow=made.context.uow, clock=clock, gateway=gateway, pricing=Rate(Money.of(40, "EUR"))
    )
    return made, paying, gateway


def test_the_tick_command_reports_payment_calls_that_failed(
    kit: tuple[SessionKit, ManualClock, str],
) -> None:
    """``sessionkit_tick --payments``: a call the provider refused is listed and exits 1."""
    from django.core.management.base import CommandError

    made, paying, gateway = _paying_on_default(kit)
    checkout = paying.payments.book(TENANT, lesson(made).id, "student:ana", actor="ana")
    gateway.fail_next(2)  # the cancel's own call, then the command's
    paying.bookings.cancel(TENANT, checkout.booking.id, actor="ana")
    assert paying.payments.get(TENANT, checkout.payment.id).due == "cancel"
    KITS.append(paying)
    try:
        out, err = StringIO(), StringIO()
        with pytest.raises(CommandError, match="1 due items failed"):
            call_command("sessionkit_tick", "--payments", stdout=out, stderr=err)
    finally:
        KITS.remove(paying)
    assert "payments: 0 payment calls made, 1 failed" in out.getvalue()
    assert f"failed payment call {TENANT}/{checkout.payment.id}" in err.getvalue()


def test_the_tick_command_lists_a_failed_call_whose_retry_time_was_not_stored(
    kit: tuple[SessionKit, ManualClock, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refused the write of a failed call's wait: the command says so, and why.

    ``run_due`` reported it in ``unscheduled``, but the command printed only the
    provider's failure, so nothing said the next run would try the call at once.
    """
    from django.core.management.base import CommandError

    from sessionkit.contrib.django.store import DjangoUnitOfWork
    from sessionkit.errors import PaymentGatewayError, StorageTimeout

    made, _, gateway = _paying_on_default(kit)
    _, clock, using = kit
    refusals = [0]  # the next commits to refuse

    def refusal() -> StorageTimeout:
        return StorageTimeout("lock wait timeout", waited_for="a payment's row")

    class Refusing(DjangoUnitOfWork):
        def commit(self) -> None:
            if refusals[0] > 0:
                refusals[0] -= 1
                raise refusal()
            super().commit()

    store = DjangoStore(using=using)
    paying = SessionKit(
        uow=lambda: Refusing(store),
        clock=clock,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
    )
    checkout = paying.payments.book(TENANT, lesson(made).id, "student:ana", actor="ana")
    gateway.fail_next(1)  # the cancel's own call
    paying.bookings.cancel(TENANT, checkout.booking.id, actor="ana")
    payment_id = checkout.payment.id

    def down(*_args: object, **_kwargs: object) -> None:
        refusals[0] = 1  # the run's write of the call's wait, next
        raise PaymentGatewayError("cancel", payment_id, detail="the provider is down")

    monkeypatch.setattr(gateway, "cancel", down)
    KITS.append(paying)
    try:
        out, err = StringIO(), StringIO()
        with pytest.raises(CommandError, match="1 due items failed"):
            call_command("sessionkit_tick", "--payments", stdout=out, stderr=err)
    finally:
        KITS.remove(paying)
    assert "payments: 0 payment calls made, 1 failed" in out.getvalue()
    lines = err.getvalue().splitlines()
    assert lines[0].startswith(f"failed payment call {TENANT}/{payment_id}: ")
    why = f"{TENANT}/{payment_id} failed and its retry time was not stored: {refusal()}"
    assert lines[1:] == [f"payment call {why}"]
    stored = paying.payments.get(TENANT, payment_id)
    assert (stored.due, stored.failed_calls, stored.retry_at) == ("cancel", 0, None)


def test_the_tick_command_makes_every_payment_call_when_a_handler_raises(
    kit: tuple[SessionKit, ManualClock, str],
) -> None:
    """A receiver raising on a call's events: the command reports the calls, then exits 1.

    The error left ``run_due`` at the first payment, so the command stopped with a
    traceback and the other payments' calls waited for another run. Then its message
    said "the tick's work committed", though the tick had done nothing.
    """
    from django.core.management.base import CommandError

    from sessionkit.contrib.django.signals import events_committed

    made, paying, gateway = _paying_on_default(kit)
    lessons = [lesson(made), lesson(made, teacher="teacher:tom")]
    checkouts = [paying.payments.book(TENANT, s.id, "student:ana", actor="ana") for s in lessons]
    gateway.fail_next(2)  # the cancels' own calls
    for checkout in checkouts:
        paying.bookings.cancel(TENANT, checkout.booking.id, actor="ana")

    def down(sender: object, **_: object) -> None:
        raise RuntimeError("the notifier is down")

    KITS.append(paying)
    events_committed.connect(down, dispatch_uid="sessionkit-tests-down")
    try:
        out = StringIO()
        with pytest.raises(CommandError) as raised:
            call_command("sessionkit_tick", "--kind", "advance", "--payments", stdout=out)
    finally:
        events_committed.disconnect(dispatch_uid="sessionkit-tests-down")
        KITS.remove(paying)
    assert str(raised.value) == (
        "the payment calls were made and their answers stored, then an event handler raised:"
        " RuntimeError('the notifier is down')"
    )
    assert out.getvalue().splitlines()[0] == "advance: 0 sessions advanced, 0 failed"
    assert "payments: 2 payment calls made, 0 failed" in out.getvalue()
    for checkout in checkouts:
        assert paying.payments.get(TENANT, checkout.payment.id).due is None


def test_the_tick_command_says_both_the_tick_and_the_payment_calls_committed(
    kit: tuple[SessionKit, ManualClock, str],
) -> None:
    """A receiver raising after the tick's work and after a call's answer: both are named."""
    from django.core.management.base import CommandError

    from sessionkit.contrib.django.signals import events_committed

    made, paying, gateway = _paying_on_default(kit)
    _, clock, _ = kit
    checkout = paying.payments.book(TENANT, lesson(made).id, "student:ana", actor="ana")
    gateway.fail_next(1)  # the cancel's own call
    paying.bookings.cancel(TENANT, checkout.booking.id, actor="ana")
    clock._now = START - timedelta(minutes=10)  # the lesson's READY is due

    def down(sender: object, **_: object) -> None:
        raise RuntimeError("the notifier is down")

    KITS.append(paying)
    events_committed.connect(down, dispatch_uid="sessionkit-tests-down")
    try:
        out = StringIO()
        with pytest.raises(CommandError) as raised:
            call_command("sessionkit_tick", "--kind", "advance", "--payments", stdout=out)
    finally:
        events_committed.disconnect(dispatch_uid="sessionkit-tests-down")
        KITS.remove(paying)
    down_ = "then an event handler raised: RuntimeError('the notifier is down')"
    assert str(raised.value) == (
        f"the tick's work committed, {down_};"
        f" the payment calls were made and their answers stored, {down_}"
    )
    lines = out.getvalue().splitlines()
    assert [lines[0], lines[2]] == [
        "advance: 1 sessions advanced, 0 failed",
        "payments: 1 payment calls made, 0 failed",
    ]
    assert lines[1].startswith("tick: ")
    assert len(lines) == 3
    assert paying.payments.get(TENANT, checkout.payment.id).due is None
