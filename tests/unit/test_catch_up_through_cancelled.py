"""A catch-up through a cancelled status ends what a cancellation ends, as a tick per step does.

A lifecycle whose clock cancels a session (EXPIRED, a day before its start) and
then moves it on (ARCHIVED, at its end) was left, by one tick after both fell
due, with its bookings CONFIRMED and their seats taken and a credit charged by
hand still used: only a status the chain *ended* in counted as a cancellation. A
tick between the two steps cancelled them. On the in-memory store and on SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import SessionKit
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Timer, Transition
from sessionkit.model import ResourceRef
from sessionkit.model.booking import CANCELLED, CONFIRMED
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._store_support import STORES

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=3)
ANA = ResourceRef("student", "ana")

EXPIRING = Lifecycle(
    "expiring",
    statuses=[
        Status("OPEN", initial=True, busy=True, editable=True),
        Status("EXPIRED", cancelled=True),
        Status("ARCHIVED", terminal=True),
        Status("DONE", terminal=True, busy=True, counts_usage=True),
    ],
    transitions=[
        Transition("expire", "OPEN", "EXPIRED", timer=Timer.before_start(timedelta(days=1))),
        Transition("archive", "EXPIRED", "ARCHIVED", timer=Timer.after_end()),
        Transition("done", "OPEN", "DONE"),
    ],
)


def _world(store: str) -> tuple[SessionKit, str, str, str]:
    """A kit, a session with a confirmed booking charged by hand, and the subscription."""
    counter = itertools.count(1)
    kit = SessionKit(
        uow=STORES[store](RecordingPublisher()),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        lifecycles=PRESETS.with_lifecycle(EXPIRING),
    )
    session = kit.sessions.create_extra(
        T,
        actor="admin",
        lifecycle="expiring",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("teacher", "t1")],
    )
    booking = kit.bookings.book(T, session.id, ANA, actor="admin", confirm=True)
    subscription = kit.usage.subscribe(
        T, actor="admin", subscriber=ANA, credits=8, starts=NOW - timedelta(days=1)
    )
    kit.usage.consume(T, session.id, actor="host")
    return kit, session.id, booking.id, subscription.id


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("ticks", ["each_step", "once"])
def test_a_catch_up_through_a_cancelled_status_cancels_as_each_step_would(
    store: str, ticks: str
) -> None:
    kit, session_id, booking_id, subscription_id = _world(store)
    assert kit.bookings.get(T, booking_id).status == CONFIRMED
    assert kit.usage.balance(T, subscription_id, at=NOW).used == 1
    if ticks == "each_step":
        kit.tick(T, now=START - timedelta(hours=23))
    report = kit.tick(T, now=START + timedelta(hours=2))
    assert report.failed == ()
    assert kit.queries.get(T, session_id).status == "ARCHIVED"
    assert kit.bookings.get(T, booking_id).status == CANCELLED
    assert kit.usage.balance(T, subscription_id, at=NOW).used == 0
