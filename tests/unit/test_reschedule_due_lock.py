"""A timer that fell due locks a session's time as its status would, whether the tick ran or not.

The academy's READY (15 minutes before the start) may not be moved: from then
on a lesson still stored SCHEDULED, its tick not run yet, is refused a request,
an approve, ``kit.sessions.update`` and ``delete`` (and the unbooked cleanup, a
series' close and schedule change) as it would be READY, with the same rule and
words; an update may not move it into its READY window either. Silence still
answers a request at its deadline (the READY instant) ahead of the timer due
then, as the tick orders them, and the ``one_pending`` refusal predicts silence
from the status it will find then. Without attendance facts the steps before
the ABSENT timer are still taken: a lesson past its start is READY. A
reschedule's new time is judged as an update's is: a request, an approve and
silence do not put a lesson in its READY window either, and silence answers
before the proposed time's READY instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import attrs
import pytest

from sessionkit.errors import RescheduleRefused, SessionLocked
from sessionkit.model import Session
from sessionkit.model.reschedule import AUTO_APPROVED, RescheduleStatusChanged
from sessionkit.model.series import ScheduleItem
from sessionkit.policies import NoticePolicy
from sessionkit.ports import RESCHEDULES
from sessionkit.recurrence import Recurrence
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(hours=10)
READY_AT = START - timedelta(minutes=15)
LATER = START + timedelta(days=1)
REASON = "I have an exam that morning"
LOCKED = "status 'READY' is not editable (editable: SCHEDULED, UNSCHEDULED)"


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(NOW, id_prefix="x")


def lesson(h: Harness) -> Session:
    return h.kit.sessions.create_extra(
        T,
        actor="tara",
        title="Tajweed",
        lifecycle="academy",
        start=START,
        end=START + timedelta(hours=1),
        capacity=1,
    )


def ask(h: Harness, session: Session) -> None:
    h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=LATER
    )


def test_a_request_after_ready_fell_due_is_refused_tick_or_not(h: Harness) -> None:
    session = lesson(h)
    h.clock.set(START - timedelta(minutes=10))
    assert h.kit.queries.get(T, session.id).status == "SCHEDULED"  # the tick has not run
    with pytest.raises(RescheduleRefused) as refused:
        ask(h, session)
    assert (refused.value.rule, refused.value.allows_at) == ("not_reschedulable", None)
    assert refused.value.reason == f"session {session.id!r} cannot be moved: its {LOCKED}"
    assert h.kit.reschedules.for_session(T, session.id) == []  # nothing written
    answer = h.kit.reschedules.can_request(T, session.id, role="student")
    assert answer is not None
    assert (answer.rule, answer.reason) == ("not_reschedulable", refused.value.reason)
    shown = h.kit.reschedules.options(T, session.id, role="student")
    assert (shown.reschedule, shown.reschedule_until) == (answer, None)
    # The tick then stores READY; the answers stay the same, word for word.
    assert [s.status for s in h.kit.advance_due(T).advanced] == ["READY"]
    assert h.kit.reschedules.can_request(T, session.id, role="student") == answer


def test_an_update_after_ready_fell_due_is_refused_tick_or_not(h: Harness) -> None:
    session = lesson(h)
    h.clock.set(READY_AT - timedelta(seconds=1))  # not due yet: the host may still move it
    moved = h.kit.sessions.update(T, session.id, actor="tara", start=START + timedelta(minutes=5))
    assert moved.start == START + timedelta(minutes=5)
    h.clock.set(START - timedelta(minutes=5))  # READY fell due at START - 10 min
    for change in ({"start": LATER}, {"title": "Hifz"}):
        with pytest.raises(SessionLocked) as locked:
            h.kit.sessions.update(T, session.id, actor="tara", **change)
        assert (locked.value.session_id, locked.value.reason) == (session.id, LOCKED)
    stored = h.kit.queries.get(T, session.id)
    assert (stored.status, stored.start, stored.title) == ("SCHEDULED", moved.start, "Tajweed")


def test_an_approve_after_ready_fell_due_does_not_move_the_lesson(h: Harness) -> None:
    session = lesson(h)
    h.clock.set(START - timedelta(hours=1))
    ask(h, session)
    [request] = h.kit.reschedules.for_session(T, session.id)
    assert request.deadline == READY_AT
    # As an older version stored it: answered by silence at the start, past READY.
    with h.kit.context.transaction(NOW) as tx:
        repo = tx.repository(RESCHEDULES)
        repo.update(attrs.evolve(request, deadline=START), expected_version=request.version)
    h.clock.set(START - timedelta(minutes=10))
    with pytest.raises(SessionLocked) as locked:
        h.kit.reschedules.approve(T, request.id, role="teacher", actor="tara")
    assert locked.value.reason == LOCKED
    assert h.kit.queries.get(T, session.id).start == START
    assert h.kit.reschedules.get(T, request.id).status == "PENDING"


def test_silence_at_the_ready_instant_still_moves_the_lesson(h: Harness) -> None:
    session = lesson(h)
    h.clock.set(START - timedelta(hours=1))
    ask(h, session)
    report = h.kit.approve_reschedules(now=READY_AT)  # the deadline: before READY is taken
    assert [(r.status, r.new_start) for r in report.approved] == [(AUTO_APPROVED, LATER)]
    assert h.kit.queries.get(T, session.id).start == LATER


def test_a_delete_after_ready_fell_due_is_refused_tick_or_not(h: Harness) -> None:
    # Judged on the stored status, the lesson was deletable until the tick stored READY.
    early, late = lesson(h), lesson(h)
    h.clock.set(READY_AT - timedelta(seconds=1))  # not due yet: the host may still delete it
    assert h.kit.sessions.delete(T, early.id, actor="tara").id == early.id
    h.clock.set(START - timedelta(minutes=10))
    assert h.kit.queries.get(T, late.id).status == "SCHEDULED"  # the tick has not run
    with pytest.raises(SessionLocked) as locked:
        h.kit.sessions.delete(T, late.id, actor="tara")
    assert (locked.value.session_id, locked.value.reason) == (late.id, LOCKED)
    assert [s.status for s in h.kit.advance_due(T).advanced] == ["READY"]
    with pytest.raises(SessionLocked) as after:
        h.kit.sessions.delete(T, late.id, actor="tara")
    assert after.value.reason == LOCKED


def test_the_unbooked_cleanup_keeps_a_circle_ready_fell_due_for_tick_or_not(h: Harness) -> None:
    # remove_unbooked deletes as delete does: a circle over, unbooked and still stored
    # SCHEDULED was removed, though READY was due and the tick would have kept it.
    circle = h.kit.sessions.create_extra(
        T,
        actor="tara",
        title="Circle",
        lifecycle="academy",
        start=START,
        end=START + timedelta(hours=1),
        capacity=5,
    )
    h.clock.set(circle.end + timedelta(minutes=5))  # READY due; the circle's cancel not yet
    report = h.kit.bookings.remove_unbooked(T, actor="cleanup")
    assert report.removed == ()
    assert [(s.id, s.status, why) for s, why in report.kept] == [(circle.id, "SCHEDULED", LOCKED)]
    assert h.kit.queries.get(T, circle.id).status == "SCHEDULED"
    h.kit.advance_due(T)
    again = h.kit.bookings.remove_unbooked(T, actor="cleanup")
    assert [(s.id, s.status, why) for s, why in again.kept] == [(circle.id, "READY", LOCKED)]


def test_an_update_into_the_ready_window_is_refused(h: Harness) -> None:
    # Judged at its old time only, the lesson was moved to start in 10 minutes: READY at
    # once, whose move is refused, though nothing refused this one.
    session = lesson(h)
    for start in (NOW + timedelta(minutes=10), NOW + timedelta(minutes=15)):
        with pytest.raises(SessionLocked) as locked:
            h.kit.sessions.update(T, session.id, actor="tara", start=start)
        why = (
            f"moved to start at {start.isoformat()}, its timers due by now would make it "
            "'READY', which is not editable (editable: SCHEDULED, UNSCHEDULED)"
        )
        assert (locked.value.session_id, locked.value.reason) == (session.id, why)
    stored = h.kit.queries.get(T, session.id)
    assert (stored.status, stored.start, stored.version) == ("SCHEDULED", START, 1)
    soon = NOW + timedelta(minutes=15, seconds=1)  # READY a second from now: still movable
    moved = h.kit.sessions.update(T, session.id, actor="tara", start=soon)
    assert (moved.status, moved.start) == ("SCHEDULED", soon)


def test_one_pending_judges_the_status_silence_finds_at_the_deadline(h: Harness) -> None:
    # As an older version stored it, the request is answered by silence at the start, past
    # READY (due 15 minutes before): silence lets it expire and the lesson stays, started
    # by then. Judged on the stored status, the prediction moved it, and allows_at said
    # the deadline, where the student was refused for good.
    session = lesson(h)
    h.clock.set(START - timedelta(hours=2))
    ask(h, session)
    [request] = h.kit.reschedules.for_session(T, session.id)
    with h.kit.context.transaction(NOW) as tx:
        repo = tx.repository(RESCHEDULES)
        repo.update(attrs.evolve(request, deadline=START), expected_version=request.version)
    h.clock.set(START - timedelta(hours=1))  # READY not due yet; due before the deadline
    answer = h.kit.reschedules.can_request(T, session.id, role="student")
    assert answer is not None
    assert (answer.rule, answer.allows_at) == ("one_pending", None)
    with pytest.raises(RescheduleRefused) as refused:
        ask(h, session)
    assert (refused.value.rule, refused.value.allows_at) == ("one_pending", None)
    report = h.kit.approve_reschedules(now=START)
    assert [r.id for r in report.expired] == [request.id]
    assert h.kit.queries.get(T, session.id).start == START


def weekly(days: tuple[str, ...]) -> ScheduleItem:
    rule = Recurrence.weekly(
        days=days, at=time(18), duration=timedelta(hours=1), tz="UTC", start=NOW.date(), count=2
    )
    return ScheduleItem(id="lessons", recurrence=rule)


def test_a_series_close_keeps_a_lesson_ready_fell_due_for_tick_or_not(h: Harness) -> None:
    # A close deletes the future sessions still in the entry status: judged on the stored
    # status, the lesson starting in 10 minutes was deleted, though the tick, had it run,
    # would have made it READY and the close kept it.
    series, _ = h.kit.series.create(
        T, actor="tara", title="Tajweed", lifecycle="academy", items=[weekly(("MO",))]
    )
    first, second = h.kit.queries.series_sessions(T, series.id)
    h.clock.set(first.start - timedelta(minutes=10))
    assert h.kit.queries.get(T, first.id).status == "SCHEDULED"  # the tick has not run
    report = h.kit.series.close(T, series.id, actor="tara")
    assert [s.id for s in report.deleted] == [second.id]
    assert [(o.session.id, o.reason) for o in report.kept] == [
        (first.id, "its status 'READY' is not the entry status 'SCHEDULED'")
    ]
    assert h.kit.queries.get(T, first.id).status == "SCHEDULED"


def test_a_schedule_change_keeps_a_lesson_ready_fell_due_for_tick_or_not(h: Harness) -> None:
    # Monday's lessons move to Tuesday: judged on the stored status, today's lesson, starting
    # in 10 minutes, was deleted, though after the tick it was READY and kept as an orphan.
    series, _ = h.kit.series.create(
        T, actor="tara", title="Tajweed", lifecycle="academy", items=[weekly(("MO",))]
    )
    first, second = h.kit.queries.series_sessions(T, series.id)
    h.clock.set(first.start - timedelta(minutes=10))
    report = h.kit.series.change_schedule(T, series.id, actor="tara", items=[weekly(("TU",))])
    assert [s.id for s in report.deleted] == [second.id]
    assert [(o.session.id, o.reason) for o in report.orphans] == [
        (first.id, "its status 'READY' is not the entry status 'SCHEDULED'")
    ]
    assert h.kit.queries.get(T, first.id).start == first.start


def test_a_lesson_whose_attendance_is_unknown_is_judged_ready_past_its_start(h: Harness) -> None:
    # Without attendance facts the ABSENT timer (15 minutes past the start) cannot be judged,
    # and the whole judgement fell back to the stored SCHEDULED: a lesson an hour past its
    # start was moved or deleted, and one could be moved two hours into the past, though five
    # minutes back was refused. The READY step before it needs no fact: it is taken, as a
    # tick run in the READY window stored it.
    session, ticked, late = lesson(h), lesson(h), lesson(h)
    for back in (timedelta(minutes=5), timedelta(hours=2)):
        start = NOW - back
        with pytest.raises(SessionLocked) as moved:
            h.kit.sessions.update(T, session.id, actor="tara", start=start)
        why = (
            f"moved to start at {start.isoformat()}, its timers due by now would make it "
            "'READY', which is not editable (editable: SCHEDULED, UNSCHEDULED)"
        )
        assert (moved.value.session_id, moved.value.reason) == (session.id, why)
    h.clock.set(START - timedelta(minutes=5))  # ticked alone is advanced in its READY window
    assert h.kit.sessions.advance(T, ticked.id, actor="cron").status == "READY"
    h.clock.set(START + timedelta(hours=1))
    assert h.kit.queries.get(T, late.id).status == "SCHEDULED"  # the tick never ran for it
    for each in (ticked, late):
        with pytest.raises(SessionLocked) as moved_late:
            h.kit.sessions.update(T, each.id, actor="tara", start=LATER)
        with pytest.raises(SessionLocked) as deleted:
            h.kit.sessions.delete(T, each.id, actor="tara")
        for locked in (moved_late.value, deleted.value):
            assert (locked.session_id, locked.reason) == (each.id, LOCKED)
    stored = h.kit.queries.get(T, late.id)
    assert (stored.status, stored.start, stored.version) == ("SCHEDULED", START, 1)


SOON = NoticePolicy(min_lead=timedelta(minutes=5), max_reschedules=1)
"""A notice whose ``min_lead`` lets a new time fall inside the academy's READY window."""


