"""When silence lets a request expire, its session's events still come in time order.

Silence answers a reschedule request at its deadline, whenever a job finds it
(f4e08762). A move it makes is published after what had run out by the
deadline and before what ran out since (d4274669); a request it lets EXPIRE
(no proposed time, or one it cannot apply) was answered first by
``kit.bookings.expire_due`` and the tick, the holds that ran out BEFORE the
deadline expired only after it: [RescheduleStatusChanged 08:00,
BookingExpired 07:55, BookingOffered 08:30]. What ran out by the deadline now
comes before the answer, what ran out since after it, and the offers last,
dated when the job ran; each expiry and offer is counted once. Each case runs
on the in-memory store and on SQLite (review8, item 2).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import pytest

from sessionkit.model import ResourceRef
from sessionkit.model.reschedule import EXPIRED, RescheduleStatusChanged
from sessionkit.policies import coaching_notice
from sessionkit.services import SessionKit, TickReport
from sessionkit.services.reports import ExpiryReport
from sessionkit.services.reschedules import RescheduleReport
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._store_support import STORES
from .test_expiry_report_moves import AFTER, DEADLINE, MOVED, NOW, RULES, START, T
from .test_silence_move_events import seen_in

RUNS_OUT = {
    "before": DEADLINE - timedelta(minutes=5),
    "at": DEADLINE,
    "after": DEADLINE + timedelta(minutes=10),
}
"""When Cai's hold runs out: before silence answered, at its deadline, or after (by 08:30)."""

WHY = ("no-time", "moved")
"""Why silence lets the request expire: it asked no time, or the host moved the session since."""


def _counts(report: ExpiryReport | TickReport) -> tuple[int, int]:
    """The report's ``(expired, offered)``: the expiry job's or the tick's."""
    return report.expired, report.offered


def _approved(report: RescheduleReport) -> tuple[int, int]:
    """``approve_reschedules``' ``(bookings_expired, seats_offered)``."""
    return report.bookings_expired, report.seats_offered


JOBS: dict[str, Callable[[SessionKit], tuple[int, int]]] = {
    "expire_due": lambda kit: _counts(kit.bookings.expire_due(T, now=AFTER)),
    # The tick's reschedules pass answers, then its expire_holds pass finds the rest.
    "tick": lambda kit: _counts(kit.tick(T, now=AFTER)),
    # Only the expire_holds pass: it answers the request itself, before settling.
    "tick-expire_holds": lambda kit: _counts(kit.tick(T, now=AFTER, kinds=["expire_holds"])),
    "tick-reschedules": lambda kit: _counts(kit.tick(T, now=AFTER, kinds=["reschedules"])),
    # The one-kind job (docs/jobs.md): it answers, and settles what ran out as the others do.
    "approve_reschedules": lambda kit: _approved(kit.approve_reschedules(T, now=AFTER)),
}
"""The jobs that answer the request by silence and settle its session: (expired, offered)."""


def _asked(store: str, why: str, runs_out: datetime) -> tuple[SessionKit, RecordingPublisher]:
    """A 09:00 lesson of 2 seats, Ana's (booked), whose request silence lets expire at 08:00;
    Cai's hold runs out at ``runs_out``, Dan waits behind it. The kit and its events."""
    events = RecordingPublisher()
    counter = itertools.count(1)
    kit = SessionKit(
        uow=STORES[store](events),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        notice=coaching_notice(),
        booking_rules=attrs.evolve(RULES, lock_booked=False),
    )
    hour = timedelta(hours=1)
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START + hour,
        resources=[ResourceRef("coach", "cleo")],
        capacity=2,
    )
    kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    proposed = None if why == "no-time" else MOVED
    asked = kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason="I have an exam that morning",
        proposed_start=proposed,
    )
    assert asked.deadline == DEADLINE
    if why == "moved":  # the request's time is no longer the session's: silence cannot apply it
        kit.sessions.update(T, session.id, actor="cleo", start=START + hour / 2)
    at = runs_out - RULES.hold_for
    kit.bookings.book(T, session.id, "student:cai", actor="cai", now=at)
    kit.bookings.book(T, session.id, "student:dan", actor="dan", waitlist=True, now=at)
    return kit, events


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("why", WHY)
@pytest.mark.parametrize("when", sorted(RUNS_OUT))
@pytest.mark.parametrize("job", sorted(JOBS))
def test_what_ran_out_by_the_deadline_comes_before_silences_expiry(
    store: str, why: str, when: str, job: str
) -> None:
    kit, events = _asked(store, why, RUNS_OUT[when])
    seen = len(events.events)
    assert JOBS[job](kit) == (1, 1)  # Cai's hold and Dan's offer, each counted once
    ran_out = ("BookingExpired", RUNS_OUT[when], "student:cai")
    answer = ("RescheduleStatusChanged", DEADLINE, "")
    offered = ("BookingOffered", AFTER, "student:dan")  # when the job ran
    expected = [answer, ran_out] if when == "after" else [ran_out, answer]
    assert seen_in(events.events[seen:]) == [*expected, offered]
    [expired] = [e for e in events.events[seen:] if isinstance(e, RescheduleStatusChanged)]
    assert expired.request.status == EXPIRED
    assert [b.status for b in kit.bookings.for_participant(T, "student:dan")] == ["OFFERED"]


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("job", sorted(JOBS))
def test_a_session_emptied_before_the_deadline_is_released_after_the_answer(
    store: str, job: str
) -> None:
    """Cai's hold, its only booking, ran out at 07:55: the rules' ``when_emptied`` still fires."""
    events = RecordingPublisher()
    counter = itertools.count(1)
    kit = SessionKit(
        uow=STORES[store](events),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        notice=coaching_notice(),
        booking_rules=attrs.evolve(RULES, when_emptied="cancel"),
    )
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
    )
    kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason="I have an exam that morning"
    )
    held = kit.bookings.book(
        T, session.id, "student:cai", actor="cai", now=RUNS_OUT["before"] - RULES.hold_for
    )
    seen = len(events.events)
    assert JOBS[job](kit) == (1, 0)
    assert seen_in(events.events[seen:])[:2] == [
        ("BookingExpired", RUNS_OUT["before"], "student:cai"),
        ("RescheduleStatusChanged", DEADLINE, ""),
    ]
    assert kit.bookings.get(T, held.id).status == "EXPIRED"
    assert kit.queries.get(T, session.id).status == "CANCELED"
