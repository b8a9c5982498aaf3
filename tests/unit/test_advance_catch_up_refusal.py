"""A catch-up advance keeps the steps due before one that is refused, as frequent ticks do.

A lesson on the ``gated`` lifecycle: READY (15 minutes before, not busy yet),
then HELD (15 minutes after the start), which makes it busy, while its
teacher is busy elsewhere then: that step is refused (``SessionConflict``).
A tick every minute left it READY; one tick after both fell due stored both
steps in one unit of work, and the refusal took READY down too: the lesson
stayed SCHEDULED. Now the steps before the refused one are stored in a unit
of work of their own; the refused step stays due and is reported, at every
tick, either way. Each case runs on memory and SQLite. (A credit over the
limit used to be the refusal here; the clock is no longer refused for credits.)
An academy lesson whose attendance the kit cannot give, ticked only after its
ABSENT timer (``MissingFact``), is stored READY the same way.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import MissingFact, SessionConflict
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Timer, Transition
from sessionkit.model import ResourceRef, Session
from sessionkit.model.events import DomainEvent, SessionStatusChanged
from sessionkit.services import TickReport
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._store_support import STORES, StoreMaker

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 10, 16, tzinfo=UTC)
BO = ResourceRef("student", "bo")

GATED = Lifecycle(
    "gated",
    statuses=[
        Status("SCHEDULED", initial=True, editable=True),
        Status("READY"),
        Status("HELD", terminal=True, busy=True),
        Status("CANCELLED", terminal=True, cancelled=True),
    ],
    transitions=[
        Transition("ready", "SCHEDULED", "READY", timer=Timer.before_start(timedelta(minutes=15))),
        Transition("hold", "READY", "HELD", timer=Timer.after_start(timedelta(minutes=15))),
        Transition("cancel", ["SCHEDULED", "READY"], "CANCELLED"),
    ],
)
"""READY, then HELD: the step that makes the lesson busy, refused while its teacher is not free."""


class Academy:
    def __init__(self, store: StoreMaker) -> None:
        self.events = RecordingPublisher()
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=store(self.events),
            clock=ManualClock(NOW),
            facts=attendance_facts(),
            ids=lambda: f"x{next(counter)}",
            lifecycles=PRESETS.with_lifecycle(GATED),
        )
        self.solo = self.lesson(START, "t2")

    def lesson(self, start: datetime, teacher: str) -> Session:
        """A gated lesson of ``teacher``, who is busy then with a session no timer moves."""
        end = start + timedelta(minutes=45)
        who = [ResourceRef("teacher", teacher)]
        self.kit.sessions.create_extra(
            T, actor="admin", start=start, end=end, lifecycle="lms", resources=who
        )
        return self.kit.sessions.create_extra(
            T, actor="admin", start=start, end=end, lifecycle="gated", resources=[*who, BO]
        )

    def steps(self) -> list[tuple[str, str]]:
        return [
            (e.change.from_status, e.change.to_status)
            for e in self.events.of_type(SessionStatusChanged)
            if e.session.id == self.solo.id
        ]


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def academy(request: pytest.FixtureRequest) -> Academy:
    return Academy(request.param)


@pytest.mark.parametrize("every_minute", [True, False], ids=["every minute", "once"])
def test_the_tick_keeps_ready_whatever_its_rhythm(academy: Academy, every_minute: bool) -> None:
    last = START + timedelta(minutes=39)
    ticks = [START + timedelta(minutes=m) for m in range(-20, 40)] if every_minute else [last]
    for at in ticks:
        report = academy.kit.tick(T, now=at)
    assert [(f.item_id, type(f.error)) for f in report.failed] == [
        (academy.solo.id, SessionConflict)
    ]
    assert academy.kit.queries.get(T, academy.solo.id).status == "READY"
    assert academy.steps() == [("SCHEDULED", "READY")]
    again = academy.kit.tick(T, now=last)  # the refused step stays due, and is refused again
    assert [f.item_id for f in again.failed] == [academy.solo.id]
    assert again.advanced == 0
    assert academy.steps() == [("SCHEDULED", "READY")]


def test_advance_due_keeps_ready_and_reports_the_refusal(academy: Academy) -> None:
    report = academy.kit.advance_due(T, now=START + timedelta(minutes=39))
    assert [(s.id, s.status) for s in report.advanced] == [(academy.solo.id, "READY")]
    assert [(f.session_id, type(f.error)) for f in report.failed] == [
        (academy.solo.id, SessionConflict)
    ]
    assert academy.steps() == [("SCHEDULED", "READY")]


class RoomsDown(Exception):
    """A meeting provider that is down, raised by an event handler after the commit."""


class FailingOnReady(RecordingPublisher):
    """Records events, then raises when the lesson's READY is published (after its commit)."""

    def __init__(self) -> None:
        super().__init__()
        self.lesson_id = ""

    def publish(self, events: Sequence[DomainEvent]) -> None:
        super().publish(events)
        if any(
            isinstance(e, SessionStatusChanged)
            and e.session.id == self.lesson_id
            and e.change.to_status == "READY"
            for e in events
        ):
            raise RoomsDown("the meeting provider is down")


