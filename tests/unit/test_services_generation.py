"""Series creation, materialising windows and the rolling top-up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit.adapters.memory import InMemorySessionRepository, InMemoryStore
from sessionkit.errors import (
    DuplicateSeries,
    InvalidValue,
    SeriesClosedError,
    SeriesNotFound,
    UnknownLifecycle,
)
from sessionkit.lifecycle import PRESETS
from sessionkit.model import (
    ResourceRef,
    ScheduleItem,
    Series,
    Session,
    SessionCreated,
    SessionsRegenerated,
    WindowPolicy,
)
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.services import series as series_module
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

T = "acme"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)  # Monday 09:00 in Berlin
ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")


World = Harness


@pytest.fixture
def world() -> Harness:
    return Harness.in_memory(NOW, id_prefix="id")


def weekly(
    days: Sequence[str],
    hour: int,
    minute: int = 0,
    *,
    minutes: int = 90,
    start: date = date(2026, 2, 1),
    until: date | None = None,
    tz: str = "Europe/Berlin",
) -> Recurrence:
    return Recurrence.weekly(
        days=tuple(days),
        at=time(hour, minute),
        duration=timedelta(minutes=minutes),
        tz=tz,
        start=start,
        until=until,
    )


def slot(item_id: str, rec: Recurrence, *teachers: ResourceRef) -> ScheduleItem:
    return ScheduleItem(item_id, rec, teachers or (ANA,))


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


# -- create ----------------------------------------------------------------------------


def test_create_materialises_two_calendar_months_from_now(world: World) -> None:
    series, report = world.kit.series.create(
        T, actor="u1", title="Chem A", items=[slot("mw", weekly(["MO", "WE"], 18))]
    )
    assert series.generated_until == berlin(5, 2, 9)  # 2 months on Berlin's wall clock
    assert report.window == TimeSpan(NOW, berlin(5, 2, 9))
    starts = [s.start for s in report.created]
    assert starts[0] == berlin(3, 2, 18)
    assert starts[-1] == berlin(4, 29, 18)
    assert len(starts) == 18
    assert berlin(3, 30, 18) in starts  # after the DST change: still 18:00 local
    first = report.created[0]
    assert (first.series_id, first.schedule_item_id) == (series.id, "mw")
    assert first.occurrence_key == datetime(2026, 3, 2, 18)
    assert (first.title, first.tz, first.status, first.busy) == (
        "Chem A",
        "Europe/Berlin",
        "SCHEDULED",
        True,
    )
    assert not first.is_extra
    assert first.created_by == "u1"


def test_create_starts_the_window_at_a_later_series_start(world: World) -> None:
    series, report = world.kit.series.create(
        T, actor="u1", title="Late", items=[slot("mo", weekly(["MO"], 18, start=date(2026, 6, 1)))]
    )
    assert report.created[0].start == berlin(6, 1, 18)
    assert series.generated_until == berlin(8, 1, 18)
    assert len(report.created) == 9


def test_create_emits_one_batch_created_then_regenerated(world: World) -> None:
    _, report = world.kit.series.create(
        T, actor="u1", title="Chem", items=[slot("mo", weekly(["MO"], 18))]
    )
    [batch] = world.events.batches
    created = [e for e in batch if isinstance(e, SessionCreated)]
    assert [e.session for e in created] == list(report.created)
    last = batch[-1]
    assert isinstance(last, SessionsRegenerated)
    assert (last.created, last.skipped, last.deleted, last.series_id) == (9, 0, 0, report.series_id)


def test_create_validates(world: World) -> None:
    with pytest.raises(UnknownLifecycle):
        world.kit.series.create(
            T, actor="u1", title="X", items=[slot("a", weekly(["MO"], 9))], lifecycle="nope"
        )
    with pytest.raises(InvalidValue, match="at least one"):
        world.kit.series.create(T, actor="u1", title="X", items=[])
    rec = weekly(["MO"], 9)
    with pytest.raises(InvalidValue, match="unique"):
        world.kit.series.create(T, actor="u1", title="X", items=[slot("a", rec), slot("a", rec)])
    world.kit.series.create(
        T, actor="u1", title="X", items=[slot("a", weekly(["MO"], 9))], series_id="g1"
    )
    with pytest.raises(DuplicateSeries) as duplicate:
        world.kit.series.create(
            T, actor="u1", title="X", items=[slot("a", weekly(["TU"], 9))], series_id="g1"
        )
    assert duplicate.value.series_id == "g1"
    assert world.kit.queries.list(T).total == 9  # the refused ones stored nothing


def test_generated_sessions_are_what_the_checked_constructor_builds(world: World) -> None:
    # After the first session of an item, generation copies its checked fields.
    _, report = world.kit.series.create(
        T,
        actor="u1",
        title="Chem",
        items=[slot("mo", weekly(["MO"], 18)), slot("we", weekly(["WE"], 9), BEN)],
        metadata={"ignored": "by sessions"},
        group="g1",
    )
    assert len(report.created) == 18
    for made in report.created:
        again = Session(**{f.name: getattr(made, f.name) for f in attrs.fields(Session)})
        assert made == again
        assert dict(made.metadata) == {}
    assert {s.schedule_item_id: s.resources for s in report.created} == {
        "mo": (ANA,),
        "we": (BEN,),
    }


@pytest.mark.parametrize("bad", ["", "x" * 129])
def test_a_bad_generated_id_after_the_first_is_refused(bad: str) -> None:
    ids = iter(["g", "s1", bad, "s3"])
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), ids=lambda: next(ids)
    )
    with pytest.raises(InvalidValue, match=r"Session\.id"):
        kit.series.create(T, actor="u1", title="Chem", items=[slot("mo", weekly(["MO"], 18))])


def test_a_teacher_clash_skips_with_the_blocker(world: World) -> None:
    _, first = world.kit.series.create(
        T, actor="u1", title="Chem", items=[slot("mo", weekly(["MO"], 18))]
    )
    _, second = world.kit.series.create(
        T,
        actor="u1",
        title="Bio",
        items=[slot("mo", weekly(["MO"], 19), ANA), slot("fr", weekly(["FR"], 18), ANA)],
    )
    assert len(second.conflicts) == 9
    skip = second.skipped[0]
    assert skip.reason == "conflict"
    assert skip.resource == ANA
    assert skip.blocking == first.created[0]
    assert skip.key == datetime(2026, 3, 2, 19)
    assert "teacher:ana is busy with 'Chem'" in skip.describe()
    assert {s.schedule_item_id for s in second.created} == {"fr"}
    regenerated = world.events.of_type(SessionsRegenerated)[-1]
    assert (regenerated.created, regenerated.skipped) == (9, 9)


def test_one_batch_cannot_double_book_itself(world: World) -> None:
    _, report = world.kit.series.create(
        T,
        actor="u1",
        title="Twice",
        items=[slot("a", weekly(["MO"], 18)), slot("b", weekly(["MO"], 18, 30))],
    )
    assert {s.schedule_item_id for s in report.created} == {"a"}
    assert all(s.blocking.schedule_item_id == "a" for s in report.skipped)
    assert len(report.skipped) == 9


def test_materialise_uses_one_busy_query_per_window(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = InMemorySessionRepository.busy_overlapping

    def counting(self: InMemorySessionRepository, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(InMemorySessionRepository, "busy_overlapping", counting)
    world.kit.series.create(
        T, actor="u1", title="Daily", items=[slot("d", weekly(["MO", "TU", "WE", "TH"], 9))]
    )
    assert len(calls) == 1


def test_materialise_skips_existing_and_moves_generated_until(world: World) -> None:
    series, _ = world.kit.series.create(
        T, actor="u1", title="Chem", items=[slot("mo", weekly(["MO"], 18))]
    )
    assert series.generated_until is not None
    again = world.kit.series.materialise(
        T, series.id, actor="u1", start=NOW, end=series.generated_until
    )
    assert again.created == ()
    assert {s.reason for s in again.skipped} == {"exists"}
    assert len(again.skipped) == 9
    more = world.kit.series.materialise(T, series.id, actor="u1", start=NOW, end=berlin(5, 20, 0))
    assert [s.start for s in more.created] == [
        berlin(5, 4, 18),
        berlin(5, 11, 18),
        berlin(5, 18, 18),
    ]
    stored = world.kit.queries.get_series(T, series.id)
    assert stored.generated_until == berlin(5, 20, 0)
    gap = world.kit.series.materialise(
        T, series.id, actor="u1", start=berlin(7, 1, 0), end=berlin(7, 8, 0)
    )
    assert len(gap.created) == 1
    assert world.kit.queries.get_series(T, series.id).generated_until == berlin(5, 20, 0)


def test_an_extra_session_at_the_occurrence_start_counts_as_existing(world: World) -> None:
    series, _ = world.kit.series.create(
        T,
        actor="u1",
        title="Chem",
        items=[slot("mo", weekly(["MO"], 18))],
        window=WindowPolicy(initial_months=1),
    )
    extra = world.kit.sessions.create_extra(
        T,
        actor="u1",
        series_id=series.id,
        start=berlin(4, 13, 18),
        end=berlin(4, 13, 19),
        resources=[BEN],
    )
    report = world.kit.series.materialise(
        T, series.id, actor="u1", start=berlin(4, 6, 0), end=berlin(4, 20, 0)
    )
    assert [s.blocking for s in report.skipped if s.reason == "exists"] == [extra]


def test_materialise_refuses_closed_and_missing_series(world: World) -> None:
    series, _ = world.kit.series.create(
        T, actor="u1", title="Chem", items=[slot("mo", weekly(["MO"], 18))]
    )
    with pytest.raises(SeriesNotFound):
        world.kit.series.materialise("other", series.id, actor="u1", start=NOW, end=berlin(6, 1, 0))
    world.kit.series.close(T, series.id, actor="u1")
    with pytest.raises(SeriesClosedError):
        world.kit.series.materialise(T, series.id, actor="u1", start=NOW, end=berlin(6, 1, 0))


# -- top_up ----------------------------------------------------------------------------


def test_top_up_refills_when_less_than_the_buffer_remains(world: World) -> None:
    series, _ = world.kit.series.create(
        T, actor="u1", title="Chem", items=[slot("mo", weekly(["MO"], 18))]
    )
    assert world.kit.top_up(actor="cron").refilled == ()  # two months ahead: nothing to do
    world.clock.advance(timedelta(weeks=4))  # 1 month and a bit left, < 4 weeks? not yet
    assert world.kit.top_up(actor="cron").refilled == ()
    world.clock.advance(timedelta(weeks=1))  # now 2026-04-06: 26 days left
    report = world.kit.top_up(actor="cron")
    [refill] = report.refilled
    assert refill.window == TimeSpan(berlin(5, 2, 9), berlin(6, 6, 10))
    assert next(s.start.date() for s in refill.created) == date(2026, 5, 4)
    assert report.created == len(refill.created) == 5
    assert world.kit.queries.get_series(T, series.id).generated_until == berlin(6, 6, 10)
    assert world.kit.top_up(actor="cron").refilled == ()  # idempotent


def test_top_up_covers_every_tenant_or_one(world: World) -> None:
    for tenant in ("a", "b"):
        world.kit.series.create(
            tenant, actor="u1", title="X", items=[slot("mo", weekly(["MO"], 18))]
        )
    world.clock.advance(timedelta(weeks=6))
    only_a = world.kit.top_up("a")
    assert (only_a.checked, [r.tenant for r in only_a.refilled]) == (1, ["a"])
    everyone = world.kit.top_up()
    assert (everyone.checked, [r.tenant for r in everyone.refilled]) == (2, ["b"])


def test_top_up_reports_a_failing_series_and_goes_on(world: World) -> None:
    custom = PRESETS.with_lifecycle(attrs.evolve(PRESETS.get("lms"), name="mine"))
    kit = SessionKit(uow=world.store.unit_of_work, clock=world.clock, lifecycles=custom)
    kit.series.create(
        T, actor="u1", title="Mine", items=[slot("mo", weekly(["MO"], 18))], lifecycle="mine"
    )
    world.kit.series.create(T, actor="u1", title="Lms", items=[slot("tu", weekly(["TU"], 18))])
    world.clock.advance(timedelta(weeks=6))
    report = world.kit.top_up()  # PRESETS does not know "mine"
    [failure] = report.failed
    assert isinstance(failure.error, UnknownLifecycle)
    assert len(report.refilled) == 1


class _Mailer:
    down = False

    def publish(self, events: Sequence[object]) -> None:
        if self.down:
            raise RuntimeError("smtp down")


def test_top_up_reports_a_series_refilled_before_the_publisher_raised_as_both() -> None:
    # Its sessions were stored, but the report had it only in failed: refilled was empty.
    mailer, clock = _Mailer(), ManualClock(NOW)
    kit = SessionKit(uow=InMemoryStore(publisher=mailer).unit_of_work, clock=clock)
    series, _ = kit.series.create(
        T, actor="u1", title="Chem", items=[slot("mo", weekly(["MO"], 18))]
    )
    clock.advance(timedelta(weeks=5))
    mailer.down = True
    report = kit.top_up(actor="cron")
    [failure] = report.failed
    assert (failure.series_id, str(failure.error)) == (series.id, "smtp down")
    [refill] = report.refilled
    assert (refill.series_id, len(refill.created)) == (series.id, 5)
    assert kit.queries.get_series(T, series.id).generated_until == berlin(6, 6, 10)
    mailer.down = False
    assert kit.top_up(actor="cron").refilled == ()  # done once


def test_top_up_reports_a_raw_error_in_one_tenant_and_refills_the_others(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tenant in ("a", "b", "c"):
        world.kit.series.create(
            tenant, actor="u1", title="X", items=[slot("mo", weekly(["MO"], 18))]
        )
    world.clock.advance(timedelta(weeks=6))
    real = series_module.materialise_in  # type: ignore[attr-defined]  # patched where top_up looks it up

    def broken_for_a(ctx: Any, tx: Any, series: Series, *args: Any, **kwargs: Any) -> Any:
        if series.tenant == "a":
            raise RuntimeError("a host hook broke")
        return real(ctx, tx, series, *args, **kwargs)

    monkeypatch.setattr(series_module, "materialise_in", broken_for_a)
    report = world.kit.top_up()
    [failure] = report.failed
    assert (failure.tenant, type(failure.error), str(failure.error)) == (
        "a",
        RuntimeError,
        "a host hook broke",
    )
    assert sorted(r.tenant for r in report.refilled) == ["b", "c"]
    assert world.kit.queries.get_series("a", failure.series_id).generated_until is not None


def test_top_up_leaves_closed_series_alone(world: World) -> None:
    series, _ = world.kit.series.create(
        T, actor="u1", title="X", items=[slot("mo", weekly(["MO"], 18))]
    )
    world.kit.series.close(T, series.id, actor="u1")
    world.clock.advance(timedelta(weeks=10))
    assert world.kit.top_up().checked == 0


def test_top_up_with_a_buffer_longer_than_the_horizon(world: World) -> None:
    series, _ = world.kit.series.create(
        T,
        actor="u1",
        title="X",
        items=[slot("mo", weekly(["MO"], 18))],
        window=WindowPolicy(initial_months=1, buffer=timedelta(weeks=8)),
    )
    report = world.kit.top_up()
    filled = NOW + timedelta(weeks=8, days=1)  # a day past the buffer
    assert report.refilled[0].window == TimeSpan(berlin(4, 2, 9), filled)
    assert world.kit.top_up().refilled == ()
    assert series.generated_until == berlin(4, 2, 9)
    # Filled to the buffer alone, it was due again a second later, at every tick.
    assert world.kit.top_up(now=NOW + timedelta(seconds=1)).refilled == ()
    assert world.kit.tick(now=NOW + timedelta(hours=23)).idle
    later = world.kit.top_up(now=NOW + timedelta(days=1, seconds=1)).refilled
    assert [r.window for r in later] == [TimeSpan(filled, filled + timedelta(days=1, seconds=1))]


@pytest.mark.parametrize(
    ("local", "disambiguate"),
    [
        (datetime(2026, 3, 29, 2, 30), "earlier"),  # in the spring gap
        (datetime(2026, 10, 25, 2, 30), "earlier"),  # in the autumn fold
        (datetime(2026, 10, 25, 2, 30), "compatible"),
    ],
)
def test_a_first_start_read_early_in_a_gap_or_fold_is_generated(
    local: datetime, disambiguate: Any
) -> None:
    # Generation began at the start's compatible reading, an hour after the "earlier"
    # reading of a start in the gap: that first session was never made.
    rec = Recurrence.from_rrule(
        "RRULE:FREQ=WEEKLY;COUNT=3",
        start=local,
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
        disambiguate=disambiguate,
    )
    h = Harness.in_memory(NOW)
    series, report = h.kit.series.create(
        T, actor="admin", title="Night", items=[ScheduleItem(id="n", recurrence=rec)]
    )
    wanted = [o.span.start for o in rec.between(NOW, NOW + timedelta(days=365))]
    assert len(wanted) == 3
    assert [s.start for s in report.created] == wanted
    assert [s.start for s in h.kit.queries.series_sessions(T, series.id)] == wanted


def test_a_compatible_start_in_a_gap_counts_its_window_from_the_compatible_reading() -> None:
    # Generation begins at the earlier reading only for a rule that reads the start so:
    # a "compatible" series' first month ran an hour short, and lost its last day.
    rec = Recurrence.from_rrule(
        "RRULE:FREQ=DAILY",
        start=datetime(2026, 3, 29, 2, 30),
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
    )
    h = Harness.in_memory(datetime(2026, 3, 1, tzinfo=UTC))
    series, report = h.kit.series.create(
        T,
        actor="admin",
        title="Night",
        items=[ScheduleItem(id="n", recurrence=rec)],
        window=WindowPolicy(initial_months=1),
    )
    assert report.window is not None
    assert report.window.start == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert series.generated_until == datetime(2026, 4, 29, 1, 30, tzinfo=UTC)
    assert len(report.created) == 32
