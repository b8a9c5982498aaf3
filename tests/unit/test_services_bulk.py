"""create_many: many series in one unit of work, equal to creating them one by one."""

from __future__ import annotations

import gc
import itertools
import os
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.errors import DuplicateSeries, InvalidValue, UnknownLifecycle, WrongType
from sessionkit.model import ResourceRef, ScheduleItem, SessionQuery
from sessionkit.model.events import DomainEvent
from sessionkit.model.series import Series
from sessionkit.recurrence import Recurrence
from sessionkit.services import MaterialiseReport, SeriesSpec, SessionKit
from sessionkit.services.bulk import create_many_in
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)  # Monday 09:00 in Berlin
ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")
CEM = ResourceRef("teacher", "cem")
ROOM = ResourceRef("room", "lab")
Created = list[tuple[Series, MaterialiseReport]]
POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


def weekly(days: Sequence[str], hour: int, minute: int = 0, *, minutes: int = 90) -> Recurrence:
    return Recurrence.weekly(
        days=tuple(days),
        at=time(hour, minute),
        duration=timedelta(minutes=minutes),
        tz="Europe/Berlin",
        start=date(2026, 2, 1),
    )


def spec(series_id: str | None, *items: ScheduleItem) -> SeriesSpec:
    return SeriesSpec(title=f"Class {series_id}", items=items, series_id=series_id)


class World:
    """A kit over one store with counted ids, and what it published."""

    def __init__(self, kit: SessionKit, events: RecordingPublisher) -> None:
        self.kit = kit
        self.events = events

    def sessions(self) -> list[object]:
        page = self.kit.queries.list(T, SessionQuery(limit=1000))
        assert page.total < 1000
        return list(page.items)


def memory_world() -> World:
    harness = Harness.in_memory(NOW, id_prefix="id")
    return World(harness.kit, harness.events)


def sql_world(engine: Engine) -> World:
    clear_tables(engine)
    events = RecordingPublisher()
    counter = itertools.count(1)
    kit = SessionKit(
        uow=SqlAlchemyStore(engine, publisher=events).unit_of_work,
        clock=ManualClock(NOW),
        ids=lambda: f"id{next(counter)}",
    )
    return World(kit, events)


def sqlite_world() -> World:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    return sql_world(engine)


@pytest.fixture(scope="module")
def postgres_pair() -> Iterator[tuple[Engine, Engine]]:
    """Two schemas, so a sequential and a bulk world can live side by side."""
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run create_many on PostgreSQL")
    with postgres_schema(POSTGRES_URL) as first, postgres_schema(POSTGRES_URL) as second:
        yield first, second


@pytest.fixture(scope="module")
def mysql_pair() -> Iterator[tuple[Engine, Engine]]:
    """Two databases, so a sequential and a bulk world can live side by side."""
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run create_many on MySQL/MariaDB")
    with mysql_database(MYSQL_URL) as first, mysql_database(MYSQL_URL) as second:
        yield first, second


@pytest.fixture(params=["memory", "sqlite", "postgres", "mysql"])
def make_world(request: pytest.FixtureRequest) -> Callable[[], World]:
    if request.param == "memory":
        return memory_world
    if request.param == "sqlite":
        return sqlite_world
    engines = itertools.cycle(request.getfixturevalue(f"{request.param}_pair"))
    return lambda: sql_world(next(engines))


def one_by_one(world: World, specs: Sequence[SeriesSpec]) -> Created:
    return [
        world.kit.series.create(
            T,
            actor="admin",
            title=s.title,
            items=s.items,
            lifecycle=s.lifecycle,
            window=s.window,
            capacity=s.capacity,
            metadata=s.metadata,
            series_id=s.series_id,
        )
        for s in specs
    ]


