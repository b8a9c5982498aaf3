"""The contract for units of work: visibility, commit, rollback, and publishing events."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest

from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSession,
    SeriesNotFound,
    SessionConflict,
)
from sessionkit.model.events import DomainEvent, SessionDeleted
from sessionkit.model.query import SessionQuery
from sessionkit.model.series import SeriesStatus
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.testing.contract._support import (
    ANA,
    OTHER_TENANT,
    T0,
    TENANT,
    ContractBase,
    _at,
    _event,
    _ids,
    make_series,
    make_session,
)
from sessionkit.timespan import TimeSpan


class UnitOfWorkContract(ContractBase):
    """What a unit of work promises: its own writes, commit, rollback, and events after commit."""

    # ------------------------------------------------------------------ unit of work

    def test_writes_are_visible_in_their_unit_before_the_commit(
        self, store: UnitOfWorkFactory
    ) -> None:
        """A unit of work reads its own writes; without a commit they vanish."""
        with store() as uow:
            uow.sessions.add(make_session("a"))
            assert uow.sessions.get(TENANT, "a").id == "a"
            assert uow.sessions.query(TENANT, SessionQuery()).total == 1
        assert self.stored(store) == []

    def test_an_exception_rolls_everything_back(self, store: UnitOfWorkFactory) -> None:
        """An exception undoes every kind of write, including the conflict bookkeeping."""
        a = make_session("a", at=0, series_id="series-1")
        b = make_session("b", at=1, series_id="series-1")
        self.given(store, a, b)

        def doomed() -> None:
            with store() as uow:
                uow.sessions.update(attrs.evolve(a, title="changed"), expected_version=1)
                uow.sessions.delete(TENANT, "b", expected_version=1)
                uow.sessions.add(
                    make_session("c", at=1, series_id="series-1", key=b.occurrence_key)
                )
                uow.sessions.add_many([make_session("d", at=3), make_session("e", at=4)])
                uow.series.add(make_series("series-9"))
                series = uow.series.get(TENANT, "series-1")
                closed = attrs.evolve(series, status=SeriesStatus.CLOSED)
                uow.series.update(closed, expected_version=1)
                raise KeyError("boom")

        with pytest.raises(KeyError):
            doomed()
        with store() as uow:
            assert uow.sessions.get(TENANT, "a") == a
            assert uow.sessions.get(TENANT, "b") == b
            assert uow.sessions.get_many(TENANT, ["c", "d", "e"]) == []
            assert [s.id for s in uow.series.active(TENANT)] == ["series-1"]
            assert uow.series.get(TENANT, "series-1").version == 1
            span = TimeSpan(_at(-1), _at(10))
            found = uow.sessions.busy_overlapping(TENANT, resources=[ANA], span=span)
            assert _ids(found) == ["a", "b"]

    def test_leaving_without_commit_rolls_back(self, store: UnitOfWorkFactory) -> None:
        """Leaving the block without ``commit`` stores nothing."""
        with store() as uow:
            uow.series.add(make_series("series-1"))
            uow.sessions.add(make_session("a", series_id="series-1"))
        with store() as uow:
            with pytest.raises(SeriesNotFound):
                uow.series.get(TENANT, "series-1")
            # The rolled-back session left no trace in the conflict checks either.
            uow.sessions.add(make_session("b"))
            uow.commit()
        assert self.stored(store) == ["b"]

    def test_rollback_discards_the_writes_since_the_last_commit(
        self, store: UnitOfWorkFactory
    ) -> None:
        """``rollback`` undoes the writes so far; the unit can go on and commit."""
        with store() as uow:
            uow.sessions.add(make_session("a", at=0))
            uow.rollback()
            uow.sessions.add(make_session("b", at=0))
            uow.commit()
        assert self.stored(store) == ["b"]

    def test_a_failed_write_keeps_the_unit_usable(self, store: UnitOfWorkFactory) -> None:
        """A refused write changes nothing, and earlier and later writes still commit."""
        self.given(store, make_session("a", at=0))
        with store() as uow:
            uow.sessions.add(make_session("b", at=1))
            with pytest.raises(SessionConflict):
                uow.sessions.add(make_session("clash", at=0.5))
            with pytest.raises(DuplicateSession):
                uow.sessions.add(make_session("a", at=5))
            with pytest.raises(ConcurrentModification):
                uow.sessions.delete(TENANT, "a", expected_version=3)
            uow.sessions.add(make_session("c", at=2))
            uow.commit()
        assert self.stored(store) == ["a", "b", "c"]

    def test_commit_makes_writes_visible_to_later_units(self, store: UnitOfWorkFactory) -> None:
        """Committed writes are seen by the next unit of work."""
        with store() as uow:
            uow.sessions.add(make_session("a"))
            uow.commit()
        with store() as uow:
            assert uow.sessions.get(TENANT, "a").id == "a"

    # ------------------------------------------------------------------ events

    def test_events_are_published_after_the_commit_in_order(
        self, store: UnitOfWorkFactory, publisher: RecordingPublisher
    ) -> None:
        """Committed events are published in the order collected, once the unit closed."""
        a, b = make_session("a"), make_session("b", at=1)
        events = [_event(session=a), _event(session=b), _event()]
        with store() as uow:
            uow.sessions.add(a)
            uow.collect(events[:2])
            uow.sessions.add(b)
            uow.collect(iter(events[2:]))
            assert publisher.events == []
            uow.commit()
            if "events_after_close" not in self.pending:
                assert publisher.events == []
        assert publisher.events == events

    def test_an_event_handler_may_read_through_the_store(
        self, publisher: RecordingPublisher
    ) -> None:
        """Events arrive after the unit closed, so a handler may open a unit of its own."""
        self.needs("events_after_close")
        seen: list[str] = []

        class Reading:
            def publish(self, events: Sequence[DomainEvent]) -> None:
                publisher.publish(events)
                with factory() as uow:
                    seen.extend(s.id for s in uow.sessions.get_many(TENANT, ["a", "b"]))

        factory = self.made_store(Reading())
        try:
            with factory() as uow:
                uow.sessions.add(make_session("a"))
                uow.collect([_event()])
                uow.commit()
                uow.sessions.add(make_session("b", at=1))
                uow.collect([_event(OTHER_TENANT)])
                uow.commit()
            assert seen == ["a", "b", "a", "b"]
            assert publisher.batches == [(_event(),), (_event(OTHER_TENANT),)]
        finally:
            self.dispose_store(factory)

    def test_a_failing_publisher_keeps_the_commit_and_its_error_reaches_the_caller(
        self, publisher: RecordingPublisher
    ) -> None:
        """A raising publisher: the commits stand, later batches go out, the caller gets the error.

        Swallowing the publisher's error would lose events silently; undoing the
        commit would lose the writes the events describe.
        """

        class BrokerDown(Exception):
            pass

        class Failing:
            def publish(self, events: Sequence[DomainEvent]) -> None:
                publisher.publish(events)
                raise BrokerDown("the broker is down")

        def commit_twice() -> None:
            with factory() as uow:
                uow.sessions.add(make_session("a"))
                uow.collect([_event()])
                uow.commit()
                # Where events go out at the commit, the error has already left the block.
                uow.sessions.add(make_session("b", at=1))
                uow.collect([_event(OTHER_TENANT)])
                uow.commit()

        factory = self.made_store(Failing())
        try:
            with pytest.raises(BrokerDown):
                commit_twice()
            if "events_after_close" in self.pending:
                assert (publisher.batches, self.stored(factory)) == ([(_event(),)], ["a"])
            else:
                assert publisher.batches == [(_event(),), (_event(OTHER_TENANT),)]
                assert self.stored(factory) == ["a", "b"]
        finally:
            self.dispose_store(factory)

    def test_events_of_earlier_commits_survive_a_later_exception(
        self, store: UnitOfWorkFactory, publisher: RecordingPublisher
    ) -> None:
        """An exception after a commit still publishes that commit's events, and no later ones."""
        self.needs("events_after_close")
        kept = _event()

        def doomed() -> None:
            with store() as uow:
                uow.sessions.add(make_session("a"))
                uow.collect([kept])
                uow.commit()
                uow.collect([_event(OTHER_TENANT)])
                raise KeyError("boom")

        with pytest.raises(KeyError):
            doomed()
        assert publisher.events == [kept]
        assert self.stored(store) == ["a"]

    def test_events_are_dropped_on_rollback(
        self, store: UnitOfWorkFactory, publisher: RecordingPublisher
    ) -> None:
        """Events of a rolled-back unit (or part of one) are never published."""

        def doomed() -> None:
            with store() as uow:
                uow.collect([_event()])
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            doomed()
        with store() as uow:
            uow.collect([_event()])
        with store() as uow:
            uow.collect([_event(OTHER_TENANT)])
            uow.rollback()
            deleted = SessionDeleted(tenant=TENANT, actor=None, at=T0, session=make_session("z"))
            uow.collect([deleted])
            uow.commit()
        assert publisher.events == [deleted]

    def test_a_commit_without_events_publishes_nothing(
        self, store: UnitOfWorkFactory, publisher: RecordingPublisher
    ) -> None:
        """A commit with no events collected publishes nothing."""
        with store() as uow:
            uow.sessions.add(make_session("a"))
            uow.commit()
        assert publisher.events == []
