"""Session commands: extra sessions, update, delete, cancel, fire, advance, advance_due."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSession,
    InvalidTimeSpan,
    InvalidTransition,
    InvalidValue,
    InvalidWindow,
    LifecycleNotApplicable,
    NaiveDatetime,
    SeriesClosedError,
    SeriesNotFound,
    SessionConflict,
    SessionLocked,
    SessionNotFound,
    WrongType,
)
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Transition
from sessionkit.model import (
    ResourceRef,
    ScheduleItem,
    Series,
    Session,
    SessionCanceled,
    SessionCreated,
    SessionDeleted,
    SessionQuery,
    SessionStatusChanged,
    SessionUpdated,
)
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday
ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")


World = Harness


@pytest.fixture
def world() -> Harness:
    return Harness.in_memory(NOW, id_prefix="s")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def extra(world: World, day: int = 3, hour: int = 10, **kwargs: object) -> Session:
    params: dict[str, object] = {
        "actor": "u1",
        "start": at(day, hour),
        "end": at(day, hour + 1),
        "resources": [ANA],
        "lifecycle": "lms",
        "title": "Extra",
    }
    params.update(kwargs)
    return world.kit.sessions.create_extra(T, **params)  # type: ignore[arg-type]


def make_series(world: World, *, resources: Sequence[ResourceRef] = (ANA,)) -> Series:
    rec = Recurrence.weekly(
        days=("TU",),
        at=time(10),
        duration=timedelta(hours=1),
        tz="UTC",
        start=date(2026, 3, 1),
    )
    series, _ = world.kit.series.create(
        T, actor="u1", title="Chem", items=[ScheduleItem("tue", rec, resources)]
    )
    world.events.clear()
    return series


# -- create_extra -------------------------------------------------------------------


def test_create_extra_stores_the_session_and_emits_created(world: World) -> None:
    session = extra(world, metadata={"room": "B1"})
    assert session.is_extra
    assert session.status == "SCHEDULED"
    assert session.busy
    assert session.series_id is None
    assert session.occurrence_key is None
    assert session.created_by == "u1"
    assert session.created_at == NOW
    assert session.metadata["room"] == "B1"
    assert world.kit.queries.get(T, session.id) == session
    [event] = world.events.events
    assert isinstance(event, SessionCreated)
    assert (event.session, event.actor, event.tenant, event.at) == (session, "u1", T, NOW)


def test_create_extra_in_a_series_takes_its_defaults(world: World) -> None:
    series = make_series(world, resources=(ANA, BEN))
    session = world.kit.sessions.create_extra(
        T, actor="u1", series_id=series.id, start=at(5, 12), end=at(5, 13)
    )
    assert session.series_id == series.id
    assert session.is_extra
    assert session.title == "Chem"
    assert session.resources == (ANA, BEN)
    assert session.lifecycle == "lms"
    assert session.tz == "UTC"


def test_create_extra_refuses_a_conflict_with_the_blockers(world: World) -> None:
    first = extra(world)
    with pytest.raises(SessionConflict) as info:
        extra(world, start=at(3, 10, 30), end=at(3, 11, 30))
    assert info.value.conflicts == (first,)
    assert "teacher:ana" in str(info.value)
    assert len(world.events.events) == 1  # nothing published for the refusal


def test_back_to_back_and_other_resources_do_not_conflict(world: World) -> None:
    extra(world)
    extra(world, hour=11)
    extra(world, resources=[BEN])


def test_create_extra_refuses_a_duplicate_start_in_the_series(world: World) -> None:
    series = make_series(world)  # Tuesdays 10:00 UTC with ana: 2026-03-03 is one
    with pytest.raises(DuplicateSession) as info:
        world.kit.sessions.create_extra(
            T, actor="u1", series_id=series.id, start=at(3, 10), end=at(3, 11), resources=[BEN]
        )
    existing = info.value.existing
    assert isinstance(existing, Session)
    assert existing.start == at(3, 10)


def test_create_extra_validates_its_input(world: World) -> None:
    with pytest.raises(InvalidTimeSpan):
        extra(world, start=at(3, 11), end=at(3, 10))
    with pytest.raises(NaiveDatetime):
        extra(world, start=datetime(2026, 3, 3, 10), end=at(3, 11))
    with pytest.raises(InvalidValue, match="255"):
        extra(world, title="x" * 256)
    with pytest.raises(InvalidValue, match="lifecycle"):
        extra(world, lifecycle=None)
    with pytest.raises(SeriesNotFound):
        extra(world, series_id="nope")


def test_create_extra_in_a_closed_series_is_refused(world: World) -> None:
    series = make_series(world)
    world.kit.series.close(T, series.id, actor="u1")
    with pytest.raises(SeriesClosedError):
        extra(world, series_id=series.id, hour=14)


# -- update ---------------------------------------------------------------------------


def test_update_moves_keeps_duration_marks_detached_and_reports_old_values(world: World) -> None:
    session = extra(world)
    world.clock.advance(timedelta(minutes=5))
    moved = world.kit.sessions.update(T, session.id, actor="u2", start=at(4, 9))
    assert moved.span.start == at(4, 9)
    assert moved.span.end == at(4, 10)
    assert moved.detached
    assert moved.version == 2
    assert moved.updated_by == "u2"
    assert moved.updated_at == NOW + timedelta(minutes=5)
    event = world.events.events[-1]
    assert isinstance(event, SessionUpdated)
    assert dict(event.old) == {"start": at(3, 10), "end": at(3, 11)}
    assert event.session == moved


def test_update_title_end_and_resources(world: World) -> None:
    session = extra(world)
    changed = world.kit.sessions.update(
        T, session.id, actor="u1", title="Organic", end=at(3, 12), resources=["teacher:ben"]
    )
    assert (changed.title, changed.end, changed.resources) == ("Organic", at(3, 12), (BEN,))
    event = world.events.events[-1]
    assert isinstance(event, SessionUpdated)
    assert dict(event.old) == {"title": "Extra", "end": at(3, 11), "resources": (ANA,)}


def test_update_without_changes_writes_nothing(world: World) -> None:
    session = extra(world)
    same = world.kit.sessions.update(T, session.id, actor="u1", title="Extra")
    assert same == session
    assert same.version == 1
    assert len(world.events.events) == 1


def test_update_rechecks_conflicts_excluding_itself(world: World) -> None:
    first = extra(world)
    second = extra(world, hour=12)
    world.kit.sessions.update(T, first.id, actor="u1", end=at(3, 11, 30))  # only itself
    with pytest.raises(SessionConflict) as info:
        world.kit.sessions.update(T, second.id, actor="u1", start=at(3, 11))
    assert [s.id for s in info.value.conflicts] == [first.id]


def test_update_refuses_a_non_editable_status(world: World) -> None:
    session = extra(world)
    world.kit.sessions.fire(T, session.id, "start", actor="u1")
    with pytest.raises(SessionLocked) as info:
        world.kit.sessions.update(T, session.id, actor="u1", title="Late")
    assert info.value.session_id == session.id
    assert "CONDUCTING" in info.value.reason
    assert "SCHEDULED" in info.value.reason


def test_update_refuses_a_session_with_dependents(world: World) -> None:
    session = extra(world)
    world.links.blocked[session.id] = "2 payments"
    with pytest.raises(SessionLocked) as info:
        world.kit.sessions.update(T, session.id, actor="u1", title="New")
    assert "2 payments" in info.value.reason


def test_update_checks_the_expected_version(world: World) -> None:
    session = extra(world)
    with pytest.raises(ConcurrentModification) as info:
        world.kit.sessions.update(T, session.id, actor="u1", title="x", expected_version=7)
    assert (info.value.expected, info.value.actual) == (7, 1)


def test_update_refuses_a_start_another_series_session_has(world: World) -> None:
    series = make_series(world)
    own = world.kit.sessions.create_extra(
        T, actor="u1", series_id=series.id, start=at(5, 10), end=at(5, 11), resources=[BEN]
    )
    with pytest.raises(DuplicateSession):
        world.kit.sessions.update(T, own.id, actor="u1", start=at(3, 10))


# -- delete ---------------------------------------------------------------------------


def test_delete_removes_and_emits_the_last_state(world: World) -> None:
    session = extra(world)
    gone = world.kit.sessions.delete(T, session.id, actor="u1")
    assert gone == session
    with pytest.raises(SessionNotFound):
        world.kit.queries.get(T, session.id)
    event = world.events.events[-1]
    assert isinstance(event, SessionDeleted)
    assert event.session == session


def test_delete_is_refused_for_locked_sessions(world: World) -> None:
    linked = extra(world)
    world.links.blocked[linked.id] = "attendance"
    with pytest.raises(SessionLocked, match="attendance"):
        world.kit.sessions.delete(T, linked.id, actor="u1")
    canceled = extra(world, hour=14)
    world.kit.sessions.cancel(T, canceled.id, actor="u1")
    with pytest.raises(SessionLocked, match="CANCELED"):
        world.kit.sessions.delete(T, canceled.id, actor="u1")
    with pytest.raises(ConcurrentModification):
        world.kit.sessions.delete(T, linked.id, actor="u1", expected_version=2)


# -- cancel, fire, advance --------------------------------------------------------------


def test_cancel_goes_through_the_lifecycle_and_frees_the_resource(world: World) -> None:
    session = extra(world)
    world.links.blocked[session.id] = "payment"  # dependents do not block a cancel
    canceled = world.kit.sessions.cancel(T, session.id, actor="u1", reason="teacher ill")
    assert canceled.status == "CANCELED"
    assert not canceled.busy
    assert canceled.version == 2
    event = world.events.events[-1]
    assert isinstance(event, SessionCanceled)
    assert event.reason == "teacher ill"
    assert event.session == canceled
    extra(world)  # the slot is free again
    with pytest.raises(InvalidTransition) as info:
        world.kit.sessions.cancel(T, session.id, actor="u1")
    assert info.value.status == "CANCELED"
    assert info.value.allowed == ()


def test_fire_emits_status_changed_and_keeps_busy_in_step(world: World) -> None:
    session = extra(world)
    started = world.kit.sessions.fire(T, session.id, "start", actor="t1")
    finished = world.kit.sessions.fire(T, session.id, "finish", actor="t1", reason="done")
    assert (started.status, started.busy) == ("CONDUCTING", True)
    assert (finished.status, finished.busy) == ("FINISHED", True)
    changes = world.events.of_type(SessionStatusChanged)
    assert [(e.change.from_status, e.change.to_status) for e in changes] == [
        ("SCHEDULED", "CONDUCTING"),
        ("CONDUCTING", "FINISHED"),
    ]
    assert changes[-1].change.reason == "done"
    assert changes[-1].actor == "t1"
    with pytest.raises(InvalidTransition) as info:
        world.kit.sessions.fire(T, session.id, "start", actor="t1")
    assert info.value.transition == "start"


def test_an_academy_session_with_a_time_enters_scheduled_and_is_checked(world: World) -> None:
    blocker = extra(world)  # lms SCHEDULED, busy
    with pytest.raises(SessionConflict) as info:
        world.kit.sessions.create_extra(
            T, actor="u1", start=at(3, 10), end=at(3, 11), resources=[ANA], lifecycle="academy"
        )
    assert info.value.conflicts == (blocker,)
    world.kit.sessions.cancel(T, blocker.id, actor="u1")
    made = world.kit.sessions.create_extra(
        T, actor="u1", start=at(3, 10), end=at(3, 11), resources=[ANA], lifecycle="academy"
    )
    assert (made.status, made.busy) == ("SCHEDULED", True)


def test_fire_into_a_busy_status_checks_conflicts(world: World) -> None:
    parking = Lifecycle(
        "parking",
        statuses=[
            Status("PARKED", initial=True, editable=True),
            Status("BOOKED", busy=True, editable=True),
            Status("DROPPED", terminal=True, cancelled=True),
        ],
        transitions=[
            Transition("book", "PARKED", "BOOKED"),
            Transition("cancel", ["PARKED", "BOOKED"], "DROPPED"),
        ],
    )
    kit = SessionKit(
        uow=world.store.unit_of_work,
        clock=world.clock,
        lifecycles=PRESETS.with_lifecycle(parking),
        ids=world.kit.context.ids,
    )
    parked = kit.sessions.create_extra(
        T, actor="u1", start=at(3, 10), end=at(3, 11), resources=[ANA], lifecycle="parking"
    )
    assert (parked.status, parked.busy) == ("PARKED", False)
    blocker = extra(world)  # lms SCHEDULED, busy, same slot: allowed, parked is not busy
    with pytest.raises(SessionConflict) as info:
        kit.sessions.fire(T, parked.id, "book", actor="u1")
    assert info.value.conflicts == (blocker,)
    kit.sessions.cancel(T, blocker.id, actor="u1")
    booked = kit.sessions.fire(T, parked.id, "book", actor="u1")
    assert booked.busy


def test_a_lifecycle_for_payments_is_refused_for_sessions_up_front(world: World) -> None:
    with pytest.raises(LifecycleNotApplicable) as info:
        world.kit.sessions.create_extra(
            T, actor="u1", start=at(3, 10), end=at(3, 11), lifecycle="consulting_payment"
        )
    assert (info.value.lifecycle, info.value.subject, info.value.expected) == (
        "consulting_payment",
        "payment",
        "session",
    )
    assert world.kit.queries.list(T).total == 0


def test_advance_applies_timed_transitions_one_event_per_step(world: World) -> None:
    session = world.kit.sessions.create_extra(
        T, actor="u1", start=at(3, 10), end=at(3, 11), resources=[ANA], lifecycle="academy"
    )
    world.events.clear()
    same = world.kit.sessions.advance(T, session.id, actor="job")
    assert same.status == "SCHEDULED"
    assert world.events.events == []
    ready = world.kit.sessions.advance(T, session.id, actor="job", now=at(3, 10))
    assert ready.status == "READY"
    [event] = world.events.of_type(SessionStatusChanged)
    assert event.change.timed
    assert event.actor == "job"


def test_advance_due_moves_every_due_session_and_is_idempotent(world: World) -> None:
    ids = []
    for hour in (11, 12, 20):
        # Circles (capacity 2): an individual lesson READY past its start + 15 min would
        # need the attended fact for its ABSENT timer, which this kit has no provider for,
        # as would a circle READY past its end + 10 min for its cancel_unattended timer.
        s = world.kit.sessions.create_extra(
            T, actor="u1", start=at(3, hour), end=at(3, hour + 1), lifecycle="academy", capacity=2
        )
        ids.append(s.id)
    extra(world, hour=9)  # lms has no timers: never a candidate
    report = world.kit.advance_due(T, actor="job", now=at(3, 12))
    assert [s.id for s in report.advanced] == ids[:2]
    assert all(s.status == "READY" for s in report.advanced)
    assert report.failed == ()
    assert world.kit.advance_due(T, actor="job", now=at(3, 12)).advanced == ()
    assert world.kit.advance_due("other", actor="job", now=at(3, 12)).advanced == ()


def test_advance_due_without_timed_lifecycles_does_nothing(world: World) -> None:
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=world.clock,
        lifecycles=type(PRESETS)([PRESETS.get("lms")]),
    )
    assert kit.advance_due(T).advanced == ()


# -- tenancy ----------------------------------------------------------------------------


def test_another_tenants_id_behaves_like_a_missing_one(world: World) -> None:
    session = extra(world)
    calls: list[Callable[[], object]] = [
        lambda: world.kit.queries.get("other", session.id),
        lambda: world.kit.sessions.update("other", session.id, actor="x", title="t"),
        lambda: world.kit.sessions.delete("other", session.id, actor="x"),
        lambda: world.kit.sessions.cancel("other", session.id, actor="x"),
        lambda: world.kit.sessions.fire("other", session.id, "start", actor="x"),
    ]
    for call in calls:
        with pytest.raises(SessionNotFound) as info:
            call()
        assert info.value.tenant == "other"
    assert world.kit.queries.get(T, session.id) == session


def test_each_yields_every_session_of_the_query_page_after_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Demos paged kit.queries.list by hand; one of them stopped at the first page.
    monkeypatch.setattr("sessionkit.services.queries.MAX_LIMIT", 2)
    made = [extra(world, day=3, hour=8 + n) for n in range(5)]
    assert [s.id for s in world.kit.queries.each(T)] == [s.id for s in made]
    late_first = SessionQuery(descending=True, start_from=made[1].start)
    assert [s.id for s in world.kit.queries.each(T, late_first)] == [s.id for s in made[:0:-1]]
    cursor = world.kit.queries.list(T, SessionQuery(limit=3)).next_cursor
    assert [s.id for s in world.kit.queries.each(T, SessionQuery(after=cursor))] == [
        s.id for s in made[3:]
    ]
    with pytest.raises(InvalidValue) as paged:
        world.kit.queries.each(T, SessionQuery(page=2))  # at the call
    assert paged.value.value == 2
    with pytest.raises(WrongType):
        world.kit.queries.each(T, "SCHEDULED")  # type: ignore[arg-type]


def test_a_swapped_window_is_refused_in_the_caller_s_own_names(world: World) -> None:
    # SessionQuery's check named start_from/start_to for agenda's start/end and for
    # remove_unbooked's since/before; payments.list still answered [] (the review).
    later = NOW + timedelta(days=5)
    with pytest.raises(InvalidWindow) as agenda:
        world.kit.queries.agenda(T, "teacher:ana", start=later, end=NOW)
    assert str(agenda.value).startswith("end ")
    assert agenda.value.expected == "end >= start"
    with pytest.raises(InvalidWindow) as removal:
        world.kit.bookings.remove_unbooked(T, actor="ops", since=later, before=NOW)
    assert removal.value.expected == "before >= since"
    with pytest.raises(InvalidWindow) as payments:
        world.kit.payments.list(T, start_from=later, start_to=NOW)
    assert payments.value.value == (later, NOW)
    assert world.kit.payments.list(T, start_from=NOW, start_to=NOW) == []