def assert_same_as_one_by_one(
    make_world: Callable[[], World],
    specs: Sequence[SeriesSpec],
    before: Callable[[World], object] = lambda _world: None,
) -> Created:
    sequential, bulk = make_world(), make_world()
    before(sequential)
    before(bulk)
    sequential.events.clear()
    bulk.events.clear()
    expected = one_by_one(sequential, specs)
    got = bulk.kit.series.create_many(T, actor="admin", specs=specs)
    assert got == expected
    assert bulk.sessions() == sequential.sessions()
    assert bulk.events.events == sequential.events.events
    assert len(bulk.events.batches) == 1
    return got


def test_series_that_collide_with_earlier_ones_are_skipped_as_one_by_one(
    make_world: Callable[[], World],
) -> None:
    specs = [
        spec("chem", ScheduleItem("mo-we", weekly(("MO", "WE"), 18), (ANA,))),
        # Collides with chem on Mondays only.
        spec("phys", ScheduleItem("mo-fr", weekly(("MO", "FR"), 18, 30), (ANA, ROOM))),
        # Collides with phys on Fridays through the shared lab, with nobody on Mondays.
        spec("bio", ScheduleItem("fr", weekly(("FR",), 19), (BEN, ROOM))),
        # Its own items collide: the second one is skipped where the first holds ana.
        spec(
            None,
            ScheduleItem("a", weekly(("TU",), 10), (ANA,)),
            ScheduleItem("b", weekly(("TU",), 11), (ANA, CEM)),
        ),
    ]
    made = assert_same_as_one_by_one(make_world, specs)
    phys, bio, generated = made[1][1], made[2][1], made[3]
    assert {s.blocking.series_id for s in phys.conflicts} == {"chem"}
    assert {s.blocking.series_id for s in bio.conflicts} == {"phys"}
    assert {s.item_id for s in generated[1].conflicts} == {"b"}
    assert {s.schedule_item_id for s in generated[1].created} == {"a"}


def test_blockers_starting_together_are_reported_as_one_by_one(
    make_world: Callable[[], World],
) -> None:
    def stored(world: World) -> None:
        # A stored session on ben at the first Monday 18:00 with the id "id9": the sessions
        # of "first" below get "id10" on, which sort before it.
        for _ in range(8):
            world.kit.context.ids()
        world.kit.sessions.create_extra(
            T,
            actor="admin",
            start=datetime(2026, 3, 2, 17, tzinfo=UTC),
            end=datetime(2026, 3, 2, 18, tzinfo=UTC),
            resources=[BEN],
            lifecycle="lms",
            title="Stored",
        )

    specs = [
        spec("first", ScheduleItem("mo", weekly(("MO",), 18), (ANA,))),
        spec("both", ScheduleItem("mo", weekly(("MO",), 18), (ANA, BEN))),
    ]
    made = assert_same_as_one_by_one(make_world, specs, stored)
    first_monday = made[1][1].conflicts[0]
    assert (first_monday.blocking.id, first_monday.blocking.series_id) == ("id10", "first")


def test_random_batches_equal_one_by_one(make_world: Callable[[], World]) -> None:
    rng = random.Random(7)
    teachers = [ANA, BEN, CEM, ROOM]
    for _round in range(4):
        specs = []
        for n in range(12):
            items = [
                ScheduleItem(
                    f"i{k}",
                    weekly(
                        rng.sample(["MO", "TU", "WE", "TH", "FR"], 2),
                        rng.randrange(8, 12),
                        rng.choice((0, 30)),
                        minutes=rng.choice((30, 60, 90)),
                    ),
                    tuple(rng.sample(teachers, rng.randrange(1, 3))),
                )
                for k in range(rng.randrange(1, 3))
            ]
            specs.append(spec(f"r{n}" if n % 3 else None, *items))
        made = assert_same_as_one_by_one(make_world, specs)
        assert any(report.conflicts for _, report in made)


