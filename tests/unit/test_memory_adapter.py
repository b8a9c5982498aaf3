"""What the in-memory adapter does beyond the storage contract: misuse, publishing, internals."""

from __future__ import annotations

import base64
import contextlib
import json
import random
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import cast
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore, MemoryRepository, register
from sessionkit.adapters.memory._sessions import BusyIndex, SeriesMembers
from sessionkit.errors import (
    Duplicate,
    InvalidValue,
    NestedUnitOfWork,
    SessionConflict,
    SessionKitError,
)
from sessionkit.errors._base import duration_text
from sessionkit.model.events import DomainEvent, SeriesClosed
from sessionkit.model.query import Cursor, SessionQuery
from sessionkit.model.session import ResourceRef
from sessionkit.ports import SERIES, SESSIONS, Kind, Repository, UniqueKey
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.contract import T0, TENANT, make_series, make_session
from sessionkit.timespan import TimeSpan

CLOSED = SeriesClosed(tenant=TENANT, actor=None, at=T0, series_id="s", deleted=0, kept=0)


def _snapshot(store: InMemoryStore) -> tuple[object, ...]:
    """Everything the store holds, including what its indexes answer."""
    sessions = store._tables[SESSIONS.name]
    busy = cast("BusyIndex", sessions.named["busy"]).conflicts
    members = cast("SeriesMembers", sessions.named["series"]).members
    indexed = sorted((key, busy.span_of(key)) for key in busy._items)
    everything = TimeSpan(T0 - timedelta(days=1), T0 + timedelta(days=2))
    lanes = {
        name: sorted(busy.conflicts_with(everything, [(TENANT, ResourceRef("teacher", name))]))
        for name in ("ana", "ben", "cy")
    }
    return (
        {t: dict(rows) for t, rows in sessions.rows.items()},
        {name: index.snapshot() for name, index in sessions.unique.items()},
        {k: set(v) for k, v in members.items()},
        indexed,
        lanes,
        {t: dict(rows) for t, rows in store._tables[SERIES.name].rows.items()},
    )


class FailingPublisher:
    def __init__(self) -> None:
        self.calls = 0

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.calls += 1
        raise ConnectionError("broker down")


def test_repositories_refuse_use_outside_the_with_block() -> None:
    uow = InMemoryStore().unit_of_work()
    with pytest.raises(RuntimeError, match="with"):
        uow.sessions.get(TENANT, "a")
    with pytest.raises(RuntimeError, match="with"):
        uow.commit()
    with uow:
        pass
    with pytest.raises(RuntimeError, match="with"):
        uow.series.active()


def test_a_unit_of_work_is_entered_once() -> None:
    uow = InMemoryStore().unit_of_work()
    with uow:
        pass
    with pytest.raises(RuntimeError, match="used once"), uow:
        pass


def test_nesting_in_one_thread_fails_fast_and_leaves_the_outer_unit_working() -> None:
    store = InMemoryStore()
    with store.unit_of_work() as outer:
        outer.sessions.add(make_session("a"))
        with pytest.raises(NestedUnitOfWork, match="already has a unit of work") as caught:
            store.unit_of_work().__enter__()
        assert isinstance(caught.value, RuntimeError)
        outer.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "a").id == "a"


def test_other_threads_wait_for_the_open_unit() -> None:
    store = InMemoryStore()
    order: list[str] = []
    entered = threading.Event()

    def other() -> None:
        entered.wait(5)
        with store.unit_of_work() as uow:
            order.append("other")
            uow.sessions.get(TENANT, "a")

    thread = threading.Thread(target=other)
    with store.unit_of_work() as uow:
        thread.start()
        entered.set()
        threading.Event().wait(0.05)
        uow.sessions.add(make_session("a"))
        order.append("first")
        uow.commit()
    thread.join(5)
    assert order == ["first", "other"]