def in_ready(start: datetime, by: str = "by now") -> str:
    return (
        f"moved to start at {start.isoformat()}, its timers due {by} would make it 'READY', "
        "which is not editable (editable: SCHEDULED, UNSCHEDULED)"
    )


def test_a_request_or_approve_into_the_ready_window_is_refused() -> None:
    # The notice let a time 5 minutes ahead be proposed or approved: the lesson moved there
    # was READY at once, a status that refuses moves, though nothing refused this one.
    h = Harness.in_memory(NOW, id_prefix="x", notice=SOON)
    session = lesson(h)
    soon = NOW + timedelta(minutes=12)
    with pytest.raises(SessionLocked) as asked:
        h.kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=REASON, proposed_start=soon
        )
    assert (asked.value.session_id, asked.value.reason) == (session.id, in_ready(soon))
    assert h.kit.reschedules.for_session(T, session.id) == []  # nothing written
    ask(h, session)
    [request] = h.kit.reschedules.for_session(T, session.id)
    with pytest.raises(SessionLocked) as approved:
        h.kit.reschedules.approve(T, request.id, role="teacher", actor="tara", start=soon)
    assert (approved.value.session_id, approved.value.reason) == (session.id, in_ready(soon))
    assert h.kit.queries.get(T, session.id).start == START
    assert h.kit.reschedules.get(T, request.id).status == "PENDING"
    fine = NOW + timedelta(minutes=15, seconds=1)  # READY a second from now: still movable
    h.kit.reschedules.approve(T, request.id, role="teacher", actor="tara", start=fine)
    assert h.kit.queries.get(T, session.id).start == fine


