"""A command that answers an overdue request by silence first keeps its session's events in order.

28c431d6 made the expiry job and the tick expire what had run out by a
request's deadline before silence's EXPIRED answer (dated at the deadline),
then settle the session. The commands that answer the request first in their
own unit of work (``kit.sessions.update``, a booking's cancel,
``kit.reschedules.request``, the status steps) still answered it straight
away: [RescheduleStatusChanged 08:00, BookingExpired 07:55, ...], the
out-of-order stream 28c431d6 fixed for the jobs; a title-only update left the
07:55 hold for the job. Each case runs on the in-memory store and on SQLite
(review11).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from . import test_silence_expiry_event_order as asked
from ._store_support import STORES
from .test_expiry_report_moves import AFTER, DEADLINE, T
from .test_silence_move_events import seen_in

RAN_OUT = asked.RUNS_OUT["before"]  # Cai's hold ran out at 07:55, before the 08:00 deadline


def _kit(monkeypatch: pytest.MonkeyPatch, store: str) -> tuple[SessionKit, RecordingPublisher]:
    """``_asked``'s lesson (Ana's request without a time, Cai's hold, Dan waiting), at 08:30."""
    clocks: list[ManualClock] = []

    def clock(start: datetime) -> ManualClock:
        clocks.append(ManualClock(start))
        return clocks[-1]

    monkeypatch.setattr(asked, "ManualClock", clock)
    kit, events = asked._asked(store, "no-time", RAN_OUT)
    clocks[0].set(AFTER)  # no job ran: the request is overdue, Cai's hold not marked yet
    return kit, events


def _session_id(kit: SessionKit) -> str:
    [ana] = kit.bookings.for_participant(T, "student:ana")
    return ana.session_id


def _cancel_ana(kit: SessionKit) -> object:
    [ana] = kit.bookings.for_participant(T, "student:ana")
    return kit.bookings.cancel(T, ana.id, actor="ana", role="student")


def _ask_again(kit: SessionKit) -> object:
    # The host may ask inside the notice a student's request must keep.
    return kit.reschedules.request(
        T, _session_id(kit), role="host", actor="cleo", reason="the room is taken"
    )


EXPIRED = ("BookingExpired", RAN_OUT, "student:cai")
ANSWER = ("RescheduleStatusChanged", DEADLINE, "")
OFFERED = ("BookingOffered", AFTER, "student:dan")

COMMANDS: dict[str, tuple[Callable[[SessionKit], object], list[tuple[str, datetime, str]]]] = {
    "update-capacity": (
        lambda kit: kit.sessions.update(T, _session_id(kit), actor="cleo", capacity=3),
        [EXPIRED, ANSWER, OFFERED, ("SessionUpdated", AFTER, "")],
    ),
    "update-title": (
        lambda kit: kit.sessions.update(T, _session_id(kit), actor="cleo", title="Exam week"),
        [EXPIRED, ANSWER, OFFERED, ("SessionUpdated", AFTER, "")],
    ),
    "cancel": (_cancel_ana, [EXPIRED, ANSWER, OFFERED, ("BookingCancelled", AFTER, "student:ana")]),
    "request": (_ask_again, [EXPIRED, ANSWER, OFFERED, ("RescheduleStatusChanged", AFTER, "")]),
}
"""Each command, and the session's events it publishes: in the order things happened."""


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_what_ran_out_by_the_deadline_comes_before_the_answer_a_command_gives(
    monkeypatch: pytest.MonkeyPatch, store: str, command: str
) -> None:
    kit, events = _kit(monkeypatch, store)
    seen = len(events.events)
    run, expected = COMMANDS[command]
    run(kit)
    assert seen_in(events.events[seen:]) == expected
    [cai] = kit.bookings.for_participant(T, "student:cai")
    [dan] = kit.bookings.for_participant(T, "student:dan")
    assert (cai.status, dan.status) == ("EXPIRED", "OFFERED")
    # Nothing is left for the job: each expiry and offer was made, and counted, once.
    report = kit.bookings.expire_due(T, now=AFTER)
    assert (report.expired, report.offered) == (0, 0)