def test_a_unit_left_in_another_thread_frees_the_store_for_every_thread() -> None:
    # A web framework may run a dependency's set-up and tear-down on two threads of its
    # pool. The store's lock was an RLock, which refuses a release by another thread:
    # leaving the unit raised RuntimeError and the store stayed locked for good.
    store = InMemoryStore()
    entering, leaving, third = (ThreadPoolExecutor(1) for _ in range(3))
    try:
        uow = store.unit_of_work()
        entering.submit(uow.__enter__).result(timeout=5)
        uow.sessions.add(make_session("a"))
        uow.commit()
        leaving.submit(uow.__exit__, None, None, None).result(timeout=5)

        def read() -> list[str]:
            with store.unit_of_work() as later:
                return [s.id for s in later.sessions.query(TENANT, SessionQuery()).items]

        for pool in (third, entering, leaving):
            assert pool.submit(read).result(timeout=5) == ["a"]
    finally:
        for pool in (entering, leaving, third):
            pool.shutdown(wait=False, cancel_futures=True)
    with store.unit_of_work(), pytest.raises(NestedUnitOfWork):  # still refused in one thread
        store.unit_of_work().__enter__()


def test_reads_return_the_stored_objects_themselves() -> None:
    store = InMemoryStore()
    session = make_session("a")
    with store.unit_of_work() as uow:
        uow.sessions.add(session)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "a") is session
        assert uow.sessions.query(TENANT, SessionQuery()).items[0] is session


def test_a_failing_publisher_does_not_undo_the_commit() -> None:
    publisher = FailingPublisher()
    store = InMemoryStore(publisher)

    def two_commits() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("a"))
            uow.collect([CLOSED])
            uow.commit()
            uow.collect([CLOSED])
            uow.commit()
            assert publisher.calls == 0  # nothing is published inside the block

    with pytest.raises(ConnectionError):
        two_commits()
    assert publisher.calls == 2  # the first failure did not stop the second batch
    with store.unit_of_work() as uow:  # the lock was released, the write kept
        assert uow.sessions.get(TENANT, "a").id == "a"


def test_without_a_publisher_events_are_dropped_after_commit() -> None:
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        uow.collect([CLOSED])
        uow.commit()


def test_each_commit_publishes_its_own_batch() -> None:
    publisher = RecordingPublisher()
    store = InMemoryStore(publisher)
    with store.unit_of_work() as uow:
        uow.collect([CLOSED])
        uow.commit()
        uow.sessions.add(make_session("a"))
        uow.collect([CLOSED, CLOSED])
        uow.commit()
        uow.sessions.add(make_session("b", at=1))
        uow.collect([CLOSED])  # never committed
    assert [len(batch) for batch in publisher.batches] == [1, 2]
    assert publisher.of_type(SeriesClosed) == [CLOSED] * 3
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.query(TENANT, SessionQuery()).items] == ["a"]


def test_stores_are_independent() -> None:
    one, two = InMemoryStore(), InMemoryStore()
    with one.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.commit()
    with two.unit_of_work() as uow:
        assert uow.sessions.get_many(TENANT, ["a"]) == []


def test_rollback_restores_every_table_and_index_exactly() -> None:
    rng = random.Random(5)
    store = InMemoryStore()
    teachers = [ResourceRef("teacher", name) for name in ("ana", "ben", "cy")]
    with store.unit_of_work() as uow:
        uow.series.add(make_series("series-1"))
        for n in range(40):
            session = make_session(
                f"s{n}",
                at=rng.randrange(0, 60) / 2,
                resources=rng.sample(teachers, rng.randrange(0, 3)),
                series_id=rng.choice([None, "series-1"]),
                busy=rng.random() < 0.7,
            )
            with contextlib.suppress(SessionKitError):  # a clash or a repeated key: skip it
                uow.sessions.add(session)
        uow.commit()
    before = _snapshot(store)
    assert before[3], "the scenario should index some busy sessions"
    with store.unit_of_work() as uow:
        for _ in range(200):
            stored = uow.sessions.query(TENANT, SessionQuery(limit=1000)).items
            action = rng.random() if stored else 1.0
            victim = rng.choice(stored) if stored else None
            try:
                if victim is not None and action < 0.3:
                    uow.sessions.delete(TENANT, victim.id, expected_version=victim.version)
                elif victim is not None and action < 0.7:
                    moved = victim.span.shift(rng.choice([-1, 1]) * (victim.span.duration / 2))
                    flipped = attrs.evolve(victim, span=moved, busy=not victim.busy)
                    uow.sessions.update(flipped, expected_version=victim.version)
                else:
                    fresh = make_session(f"new{rng.randrange(10**6)}", at=rng.randrange(0, 60) / 2)
                    gap = timedelta(minutes=rng.choice([30, 60]))  # a clash half the time
                    twin = attrs.evolve(fresh, id=fresh.id + "b", span=fresh.span.shift(gap))
                    uow.sessions.add_many([fresh, twin])
            except SessionKitError:
                pass
        assert _snapshot(store) != before
        uow.rollback()
        assert _snapshot(store) == before
    assert _snapshot(store) == before