def test_silence_does_not_move_a_lesson_into_its_ready_window() -> None:
    # Proposed 30 minutes ahead, answered by silence 25 minutes from now, the lesson was moved
    # to start 5 minutes later: READY since 10 minutes, and moved all the same. one_pending's
    # prediction assumed that move too: one more reschedule, the student's last, so allows_at
    # was None, where silence lets the request expire and the student may ask again then.
    h = Harness.in_memory(NOW, id_prefix="x", notice=SOON)
    session = lesson(h)
    proposed = NOW + timedelta(minutes=30)
    h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=proposed
    )
    [request] = h.kit.reschedules.for_session(T, session.id)
    deadline = proposed - timedelta(minutes=5)
    with h.kit.context.transaction(NOW) as tx:  # as an older version stored it
        repo = tx.repository(RESCHEDULES)
        repo.update(attrs.evolve(request, deadline=deadline), expected_version=request.version)
    answer = h.kit.reschedules.can_request(T, session.id, role="student")
    assert answer is not None
    assert (answer.rule, answer.allows_at) == ("one_pending", deadline)
    report = h.kit.approve_reschedules(now=deadline)
    assert [r.id for r in report.expired] == [request.id]
    last = [e for e in h.events.events if isinstance(e, RescheduleStatusChanged)][-1]
    assert last.reason == (
        "the proposed time could not be applied: session 'x1' is locked: "
        + in_ready(proposed, f"before {deadline.isoformat()}")
    )
    assert h.kit.queries.get(T, session.id).start == START
    h.clock.set(deadline)
    assert h.kit.reschedules.can_request(T, session.id, role="student") is None


def test_a_request_for_a_time_soon_is_answered_before_that_time_locks() -> None:
    # Answered by silence min_lead before the proposed time, 10 minutes past its READY
    # instant, the request could only expire; its deadline is that READY instant now, as
    # for a lesson whose own READY comes first, and silence moves the lesson there.
    h = Harness.in_memory(NOW, id_prefix="x", notice=SOON)
    session = lesson(h)
    proposed = NOW + timedelta(minutes=30)
    request = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=proposed
    )
    assert request.deadline == proposed - timedelta(minutes=15)
    report = h.kit.approve_reschedules(now=request.deadline)
    assert [(r.status, r.new_start) for r in report.approved] == [(AUTO_APPROVED, proposed)]
    assert h.kit.queries.get(T, session.id).start == proposed
    advanced = h.kit.advance_due(T, actor="cron", now=request.deadline).advanced
    assert [(s.id, s.status) for s in advanced] == [(session.id, "READY")]
