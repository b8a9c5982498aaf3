"""A session in a terminal status takes no bookings, even before its scheduled time.

The lms preset's FINISHED and consulting's COMPLETED are terminal and keep the
session's hour busy; a host may fire FINISHED ahead of the time, and COMPLETED
too with its own consulting lifecycle (the preset's ``complete`` waits for the
start). Such a session took bookings and was listed as bookable, and then its participant
could not cancel (the cancel judged it over, rule ``ended``). Each case runs
on the in-memory store and on SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import BookingRefused
from sessionkit.lifecycle import PRESETS
from sessionkit.lifecycle.presets import consulting
from sessionkit.model import Session
from sessionkit.model.booking import CANCELLED, HELD, WAITLISTED
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._store_support import STORES, StoreMaker

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=1)


def kit_on(store: StoreMaker) -> SessionKit:
    counter = itertools.count(1)
    return SessionKit(
        uow=store(RecordingPublisher()),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        booking_rules=BookingRules(waitlist=True),
        # A host's consulting that completes a session early: the preset waits for the start.
        lifecycles=PRESETS.with_lifecycle(consulting.replace_transition("complete", guards=[])),
    )


def ended(kit: SessionKit, lifecycle: str, steps: tuple[str, ...], hour: int = 0) -> Session:
    session = kit.sessions.create_extra(
        T,
        actor="tina",
        start=START + timedelta(hours=hour),
        end=START + timedelta(hours=hour + 1),
        resources=[f"tutor:{lifecycle}"],
        lifecycle=lifecycle,
        capacity=3,
        title=lifecycle,
    )
    for step in steps:
        session = kit.sessions.fire(T, session.id, step, actor="tina")
    return session


CLOSINGS = {"lms": ("start", "finish"), "consulting": ("confirm", "complete")}


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("lifecycle", CLOSINGS)
def test_a_session_finished_ahead_of_its_time_takes_no_bookings(
    store: StoreMaker, lifecycle: str
) -> None:
    kit = kit_on(store)
    session = ended(kit, lifecycle, CLOSINGS[lifecycle])
    open_one = ended(kit, lifecycle, (), hour=2)
    assert session.busy  # its hour stays taken
    refusal = kit.bookings.can_book(T, session.id, "student:ana")
    assert refusal is not None
    assert refusal.rule == "not_bookable"
    for waitlist in (False, True):
        with pytest.raises(BookingRefused) as refused:
            kit.bookings.book(T, session.id, "student:ana", actor="ana", waitlist=waitlist)
        assert refused.value.rule == "not_bookable"
        assert session.status in str(refused.value)
    assert kit.bookings.for_session(T, session.id) == []
    assert kit.bookings.remaining_seats(T, [session.id, open_one.id]) == {
        session.id: 0,
        open_one.id: 3,
    }
    listed = kit.bookings.bookable(T, start=NOW, end=NOW + timedelta(days=3))
    assert [b.session_id for b in listed] == [open_one.id]


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_seat_freed_in_a_finished_session_is_offered_to_nobody(store: StoreMaker) -> None:
    kit = kit_on(store)
    session = ended(kit, "lms", ())
    ana = kit.bookings.book(T, session.id, "student:ana", actor="ana", seats=3, confirm=True)
    ben = kit.bookings.book(T, session.id, "student:ben", actor="ben", waitlist=True)
    assert ben.status == WAITLISTED
    kit.sessions.fire(T, session.id, "start", actor="tina")
    kit.sessions.fire(T, session.id, "finish", actor="tina")
    # A staff write-off of a booking of a session that is over frees no seat for anyone.
    assert kit.bookings.cancel(T, ana.id, actor="tina", role="admin").status == CANCELLED
    assert kit.bookings.get(T, ben.id).status == WAITLISTED
    assert kit.bookings.remaining_seats(T, [session.id]) == {session.id: 0}


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("lifecycle", CLOSINGS)
def test_a_hold_of_a_session_finished_ahead_of_its_time_is_not_confirmed(
    store: StoreMaker, lifecycle: str
) -> None:
    kit = kit_on(store)
    session = ended(kit, lifecycle, ())
    held = kit.bookings.book(T, session.id, "student:ana", actor="ana")
    assert held.status == HELD
    for step in CLOSINGS[lifecycle]:
        kit.sessions.fire(T, session.id, step, actor="tina")
    # The hold has not run out (15 minutes, a day before the start), but the session is over:
    # no seat is taken in it, as no booking is.
    with pytest.raises(BookingRefused) as refused:
        kit.bookings.confirm(T, held.id, actor="ana")
    assert refused.value.rule == "not_bookable"
    assert refused.value.allows_at is None
    assert held.id in str(refused.value)
    assert kit.bookings.get(T, held.id).status == HELD