def test_an_invalid_spec_stores_nothing(make_world: Callable[[], World]) -> None:
    world = make_world()
    good = spec("good", ScheduleItem("mo", weekly(("MO",), 18), (ANA,)))
    with pytest.raises(InvalidValue):
        world.kit.series.create_many(T, actor="admin", specs=[good, spec("empty")])
    bad = SeriesSpec(title="x", items=good.items, lifecycle="nope")
    with pytest.raises(UnknownLifecycle):
        world.kit.series.create_many(T, actor="admin", specs=[good, bad])
    assert world.sessions() == []
    assert world.events.events == []


def test_a_duplicate_series_id_stores_nothing(make_world: Callable[[], World]) -> None:
    world = make_world()
    good = spec("good", ScheduleItem("mo", weekly(("MO",), 18), (ANA,)))
    other = spec("other", ScheduleItem("tu", weekly(("TU",), 18), (BEN,)))
    with pytest.raises(DuplicateSeries):
        world.kit.series.create_many(T, actor="admin", specs=[other, good, good])
    assert world.sessions() == []
    world.kit.series.create_many(T, actor="admin", specs=[good])
    with pytest.raises(DuplicateSeries):
        world.kit.series.create_many(T, actor="admin", specs=[other, good])
    assert {s.series_id for s in world.sessions()} == {"good"}  # type: ignore[attr-defined]


def test_an_id_repeated_in_the_batch_is_refused_as_such(make_world: Callable[[], World]) -> None:
    """Said to "already exist" (``existing`` a series never stored), while none was stored."""
    world = make_world()
    good = spec("good", ScheduleItem("mo", weekly(("MO",), 18), (ANA,)))
    other = spec("other", ScheduleItem("tu", weekly(("TU",), 18), (BEN,)))
    with pytest.raises(DuplicateSeries) as refused:
        world.kit.series.create_many(T, actor="admin", specs=[good, other, good])
    assert str(refused.value) == (
        "series 'good' is given to more than one spec of the batch; give each series its own id"
    )
    assert (refused.value.series_id, refused.value.existing) == ("good", None)
    assert world.sessions() == []
    assert world.events.events == []


def test_no_specs_create_nothing(make_world: Callable[[], World]) -> None:
    world = make_world()
    assert world.kit.series.create_many(T, actor="admin", specs=[]) == []
    assert world.sessions() == []


@pytest.mark.parametrize("pause", [True, False])
def test_create_many_pauses_the_collector_only_while_it_runs(
    pause: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch runs with the cyclic collector off (unless told not to), restored after."""
    world = memory_world()
    seen: list[bool] = []

    def watched(*args: object, **kwargs: object) -> Created:
        seen.append(gc.isenabled())
        return create_many_in(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("sessionkit.services.series.create_many_in", watched)
    was = gc.isenabled()
    gc.enable()
    try:
        good = spec("good", ScheduleItem("mo", weekly(("MO",), 18), (ANA,)))
        world.kit.series.create_many(T, actor="admin", specs=[good], pause_gc=pause)
        assert seen == [not pause]
        assert gc.isenabled()
        with pytest.raises(DuplicateSeries):
            world.kit.series.create_many(T, actor="admin", specs=[good], pause_gc=pause)
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()


def test_create_many_refuses_a_pause_gc_that_is_not_a_flag() -> None:
    world = memory_world()
    with pytest.raises(WrongType, match="pause_gc"):
        world.kit.series.create_many(T, actor="admin", specs=[], pause_gc="yes")  # type: ignore[arg-type]


def test_create_many_publishes_its_events_with_the_collector_running() -> None:
    """The pause covers planning and writing; event handlers run as they would anyway."""
    seen: list[bool] = []

    class Watching(RecordingPublisher):
        def publish(self, events: Sequence[DomainEvent]) -> None:
            seen.append(gc.isenabled())
            super().publish(events)

    store = InMemoryStore(publisher=Watching())
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
    was = gc.isenabled()
    gc.enable()
    try:
        good = spec("good", ScheduleItem("mo", weekly(("MO",), 18), (ANA,)))
        kit.series.create_many(T, actor="admin", specs=[good])
    finally:
        if not was:
            gc.disable()
    assert seen == [True]
