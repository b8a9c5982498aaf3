"""Own fields and groups: set_fields on sessions and series, groups inherited, close_group."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit.adapters.memory import InMemorySeriesRepository
from sessionkit.errors import (
    ConcurrentModification,
    InvalidValue,
    SeriesNotFound,
    SessionNotFound,
    WrongType,
)
from sessionkit.model import (
    ResourceRef,
    ScheduleItem,
    Series,
    SeriesClosed,
    SeriesUpdated,
    SessionDeleted,
    SessionQuery,
    SessionUpdated,
)
from sessionkit.model.session import REQUEST_FIELD
from sessionkit.recurrence import Recurrence
from sessionkit.services import GroupCloseReport, SeriesSpec
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday
ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")


@pytest.fixture
def world() -> Harness:
    return Harness.in_memory(NOW, id_prefix="s")


def _item(day: str = "TU", teacher: ResourceRef = ANA) -> ScheduleItem:
    rec = Recurrence.weekly(
        days=(day,), at=time(10), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
    )
    return ScheduleItem("slot", rec, (teacher,))


def _extra(world: Harness) -> str:
    session = world.kit.sessions.create_extra(
        T,
        actor="u1",
        start=datetime(2026, 3, 3, 15, tzinfo=UTC),
        end=datetime(2026, 3, 3, 16, tzinfo=UTC),
        lifecycle="lms",
        metadata={"type": "video", "notes": "bring the book"},
    )
    return session.id


# ---------------------------------------------------------------------- sessions


def test_set_fields_sets_removes_bumps_the_version_and_emits_the_old_mapping(
    world: Harness,
) -> None:
    session_id = _extra(world)
    world.clock.advance(timedelta(minutes=5))
    changed = world.kit.sessions.set_fields(
        T,
        session_id,
        actor="coach",
        set={"platform": "zoom", "grade": 4.5, "tags": ("a", "b")},
        remove=["notes"],
        expected_version=1,
    )
    assert dict(changed.metadata) == {
        "type": "video",
        "platform": "zoom",
        "grade": 4.5,
        "tags": ["a", "b"],
    }
    assert (changed.version, changed.updated_by, changed.detached) == (2, "coach", False)
    assert changed.updated_at == NOW + timedelta(minutes=5)
    event = world.events.events[-1]
    assert isinstance(event, SessionUpdated)
    assert dict(event.old["metadata"]) == {"type": "video", "notes": "bring the book"}
    assert event.session == changed
    assert dict(world.kit.queries.get(T, session_id).metadata) == dict(changed.metadata)


def test_set_fields_without_a_change_writes_nothing(world: Harness) -> None:
    session_id = _extra(world)
    before = len(world.events.events)
    same = world.kit.sessions.set_fields(
        T, session_id, actor="u1", set={"type": "video"}, remove=["absent"]
    )
    assert same.version == 1
    assert len(world.events.events) == before
    # 1 and True are equal in Python, not once stored: that is a change.
    world.kit.sessions.set_fields(T, session_id, actor="u1", set={"flag": 1})
    flagged = world.kit.sessions.set_fields(T, session_id, actor="u1", set={"flag": True})
    assert (flagged.metadata["flag"], flagged.version) == (True, 3)


def test_set_fields_works_in_any_status_and_with_dependents(world: Harness) -> None:
    session_id = _extra(world)
    world.kit.sessions.fire(T, session_id, "start", actor="u1")
    world.kit.sessions.fire(T, session_id, "finish", actor="u1")
    world.links.blocked[session_id] = "attendance"
    graded = world.kit.sessions.set_fields(T, session_id, actor="teacher", set={"grade": "A"})
    assert (graded.status, graded.metadata["grade"]) == ("FINISHED", "A")


def test_set_fields_refuses_bad_values_naming_the_key(world: Harness) -> None:
    session_id = _extra(world)
    bad: list[tuple[dict[str, object], str]] = [
        ({"when": datetime(2026, 1, 1, tzinfo=UTC)}, "'when'"),
        ({"score": float("nan")}, "'score'"),
        ({"deep": {"x": [1, {2: "y"}]}}, "'deep'"),
        ({"huge": 2**70}, "'huge'"),
        ({"ids": {1, 2}}, "'ids'"),
        ({"": 1}, "field key"),
    ]
    for fields, name in bad:
        with pytest.raises(InvalidValue, match=name):
            world.kit.sessions.set_fields(T, session_id, actor="u1", set=fields)
    with pytest.raises(InvalidValue, match="both set and removed"):
        world.kit.sessions.set_fields(T, session_id, actor="u1", set={"a": 1}, remove=["a"])
    assert world.kit.queries.get(T, session_id).version == 1


def test_set_fields_checks_the_version_and_the_tenant(world: Harness) -> None:
    session_id = _extra(world)
    with pytest.raises(ConcurrentModification):
        world.kit.sessions.set_fields(T, session_id, actor="u1", set={"a": 1}, expected_version=3)
    with pytest.raises(SessionNotFound):
        world.kit.sessions.set_fields("other", session_id, actor="u1", set={"a": 1})


# ---------------------------------------------------------------------- series


def test_series_set_fields_emits_series_updated_and_works_when_closed(world: Harness) -> None:
    series, _ = world.kit.series.create(
        T, actor="u1", title="Coaching", items=[_item()], metadata={"contract": "c-1"}
    )
    changed = world.kit.series.set_fields(
        T, series.id, actor="u1", set={"sessions_total": 10}, expected_version=1
    )
    assert dict(changed.metadata) == {"contract": "c-1", "sessions_total": 10}
    event = world.events.events[-1]
    assert isinstance(event, SeriesUpdated)
    assert dict(event.old["metadata"]) == {"contract": "c-1"}
    world.kit.series.close(T, series.id, actor="u1")
    closed = world.kit.series.set_fields(T, series.id, actor="u1", remove=["sessions_total"])
    assert dict(closed.metadata) == {"contract": "c-1"}
    with pytest.raises(SeriesNotFound):
        world.kit.series.set_fields(T, "nope", actor="u1", set={"a": 1})


# ---------------------------------------------------------------------- groups


def test_sessions_inherit_the_group_of_their_series(world: Harness) -> None:
    series, report = world.kit.series.create(
        T, actor="u1", title="Circle A", items=[_item()], group="circle-1"
    )
    assert series.group == "circle-1"
    assert report.created
    assert {s.group for s in report.created} == {"circle-1"}
    extra = world.kit.sessions.create_extra(
        T,
        actor="u1",
        series_id=series.id,
        start=datetime(2026, 3, 5, 10, tzinfo=UTC),
        end=datetime(2026, 3, 5, 11, tzinfo=UTC),
    )
    assert extra.group == "circle-1"
    made = world.kit.series.create_many(
        T,
        actor="u1",
        specs=[SeriesSpec(title="Circle B", items=[_item("WE", BEN)], group="circle-2")],
    )
    assert {s.group for s in made[0][1].created} == {"circle-2"}
    page = world.kit.queries.list(T, SessionQuery(group="circle-1", limit=1000))
    assert page.total == len(report.created) + 1
    with pytest.raises(InvalidValue, match="group"):
        world.kit.series.create(T, actor="u1", title="x", items=[_item()], group="")


def test_close_group_closes_every_active_series_of_the_group(world: Harness) -> None:
    first, _ = world.kit.series.create(T, actor="u1", title="A", items=[_item()], group="g")
    second, _ = world.kit.series.create(
        T, actor="u1", title="B", items=[_item("WE", BEN)], group="g"
    )
    other, _ = world.kit.series.create(
        T, actor="u1", title="C", items=[_item("TH", BEN)], group="h"
    )
    world.kit.series.close(T, second.id, actor="u1")
    world.events.clear()
    report = world.kit.series.close_group(T, "g", actor="admin")
    assert isinstance(report, GroupCloseReport)
    assert (report.group, report.series_ids) == ("g", (first.id,))
    assert report.closed[0].deleted
    kinds = {type(e) for e in world.events.events}
    assert kinds == {SessionDeleted, SeriesClosed}
    assert not world.kit.queries.get_series(T, first.id).is_active
    assert world.kit.queries.get_series(T, other.id).is_active
    assert world.kit.series.close_group(T, "g", actor="admin").closed == ()
    assert world.kit.series.close_group(T, "nobody", actor="admin").closed == ()


def test_close_group_is_all_or_nothing(world: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = world.kit.series.create(T, actor="u1", title="A", items=[_item()], group="g")
    second, _ = world.kit.series.create(
        T, actor="u1", title="B", items=[_item("WE", BEN)], group="g"
    )
    world.events.clear()
    original = InMemorySeriesRepository.update
    calls: list[str] = []

    def update(self: InMemorySeriesRepository, series: Series, *, expected_version: int) -> Series:
        calls.append(series.id)
        if len(calls) == 2:
            raise RuntimeError("storage refused the second series")
        return original(self, series, expected_version=expected_version)

    monkeypatch.setattr(InMemorySeriesRepository, "update", update)
    with pytest.raises(RuntimeError, match="second series"):
        world.kit.series.close_group(T, "g", actor="admin")
    monkeypatch.undo()
    assert calls == [first.id, second.id]
    assert world.kit.queries.get_series(T, first.id).is_active
    assert world.kit.queries.get_series(T, second.id).is_active
    assert world.kit.queries.list(T, SessionQuery(group="g")).total > 0
    assert world.events.events == []
    with pytest.raises(InvalidValue):
        world.kit.series.close_group(T, "", actor="admin")


# ---------------------------------------------------------------------- fields given at creation

BAD_FIELDS = [
    ({"score": float("nan")}, "score"),
    ({"": "x"}, ""),
    ({"k" * 65: 1}, "k" * 65),
    ({"nested": {1: "x"}}, "nested"),
    ({"big": 2**64}, "big"),
    (["not", "a", "mapping"], None),
]


@pytest.mark.parametrize(("fields", "named"), BAD_FIELDS)
def test_fields_given_to_create_extra_are_checked_like_set_fields(
    world: Harness, fields: object, named: str | None
) -> None:
    # A value that is not a mapping is a WrongType (a TypeError), a bad field an InvalidValue.
    with pytest.raises((InvalidValue, WrongType)) as caught:
        world.kit.sessions.create_extra(
            T,
            actor="u1",
            start=datetime(2026, 3, 3, 15, tzinfo=UTC),
            end=datetime(2026, 3, 3, 16, tzinfo=UTC),
            lifecycle="lms",
            metadata=fields,  # type: ignore[arg-type]  # the point: wrong at run time
        )
    if named is not None:
        assert repr(named) in str(caught.value)
    assert world.kit.queries.list(T, SessionQuery()).total == 0


@pytest.mark.parametrize(("fields", "named"), BAD_FIELDS)
def test_fields_given_to_series_create_and_create_many_are_checked(
    world: Harness, fields: object, named: str | None
) -> None:
    with pytest.raises((InvalidValue, WrongType)) as caught:
        world.kit.series.create(
            T,
            actor="u1",
            title="Algebra",
            items=[_item()],
            metadata=fields,  # type: ignore[arg-type]  # the point: wrong at run time
        )
    if named is not None:
        assert repr(named) in str(caught.value)
    with pytest.raises((InvalidValue, WrongType)):
        SeriesSpec(title="Algebra", items=[_item()], metadata=fields)
    assert world.kit.queries.list(T, SessionQuery()).total == 0


def test_fields_given_at_creation_are_stored_as_json_would_read_them(world: Harness) -> None:
    series, _ = world.kit.series.create(
        T, actor="u1", title="Algebra", items=[_item()], metadata={"tags": ("a", "b"), "n": 1}
    )
    assert dict(series.metadata) == {"tags": ["a", "b"], "n": 1}


def test_a_request_fingerprint_is_kept_with_the_session_and_not_written_by_hand(
    world: Harness,
) -> None:
    kit = world.kit
    start = datetime(2026, 3, 3, 15, tzinfo=UTC)
    made = kit.sessions.create_extra(
        T,
        actor="u1",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="lms",
        metadata={"room": "B2"},
        session_id="k1",
        fingerprint="v1:abc",
    )
    assert dict(made.metadata) == {"room": "B2", REQUEST_FIELD: "v1:abc"}
    with pytest.raises(InvalidValue, match=f"field '{REQUEST_FIELD}' is kept by sessionkit"):
        kit.sessions.set_fields(T, made.id, actor="u1", set={REQUEST_FIELD: "v1:other"})
    with pytest.raises(InvalidValue, match=f"field '{REQUEST_FIELD}' is kept by sessionkit"):
        kit.sessions.create_extra(
            T,
            actor="u1",
            start=start + timedelta(days=1),
            end=start + timedelta(days=1, hours=1),
            lifecycle="lms",
            metadata={REQUEST_FIELD: "v1:forged"},
        )
    with pytest.raises(WrongType):
        kit.sessions.create_extra(
            T,
            actor="u1",
            start=start + timedelta(days=2),
            end=start + timedelta(days=2, hours=1),
            lifecycle="lms",
            fingerprint=17,  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidValue):
        kit.sessions.create_extra(
            T,
            actor="u1",
            start=start + timedelta(days=2),
            end=start + timedelta(days=2, hours=1),
            lifecycle="lms",
            fingerprint="x" * 129,
        )
    with pytest.raises(InvalidValue):  # an empty digest would tell no replay from another
        kit.sessions.create_extra(
            T,
            actor="u1",
            start=start + timedelta(days=2),
            end=start + timedelta(days=2, hours=1),
            lifecycle="lms",
            fingerprint="",
        )
    assert [s.id for s in kit.queries.list(T).items] == ["k1"]


def test_notes_keep_the_size_bound_and_the_fields_sessionkit_keeps_do_not_count() -> None:
    # Completion notes pushed a session whose own fields were at the bound over it (notes
    # were written without the check), and every later set_fields was refused.
    from sessionkit.model.fields import MAX_FIELDS_SIZE

    h = Harness.in_memory(datetime(2026, 3, 2, 9, tzinfo=UTC))
    start = h.clock.now() + timedelta(days=1)
    largest = {"v": "x" * (MAX_FIELDS_SIZE - 8)}
    session = h.kit.sessions.create_extra(
        "acme",
        actor="a",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="coaching",
        metadata=largest,
    )
    h.clock.set(start + timedelta(hours=1))
    with pytest.raises(InvalidValue, match="more than the 65,536 one record keeps"):
        h.kit.sessions.fire("acme", session.id, "complete", actor="m", role="student", notes="n")
    assert h.kit.queries.get("acme", session.id).status == "SCHEDULED"  # nothing written
    smaller = h.kit.sessions.set_fields("acme", session.id, actor="a", set={"v": "y"})
    done = h.kit.sessions.fire("acme", session.id, "complete", actor="m", role="student", notes="n")
    assert (done.status, done.metadata["student_notes"]) == ("COMPLETED", "n")
    assert "sealed_at" in done.metadata  # kept by sessionkit, not counted:
    fits = {"v": "y" * (MAX_FIELDS_SIZE - 8 - len(',"student_notes":"n"'))}
    assert (
        h.kit.sessions.set_fields("acme", session.id, actor="a", set=fits).version > smaller.version
    )
