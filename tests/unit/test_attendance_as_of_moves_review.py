"""Review of the span a read ``as_of`` judges (0975bc31): moves of every shape, and their limits.

``kit.attendance`` read ``as_of`` an instant before a move judges the span the
session had then, its span now with the journal's moves since undone. Held
here: a move of the end only, a move at exactly ``as_of`` (done by then, as a
status change or a booking's at that instant is), any sequence of moves and
resizes against the timeline that made them, and the two limits
docs/attendance.md states for a move a kit without a journal made: before the
journal's moves, the span now; after one of them, unseen.
"""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from sessionkit.model.attendance import ABSENT, JOIN, LEAVE, LEFT_EARLY, PARTIAL, PENDING, PRESENT
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.services._attendance_as_of import SessionThen
from sessionkit.services.attendance import attendance_facts

from ._attendance_support import MIN, START, T, presence
from .test_attendance_as_of_moves import LIFECYCLES, _club, _listed, _World, _world

STORES = ["memory", "sqlite"]


def _unjournalled(w: _World) -> SessionKit:
    """A second kit on ``w``'s store and clock that keeps no journal (a host's older worker)."""
    return SessionKit(
        uow=w.store, clock=w.clock, facts=attendance_facts(), journal=False,
        lifecycles=LIFECYCLES, booking_rules=BookingRules(lock_booked=False),
    )  # fmt: skip


def _ana_there_first_ten(w: _World, night: str) -> None:
    w.clock.set(START)
    w.kit.attendance.record_presence(
        T,
        [presence(1, "student:ana", JOIN, 0, night), presence(2, "student:ana", LEAVE, 10, night)],
        now=START + 10 * MIN,
    )


@pytest.mark.parametrize("store", STORES)
def test_a_move_of_the_end_only_is_undone_too(store: str) -> None:
    with _world(store) as w:
        night = w.kit.sessions.create_extra(
            T, actor="admin", start=START, end=START + 30 * MIN, lifecycle="club", capacity=4,
        ).id  # fmt: skip
        for who in ("student:ana", "student:ben"):
            w.kit.bookings.book(T, night, who, actor="admin", confirm=True)
        w.kit.attendance.record_presence(
            T, [presence(1, "student:ana", JOIN, 0, night)], now=START + MIN
        )
        # At 17:35, five minutes past its end, the night is drawn out to 18:00 (its end only).
        w.clock.set(START + 35 * MIN)
        w.kit.sessions.update(T, night, actor="host", end=START + 60 * MIN)
        w.clock.set(START + 40 * MIN)
        # As of 17:32 it had ended at 17:30: ben never came (absent), not still to come.
        assert _listed(w, night, as_of=START + 32 * MIN) == [
            ("student:ana", PRESENT),
            ("student:ben", ABSENT),
        ]
        assert _listed(w, night) == [("student:ana", PRESENT), ("student:ben", PENDING)]


@pytest.mark.parametrize("store", STORES)
def test_a_move_at_exactly_as_of_was_made_by_then(store: str) -> None:
    with _world(store) as w:
        night = _club(w, "student:ana")
        _ana_there_first_ten(w, night)
        w.clock.set(START + 25 * MIN)
        w.kit.sessions.update(T, night, actor="host", start=START + 30 * MIN)
        w.clock.set(START + 40 * MIN)
        # A second before the move it ran from 17:00: ana there 10 of its 25 minutes so far.
        before = START + 25 * MIN - MIN // 60
        assert _listed(w, night, as_of=before)[0] == ("student:ana", PARTIAL)
        # At 17:25 itself the move had been made (as a status change or a booking's at that
        # instant had): 17:30-18:30, ana's stay before it.
        assert _listed(w, night, as_of=START + 25 * MIN)[0] == ("student:ana", PENDING)


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("seed", range(12))
def test_the_span_then_follows_any_sequence_of_moves(store: str, seed: int) -> None:
    """Moves of the start, the end or both, some at one instant, against their timeline."""
    rnd = random.Random(seed)
    with _world(store) as w:
        made = w.kit.sessions.create_extra(
            T, actor="admin", start=START, end=START + 60 * MIN, lifecycle="club", capacity=4,
        )  # fmt: skip
        timeline: list[tuple[datetime, datetime, datetime]] = []
        at = START - 30 * MIN
        for _ in range(rnd.randint(2, 6)):
            at += rnd.choice([0, 1, 10]) * MIN  # 0: two moves at one instant
            w.clock.set(at)
            now = w.kit.queries.get(T, made.id)
            delta = rnd.choice([-20, -5, 5, 30]) * MIN
            kind = rnd.choice(["start", "end", "both"])
            if kind == "start" and now.start + delta < now.end:
                moved = w.kit.sessions.update(
                    T, made.id, actor="h", start=now.start + delta, end=now.end
                )
            elif kind == "end" and now.end + delta > now.start:
                moved = w.kit.sessions.update(T, made.id, actor="h", end=now.end + delta)
            else:
                moved = w.kit.sessions.update(T, made.id, actor="h", start=now.start + delta)
            timeline.append((at, moved.start, moved.end))
        w.clock.set(at + 60 * MIN)
        session = w.kit.queries.get(T, made.id)
        for minute in range(-40, 40):
            then = START + minute * MIN
            spans = [(start, end) for when, start, end in timeline if when <= then]
            expected = spans[-1] if spans else (made.start, made.end)
            with w.kit.context.transaction() as tx:
                found = SessionThen(tx, session, then).span()
            assert (found.start, found.end) == expected, (minute, timeline)


@pytest.mark.parametrize("store", STORES)
def test_a_move_no_journal_kept_before_the_journals_moves_leaves_the_span_now(store: str) -> None:
    with _world(store) as w:
        night = _club(w, "student:ana")
        # At 16:00 a worker without a journal brings the night forward to 16:55-17:55.
        w.clock.set(START - 60 * MIN)
        _unjournalled(w).sessions.update(T, night, actor="host", start=START - 5 * MIN)
        _ana_there_first_ten(w, night)
        w.clock.set(START + 25 * MIN)
        w.kit.sessions.update(T, night, actor="host", start=START + 30 * MIN)
        w.clock.set(START + 40 * MIN)
        # Its moves do not lead back to 17:00-18:00, the span it was made with: the span now
        # (17:30-18:30) is judged, as documented, not a span the journal cannot account for.
        assert _listed(w, night, as_of=START + 20 * MIN)[0] == ("student:ana", PENDING)


@pytest.mark.parametrize("store", STORES)
def test_a_move_no_journal_kept_after_one_in_it_is_not_seen(store: str) -> None:
    with _world(store) as w:
        night = _club(w, "student:ana", "student:ben")
        _ana_there_first_ten(w, night)
        w.clock.set(START + 25 * MIN)
        w.kit.sessions.update(T, night, actor="host", start=START + 30 * MIN)  # journalled
        w.kit.attendance.record_presence(
            T, [presence(3, "student:ben", JOIN, 30, night)], now=START + 30 * MIN
        )
        w.clock.set(START + 40 * MIN)
        _unjournalled(w).sessions.update(T, night, actor="host", start=START + 45 * MIN)
        w.clock.set(START + 50 * MIN)
        # Before the journalled move, its old span, as it was.
        assert _listed(w, night, as_of=START + 20 * MIN)[0] == ("student:ana", LEFT_EARLY)
        # Between the two, the span the unjournalled move gave (17:45-18:45), not 17:30-18:30
        # when ben was there from its start: that move is not seen, as documented.
        assert _listed(w, night, as_of=START + 35 * MIN)[1] == ("student:ben", PENDING)