def test_add_many_undoes_its_own_part_only() -> None:
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("kept", at=5))
        with pytest.raises(SessionConflict):
            uow.sessions.add_many([make_session("a"), make_session("b", at=0.5)])
        busy = cast("BusyIndex", store._tables[SESSIONS.name].named["busy"])
        assert (
            busy.overlapping(TENANT, make_session("x").span, [ResourceRef("teacher", "ana")]) == []
        )
        uow.commit()
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.query(TENANT, SessionQuery()).items] == ["kept"]


def test_search_folds_case_fully_and_due_takes_one_status_string() -> None:
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a", title="Straße"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.query(TENANT, SessionQuery(search="STRASSE")).total == 1
        due = uow.sessions.due(TENANT, statuses="SCHEDULED", start_before=T0.replace(hour=12))
        assert [s.id for s in due] == ["a"]


def test_a_cursor_without_a_value_is_refused() -> None:
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        payload = {"o": [["start", "asc"]], "v": [None], "i": "a"}
        after = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
        with pytest.raises(InvalidValue, match="not a cursor"):
            uow.sessions.query(TENANT, SessionQuery(after=after))
        wrong = Cursor((("start", "asc"),), (), "a").encode()
        with pytest.raises(InvalidValue, match="not a cursor"):
            uow.sessions.query(TENANT, SessionQuery(after=wrong))


def test_manual_clock_is_aware_only_and_moves_when_told() -> None:
    clock = ManualClock(T0)
    assert clock.now() == T0
    clock.advance(T0 - T0.replace(hour=8))
    assert clock.now() == T0.replace(hour=10)
    clock.set(T0)
    assert clock.now() == T0
    with pytest.raises(InvalidValue):
        clock.set(T0.replace(tzinfo=None))
    with pytest.raises(TypeError):
        clock.advance(1)  # type: ignore[arg-type]
    assert repr(clock) == "ManualClock(2026-03-02T09:00:00+00:00)"
    assert ManualClock().now().tzinfo is not None


_BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("start", "delta", "then"),
    [
        # Spring forward: 24 hours later the wall clock reads 13:00, not 12:00.
        (datetime(2026, 3, 28, 12, tzinfo=_BERLIN), timedelta(hours=24), (2026, 3, 29, 13, 0, 0)),
        # Fall back: two hours from 01:30 CEST is 02:30 CET, the second 02:30 of the night.
        (
            datetime(2026, 10, 25, 1, 30, tzinfo=_BERLIN),
            timedelta(hours=2),
            (2026, 10, 25, 2, 30, 1),
        ),
        (datetime(2026, 10, 25, 3, tzinfo=_BERLIN), timedelta(hours=-2), (2026, 10, 25, 2, 0, 0)),
    ],
)
def test_manual_clock_advances_by_elapsed_time_across_a_dst_change(
    start: datetime, delta: timedelta, then: tuple[int, int, int, int, int, int]
) -> None:
    clock = ManualClock(start)
    moved = clock.advance(delta)
    assert moved.astimezone(UTC) - start.astimezone(UTC) == delta
    assert (moved.year, moved.month, moved.day, moved.hour, moved.minute, moved.fold) == then
    assert moved.tzinfo is _BERLIN
    assert clock.now() == moved


