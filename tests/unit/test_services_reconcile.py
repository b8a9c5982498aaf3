"""Schedule changes reconcile instead of recreating; closing a series removes what it may."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit.errors import ConcurrentModification, InvalidValue, SeriesClosedError
from sessionkit.model import (
    ResourceRef,
    ScheduleItem,
    Series,
    SeriesClosed,
    Session,
    SessionCreated,
    SessionDeleted,
    SessionsRegenerated,
    SessionUpdated,
    WindowPolicy,
)
from sessionkit.model.query import SessionQuery
from sessionkit.recurrence import Recurrence
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday
ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")


World = Harness


@pytest.fixture
def world() -> Harness:
    return Harness.in_memory(NOW, id_prefix="id")


def weekly(days: Sequence[str], hour: int, *, minutes: int = 60) -> Recurrence:
    return Recurrence.weekly(
        days=tuple(days),
        at=time(hour),
        duration=timedelta(minutes=minutes),
        tz="UTC",
        start=date(2026, 3, 1),
    )


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def create(world: World, *items: ScheduleItem) -> Series:
    series, _ = world.kit.series.create(
        T,
        actor="u1",
        title="Chem",
        items=items or [ScheduleItem("mw", weekly(["MO", "WE"], 10), [ANA])],
        window=WindowPolicy(initial_months=1),
    )
    world.events.clear()
    return series


def sessions(world: World, series: Series) -> list[Session]:
    page = world.kit.queries.list(T, SessionQuery(series_id=series.id, limit=1000))
    return list(page.items)


def by_start(world: World, series: Series) -> dict[datetime, Session]:
    return {s.start: s for s in sessions(world, series)}


def test_reconcile_keeps_wanted_ids_deletes_obsolete_creates_missing(world: World) -> None:
    series = create(world)  # Mon+Wed 10:00 from 2026-03-02 to 2026-04-02 (9 sessions)
    before = by_start(world, series)
    world.clock.set(at(3, 9, 12))  # after Monday 9 March's session
    report = world.kit.series.change_schedule(
        T, series.id, actor="u2", items=[ScheduleItem("mw", weekly(["MO", "TH"], 10), [ANA])]
    )
    after = by_start(world, series)
    assert {s.start for s in report.deleted} == {
        at(3, 11, 10),
        at(3, 18, 10),
        at(3, 25, 10),
        at(4, 1, 10),
    }
    assert {s.start for s in report.created} == {at(3, 12, 10), at(3, 19, 10), at(3, 26, 10)}
    for monday in (at(3, 16, 10), at(3, 23, 10), at(3, 30, 10)):
        assert after[monday].id == before[monday].id  # ids survive, links to them too
    for past in (at(3, 2, 10), at(3, 4, 10), at(3, 9, 10)):
        assert after[past] == before[past]  # past sessions are not touched
    assert report.cutoff == at(3, 9, 12)
    assert {s.id for s in report.kept} == {
        before[d].id for d in (at(3, 16, 10), at(3, 23, 10), at(3, 30, 10))
    }
    assert (
        world.kit.queries.get_series(T, series.id).items[0].recurrence.to_rrule().endswith("MO,TH")
    )
    [batch] = world.events.batches
    kinds = [type(e) for e in batch]
    assert kinds == [SessionDeleted] * 4 + [SessionCreated] * 3 + [SessionsRegenerated]
    summary = batch[-1]
    assert isinstance(summary, SessionsRegenerated)
    assert (summary.created, summary.deleted, summary.kept, summary.orphaned, summary.skipped) == (
        3,
        4,
        3,
        0,
        0,
    )


def test_reconcile_never_touches_extra_started_finished_detached_or_linked(world: World) -> None:
    series = create(world)
    s = by_start(world, series)
    kit = world.kit
    kit.sessions.fire(T, s[at(3, 11, 10)].id, "start", actor="t")
    kit.sessions.fire(T, s[at(3, 18, 10)].id, "start", actor="t")
    kit.sessions.fire(T, s[at(3, 18, 10)].id, "finish", actor="t")
    kit.sessions.cancel(T, s[at(3, 25, 10)].id, actor="t", reason="holiday")
    moved = kit.sessions.update(T, s[at(4, 1, 10)].id, actor="t", start=at(4, 1, 15))
    world.links.blocked[s[at(3, 4, 10)].id] = "attendance"
    extra = kit.sessions.create_extra(
        T, actor="t", series_id=series.id, start=at(3, 5, 10), end=at(3, 5, 11)
    )
    report = kit.series.change_schedule(
        T, series.id, actor="u2", items=[ScheduleItem("mo", weekly(["MO"], 10), [ANA])]
    )
    assert report.deleted == ()
    reasons = {o.session.start: o.reason for o in report.orphans}
    assert set(reasons) == {at(3, 4, 10), at(3, 11, 10), at(3, 18, 10), at(3, 25, 10), at(4, 1, 15)}
    assert "attendance" in reasons[at(3, 4, 10)]
    assert "CONDUCTING" in reasons[at(3, 11, 10)]
    assert "FINISHED" in reasons[at(3, 18, 10)]
    assert "CANCELED" in reasons[at(3, 25, 10)]
    assert "detached" in reasons[at(4, 1, 15)]
    assert extra.id in {k.id for k in report.kept}
    assert extra.id not in {o.session.id for o in report.orphans}
    after = by_start(world, series)
    assert after[at(4, 1, 15)] == moved
    assert after[at(3, 5, 10)] == extra
    assert len(after) == 11


def test_a_detached_session_still_holds_its_occurrence(world: World) -> None:
    series = create(world)
    s = by_start(world, series)
    world.kit.sessions.update(T, s[at(3, 16, 10)].id, actor="t", start=at(3, 17, 15))
    report = world.kit.series.change_schedule(
        T, series.id, actor="u2", items=[ScheduleItem("mw", weekly(["MO", "WE"], 10), [ANA])]
    )
    assert report.created == ()
    assert report.deleted == ()


def test_effective_from_leaves_earlier_sessions_alone(world: World) -> None:
    series = create(world)
    before = by_start(world, series)
    report = world.kit.series.change_schedule(
        T,
        series.id,
        actor="u2",
        items=[ScheduleItem("mw", weekly(["TU"], 10), [ANA])],
        effective_from=at(3, 20, 0),
    )
    after = by_start(world, series)
    assert report.cutoff == at(3, 20, 0)
    assert all(after[d] == before[d] for d in before if d < at(3, 20, 0))
    assert {s.start for s in report.created} == {at(3, 24, 10), at(3, 31, 10)}
    assert len(report.deleted) == 4
    past = world.kit.series.change_schedule(
        T,
        series.id,
        actor="u2",
        items=[ScheduleItem("mw", weekly(["TU"], 10), [ANA])],
        effective_from=at(1, 1, 0),
    )
    assert past.cutoff == NOW  # never earlier than now


def test_a_change_from_beyond_the_generated_weeks_keeps_the_old_schedule_until_then(
    world: World,
) -> None:
    # Generated to 2 April; the new time holds from 1 June. The change touched nothing and
    # the top-ups then generated April and May from the new items, at the new time.
    series = create(world)
    effective = at(6, 1, 0)
    report = world.kit.series.change_schedule(
        T,
        series.id,
        actor="u2",
        items=[ScheduleItem("mw", weekly(["MO", "WE"], 15), [ANA])],
        effective_from=effective,
    )
    assert (report.created, report.deleted) == ((), ())
    for _ in range(14):
        world.clock.advance(timedelta(days=7))
        world.kit.top_up(actor="cron")
    starts = sorted(by_start(world, series))
    assert starts[0] == at(3, 2, 10)
    assert starts[-1] > at(6, 1, 0)
    assert [d for d in starts if d < effective and d.hour != 10] == []
    assert [d for d in starts if d >= effective and d.hour != 15] == []
    assert at(5, 27, 10) in starts  # the last Wednesday of the old schedule
    assert at(6, 1, 15) in starts  # the first Monday of the new one
    assert world.kit.queries.get_series(T, series.id).items[0].recurrence.start.hour == 15


def test_a_changed_duration_updates_in_place(world: World) -> None:
    series = create(world)
    before = by_start(world, series)
    report = world.kit.series.change_schedule(
        T,
        series.id,
        actor="u2",
        items=[ScheduleItem("mw", weekly(["MO", "WE"], 10, minutes=90), [ANA, BEN])],
    )
    assert len(report.updated) == 10
    updated = report.updated[0]
    assert updated.id == before[updated.start].id
    assert updated.end == updated.start + timedelta(minutes=90)
    assert updated.resources == (ANA, BEN)
    assert not updated.detached
    event = world.events.of_type(SessionUpdated)[0]
    assert dict(event.old) == {"end": updated.start + timedelta(hours=1), "resources": (ANA,)}
    summary = world.events.of_type(SessionsRegenerated)[0]
    assert (summary.kept, summary.updated) == (10, 10)


def test_an_update_that_would_clash_is_skipped_and_kept(world: World) -> None:
    series = create(world)
    other, _ = world.kit.series.create(
        T, actor="u1", title="Bio", items=[ScheduleItem("mo", weekly(["MO"], 12), [BEN])]
    )
    report = world.kit.series.change_schedule(
        T,
        series.id,
        actor="u2",
        items=[ScheduleItem("mw", weekly(["MO", "WE"], 10, minutes=150), [ANA, BEN])],
    )
    clashes = [s for s in report.skipped if s.reason == "conflict"]
    assert clashes
    assert all(c.blocking.series_id == other.id and c.resource == BEN for c in clashes)
    assert len(report.updated) + len(clashes) == 10
    kept_ids = {s.id for s in report.kept}
    assert all(by_start(world, series)[c.span.start].id in kept_ids for c in clashes)


def test_reconcile_is_atomic_and_checks_versions(world: World) -> None:
    series = create(world)
    before = sessions(world, series)
    with pytest.raises(ConcurrentModification):
        world.kit.series.change_schedule(
            T,
            series.id,
            actor="u2",
            items=[ScheduleItem("x", weekly(["FR"], 10), [ANA])],
            expected_version=99,
        )
    assert sessions(world, series) == before
    assert world.events.events == []
    world.kit.series.close(T, series.id, actor="u1")
    with pytest.raises(SeriesClosedError):
        world.kit.series.change_schedule(
            T, series.id, actor="u2", items=[ScheduleItem("x", weekly(["FR"], 10), [ANA])]
        )


# -- close ------------------------------------------------------------------------------


def test_close_deletes_future_initial_sessions_and_keeps_the_rest(world: World) -> None:
    series = create(world)
    s = by_start(world, series)
    kit = world.kit
    world.clock.set(at(3, 9, 12))
    kit.sessions.fire(T, s[at(3, 11, 10)].id, "start", actor="t")
    kit.sessions.cancel(T, s[at(3, 16, 10)].id, actor="t")
    world.links.blocked[s[at(3, 18, 10)].id] = "payment"
    extra = kit.sessions.create_extra(
        T, actor="t", series_id=series.id, start=at(3, 20, 10), end=at(3, 20, 11)
    )
    moved = kit.sessions.update(T, s[at(3, 23, 10)].id, actor="t", start=at(3, 24, 9))
    world.events.clear()
    report = kit.series.close(T, series.id, actor="u9")
    deleted = {d.id for d in report.deleted}
    assert deleted == {
        s[at(3, 25, 10)].id,
        s[at(3, 30, 10)].id,
        s[at(4, 1, 10)].id,
        extra.id,
        moved.id,
    }
    kept = {k.session.start: k.reason for k in report.kept}
    assert set(kept) == {at(3, 11, 10), at(3, 16, 10), at(3, 18, 10)}
    assert "payment" in kept[at(3, 18, 10)]
    remaining = by_start(world, series)
    assert {at(3, 2, 10), at(3, 4, 10), at(3, 9, 10)} <= set(remaining)  # the past stays
    assert len(remaining) == 6
    assert [type(e) for e in world.events.events] == [SessionDeleted] * 5 + [SeriesClosed]
    closed = world.events.events[-1]
    assert isinstance(closed, SeriesClosed)
    assert (closed.deleted, closed.kept, closed.actor) == (5, 3, "u9")
    assert not kit.queries.get_series(T, series.id).is_active
    with pytest.raises(SeriesClosedError):
        kit.series.close(T, series.id, actor="u9")


def berlin_weekly(days: Sequence[str], hour: int) -> Recurrence:
    return Recurrence.weekly(
        days=tuple(days),
        at=time(hour),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2026, 3, 1),
    )


def test_a_session_moved_onto_a_new_occurrences_start_is_the_one_kept_there(
    world: World,
) -> None:
    """Occurrences match by wall-clock key: 9:00 in Berlin moves the 9:00 UTC session to 8:00 UTC.

    The new 8:00 UTC item then finds that start taken and is skipped as
    ``exists``, where it used to plan a second session at the start (a
    ``DuplicateSession`` from the store). From 29 March Berlin is two hours
    ahead, so there both sessions have a start of their own.
    """
    series = create(world, ScheduleItem("tu", weekly(["TU"], 9), [ANA]))
    before = sessions(world, series)
    assert [s.start.day for s in before] == [3, 10, 17, 24, 31]
    report = world.kit.series.change_schedule(
        T,
        series.id,
        actor="u2",
        items=[
            ScheduleItem("tu", berlin_weekly(["TU"], 9), [ANA]),
            ScheduleItem("early", weekly(["TU"], 8), [BEN]),
        ],
    )
    moved = {s.id: s.start for s in report.updated}
    assert moved == {b.id: b.start - timedelta(hours=1 if b.start.day < 31 else 2) for b in before}
    assert [s.start for s in report.created] == [at(3, 31, 8)]
    exists = [s for s in report.skipped if s.item_id == "early"]
    assert [(s.reason, s.blocking.id) for s in exists] == [("exists", b.id) for b in before[:4]]
    starts = [s.start for s in sessions(world, series)]
    assert len(starts) == len(set(starts)) == 6


def test_a_move_onto_a_kept_sessions_start_is_skipped_and_kept(world: World) -> None:
    series = create(
        world,
        ScheduleItem("nine", weekly(["TU"], 9), [ANA]),
        ScheduleItem("eight", weekly(["TU"], 8), [BEN]),
    )
    eight = by_start(world, series)[at(3, 10, 8)]
    world.kit.sessions.cancel(T, eight.id, actor="u1", reason="ill")  # kept: not SCHEDULED
    report = world.kit.series.change_schedule(
        T, series.id, actor="u2", items=[ScheduleItem("nine", berlin_weekly(["TU"], 9), [ANA])]
    )
    stays = by_start(world, series)[at(3, 10, 9)]  # its move to 8:00 UTC would double the start
    assert (stays.start, stays.status) == (at(3, 10, 9), "SCHEDULED")
    skipped = [s for s in report.skipped if s.span.start == at(3, 10, 8)]
    assert [(s.reason, s.blocking.id) for s in skipped] == [("exists", eight.id)]
    assert stays.id in {s.id for s in report.kept}
    assert by_start(world, series)[at(3, 17, 8)].schedule_item_id == "nine"  # the others moved


def test_an_rdate_before_the_weekly_start_is_generated(world: World) -> None:
    # The generation began at the rule's first start, so an introductory session given as
    # an RDATE before it was in the recurrence and never in the series, by create or top-up.
    intro = date(2026, 3, 4)  # a Wednesday; the weekly class begins Monday 9 March
    rec = Recurrence.weekly(
        days=("MO",),
        at=time(10),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2026, 3, 9),
        until=date(2026, 3, 31),
        rdates=[intro],
    )
    series, report = world.kit.series.create(
        T, actor="u1", title="Chem", items=[ScheduleItem("mo", rec, [ANA])]
    )
    wanted = [o.span.start for o in rec.between(at(3, 1, 0), at(4, 1, 0))]
    assert [s.start for s in report.created] == wanted
    assert min(by_start(world, series)) == datetime(2026, 3, 4, 9, tzinfo=UTC)


@pytest.mark.parametrize("effective_from", [None, at(6, 1, 0)], ids=["now", "after the window"])
def test_a_schedule_starting_after_latest_is_refused_whenever_it_takes_effect(
    world: World, effective_from: datetime | None
) -> None:
    """As ``create`` refuses it. Effective at once, it was taken: it deleted the generated
    sessions, made none, and the series failed every top-up after (a helper's find)."""
    series = create(world)
    kept = [s.id for s in sessions(world, series)]
    far = Recurrence.weekly(
        days=("MO",), at=time(18), duration=timedelta(hours=1), tz="UTC", start=date(9100, 1, 1)
    )
    with pytest.raises(InvalidValue) as info:
        world.kit.series.change_schedule(
            T,
            series.id,
            actor="u1",
            items=[ScheduleItem("far", far, [ANA])],
            effective_from=effective_from,
        )
    assert info.value.value == far.start
    assert [s.id for s in sessions(world, series)] == kept
    assert world.kit.queries.get_series(T, series.id).items == series.items
    assert not world.kit.series.top_up(T, actor="cron").failed


def test_a_kept_session_put_back_on_the_schedule_stands_for_its_occurrence_again(
    world: World,
) -> None:
    """Found by the stateful test: a cancelled session kept off the schedule (keyed to the
    occurrence it stands for), then put back on it by a later change, takes its own start
    as its key again and is no orphan; no second session is made at its start."""
    series = create(world, ScheduleItem("tu", weekly(["TU"], 9), [ANA]))
    tuesday = next(s for s in sessions(world, series) if s.start == at(3, 3, 9))
    world.kit.sessions.cancel(T, tuesday.id, actor="u1", reason="r")
    moved = world.kit.series.change_schedule(
        T,
        series.id,
        actor="u1",
        items=[ScheduleItem("tu", weekly(["TU"], 10, minutes=45), [ANA])],
        effective_from=NOW,
    )
    assert tuesday.id in {o.session.id for o in moved.orphans}
    assert world.kit.queries.get(T, tuesday.id).occurrence_key == datetime(2026, 3, 3, 10)
    back = world.kit.series.change_schedule(
        T, series.id, actor="u1", items=[ScheduleItem("tu", weekly(["TU"], 9), [ANA])]
    )
    assert tuesday.id not in {o.session.id for o in back.orphans}
    kept = world.kit.queries.get(T, tuesday.id)
    assert (kept.status, kept.occurrence_key) == ("CANCELED", datetime(2026, 3, 3, 9))
    assert [s.id for s in sessions(world, series) if s.start == at(3, 3, 9)] == [tuesday.id]
