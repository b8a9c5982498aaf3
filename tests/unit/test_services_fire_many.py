"""``kit.sessions.fire_many``: a bulk status change in one unit of work, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import (
    InvalidTransition,
    SessionConflict,
    SessionNotFound,
    TransitionRefused,
)
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Transition
from sessionkit.model import Session, SessionStatusChanged
from sessionkit.model.booking import CANCELLED, CONFIRMED
from sessionkit.model.booking_events import BookingCancelled
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, REFUNDED
from sessionkit.policies import FixedPrice
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(NOW, id_prefix="s")


def consultation(h: Harness, day: int, *, who: str = "consultant:priya", **kw: object) -> Session:
    start = NOW + timedelta(days=day)
    params: dict[str, object] = {
        "actor": "priya",
        "start": start,
        "end": start + timedelta(hours=1),
        "resources": [who],
        "lifecycle": "consulting",
        "title": f"Consultation {day}",
    }
    params.update(kw)
    return h.kit.sessions.create_extra(T, **params)  # type: ignore[arg-type]


def statuses(h: Harness, *sessions: Session) -> list[str]:
    return [h.kit.queries.get(T, s.id).status for s in sessions]


def test_fires_every_session_in_the_order_given_one_event_each(h: Harness) -> None:
    a, b, c = (consultation(h, day) for day in (1, 2, 3))
    h.events.clear()
    done = h.kit.sessions.fire_many(T, [c.id, a.id, c.id, b.id], "confirm", actor="priya")
    assert [s.id for s in done] == [c.id, a.id, b.id]
    assert {(s.status, s.version, s.updated_by) for s in done} == {("CONFIRMED", 2, "priya")}
    assert statuses(h, a, b, c) == ["CONFIRMED"] * 3
    changed = h.events.of_type(SessionStatusChanged)
    assert sorted(e.session.id for e in changed) == sorted([a.id, b.id, c.id])
    assert len(h.events.batches) == 1  # one unit of work, one commit
    assert h.kit.sessions.fire_many(T, [], "complete", actor="priya") == []


def test_one_refused_session_leaves_every_session_unchanged(h: Harness) -> None:
    a, b, c = (consultation(h, day) for day in (1, 2, 3))
    h.kit.sessions.fire_many(T, [a.id, c.id], "confirm", actor="priya")
    h.clock.set(c.start)  # all three started: only b's status stands in the way
    h.events.clear()
    with pytest.raises(InvalidTransition) as caught:
        h.kit.sessions.fire_many(T, [a.id, b.id, c.id], "complete", actor="priya")
    # b is still PENDING: completing it is not possible, so a and c are not completed either.
    assert (caught.value.session_id, caught.value.status) == (b.id, "PENDING")
    assert caught.value.allowed == ("confirm", "cancel")
    assert statuses(h, a, b, c) == ["CONFIRMED", "PENDING", "CONFIRMED"]
    assert h.events.events == []


def test_mark_completed_refuses_a_consultation_still_to_come_and_changes_none(h: Harness) -> None:
    # Before, a future consultation became COMPLETED and counted as held in the rates.
    held, coming = (consultation(h, day) for day in (1, 2))
    h.kit.sessions.fire_many(T, [held.id, coming.id], "confirm", actor="priya")
    h.clock.set(held.start)
    h.events.clear()
    with pytest.raises(TransitionRefused) as refused:
        h.kit.sessions.fire_many(T, [held.id, coming.id], "complete", actor="priya")
    assert (refused.value.session_id, refused.value.transition) == (coming.id, "complete")
    assert refused.value.reason == (
        f"the session has not started yet (it starts at {coming.start.isoformat()})"
    )
    assert statuses(h, held, coming) == ["CONFIRMED", "CONFIRMED"]
    assert h.events.events == []
    assert h.kit.sessions.fire(T, held.id, "complete", actor="priya").status == "COMPLETED"
    h.clock.set(coming.start)
    assert h.kit.sessions.fire(T, coming.id, "complete", actor="priya").status == "COMPLETED"


def test_an_unknown_or_another_tenants_id_is_not_found_and_nothing_changes(h: Harness) -> None:
    a = consultation(h, 1)
    other = h.kit.sessions.create_extra(
        "globex",
        actor="arjun",
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, hours=1),
        lifecycle="consulting",
    )
    for ids in ([a.id, "nope"], [a.id, other.id]):
        with pytest.raises(SessionNotFound):
            h.kit.sessions.fire_many(T, ids, "confirm", actor="priya")
    assert statuses(h, a) == ["PENDING"]
    assert h.kit.queries.get("globex", other.id).status == "PENDING"


def test_a_conflict_found_while_writing_rolls_back_the_writes_before_it(h: Harness) -> None:
    # Parked sessions are not busy; booking makes them busy, so the second of two overlapping
    # ones conflicts with the first, written earlier in the same unit of work.
    parking = Lifecycle(
        "parking",
        statuses=[Status("PARKED", initial=True), Status("BOOKED", busy=True, terminal=True)],
        transitions=[Transition("book", "PARKED", "BOOKED")],
    )
    kit = SessionKit(
        uow=h.store.unit_of_work,
        clock=h.clock,
        lifecycles=PRESETS.with_lifecycle(parking),
        ids=h.kit.context.ids,
    )
    start = NOW + timedelta(days=1)
    first, second = (
        kit.sessions.create_extra(
            T,
            actor="ana",
            start=start,
            end=start + timedelta(hours=1),
            resources=["teacher:ana"],
            lifecycle="parking",
        )
        for _ in range(2)
    )
    assert (first.status, first.busy) == ("PARKED", False)
    with pytest.raises(SessionConflict):
        kit.sessions.fire_many(T, [first.id, second.id], "book", actor="priya")
    assert statuses(h, first, second) == ["PARKED", "PARKED"]


def test_a_bulk_cancel_cancels_and_refunds_every_booking_or_none() -> None:
    gateway = FakeGateway(clock=lambda: NOW, instant=True)
    h = Harness.in_memory(
        NOW, gateway=gateway, pricing=FixedPrice(Money.of(2000, "INR")), id_prefix="s"
    )
    # done is the first to start: it is held while a and b are still to come.
    a, b, done = (consultation(h, day) for day in (2, 3, 1))
    paid = [
        h.kit.payments.book(T, s.id, f"client:{n}@example.com", actor=n, role="client")
        for s, n in ((a, "asha"), (b, "meera"), (done, "rohan"))
    ]
    for event in gateway.drain():
        h.kit.payments.apply(T, event)
    h.kit.sessions.fire_many(T, [done.id], "confirm", actor="priya")
    h.clock.set(done.start)
    h.kit.sessions.fire(T, done.id, "complete", actor="priya")
    calls = len(gateway.calls)
    with pytest.raises(InvalidTransition):
        h.kit.sessions.fire_many(T, [a.id, b.id, done.id], "cancel", actor="priya")
    assert [h.kit.bookings.get(T, p.booking.id).status for p in paid] == [CONFIRMED] * 3
    assert len(gateway.calls) == calls  # no refund asked of the provider
    h.events.clear()
    h.kit.sessions.fire_many(
        T, [a.id, b.id], "cancel", actor="priya", role="provider", reason="ill"
    )
    assert [h.kit.bookings.get(T, p.booking.id).status for p in paid[:2]] == [CANCELLED] * 2
    assert [h.kit.payments.get(T, p.payment.id).status for p in paid] == [REFUNDED, REFUNDED, PAID]
    assert len(h.events.of_type(BookingCancelled)) == 2
    assert gateway.collected("INR") == Money.of(2000, "INR")