@pytest.mark.parametrize(
    ("start", "delta"),
    [
        (T0, timedelta(days=3_000_000)),
        (T0, -timedelta(days=800_000)),
        (T0, timedelta.max),
        (datetime.max.replace(tzinfo=UTC), timedelta(microseconds=1)),
        # In UTC the instant exists, but not on Kiritimati's wall clock (+14:00).
        (datetime(9999, 12, 31, 20, tzinfo=ZoneInfo("Pacific/Kiritimati")), timedelta(hours=4)),
    ],
)
def test_manual_clock_refuses_to_leave_the_datetimes_and_stays_put(
    start: datetime, delta: timedelta
) -> None:
    clock = ManualClock(start)
    with pytest.raises(InvalidValue) as caught:
        clock.advance(delta)
    assert caught.value.value == delta
    assert f"ManualClock.advance({duration_text(delta)}): from {start.isoformat()}" in str(
        caught.value
    )
    assert clock.now() == start
    assert clock.now().tzinfo is start.tzinfo


def test_manual_clock_holds_only_instants_its_constructor_and_set_accept() -> None:
    # set() and the constructor refuse an instant with no UTC equivalent; advance never makes one.
    edge = datetime(1, 1, 1, 15, tzinfo=timezone(timedelta(hours=14)))  # 01:00 UTC
    clock = ManualClock(edge)
    with pytest.raises(InvalidValue):
        clock.advance(-timedelta(hours=2))
    with pytest.raises(InvalidValue):
        clock.set(edge - timedelta(hours=2))
    with pytest.raises(InvalidValue):
        ManualClock(edge - timedelta(hours=2))
    assert clock.advance(-timedelta(hours=1)) == datetime(1, 1, 1, 0, tzinfo=UTC)


def test_recording_publisher_clears() -> None:
    publisher = RecordingPublisher()
    publisher.publish([CLOSED])
    publisher.clear()
    assert (publisher.events, publisher.batches) == ([], [])


@attrs.frozen
class Note:
    id: str
    tenant: str
    ref: str | None
    version: int = 1


NOTES: Kind[Repository[Note]] = Kind("note", Note, unique=(UniqueKey("ref", ("ref",)),))


def test_any_kind_is_stored_with_no_registration() -> None:
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        notes = uow.repository(NOTES)
        assert isinstance(notes, MemoryRepository)
        assert type(notes) is MemoryRepository
        notes.add_many([Note("a", TENANT, None), Note("b", TENANT, None), Note("c", TENANT, "r")])
        with pytest.raises(Duplicate) as caught:  # None is not indexed; "r" is
            notes.add(Note("d", TENANT, "r"))
        assert (caught.value.kind, caught.value.key, caught.value.existing) == (
            "note",
            "ref",
            Note("c", TENANT, "r"),
        )
        notes.add(Note("d", "globex", "r"))  # unique per tenant
        uow.commit()
    with store.unit_of_work() as uow:
        assert [n.id for n in uow.repository(NOTES).get_many(TENANT, "abcd")] == ["a", "b", "c"]


def test_a_registered_kind_gets_its_own_repository() -> None:
    class Pinned(MemoryRepository[Note]):
        def pinned(self, tenant: str) -> list[str]:
            return sorted(self.table.of(tenant))

    pinned: Kind[Pinned] = Kind("pinned-note", Note)
    register(pinned, Pinned)
    with InMemoryStore().unit_of_work() as uow:
        repository = uow.repository(pinned)
        assert repository is uow.repository(pinned)
        repository.add(Note("b", TENANT, None))
        repository.add(Note("a", TENANT, None))
        assert repository.pinned(TENANT) == ["a", "b"]


def test_an_event_handler_may_open_a_unit_of_work() -> None:
    seen: list[int] = []

    class Reader:
        def publish(self, events: Sequence[DomainEvent]) -> None:
            with store.unit_of_work() as uow:
                seen.append(uow.sessions.query(TENANT, SessionQuery()).total)

    store = InMemoryStore(Reader())
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.collect([CLOSED])
        uow.commit()
        assert seen == []
    assert seen == [1]