def test_a_handler_failing_after_the_steps_before_were_stored_is_reported_as_usual() -> None:
    publisher = FailingOnReady()
    academy = Academy(lambda _events: InMemoryStore(publisher).unit_of_work)
    publisher.lesson_id = academy.solo.id
    healthy = academy.kit.sessions.create_extra(
        T,
        actor="admin",
        start=START + timedelta(minutes=5),
        end=START + timedelta(minutes=50),
        lifecycle="gated",
        resources=[ResourceRef("teacher", "t9")],
    )
    report = academy.kit.advance_due(T, now=START + timedelta(minutes=39))
    assert [type(f.error) for f in report.failed] == [SessionConflict, RoomsDown]
    assert [s.id for s in report.advanced] == [healthy.id]  # the job went on
    assert academy.kit.queries.get(T, academy.solo.id).status == "READY"


def test_the_tick_raises_a_handler_s_failure_after_the_steps_before_were_stored() -> None:
    publisher = FailingOnReady()
    academy = Academy(lambda _events: InMemoryStore(publisher).unit_of_work)
    publisher.lesson_id = academy.solo.id
    with pytest.raises(RoomsDown) as raised:
        academy.kit.tick(T, now=START + timedelta(minutes=39))
    report = getattr(raised.value, "tick_report")  # noqa: B009  # set on any exception type
    assert report.advanced == 1
    assert [type(f.error) for f in report.failed] == [SessionConflict]
    assert academy.kit.queries.get(T, academy.solo.id).status == "READY"


def test_the_tick_counts_the_batches_it_committed_and_reports_after_each(
    academy: Academy,
) -> None:
    lessons = [academy.solo.id]
    lessons += [academy.lesson(START + timedelta(hours=h), f"t{h + 2}").id for h in (1, 2)]
    at = START + timedelta(hours=2, minutes=39)
    seen: list[TickReport] = []
    # One batch of the three fails (no teacher free for any HELD); each lesson again alone: its
    # READY stored in a unit of work of its own, a batch each, reported after each.
    report = academy.kit.tick(T, now=at, batch=10, progress=seen.append)
    assert sorted(f.item_id for f in report.failed) == sorted(lessons)
    assert (report.advanced, report.batches) == (3, 3)
    assert [(r.batches, len(r.failed)) for r in seen] == [(1, 1), (2, 2), (3, 3)]
    # Again: each refused with nothing to store, so nothing committed and no batch counted.
    seen.clear()
    again = academy.kit.tick(T, now=at, batch=10, progress=seen.append)
    assert (again.advanced, again.batches, len(again.failed)) == (0, 0, 3)
    assert [(r.batches, len(r.failed)) for r in seen] == [(0, 1), (0, 2), (0, 3)]


class _Unknowing:
    """A host's fact provider with no word yet on anyone's attendance."""

    def facts_for(self, sessions: Sequence[Session], uow: object) -> dict[str, dict[str, object]]:
        del sessions, uow
        return {}


FACTLESS = {"no provider": None, "no word yet": _Unknowing()}
"""Kits that cannot say whether anyone attended: none asked, or a host's that does not know."""


@pytest.mark.parametrize("facts", list(FACTLESS.values()), ids=list(FACTLESS))
@pytest.mark.parametrize("store", list(STORES.values()), ids=list(STORES))
def test_a_tick_past_the_absent_timer_without_attendance_stores_ready(
    store: StoreMaker, facts: _Unknowing | None
) -> None:
    # READY (15 minutes before the start, no fact) and ABSENT (15 minutes after, if nobody
    # attended) both due, and the kit cannot say whether anyone attended: the catch-up stored
    # nothing, the lesson stayed SCHEDULED (its room never opened) and every tick met the same
    # MissingFact. A tick in the READY window would have stored READY: so is it now, the
    # missing fact reported once per run, as a READY lesson's is, until the fact is known.
    events = RecordingPublisher()
    uow = store(events)
    counter = itertools.count(1)
    kit = SessionKit(uow=uow, clock=ManualClock(NOW), facts=facts, ids=lambda: f"x{next(counter)}")
    lesson = kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + timedelta(minutes=45), lifecycle="academy"
    )
    late = START + timedelta(hours=1)
    report = kit.tick(T, now=late)
    assert kit.queries.get(T, lesson.id).status == "READY"
    steps = [
        (e.change.from_status, e.change.to_status, e.change.at)
        for e in events.of_type(SessionStatusChanged)
    ]
    assert steps == [("SCHEDULED", "READY", START - timedelta(minutes=15))]
    assert report.advanced == 1
    [failure] = report.failed
    assert (failure.kind, failure.item_id) == ("advance", lesson.id)
    assert isinstance(failure.error, MissingFact)
    assert (failure.error.fact, failure.error.transition) == ("attended", "mark_absent")
    again = kit.tick(T, now=late)  # ABSENT stays due: reported, nothing more stored
    assert (again.advanced, [(f.item_id, type(f.error)) for f in again.failed]) == (
        0,
        [(lesson.id, MissingFact)],
    )
    assert len(events.of_type(SessionStatusChanged)) == 1
    # Once the kit can say (nobody came), the next tick takes the ABSENT step.
    knowing = SessionKit(uow=uow, clock=ManualClock(late), facts=attendance_facts())
    done = knowing.tick(T, now=late)
    assert (done.advanced, done.failed) == (1, ())
    assert knowing.queries.get(T, lesson.id).status == "ABSENT"


def test_advance_due_past_the_absent_timer_without_attendance_stores_ready() -> None:
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW))
    lesson = kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + timedelta(minutes=45), lifecycle="academy"
    )
    report = kit.advance_due(T, now=START + timedelta(hours=1))
    assert [(s.id, s.status) for s in report.advanced] == [(lesson.id, "READY")]
    assert [(f.session_id, type(f.error)) for f in report.failed] == [(lesson.id, MissingFact)]
    assert kit.queries.get(T, lesson.id).status == "READY"
