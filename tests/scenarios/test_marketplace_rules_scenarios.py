"""The marketplace seed's (001) slot rules and money by role, replayed beyond the demo's story.

test_marketplace_scenarios.py replays the workflows the demo prints; these
are the rules a reviewer of the seed asks after next, each on the demo's own
platform (:func:`sessionkit.demo.marketplace.build_marketplace`), in memory and
on a SQLite file:

- "Updates: Modification allowed only if no bookings exist": a booked slot is
  neither moved, resized nor deleted, by hand or by a change of the tutor's
  weekly hours; an unbooked one moves only clear of the tutor's other slots,
  within 4 weeks, and stays at 20 seats at most.
- "Booking remains tentative until Payment confirmation": a payment that
  succeeds after its hold ran out is refunded, never seated over capacity, and
  a student coming back after abandoning a checkout pays again (Cal.com #22126).
- "Instructor Cancel ... full refund", "Student Cancel ... refund for the
  individual student", by role (issue 12): once the slot has begun, a student's
  own cancel gets nothing back under the kit's default policy, the tutor's or an
  admin's cancel of that seat refunds it in full.
- "Concurrency Control: prevents double-booking of 1-to-1 slots and enforces
  capacity for group slots": students racing for one slot get exactly its seats.
- "email notifications (reminder emails) ... marked as TODO": each paid seat is
  reminded once, a day ahead, however many reminder jobs run at once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.demo.marketplace import (
    BERLIN,
    DEMO_NOW,
    RULES,
    TENANT,
    TINA,
    build_marketplace,
    due_reminders,
    next_slot,
)
from sessionkit.errors import (
    BookingRefused,
    CapacityExceeded,
    InvalidValue,
    PaymentRequired,
    SessionConflict,
    SessionLocked,
    SessionNotFound,
    StorageReadOnly,
    TransientConflict,
)
from sessionkit.model import Session, SessionQuery
from sessionkit.model.booking import CANCELLED, CONFIRMED, EXPIRED, HELD
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, PENDING, REFUNDED
from sessionkit.model.series import ScheduleItem
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.services.payments import Checkout
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway
from sessionkit.zones import get_zone


@attrs.frozen
class Paid:
    """The paid marketplace on one store: its kit, its clock, its fake provider."""

    kit: SessionKit
    clock: ManualClock
    gateway: FakeGateway

    def slot(self, offer: str, *, days: float = 1) -> Session:
        found = next_slot(self.kit, offer, DEMO_NOW + timedelta(days=days))
        assert found is not None
        return found

    def checkout(self, slot: Session, student: str) -> Checkout:
        return self.kit.payments.book(
            TENANT, slot.id, f"student:{student}", actor=student, role="student"
        )

    def webhook(self) -> list[str]:
        return [self.kit.payments.apply(TENANT, e).outcome for e in self.gateway.drain()]

    def pay(self, made: Checkout) -> None:
        self.gateway.pay(made.payment.intent_ref or "")
        self.webhook()

    def money(self, made: Checkout) -> tuple[str, str, Decimal]:
        """The booking's status, its payment's status and what was refunded of it."""
        payment = self.kit.payments.get(TENANT, made.payment.id)
        return (
            self.kit.bookings.get(TENANT, made.booking.id).status,
            payment.status,
            payment.refunded,
        )


def _store(param: str, tmp_path: Path) -> UnitOfWorkFactory:
    if param == "memory":
        return InMemoryStore().unit_of_work
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'market.sqlite3'}")
    upgrade(engine)
    return SqlAlchemyStore(engine).unit_of_work


@pytest.fixture(params=["memory", "sqlite"])
def market(request: pytest.FixtureRequest, tmp_path: Path) -> Paid:
    built = build_marketplace(DEMO_NOW, uow=_store(request.param, tmp_path))
    assert built.gateway is not None
    return Paid(kit=built.kit, clock=built.clock, gateway=built.gateway)


# ---------------------------------------------------------------------- booked slots stay put


def test_a_booked_slot_is_not_moved_resized_or_deleted_until_its_seat_is_free(
    market: Paid,
) -> None:
    kit = market.kit
    one = market.slot("tina-1to1")
    ana = market.checkout(one, "ana")
    market.pay(ana)
    stored = kit.queries.get(TENANT, one.id)
    later = one.start + timedelta(hours=2)
    edits: dict[str, Callable[[], object]] = {
        "move": lambda: kit.sessions.update(TENANT, one.id, actor="tina", start=later),
        "resize": lambda: kit.sessions.update(TENANT, one.id, actor="tina", capacity=2),
        "delete": lambda: kit.sessions.delete(TENANT, one.id, actor="tina"),
    }
    reasons = {}
    for name, edit in edits.items():
        with pytest.raises(SessionLocked) as locked:
            edit()
        reasons[name] = locked.value.reason
    assert reasons == {
        "move": "it has 1 booking(s) in play and the booking rules lock booked sessions",
        "resize": "it has 1 booking(s) in play and the booking rules lock booked sessions",
        "delete": "it has dependents (1 booking(s))",
    }
    assert kit.queries.get(TENANT, one.id) == stored  # nothing written
    kit.bookings.cancel(TENANT, ana.booking.id, actor="ana", role="student")
    moved = kit.sessions.update(TENANT, one.id, actor="tina", start=later)
    assert (moved.start, moved.capacity) == (later, 1)


def test_a_tutor_changing_her_weekly_hours_leaves_the_booked_slot_where_it_was(
    market: Paid,
) -> None:
    kit, berlin = market.kit, get_zone(BERLIN)
    booked = market.slot("tina-1to1")  # Wed 4 March, 16:00
    market.pay(market.checkout(booked, "ana"))
    series = kit.queries.get_series(TENANT, "tina-1to1")
    later = Recurrence.weekly(
        days=("MO", "WE"),
        at=time(17, 0),
        duration=timedelta(hours=1),
        tz=BERLIN,
        start=series.items[0].recurrence.start.date(),
    )
    report = kit.series.change_schedule(
        TENANT, "tina-1to1", actor="tina", items=[ScheduleItem("weekly", later, [TINA])]
    )
    assert [(o.session.id, o.reason) for o in report.orphans] == [
        (booked.id, "it has dependents (1 booking(s))")
    ]
    # Its day gets no second slot at 17:00: the booked one stands for that occurrence.
    assert [(s.reason, s.blocking.id) for s in report.skipped] == [("exists", booked.id)]
    ahead = kit.queries.list(
        TENANT, SessionQuery(series_id="tina-1to1", start_from=DEMO_NOW, limit=4)
    ).items
    assert [(f"{s.start.astimezone(berlin):%a %d %H:%M}", s.id == booked.id) for s in ahead] == [
        ("Mon 02 17:00", False),
        ("Wed 04 16:00", True),
        ("Mon 09 17:00", False),
        ("Wed 11 17:00", False),
    ]
    assert [b.status for b in kit.bookings.for_session(TENANT, booked.id)] == [CONFIRMED]


def test_an_unbooked_slot_moves_only_clear_of_the_tutor_within_4_weeks_and_20_seats(
    market: Paid,
) -> None:
    kit = market.kit
    booked, free = market.slot("tina-1to1"), market.slot("tina-1to1", days=3)
    market.checkout(booked, "ana")  # a hold is a booking in play, too
    group = market.slot("tina-group")
    with pytest.raises(SessionConflict) as clash:
        kit.sessions.update(TENANT, free.id, actor="tina", start=booked.start)
    assert [s.id for s in clash.value.conflicts] == [booked.id]
    far = DEMO_NOW + timedelta(weeks=4, hours=2)  # RULES.max_horizon is 4 weeks
    with pytest.raises(BookingRefused) as refused:
        kit.sessions.update(TENANT, free.id, actor="tina", start=far)
    assert (refused.value.rule, refused.value.allows_at) == (
        "max_horizon",
        DEMO_NOW + timedelta(hours=2),
    )
    with pytest.raises(InvalidValue) as big:
        kit.sessions.update(TENANT, group.id, actor="tina", capacity=21)
    assert (big.value.value, big.value.expected) == (21, "1..20")
    assert kit.queries.get(TENANT, free.id).start == free.start
    assert kit.queries.get(TENANT, group.id).capacity == 20


# ---------------------------------------------------------------------- tentative until paid


def test_a_payment_after_the_hold_ran_out_is_refunded_and_takes_no_seat(market: Paid) -> None:
    one = market.slot("tina-1to1")
    ben = market.checkout(one, "ben")
    market.clock.advance(RULES.hold_for)
    market.gateway.pay(ben.payment.intent_ref or "")  # ben pays at the provider, too late
    late = market.gateway.drain()  # its webhook is not delivered yet
    cai = market.checkout(one, "cai")  # the seat ben left unpaid
    assert market.money(ben) == (EXPIRED, REFUNDED, Decimal("40.00"))  # the intent had succeeded
    assert [market.kit.payments.apply(TENANT, e).outcome for e in late] == ["stale"]
    assert market.webhook() == ["stale"]  # the provider's refund event: already known
    market.pay(cai)
    assert market.money(ben) == (EXPIRED, REFUNDED, Decimal("40.00"))
    assert market.money(cai) == (CONFIRMED, PAID, Decimal(0))
    assert market.kit.bookings.remaining_seats(TENANT, [one.id]) == {one.id: 0}
    assert market.gateway.collected("EUR") == Money.of("40.00", "EUR")  # cai's only


def test_a_success_heard_after_the_hold_ran_out_refunds_it_though_no_job_ran(
    market: Paid,
) -> None:
    one = market.slot("omar-group")
    ben = market.checkout(one, "ben")
    market.clock.advance(RULES.hold_for)
    assert market.kit.bookings.remaining_seats(TENANT, [one.id]) == {one.id: 3}
    market.gateway.pay(ben.payment.intent_ref or "")
    assert market.webhook() == ["applied"]  # no expiry job ran: the success itself is refused
    assert market.webhook() == ["stale"]  # the refund's own event
    assert market.money(ben) == (EXPIRED, REFUNDED, Decimal("30.00"))
    assert market.gateway.collected("EUR") == Money.zero("EUR")


def test_a_student_back_after_abandoning_a_checkout_pays_again(market: Paid) -> None:
    one = market.slot("tina-1to1")
    first = market.checkout(one, "ben")
    market.clock.advance(RULES.hold_for + timedelta(minutes=5))
    again = market.checkout(one, "ben")
    assert again.payment.id != first.payment.id
    assert again.payment.intent_ref != first.payment.intent_ref
    assert (again.booking.status, again.payment.status) == (HELD, PENDING)
    with pytest.raises(PaymentRequired):  # no seat through the abandoned payment's booking
        market.kit.bookings.confirm(TENANT, again.booking.id, actor="ben")
    assert market.money(first) == (EXPIRED, "CANCELLED", Decimal(0))
    market.pay(again)
    assert market.money(again) == (CONFIRMED, PAID, Decimal(0))


# ---------------------------------------------------------------------- refunds by role


def test_once_a_slot_has_begun_only_the_tutor_or_an_admin_cancel_refunds(market: Paid) -> None:
    group = market.slot("omar-group")
    ana, ben, cai = (market.checkout(group, s) for s in ("ana", "ben", "cai"))
    for made in (ana, ben, cai):
        market.pay(made)
    market.clock.set(group.start + timedelta(minutes=5))
    market.kit.bookings.cancel(TENANT, ana.booking.id, actor="ana", role="student")
    market.kit.bookings.cancel(TENANT, ben.booking.id, actor="omar", role="provider")
    market.kit.payments.cancel(TENANT, cai.booking.id, actor="ops", role="admin")
    assert [market.money(m) for m in (ana, ben, cai)] == [
        (CANCELLED, PAID, Decimal(0)),  # the default policy refunds a student up to the start
        (CANCELLED, REFUNDED, Decimal("30.00")),
        (CANCELLED, REFUNDED, Decimal("30.00")),
    ]
    assert market.gateway.collected("EUR") == Money.of("30.00", "EUR")


# ---------------------------------------------------------------------- racing students


@pytest.mark.parametrize(("offer", "seats"), [("tina-1to1", 1), ("omar-group", 3)])
def test_students_racing_for_a_slot_get_exactly_its_seats(
    market: Paid, offer: str, seats: int
) -> None:
    slot = market.slot(offer)
    assert slot.capacity == seats
    racers = 8
    start = threading.Barrier(racers)

    def race(n: int) -> str:
        start.wait()
        try:
            market.checkout(slot, f"s{n}")
        except CapacityExceeded:
            return "full"
        return "held"

    with ThreadPoolExecutor(racers) as pool:
        outcomes = Counter(pool.map(race, range(racers)))
    assert outcomes == Counter(held=seats, full=racers - seats)
    stored = market.kit.bookings.for_session(TENANT, slot.id)
    assert sorted(b.status for b in stored) == [HELD] * seats
    # One payment and one intent per seat held: a refused student is charged nothing.
    held = {b.id for b in stored}
    assert {p.booking_id for p in market.kit.payments.each(TENANT)} == held
    assert {i.metadata["booking_id"] for i in market.gateway.intents.values()} == held


# ---------------------------------------------------------------------- reminders


def told(reminders: list[tuple[Session, str]]) -> list[tuple[str, str]]:
    return sorted((slot.id, who) for slot, who in reminders)


def test_each_paid_seat_is_reminded_once_a_day_ahead(market: Paid) -> None:
    kit = market.kit
    one, group = market.slot("tina-1to1"), market.slot("omar-group")
    cancelled = market.slot("omar-group", days=8)
    market.pay(market.checkout(one, "ana"))
    for student in ("dan", "eve"):
        market.pay(market.checkout(group, student))
    market.pay(market.checkout(cancelled, "gus"))
    kit.sessions.cancel(TENANT, cancelled.id, actor="omar", reason="tutor ill")
    assert due_reminders(kit) == []  # Monday 08:00: nothing starts within a day
    market.clock.set(one.start - timedelta(hours=24))
    assert due_reminders(kit) == []  # a day ahead exactly: not yet
    market.clock.advance(timedelta(minutes=1))
    assert told(due_reminders(kit)) == [(one.id, "student:ana")]
    assert due_reminders(kit) == []
    market.clock.set(group.start - timedelta(hours=23))
    fay = market.checkout(group, "fay")  # not paid yet: not reminded yet
    assert told(due_reminders(kit)) == [(group.id, "student:dan"), (group.id, "student:eve")]
    market.pay(fay)
    assert told(due_reminders(kit)) == [(group.id, "student:fay")]
    market.clock.set(cancelled.start - timedelta(hours=1))
    assert due_reminders(kit) == []  # the cancelled slot's student is not reminded
    stored = kit.queries.get(TENANT, group.id).metadata["reminded"]
    assert list(stored) == ["student:dan", "student:eve", "student:fay"]


def test_a_slot_gone_before_its_claim_keeps_the_other_slots_reminders(
    market: Paid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slot deleted between the read and its claim raised SessionNotFound out of the job,
    # and the reminders it had claimed already for earlier slots were never sent.
    kit = market.kit
    one, group = market.slot("tina-1to1"), market.slot("omar-group")
    market.pay(market.checkout(one, "ana"))
    market.pay(market.checkout(group, "dan"))
    market.clock.set(min(one.start, group.start) - timedelta(hours=2))
    within = abs(one.start - group.start) + timedelta(hours=3)  # both slots
    first = min((one, group), key=lambda s: (s.start, s.id))
    later = group if first is one else one
    claim = kit.sessions.set_fields

    def gone(tenant: str, session_id: str, **kwargs: object) -> Session:
        if session_id == later.id:
            raise SessionNotFound(session_id, tenant)
        return claim(tenant, session_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kit.sessions, "set_fields", gone)
    sent = told(due_reminders(kit, within=within))
    assert [slot_id for slot_id, _ in sent] == [first.id]
    monkeypatch.undo()
    again = told(due_reminders(kit, within=within))
    assert [slot_id for slot_id, _ in again] == [later.id]  # the next run


def test_a_claim_the_database_refuses_is_raised_not_read_as_nothing_due(
    market: Paid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any SessionKitError skipped the slot: a read-only database (a replica after a
    # failover) let every read through and refused every claim, and each run answered []
    # without an error for the job to log, while no student was ever reminded.
    kit = market.kit
    one = market.slot("tina-1to1")
    market.pay(market.checkout(one, "ana"))
    market.clock.set(one.start - timedelta(hours=2))
    refused = StorageReadOnly("the database is read-only", backend="postgresql")

    def read_only(tenant: str, session_id: str, **kwargs: object) -> Session:
        raise refused

    monkeypatch.setattr(kit.sessions, "set_fields", read_only)
    with pytest.raises(StorageReadOnly) as raised:
        due_reminders(kit)
    assert raised.value is refused
    monkeypatch.undo()
    assert told(due_reminders(kit)) == [(one.id, "student:ana")]  # told once it writes


def test_a_claim_the_database_kept_refusing_is_raised_not_skipped_as_lost(
    market: Paid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A TransientConflict is a ConcurrentModification: a claim SQLite's table lock (or a
    # deadlock) refused past the kit's runs was skipped as one another job had won, so a
    # lock that stayed answered [] run after run, with no error for the job to log.
    kit = market.kit
    one = market.slot("tina-1to1")
    market.pay(market.checkout(one, "ana"))
    market.clock.set(one.start - timedelta(hours=2))
    refused = TransientConflict.aborted("locked", "sqlite", joined=False)

    def locked(tenant: str, session_id: str, **kwargs: object) -> Session:
        raise refused

    monkeypatch.setattr(kit.sessions, "set_fields", locked)
    with pytest.raises(TransientConflict) as raised:
        due_reminders(kit)
    assert raised.value is refused
    monkeypatch.undo()
    assert told(due_reminders(kit)) == [(one.id, "student:ana")]  # told once it writes


def test_reminder_jobs_running_at_once_remind_each_student_once(market: Paid) -> None:
    group = market.slot("tina-group")
    students = [f"s{n:02d}" for n in range(12)]
    for student in students:
        market.pay(market.checkout(group, student))
    market.clock.set(group.start - timedelta(hours=2))
    jobs = 4
    start = threading.Barrier(jobs)

    def job(_: int) -> list[tuple[str, str]]:
        start.wait()
        return told(due_reminders(market.kit))

    with ThreadPoolExecutor(jobs) as pool:
        sent = [r for run in pool.map(job, range(jobs)) for r in run]
    assert sorted(sent) == [(group.id, f"student:{s}") for s in students]
