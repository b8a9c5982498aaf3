"""Per-participant no-shows: attendance decides who is refunded as a no-show, once.

A paid academy circle of three students (60 EUR each). Without attendance
records the no-show is per session, as before; with them each participant is
judged by their effective attendance (the teacher's override first).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import ConcurrentModification, InvalidValue
from sessionkit.model.attendance import JOIN, LEAVE, PresenceEvent
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, PARTIALLY_REFUNDED, REFUNDED, Payment, PaymentChanged
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import ATTENDED, NO_SHOW, FixedPrice, RefundPolicy
from sessionkit.ports import PAYMENTS
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

from ._wrapped_unit import WrappedUnit

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=1)
END = START + timedelta(hours=1)
PRICE = Money.of("60", "EUR")
ANA, BEN, CY = (
    ResourceRef("student", "ana"),
    ResourceRef("student", "ben"),
    ResourceRef("student", "cy"),
)
TARA = ResourceRef("teacher", "tara")
HALF = RefundPolicy(no_show_percent=50, no_show_fee=Money.of("5", "EUR"))


class FlakyPayments:
    """A payment repository whose next ``update`` raises, as a racing writer would make it."""

    def __init__(self, inner: Any, armed: list[bool]) -> None:
        self._inner = inner
        self._armed = armed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def update(self, record: Payment, *, expected_version: int) -> Payment:
        if self._armed and self._armed[0]:
            self._armed[0] = False
            raise ConcurrentModification(record.id, expected_version, expected_version + 1)
        return self._inner.update(record, expected_version=expected_version)  # type: ignore[no-any-return]  # the wrapped repository is Any


class Circle:
    """A paid academy circle with ana, ben and cy confirmed; presence recorded directly."""

    def __init__(self, refunds: RefundPolicy = HALF, *, policy: AttendancePolicy | None = None):
        self.clock = ManualClock(NOW)
        self.gateway = FakeGateway(clock=self.clock.now, instant=True)
        self.events = RecordingPublisher()
        self.store = InMemoryStore(publisher=self.events)
        self.armed = [False]
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=lambda: WrappedUnit(
                self.store.unit_of_work(),
                PAYMENTS,
                lambda found: FlakyPayments(found, self.armed),
            ),
            clock=self.clock,
            ids=lambda: f"x{next(counter)}",
            gateway=self.gateway,
            pricing=FixedPrice(PRICE),
            refunds=refunds,
            facts=attendance_facts(),
            attendance=policy,
        )
        self.session = self.kit.sessions.create_extra(
            T,
            actor="tara",
            title="Hifz circle",
            start=START,
            end=END,
            lifecycle="academy",
            capacity=3,
            resources=[TARA],
        )
        self.payments: dict[ResourceRef, str] = {}
        for who in (ANA, BEN, CY):
            checkout = self.kit.payments.book(T, self.session.id, who, actor=who.id)
            for event in self.gateway.drain():
                self.kit.payments.apply(T, event)
            assert checkout.payment is not None
            self.payments[who] = checkout.payment.id
        self._events = itertools.count(1)

    def presence(self, who: ResourceRef, action: str, minutes: float) -> None:
        event = PresenceEvent(
            provider="meet",
            event_id=f"e{next(self._events)}",
            session_id=self.session.id,
            participant=who,
            action=action,
            at=START + timedelta(minutes=minutes),
        )
        self.kit.attendance.record_presence(T, [event], now=event.at)

    def complete(self) -> Session:
        """Let the clock complete the circle (ten minutes after its end)."""
        self.kit.advance_due(T, now=START - timedelta(minutes=15))  # READY
        self.clock.set(END + timedelta(minutes=10))
        [done] = self.kit.advance_due(T).advanced
        return done

    def payment(self, who: ResourceRef) -> Payment:
        return self.kit.payments.get(T, self.payments[who])

    def refunds(self) -> list[tuple[str, Money]]:
        return [
            (e.payment.participant.id, e.refund)
            for e in self.events.events
            if isinstance(e, PaymentChanged) and e.refund is not None
        ]


@pytest.fixture
def circle() -> Circle:
    return Circle()


def test_a_held_session_refunds_only_the_absent_as_no_shows(circle: Circle) -> None:
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.presence(TARA, JOIN, 0)
    circle.presence(ANA, JOIN, 2)
    circle.presence(BEN, JOIN, 5)
    circle.presence(BEN, LEAVE, 5.5)  # never really there: under a minute
    untouched = circle.payment(ANA)
    assert circle.complete().status == "COMPLETED"
    assert circle.payment(ANA) == untouched
    assert circle.payment(ANA).version == untouched.version  # not even written
    for who in (BEN, CY):
        paid = circle.payment(who)
        assert (paid.status, paid.refunded, paid.kept) == (
            PARTIALLY_REFUNDED,
            Decimal("25.00"),
            Money.of("35.00", "EUR"),
        )
    assert sorted(circle.refunds()) == [
        ("ben", Money.of("25.00", "EUR")),
        ("cy", Money.of("25.00", "EUR")),
    ]


def test_a_held_session_without_attendance_records_refunds_nobody(circle: Circle) -> None:
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.kit.sessions.fire(T, circle.session.id, "start", actor="tara")
    circle.clock.set(END + timedelta(minutes=10))
    assert [s.status for s in circle.kit.advance_due(T).advanced] == ["COMPLETED"]
    assert [circle.payment(w).status for w in (ANA, BEN, CY)] == [PAID] * 3
    assert circle.refunds() == []
    assert {o.outcome for o in circle.kit.attendance.outcomes(T, circle.session.id)} == {None}


def test_a_no_show_session_refunds_who_came_in_full_and_the_absent_as_no_shows(
    circle: Circle,
) -> None:
    # The students waited, the teacher never came: the admin marks the circle ABSENT.
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.presence(ANA, JOIN, 0)
    circle.presence(BEN, JOIN, 1)
    circle.clock.set(START + timedelta(minutes=30))
    circle.kit.usage.correct(T, circle.session.id, "ABSENT", actor="admin")
    for who in (ANA, BEN):
        paid = circle.payment(who)
        assert (paid.status, paid.refunded, paid.kept) == (REFUNDED, Decimal(60), Money.zero("EUR"))
    assert circle.payment(CY).refunded == Decimal("25.00")
    by = {o.participant: o for o in circle.kit.attendance.outcomes(T, circle.session.id)}
    assert (by[ANA].outcome, by[ANA].rule, by[ANA].refund) == (ATTENDED, "host_no_show", PRICE)
    assert (by[CY].outcome, by[CY].rule, by[CY].refund) == (
        NO_SHOW,
        "no_show",
        Money.of("25.00", "EUR"),
    )


def test_a_no_show_session_without_attendance_stays_per_session() -> None:
    circle = Circle(RefundPolicy(no_show_percent=100))
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.clock.set(START + timedelta(minutes=30))
    circle.kit.usage.correct(T, circle.session.id, "ABSENT", actor="admin")
    assert [circle.payment(w).status for w in (ANA, BEN, CY)] == [REFUNDED] * 3
    outcomes = circle.kit.attendance.outcomes(T, circle.session.id)
    assert [(o.attendance, o.outcome, o.rule) for o in outcomes] == [(None, NO_SHOW, "no_show")] * 3


def test_the_teachers_word_decides_who_was_there(circle: Circle) -> None:
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.presence(ANA, JOIN, 0)  # seen, but the teacher says she was not there
    circle.kit.attendance.override(T, circle.session.id, ANA, status="absent", actor="tara")
    circle.kit.attendance.override(
        T, circle.session.id, BEN, status="present", actor="tara", now=START + timedelta(minutes=5)
    )
    circle.complete()
    assert [circle.payment(w).refunded for w in (ANA, BEN, CY)] == [
        Decimal("25.00"),
        Decimal(0),
        Decimal("25.00"),
    ]


def test_the_default_policy_keeps_a_no_shows_money_but_records_the_decision() -> None:
    circle = Circle(RefundPolicy())
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.presence(ANA, JOIN, 0)
    circle.complete()
    assert [circle.payment(w).status for w in (ANA, BEN, CY)] == [PAID] * 3
    assert [c for c in circle.gateway.calls if c[0] == "refund"] == []
    by = {o.participant: o for o in circle.kit.attendance.outcomes(T, circle.session.id)}
    assert (by[BEN].outcome, by[BEN].refund, by[BEN].decided) == (
        NO_SHOW,
        Money.of("0", "EUR"),
        True,
    )
    assert (by[ANA].outcome, by[ANA].decided) == (ATTENDED, False)


def test_corrections_back_and_forth_refund_each_participant_once(circle: Circle) -> None:
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.presence(ANA, JOIN, 0)
    circle.complete()  # ben and cy: no-shows, 25 EUR back each
    sid = circle.session.id
    circle.kit.usage.correct(T, sid, "ABSENT", actor="admin")  # ana came: all back to her
    circle.kit.usage.correct(T, sid, "COMPLETED", actor="admin")
    circle.kit.usage.correct(T, sid, "ABSENT", actor="admin")
    assert sorted(circle.refunds()) == [
        ("ana", Money.of("60", "EUR")),
        ("ben", Money.of("25.00", "EUR")),
        ("cy", Money.of("25.00", "EUR")),
    ]
    assert [circle.payment(w).kept for w in (ANA, BEN, CY)] == [
        Money.zero("EUR"),
        Money.of("35.00", "EUR"),
        Money.of("35.00", "EUR"),
    ]


def test_a_failed_unit_decides_nothing_and_the_retry_decides_once(circle: Circle) -> None:
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.presence(ANA, JOIN, 0)
    circle.clock.set(END + timedelta(minutes=10))
    before = [circle.payment(w) for w in (ANA, BEN, CY)]
    circle.armed[0] = True  # the first payment write of the completion fails
    report = circle.kit.advance_due(T)
    assert report.advanced == ()
    assert [(f.session_id, type(f.error)) for f in report.failed] == [
        (circle.session.id, ConcurrentModification)
    ]
    assert circle.kit.queries.get(T, circle.session.id).status == "ONGOING"
    after = [circle.payment(w) for w in (ANA, BEN, CY)]
    assert [(p.version, dict(p.metadata)) for p in after] == [
        (p.version, dict(p.metadata)) for p in before
    ]
    assert [s.status for s in circle.kit.advance_due(T).advanced] == ["COMPLETED"]
    assert [s.status for s in circle.kit.advance_due(T).advanced] == []
    assert sorted(w for w, _ in circle.refunds()) == ["ben", "cy"]


def test_outcomes_list_the_expected_resources_and_what_attendance_says_so_far() -> None:
    circle = Circle(policy=AttendancePolicy(attendee_kinds={"teacher"}))
    circle.kit.advance_due(T, now=START - timedelta(minutes=15))
    circle.presence(ANA, JOIN, 0)
    # While the session runs, whoever is not there yet may still come: no outcome yet (it
    # used to say no_show for everyone but ana).
    circle.clock.set(START + timedelta(minutes=30))
    outcomes = circle.kit.attendance.outcomes(T, circle.session.id)
    assert [
        (str(o.participant), o.booking_id is None, o.attendance, o.outcome) for o in outcomes
    ] == [
        ("student:ana", False, "present", ATTENDED),
        ("student:ben", False, "pending", None),
        ("student:cy", False, "pending", None),
        ("teacher:tara", True, "pending", None),
    ]
    circle.clock.set(START + timedelta(hours=2))
    outcomes = circle.kit.attendance.outcomes(T, circle.session.id)
    assert [(str(o.participant), o.attendance, o.outcome) for o in outcomes] == [
        ("student:ana", "present", ATTENDED),
        ("student:ben", "absent", NO_SHOW),
        ("student:cy", "absent", NO_SHOW),
        ("teacher:tara", "absent", NO_SHOW),
    ]
    assert not any(o.decided for o in outcomes)
    assert [str(a.participant) for a in circle.kit.attendance.for_session(T, circle.session.id)][
        -1
    ] == "teacher:tara"


def test_host_no_show_percent_is_checked() -> None:
    with pytest.raises(InvalidValue, match="host_no_show_percent"):
        RefundPolicy(host_no_show_percent=-1)
    assert RefundPolicy(host_no_show_percent=40).host_no_show_refund(PRICE) == Money.of(
        "24.00", "EUR"
    )
