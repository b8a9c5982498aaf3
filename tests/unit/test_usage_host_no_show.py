"""A host's no-show uses no credit of the participants who came; their own no-show uses one.

A consultation (the ``consulting`` preset, whose NO_SHOW counts usage) of one
client with a 4-credit monthly package. The consultant did not come while the
client waited: NO_SHOW used the client's credit all the same, though her
payment was refunded in full as the host's no-show (``host_no_show``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryBookingRepository, InMemoryStore
from sessionkit.adapters.memory._usage import InMemoryUsageRepository
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.attendance import ABSENT, PRESENT
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.usage import UsageRecorded
from sessionkit.policies import ATTENDED, NO_SHOW, RefundPolicy, uses_credit
from sessionkit.services import SessionKit, _statuses
from sessionkit.services._usage import settle_usage
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

T = "naksha"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=1)
ASHA = ResourceRef("client", "asha@example.com")
RAVI = ResourceRef("client", "ravi@example.com")


class Desk:
    def __init__(self, refunds: RefundPolicy | None = None, engine: Engine | None = None) -> None:
        self.events = RecordingPublisher()
        self.clock = ManualClock(NOW)
        uow = (
            InMemoryStore(self.events).unit_of_work
            if engine is None
            else SqlAlchemyStore(engine, self.events).unit_of_work
        )
        self.kit = SessionKit(uow=uow, clock=self.clock, refunds=refunds)
        self.packages = {
            who: self.kit.usage.subscribe(
                T, actor="admin", subscriber=who, credits=4, starts=NOW - timedelta(days=1)
            ).id
            for who in (ASHA, RAVI)
        }

    def consultation(self, *clients: ResourceRef) -> Session:
        """A CONFIRMED consultation of ``clients``, its time come (the clock past its end)."""
        session = self.kit.sessions.create_extra(
            T,
            actor="priya",
            start=START,
            end=START + timedelta(hours=1),
            resources=[ResourceRef("consultant", "priya")],
            lifecycle="consulting",
            capacity=len(clients),
        )
        for client in clients:
            self.kit.bookings.book(T, session.id, client, actor="priya", confirm=True)
        self.kit.sessions.fire(T, session.id, "confirm", actor="priya")
        self.clock.set(START + timedelta(hours=2))
        return session

    def report(self, session: Session, client: ResourceRef, status: str) -> None:
        self.kit.attendance.override(T, session.id, client, status=status, actor="priya")

    def used(self, client: ResourceRef = ASHA) -> int:
        return self.kit.usage.balance(T, self.packages[client], at=START).used


def test_the_consultants_no_show_uses_no_credit_of_the_client_who_came() -> None:
    desk = Desk()
    session = desk.consultation(ASHA)
    desk.report(session, ASHA, PRESENT)  # she waited in the meeting; the consultant never came
    desk.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    assert desk.used() == 0
    assert desk.kit.usage.entries(T, session_id=session.id) == []
    [outcome] = desk.kit.attendance.outcomes(T, session.id)
    assert (outcome.participant, outcome.outcome) == (ASHA, ATTENDED)


def test_the_clients_own_no_show_uses_her_credit() -> None:
    desk = Desk()
    session = desk.consultation(ASHA)
    desk.report(session, ASHA, ABSENT)
    desk.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    assert desk.used() == 1
    [entry] = desk.kit.usage.entries(T, session_id=session.id)
    assert (entry.participant, entry.active) == (ASHA, True)


def test_a_no_show_with_no_attendance_records_is_the_clients_and_uses_her_credit() -> None:
    desk = Desk()
    session = desk.consultation(ASHA)
    desk.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    assert desk.used() == 1


def test_only_the_participants_who_came_are_excused() -> None:
    desk = Desk()
    session = desk.consultation(ASHA, RAVI)
    desk.report(session, ASHA, PRESENT)
    desk.report(session, RAVI, ABSENT)
    desk.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    assert (desk.used(ASHA), desk.used(RAVI)) == (0, 1)


def test_the_policy_can_charge_a_host_no_show_all_the_same() -> None:
    desk = Desk(RefundPolicy(host_no_show_uses_credit=True))
    session = desk.consultation(ASHA)
    desk.report(session, ASHA, PRESENT)
    desk.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    assert desk.used() == 1


def test_corrections_between_held_and_no_show_settle_the_credit_again() -> None:
    desk = Desk()
    session = desk.consultation(ASHA)
    desk.report(session, ASHA, PRESENT)
    desk.kit.sessions.fire(T, session.id, "complete", actor="priya")
    assert desk.used() == 1
    before = len(desk.events.of_type(UsageRecorded))
    # Marked held by mistake: the consultant had not come. The client's credit comes back.
    desk.kit.usage.correct(T, session.id, "NO_SHOW", actor="admin", reason="consultant absent")
    assert desk.used() == 0
    [returned] = desk.events.of_type(UsageRecorded)[before:]
    assert (returned.change, returned.entry.reason) == ("reversed", "consultant absent")
    # And back to held: charged again, once.
    desk.kit.usage.correct(T, session.id, "COMPLETED", actor="admin")
    assert desk.used() == 1
    assert [e.active for e in desk.kit.usage.entries(T, session_id=session.id)] == [True]


def test_a_credit_charged_by_hand_before_a_host_no_show_is_returned() -> None:
    desk = Desk()
    session = desk.consultation(ASHA)
    desk.kit.usage.consume(T, session.id, actor="priya")
    desk.report(session, ASHA, PRESENT)
    desk.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    assert desk.used() == 0
    [entry] = desk.kit.usage.entries(T, session_id=session.id)
    assert entry.active is False


def test_entering_a_no_show_reads_who_is_charged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = Desk()
    session = desk.consultation(ASHA, RAVI)
    desk.report(session, ASHA, PRESENT)
    desk.report(session, RAVI, ABSENT)
    reads: list[str] = []
    settling = [False]

    def counted(kind: str, read: Callable[..., Any]) -> Callable[..., Any]:
        def counting(*args: Any, **kwargs: Any) -> Any:
            if settling[0]:
                reads.append(kind)
            return read(*args, **kwargs)

        return counting

    def settle(*args: Any, **kwargs: Any) -> None:
        settling[0] = True
        try:
            settle_usage(*args, **kwargs)
        finally:
            settling[0] = False

    bookings, usage = InMemoryBookingRepository, InMemoryUsageRepository
    monkeypatch.setattr(bookings, "for_session", counted("bookings", bookings.for_session))
    monkeypatch.setattr(usage, "for_session", counted("usage", usage.for_session))
    monkeypatch.setattr(_statuses, "settle_usage", settle)
    desk.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    assert (desk.used(ASHA), desk.used(RAVI)) == (0, 1)
    # The bookings once, for who is charged and who of them came (they were read twice);
    # the ledger once, for who is charged, the return of Asha's credit and Ravi's charge
    # (it was read by each).
    assert sorted(reads) == ["bookings", "usage"]


@pytest.mark.parametrize("reported", [(PRESENT, ABSENT), (ABSENT, ABSENT), (PRESENT, PRESENT)])
def test_entering_a_no_show_selects_the_ledger_once(reported: tuple[str, str]) -> None:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    desk = Desk(engine=engine)
    session = desk.consultation(ASHA, RAVI)
    desk.kit.usage.consume(T, session.id, actor="priya", participants=[ASHA])
    for client, status in zip((ASHA, RAVI), reported, strict=True):
        desk.report(session, client, status)
    sent: list[str] = []

    def seen(_connection: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM sessionkit_usage" in statement:
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        desk.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    charged = tuple(0 if status == PRESENT else 1 for status in reported)
    assert (desk.used(ASHA), desk.used(RAVI)) == charged
    active = {e.participant: e.active for e in desk.kit.usage.entries(T, session_id=session.id)}
    assert active == {ASHA: charged[0] == 1} | ({RAVI: True} if charged[1] else {})
    assert len(sent) == 1  # who is charged, Asha's return and the charges: one read


@pytest.mark.parametrize(
    ("outcome", "no_show_session", "charged", "expected"),
    [
        (ATTENDED, True, False, False),  # the host's no-show
        (ATTENDED, True, True, True),  # unless the policy charges it
        (NO_SHOW, True, False, True),
        (None, True, False, True),
        (ATTENDED, False, False, True),
        (NO_SHOW, False, False, True),
        (None, False, False, True),
    ],
)
def test_uses_credit(
    outcome: str | None, no_show_session: bool, charged: bool, expected: bool
) -> None:
    policy = RefundPolicy(host_no_show_uses_credit=charged)
    assert uses_credit(policy, outcome, no_show_session=no_show_session) is expected  # type: ignore[arg-type]  # the outcomes, typed as text here


def test_uses_credit_refuses_what_it_cannot_read() -> None:
    with pytest.raises(WrongType) as wrong:
        RefundPolicy(host_no_show_uses_credit="false")  # type: ignore[arg-type]  # the bad value under test
    assert (wrong.value.name, wrong.value.value) == (
        "RefundPolicy.host_no_show_uses_credit",
        "false",
    )
    with pytest.raises(InvalidValue):
        uses_credit(RefundPolicy(), "late", no_show_session=True)  # type: ignore[arg-type]  # the bad value under test
    with pytest.raises(WrongType):
        uses_credit(None, ATTENDED, no_show_session=True)  # type: ignore[arg-type]  # the bad value under test
    with pytest.raises(WrongType):
        uses_credit(RefundPolicy(), ATTENDED, no_show_session=1)  # type: ignore[arg-type]  # the bad value under test
