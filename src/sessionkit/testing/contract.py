"""The storage contract: one pytest suite every storage adapter must pass unchanged.

Subclass :class:`StorageContract` once per adapter and implement
:meth:`~StorageContract.make_store`; pytest collects the subclass (name it
``Test...``) and runs every behaviour the ports promise against it::

    from sessionkit.adapters.memory import InMemoryStore
    from sessionkit.testing.contract import StorageContract

    class TestMemoryStore(StorageContract):
        def make_store(self, publisher):
            return InMemoryStore(publisher).unit_of_work

Needs only the standard library and pytest. The suite pins down the details
the port docstrings leave to "see the contract":

- Ids are scoped by tenant: another tenant may use the same session or series
  id, and nothing either does is visible to the other.
- Sessions that share a sort value are ordered by id, in the same direction as
  the sort; ``sort="updated"`` reads a never-updated session's ``updated_at``
  as its ``created_at``. A cursor continues strictly after ``(value, id)``.
- A failed write (duplicate, conflict, stale version, missing id) changes
  nothing, and the unit of work stays usable: earlier writes are still there
  to commit (a database adapter uses a savepoint per write).
- ``get_many`` returns each found id once, in the order first asked.
- Events reach the publisher only from a successful ``commit``, in the order
  collected; a rolled-back unit of work publishes nothing.

Sessions are stored with their series present (the suite adds the series
first), so an adapter may enforce a foreign key from sessions to series.
Optional behaviour is gated by the capability flags on the class.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

import attrs
import pytest

from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSession,
    SeriesNotFound,
    SessionConflict,
    SessionNotFound,
)
from sessionkit.model.events import DomainEvent, SeriesClosed, SessionCreated, SessionDeleted
from sessionkit.model.query import SessionQuery, SortField
from sessionkit.model.series import ScheduleItem, Series, SeriesStatus
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import EventPublisher, UnitOfWork, UnitOfWorkFactory
from sessionkit.recurrence import Recurrence
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.timespan import TimeSpan

__all__ = [
    "OTHER_TENANT",
    "T0",
    "TENANT",
    "StorageContract",
    "make_series",
    "make_session",
]

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
"""The instant the suite's sessions are placed around (a Monday, 09:00 UTC)."""
TENANT = "acme"
"""The tenant most tests work in."""
OTHER_TENANT = "globex"
"""A second tenant, which must never see or touch the first one's data."""

ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")
ROOM = ResourceRef("room", "r1")


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def make_session(
    session_id: str,
    *,
    tenant: str = TENANT,
    at: float = 0.0,
    hours: float = 1.0,
    resources: Iterable[ResourceRef | str] = (ANA,),
    busy: bool = True,
    series_id: str | None = None,
    key: datetime | None = None,
    is_extra: bool = False,
    status: str = "SCHEDULED",
    title: str | None = None,
    created: float = -100.0,
    updated: float | None = None,
    version: int = 1,
    metadata: Mapping[str, Any] | None = None,
) -> Session:
    """Return a session starting ``at`` hours after :data:`T0` and lasting ``hours``.

    A session of a series that is not an extra gets its start (naive UTC) as
    occurrence key unless ``key`` is given. ``created``/``updated`` are hours
    after :data:`T0` too.
    """
    start = _at(at)
    if series_id is not None and not is_extra and key is None:
        key = start.replace(tzinfo=None)
    return Session(
        id=session_id,
        tenant=tenant,
        title=session_id if title is None else title,
        span=TimeSpan(start, start + timedelta(hours=hours)),
        tz="UTC",
        status=status,
        lifecycle="lms",
        busy=busy,
        created_at=_at(created),
        created_by="contract",
        resources=tuple(resources),
        series_id=series_id,
        schedule_item_id=None if series_id is None else "weekly",
        occurrence_key=key,
        is_extra=is_extra,
        version=version,
        updated_at=None if updated is None else _at(updated),
        updated_by=None if updated is None else "contract",
        metadata=metadata,
    )


def make_series(
    series_id: str,
    *,
    tenant: str = TENANT,
    status: SeriesStatus = SeriesStatus.ACTIVE,
    title: str | None = None,
) -> Series:
    """Return a weekly Monday 09:00 UTC series teaching with :data:`ANA`."""
    recurrence = Recurrence.weekly(
        days=("MO",), at=time(9), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
    )
    return Series(
        id=series_id,
        tenant=tenant,
        title=series_id if title is None else title,
        # Series.items has converter=tuple, which mypy's attrs plugin reads as Iterable[_T_co].
        items=(ScheduleItem("weekly", recurrence, (ANA,)),),
        lifecycle="lms",
        created_at=_at(-100),
        created_by="contract",
        status=status,
    )


def _event(tenant: str = TENANT, session: Session | None = None) -> DomainEvent:
    if session is None:
        return SeriesClosed(
            tenant=tenant, actor="contract", at=T0, series_id="s", deleted=0, kept=0
        )
    return SessionCreated(tenant=tenant, actor="contract", at=T0, session=session)


def _ids(sessions: Iterable[Session]) -> list[str]:
    return [s.id for s in sessions]


_SORT_VALUE: dict[SortField, Callable[[Session], datetime]] = {
    "start": lambda s: s.span.start,
    "end": lambda s: s.span.end,
    "created": lambda s: s.created_at,
    "updated": lambda s: s.created_at if s.updated_at is None else s.updated_at,
}
_ORDERINGS = [
    (sort, desc) for sort in ("start", "end", "created", "updated") for desc in (False, True)
]


class StorageContract(abc.ABC):
    """Every behaviour of the storage ports; subclass it and implement :meth:`make_store`.

    Capability flags (override as class attributes):

    - ``concurrent_units``: units of work may run in several threads at once
      against one store (the race tests start threads).
    - ``unicode_search``: title search folds case beyond ASCII (SQLite's
      ``LIKE`` does not).
    """

    concurrent_units: ClassVar[bool] = True
    unicode_search: ClassVar[bool] = True

    @abc.abstractmethod
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        """Return a unit of work factory over a fresh, empty store that publishes to ``publisher``."""  # noqa: E501

    def dispose_store(self, store: UnitOfWorkFactory) -> None:  # noqa: B027  # optional hook
        """Release what :meth:`make_store` acquired (a database, a schema); nothing by default."""

    # ------------------------------------------------------------------ fixtures and helpers

    @pytest.fixture
    def publisher(self) -> RecordingPublisher:
        """The publisher the store under test publishes to."""
        return RecordingPublisher()

    @pytest.fixture
    def store(self, publisher: RecordingPublisher) -> Iterator[UnitOfWorkFactory]:
        """A fresh store, disposed of after the test."""
        factory = self.make_store(publisher)
        try:
            yield factory
        finally:
            self.dispose_store(factory)

    @staticmethod
    def ensure_series(uow: UnitOfWork, sessions: Iterable[Session]) -> None:
        """Add a series for each ``(tenant, series_id)`` of ``sessions`` that is not stored yet."""
        for tenant, series_id in sorted({(s.tenant, s.series_id) for s in sessions if s.series_id}):
            try:
                uow.series.get(tenant, series_id)
            except SeriesNotFound:
                uow.series.add(make_series(series_id, tenant=tenant))

    def given(self, store: UnitOfWorkFactory, *sessions: Session) -> None:
        """Store ``sessions`` (and their series) in one committed unit of work."""
        with store() as uow:
            self.ensure_series(uow, sessions)
            for session in sessions:
                uow.sessions.add(session)
            uow.commit()

    def stored(self, store: UnitOfWorkFactory, tenant: str = TENANT) -> list[str]:
        """Return the ids of every session of ``tenant``, by start then id."""
        with store() as uow:
            page = uow.sessions.query(tenant, SessionQuery(limit=1000))
        assert page.total == len(page.items)
        return _ids(page.items)

    # ------------------------------------------------------------------ get, get_many, add

    def test_add_then_get_returns_an_equal_session(self, store: UnitOfWorkFactory) -> None:
        """Every field survives a round trip, metadata included (JSON-compatible values)."""
        session = make_session(
            "s1",
            series_id="series-1",
            resources=(ANA, ROOM),
            title="Algebra I",
            updated=-50,
            metadata={"room": "A", "seats": 12, "tags": ["x", "y"]},
        )
        self.given(store, session)
        with store() as uow:
            got = uow.sessions.get(TENANT, "s1")
        assert got == session
        assert got.resources == (ROOM, ANA)
        assert dict(got.metadata) == {"room": "A", "seats": 12, "tags": ["x", "y"]}
        assert got.version == 1
        assert got.occurrence_key == session.occurrence_key
        assert got.span.start == session.span.start
        assert got.updated_at == session.updated_at

    def test_extra_session_round_trips(self, store: UnitOfWorkFactory) -> None:
        """Extra sessions (no occurrence key, with or without a series) are stored as given."""
        extra = make_session("x1", series_id="series-1", is_extra=True, busy=False, resources=())
        lone = make_session("x2", is_extra=True, at=3)
        self.given(store, extra, lone)
        with store() as uow:
            assert uow.sessions.get(TENANT, "x1") == extra
            assert uow.sessions.get(TENANT, "x2") == lone

    def test_get_missing_raises_session_not_found(self, store: UnitOfWorkFactory) -> None:
        """``get`` of an unknown id raises SessionNotFound naming the id and tenant."""
        with store() as uow, pytest.raises(SessionNotFound) as caught:
            uow.sessions.get(TENANT, "nope")
        assert isinstance(caught.value, LookupError)
        assert caught.value.session_id == "nope"
        assert caught.value.tenant == TENANT

    def test_get_many_returns_found_ids_in_the_order_asked(self, store: UnitOfWorkFactory) -> None:
        """``get_many`` skips missing ids and returns each found one once, in the order asked."""
        self.given(store, make_session("a", at=0), make_session("b", at=1), make_session("c", at=2))
        with store() as uow:
            got = uow.sessions.get_many(TENANT, ["c", "missing", "a", "c"])
            assert _ids(got) == ["c", "a"]
            assert uow.sessions.get_many(TENANT, []) == []
            assert uow.sessions.get_many(OTHER_TENANT, ["a", "b"]) == []

    def test_add_a_second_session_with_the_same_id(self, store: UnitOfWorkFactory) -> None:
        """A second session with a stored id is a DuplicateSession carrying the stored one."""
        first = make_session("s1")
        self.given(store, first)
        with store() as uow, pytest.raises(DuplicateSession) as caught:
            uow.sessions.add(make_session("s1", at=10, resources=(BEN,)))
        assert isinstance(caught.value, ValueError)
        assert caught.value.session_id == "s1"
        assert caught.value.existing == first
        assert self.stored(store) == ["s1"]

    def test_add_a_second_session_for_one_occurrence(self, store: UnitOfWorkFactory) -> None:
        """A second session for a stored (series, occurrence key) is a DuplicateSession."""
        first = make_session("s1", series_id="series-1")
        self.given(store, first)
        again = make_session("s2", series_id="series-1", key=first.occurrence_key, at=5)
        with store() as uow, pytest.raises(DuplicateSession) as caught:
            uow.sessions.add(again)
        assert caught.value.session_id == "s2"
        assert caught.value.existing == first
        assert self.stored(store) == ["s1"]

    def test_occurrence_keys_are_per_series_and_extras_have_none(
        self, store: UnitOfWorkFactory
    ) -> None:
        """One key may repeat across series, and any number of extras share a series."""
        key = T0.replace(tzinfo=None)
        self.given(
            store,
            make_session("a", series_id="series-1", key=key, busy=False),
            make_session("b", series_id="series-2", key=key, busy=False),
            make_session("x1", series_id="series-1", is_extra=True, busy=False),
            make_session("x2", series_id="series-1", is_extra=True, busy=False),
        )
        assert self.stored(store) == ["a", "b", "x1", "x2"]

    def test_tenants_may_use_the_same_ids_independently(self, store: UnitOfWorkFactory) -> None:
        """Ids are scoped by tenant: the same session and series ids coexist in two tenants."""
        mine = make_session("s1", series_id="series-1", title="mine")
        theirs = make_session("s1", tenant=OTHER_TENANT, series_id="series-1", title="theirs")
        self.given(store, mine, theirs)
        with store() as uow:
            assert uow.sessions.get(TENANT, "s1").title == "mine"
            assert uow.sessions.get(OTHER_TENANT, "s1").title == "theirs"
            assert uow.series.get(OTHER_TENANT, "series-1").tenant == OTHER_TENANT

    # ------------------------------------------------------------------ tenancy

    def test_another_tenants_id_reads_like_a_missing_one(self, store: UnitOfWorkFactory) -> None:
        """Reading another tenant's session or series looks exactly like a missing id."""
        self.given(store, make_session("s1", series_id="series-1"))
        with store() as uow:
            with pytest.raises(SessionNotFound) as caught:
                uow.sessions.get(OTHER_TENANT, "s1")
            assert caught.value.tenant == OTHER_TENANT
            with pytest.raises(SeriesNotFound):
                uow.series.get(OTHER_TENANT, "series-1")
            assert uow.sessions.for_series(OTHER_TENANT, "series-1") == []
            assert uow.series.active(OTHER_TENANT) == []

    def test_another_tenants_id_writes_like_a_missing_one(self, store: UnitOfWorkFactory) -> None:
        """Updating or deleting another tenant's records raises NotFound and changes nothing."""
        session = make_session("s1", series_id="series-1")
        self.given(store, session)
        foreign = attrs.evolve(session, tenant=OTHER_TENANT, title="hijacked")
        with store() as uow:
            with pytest.raises(SessionNotFound):
                uow.sessions.update(foreign, expected_version=1)
            with pytest.raises(SessionNotFound):
                uow.sessions.delete(OTHER_TENANT, "s1", expected_version=1)
            series = make_series("series-1", tenant=OTHER_TENANT)
            with pytest.raises(SeriesNotFound):
                uow.series.update(series, expected_version=1)
            uow.commit()
        with store() as uow:
            assert uow.sessions.get(TENANT, "s1") == session
            assert uow.series.get(TENANT, "series-1").version == 1

    def test_reads_never_leak_another_tenants_sessions(self, store: UnitOfWorkFactory) -> None:
        """query, for_series, busy_overlapping and due only ever see the tenant asked for."""
        self.given(
            store,
            make_session("mine", series_id="series-1", at=0),
            make_session("theirs", tenant=OTHER_TENANT, series_id="series-1", at=0),
        )
        span = TimeSpan(_at(-1), _at(2))
        with store() as uow:
            for tenant, expected in ((TENANT, ["mine"]), (OTHER_TENANT, ["theirs"])):
                page = uow.sessions.query(tenant, SessionQuery())
                assert (_ids(page.items), page.total) == (expected, 1)
                assert _ids(uow.sessions.for_series(tenant, "series-1")) == expected
                found = uow.sessions.busy_overlapping(tenant, resources=[ANA], span=span)
                assert _ids(found) == expected
                due = uow.sessions.due(tenant, statuses=["SCHEDULED"], start_before=_at(5))
                assert _ids(due) == expected
            assert uow.sessions.query("nobody", SessionQuery()).total == 0

    # ------------------------------------------------------------------ conflicts

    def test_overlapping_busy_sessions_on_a_shared_resource_conflict(
        self, store: UnitOfWorkFactory
    ) -> None:
        """Busy sessions overlapping on a shared resource: SessionConflict with the blocker."""
        blocker = make_session("a", at=0, hours=2, resources=(ANA, ROOM))
        self.given(store, blocker)
        late = make_session("b", at=1.5, resources=(BEN, ROOM))
        with store() as uow, pytest.raises(SessionConflict) as caught:
            uow.sessions.add(late)
        assert isinstance(caught.value, ValueError)
        assert caught.value.conflicts == (blocker,)
        assert caught.value.session == late
        assert self.stored(store) == ["a"]

    def test_a_conflict_names_every_blocker_by_start_then_id(
        self, store: UnitOfWorkFactory
    ) -> None:
        """``conflicts`` holds every blocking session, once each, by start then id."""
        self.given(
            store,
            make_session("c", at=2, resources=(ANA,)),
            make_session("b", at=0, resources=(ROOM,)),
            make_session("a", at=0, resources=(ANA,)),
            make_session("far", at=5, resources=(ANA,)),
        )
        wide = make_session("new", at=0, hours=3, resources=(ANA, ROOM))
        with store() as uow, pytest.raises(SessionConflict) as caught:
            uow.sessions.add(wide)
        assert _ids(caught.value.conflicts) == ["a", "b", "c"]

    @pytest.mark.parametrize(
        "new",
        [
            pytest.param(make_session("n", at=-1), id="touching-before"),
            pytest.param(make_session("n", at=1), id="touching-after"),
            pytest.param(make_session("n", at=0.5, busy=False), id="not-busy"),
            pytest.param(make_session("n", at=0.5, resources=(BEN,)), id="other-resource"),
            pytest.param(make_session("n", at=0.5, resources=()), id="no-resources"),
            pytest.param(make_session("n", at=0.5, tenant=OTHER_TENANT), id="other-tenant"),
        ],
    )
    def test_what_does_not_conflict(self, store: UnitOfWorkFactory, new: Session) -> None:
        """Touching spans, non-busy sessions, other resources and other tenants never conflict."""
        self.given(store, make_session("a", at=0))
        with store() as uow:
            uow.sessions.add(new)
            uow.commit()
        with store() as uow:
            assert uow.sessions.get(new.tenant, "n") == new

    def test_a_busy_session_may_overlap_one_that_is_not_busy(
        self, store: UnitOfWorkFactory
    ) -> None:
        """A stored session that is not busy blocks nothing."""
        self.given(store, make_session("canceled", at=0, busy=False, status="CANCELED"))
        self.given(store, make_session("a", at=0))
        assert self.stored(store) == ["a", "canceled"]

    # ------------------------------------------------------------------ add_many

    def test_add_many_stores_every_session(self, store: UnitOfWorkFactory) -> None:
        """``add_many`` stores a batch (and an empty batch is fine)."""
        batch = [make_session(f"s{i}", at=i, series_id="series-1") for i in range(5)]
        with store() as uow:
            self.ensure_series(uow, batch)
            uow.sessions.add_many(batch)
            uow.sessions.add_many([])
            uow.commit()
        with store() as uow:
            assert uow.sessions.for_series(TENANT, "series-1") == batch

    @pytest.mark.parametrize(
        ("bad", "error"),
        [
            (make_session("old", at=20), DuplicateSession),
            (
                make_session(
                    "dup-key", at=20, series_id="series-1", key=_at(-10).replace(tzinfo=None)
                ),
                DuplicateSession,
            ),
            (make_session("s0", at=30), DuplicateSession),
            (make_session("clash-stored", at=-10.5), SessionConflict),
            (make_session("clash-batch", at=0.5), SessionConflict),
        ],
    )
    def test_add_many_is_all_or_none(
        self, store: UnitOfWorkFactory, bad: Session, error: type[Exception]
    ) -> None:
        """One bad session (a duplicate or conflict, with the store or the batch): none stored."""
        self.given(store, make_session("old", at=-10, series_id="series-1"))
        batch = [make_session("s0", at=0), make_session("s1", at=1), bad, make_session("s9", at=9)]
        with store() as uow:
            uow.sessions.add(make_session("before", at=50))
            with pytest.raises(error):
                uow.sessions.add_many(batch)
            fresh = ["s0", "s1", "s9", "dup-key", "clash-stored", "clash-batch"]
            assert uow.sessions.get_many(TENANT, fresh) == []
            uow.commit()
        assert self.stored(store) == ["old", "before"]

    # ------------------------------------------------------------------ update

    def test_update_stores_the_session_with_the_next_version(
        self, store: UnitOfWorkFactory
    ) -> None:
        """``update`` stores and returns the session with version + 1."""
        original = make_session("s1", series_id="series-1")
        self.given(store, original)
        changed = attrs.evolve(
            original, title="moved", span=TimeSpan(_at(3), _at(4)), detached=True
        )
        with store() as uow:
            returned = uow.sessions.update(changed, expected_version=1)
            assert returned == attrs.evolve(changed, version=2)
            assert uow.sessions.get(TENANT, "s1") == returned
            again = uow.sessions.update(attrs.evolve(returned, title="again"), expected_version=2)
            assert again.version == 3
            uow.commit()
        with store() as uow:
            assert uow.sessions.get(TENANT, "s1") == again

    def test_update_with_a_stale_version(self, store: UnitOfWorkFactory) -> None:
        """A stale expected version is a ConcurrentModification naming both versions."""
        original = make_session("s1")
        self.given(store, original)
        with store() as uow:
            uow.sessions.update(attrs.evolve(original, title="first"), expected_version=1)
            uow.commit()
        with store() as uow, pytest.raises(ConcurrentModification) as caught:
            uow.sessions.update(attrs.evolve(original, title="second"), expected_version=1)
        assert isinstance(caught.value, RuntimeError)
        assert (caught.value.record_id, caught.value.expected, caught.value.actual) == ("s1", 1, 2)
        with store() as uow:
            assert uow.sessions.get(TENANT, "s1").title == "first"

    def test_update_a_missing_session(self, store: UnitOfWorkFactory) -> None:
        """Updating an unknown id raises SessionNotFound."""
        with store() as uow, pytest.raises(SessionNotFound) as caught:
            uow.sessions.update(make_session("ghost"), expected_version=1)
        assert (caught.value.session_id, caught.value.tenant) == ("ghost", TENANT)

    def test_update_onto_another_sessions_occurrence(self, store: UnitOfWorkFactory) -> None:
        """Keeping its own key is fine; taking another session's key is a DuplicateSession."""
        a = make_session("a", series_id="series-1", at=0)
        b = make_session("b", series_id="series-1", at=5)
        self.given(store, a, b)
        with store() as uow:
            kept = uow.sessions.update(attrs.evolve(b, title="same key"), expected_version=1)
            assert kept.occurrence_key == b.occurrence_key
            with pytest.raises(DuplicateSession) as caught:
                uow.sessions.update(
                    attrs.evolve(kept, occurrence_key=a.occurrence_key), expected_version=2
                )
            assert caught.value.existing == a
            assert uow.sessions.get(TENANT, "b") == kept

    def test_update_checks_conflicts_excluding_itself(self, store: UnitOfWorkFactory) -> None:
        """An update may overlap its own old span but not another busy session."""
        a = make_session("a", at=0, hours=2)
        b = make_session("b", at=3)
        self.given(store, a, b)
        with store() as uow:
            longer = uow.sessions.update(
                attrs.evolve(a, span=TimeSpan(_at(0.5), _at(2.5))), expected_version=1
            )
            with pytest.raises(SessionConflict) as caught:
                uow.sessions.update(
                    attrs.evolve(b, span=TimeSpan(_at(2), _at(3))), expected_version=1
                )
            assert caught.value.conflicts == (longer,)
            assert uow.sessions.get(TENANT, "b") == b

    def test_a_session_that_stops_being_busy_frees_its_resources(
        self, store: UnitOfWorkFactory
    ) -> None:
        """Once not busy, a session's time is free; becoming busy again is checked."""
        a = make_session("a", at=0)
        self.given(store, a)
        with store() as uow:
            uow.sessions.update(attrs.evolve(a, busy=False, status="CANCELED"), expected_version=1)
            uow.sessions.add(make_session("b", at=0))
            uow.commit()
        with store() as uow:
            with pytest.raises(SessionConflict) as caught:
                uow.sessions.update(
                    attrs.evolve(uow.sessions.get(TENANT, "a"), busy=True, status="SCHEDULED"),
                    expected_version=2,
                )
            assert _ids(caught.value.conflicts) == ["b"]

    def test_update_moves_a_session_between_resources(self, store: UnitOfWorkFactory) -> None:
        """Changing resources frees the old ones and occupies the new ones."""
        a = make_session("a", at=0, resources=(ANA,))
        self.given(store, a)
        with store() as uow:
            uow.sessions.update(attrs.evolve(a, resources=(BEN,)), expected_version=1)
            uow.sessions.add(make_session("b", at=0, resources=(ANA,)))
            span = TimeSpan(_at(0), _at(1))
            assert _ids(uow.sessions.busy_overlapping(TENANT, resources=[BEN], span=span)) == ["a"]
            uow.commit()

    # ------------------------------------------------------------------ delete

    def test_delete_removes_the_session_and_frees_its_key_and_time(
        self, store: UnitOfWorkFactory
    ) -> None:
        """A deleted session is gone, and its occurrence key and time may be reused."""
        a = make_session("a", series_id="series-1")
        self.given(store, a)
        with store() as uow:
            uow.sessions.delete(TENANT, "a", expected_version=1)
            with pytest.raises(SessionNotFound):
                uow.sessions.get(TENANT, "a")
            uow.commit()
        self.given(store, make_session("again", series_id="series-1", key=a.occurrence_key))
        assert self.stored(store) == ["again"]

    def test_delete_with_a_stale_version_or_a_missing_id(self, store: UnitOfWorkFactory) -> None:
        """``delete`` raises ConcurrentModification or SessionNotFound and deletes nothing."""
        self.given(store, make_session("a"))
        with store() as uow:
            with pytest.raises(ConcurrentModification) as caught:
                uow.sessions.delete(TENANT, "a", expected_version=7)
            assert (caught.value.record_id, caught.value.expected, caught.value.actual) == (
                "a",
                7,
                1,
            )
            with pytest.raises(SessionNotFound) as missing:
                uow.sessions.delete(TENANT, "b", expected_version=1)
            assert missing.value.session_id == "b"
            uow.commit()
        assert self.stored(store) == ["a"]

    # ------------------------------------------------------------------ other reads

    def test_busy_overlapping(self, store: UnitOfWorkFactory) -> None:
        """Busy sessions on any of the resources that overlap the span, by start then id."""
        self.given(
            store,
            make_session("late", at=2, resources=(ROOM,)),
            make_session("b", at=1, resources=(ANA,)),
            make_session("a", at=1, resources=(BEN,)),
            make_session("idle", at=1, resources=(ANA,), busy=False),
            make_session("touch", at=3, resources=(ANA,)),
            make_session("early", at=0, resources=(ANA,)),
        )
        span = TimeSpan(_at(1), _at(3))
        with store() as uow:
            found = uow.sessions.busy_overlapping(TENANT, resources=[ANA, BEN, ROOM], span=span)
            assert _ids(found) == ["a", "b", "late"]
            found = uow.sessions.busy_overlapping(
                TENANT, resources=iter([ANA, ROOM]), span=span, exclude_ids=["b"]
            )
            assert _ids(found) == ["late"]
            assert uow.sessions.busy_overlapping(TENANT, resources=[], span=span) == []
            whole = TimeSpan(_at(-5), _at(5))
            found = uow.sessions.busy_overlapping(TENANT, resources=[ANA], span=whole)
            assert _ids(found) == ["early", "b", "touch"]

    def test_for_series(self, store: UnitOfWorkFactory) -> None:
        """A series' sessions (extras included) from ``start_from`` on, by start then id."""
        self.given(
            store,
            make_session("w3", series_id="series-1", at=3),
            make_session("w1", series_id="series-1", at=1),
            make_session("extra", series_id="series-1", is_extra=True, at=1, busy=False),
            make_session("w0", series_id="series-1", at=0),
            make_session("other", series_id="series-2", at=2, resources=(BEN,)),
            make_session("lone", is_extra=True, at=5),
        )
        with store() as uow:
            assert _ids(uow.sessions.for_series(TENANT, "series-1")) == ["w0", "extra", "w1", "w3"]
            later = uow.sessions.for_series(TENANT, "series-1", start_from=_at(1))
            assert _ids(later) == ["extra", "w1", "w3"]
            assert uow.sessions.for_series(TENANT, "missing") == []

    def test_due(self, store: UnitOfWorkFactory) -> None:
        """Sessions in any of the statuses starting strictly before the instant, by start, id."""
        self.given(
            store,
            make_session("s2", at=2, status="SCHEDULED"),
            make_session("c1", at=1, status="CONDUCTING", resources=(BEN,)),
            make_session("s1", at=1, status="SCHEDULED"),
            make_session("f0", at=0, status="FINISHED", busy=False),
            make_session("s3", at=3, status="SCHEDULED"),
        )
        with store() as uow:
            due = uow.sessions.due(
                TENANT, statuses=["SCHEDULED", "CONDUCTING"], start_before=_at(3)
            )
            assert _ids(due) == ["c1", "s1", "s2"]
            due = uow.sessions.due(TENANT, statuses=iter(["FINISHED"]), start_before=_at(9))
            assert _ids(due) == ["f0"]
            assert uow.sessions.due(TENANT, statuses=[], start_before=_at(9)) == []

    # ------------------------------------------------------------------ query: filters

    def _catalogue(self, store: UnitOfWorkFactory) -> None:
        self.given(
            store,
            make_session("a", at=0, series_id="series-1", title="Algebra I", resources=(ANA,)),
            make_session(
                "b", at=1, series_id="series-1", title="ALGEBRA II", resources=(ANA, ROOM)
            ),
            make_session("c", at=2, series_id="series-2", title="Biology", resources=(BEN,)),
            make_session(
                "d", at=3, is_extra=True, title="Extra algebra drill", resources=(BEN, ROOM)
            ),
            make_session(
                "e",
                at=4,
                series_id="series-2",
                title="100% attendance",
                status="CANCELED",
                busy=False,
                resources=(BEN,),
            ),
            make_session(
                "f",
                at=5,
                series_id="series-1",
                title="snake_case",
                status="FINISHED",
                busy=False,
                resources=(ANA,),
            ),
        )

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (SessionQuery(), "abcdef"),
            (SessionQuery(series_id="series-1"), "abf"),
            (SessionQuery(series_id="nope"), ""),
            (SessionQuery(resources=[ROOM]), "bd"),
            (SessionQuery(resources=["teacher:ben", ROOM]), "bcde"),
            (SessionQuery(statuses="SCHEDULED"), "abcd"),
            (SessionQuery(statuses=["CANCELED", "FINISHED"]), "ef"),
            (SessionQuery(start_from=_at(1)), "bcdef"),
            (SessionQuery(start_to=_at(2)), "ab"),
            (SessionQuery(start_from=_at(1), start_to=_at(3)), "bc"),
            (SessionQuery(start_from=_at(0.5), start_to=_at(1.5)), "b"),
            (SessionQuery(search="algebra"), "abd"),
            (SessionQuery(search="ALGEBRA I"), "ab"),
            (SessionQuery(search="0%"), "e"),
            (SessionQuery(search="e_c"), "f"),
            (SessionQuery(search="_"), "f"),
            (SessionQuery(search="%"), "e"),
            (SessionQuery(is_extra=True), "d"),
            (SessionQuery(is_extra=False), "abcef"),
            (SessionQuery(series_id="series-1", statuses="SCHEDULED", resources=[ROOM]), "b"),
            (SessionQuery(search="a", is_extra=False, start_from=_at(1)), "bef"),
        ],
    )
    def test_query_filters(
        self, store: UnitOfWorkFactory, query: SessionQuery, expected: str
    ) -> None:
        """Each filter alone and combined (AND); lists mean any of; search is literal."""
        self._catalogue(store)
        with store() as uow:
            page = uow.sessions.query(TENANT, query)
        assert "".join(_ids(page.items)) == expected
        assert page.total == len(expected)

    def test_query_search_folds_unicode_case(self, store: UnitOfWorkFactory) -> None:
        """Title search ignores case beyond ASCII (capability ``unicode_search``)."""
        if not self.unicode_search:
            pytest.skip("this adapter folds case for ASCII only")
        self.given(store, make_session("a", title="Économie"), make_session("b", at=1, title="eco"))
        with store() as uow:
            page = uow.sessions.query(TENANT, SessionQuery(search="éCO"))
        assert _ids(page.items) == ["a"]

    # ------------------------------------------------------------------ query: order and pages

    def _ordered_sessions(self, store: UnitOfWorkFactory) -> list[Session]:
        """Twelve sessions with ties in every sort field, stored in a scrambled order."""
        sessions = [
            make_session(
                f"s{n:02d}",
                at=(n * 7) % 5,
                hours=1 + (n % 3),
                created=-float((n * 5) % 4),
                updated=None if n % 3 == 0 else -float((n * 11) % 4),
                resources=(),
            )
            for n in (7, 3, 11, 0, 9, 5, 1, 10, 4, 8, 2, 6)
        ]
        self.given(store, *sessions)
        return sessions

    @pytest.mark.parametrize(("sort", "descending"), _ORDERINGS)
    def test_query_sorts_with_id_as_tiebreaker(
        self, store: UnitOfWorkFactory, sort: SortField, descending: bool
    ) -> None:
        """Each sort field in both directions, ties broken by id in the same direction."""
        sessions = self._ordered_sessions(store)
        expected = sorted(sessions, key=lambda s: (_SORT_VALUE[sort](s), s.id), reverse=descending)
        with store() as uow:
            page = uow.sessions.query(TENANT, SessionQuery(sort=sort, descending=descending))
        assert _ids(page.items) == _ids(expected)

    def test_offset_pages_with_totals(self, store: UnitOfWorkFactory) -> None:
        """Offset pages carry the total, the page, the limit and the page count."""
        sessions = self._ordered_sessions(store)
        expected = _ids(sorted(sessions, key=lambda s: (s.span.start, s.id)))
        with store() as uow:
            pages = [
                uow.sessions.query(TENANT, SessionQuery(limit=5, page=n)) for n in (1, 2, 3, 4)
            ]
        assert [p.total for p in pages] == [12] * 4
        assert [(p.page, p.limit, p.pages) for p in pages] == [(n, 5, 3) for n in (1, 2, 3, 4)]
        assert [_ids(p.items) for p in pages] == [expected[:5], expected[5:10], expected[10:], []]
        assert pages[2].next_cursor is None
        assert pages[3].next_cursor is None

    def test_an_offset_page_continues_with_its_cursor(self, store: UnitOfWorkFactory) -> None:
        """An offset page's ``next_cursor`` continues right after it."""
        sessions = self._ordered_sessions(store)
        expected = _ids(sorted(sessions, key=lambda s: (s.created_at, s.id), reverse=True))
        with store() as uow:
            second = uow.sessions.query(
                TENANT, SessionQuery(sort="created", descending=True, limit=4, page=2)
            )
            assert second.next_cursor is not None
            third = uow.sessions.query(
                TENANT,
                SessionQuery(sort="created", descending=True, limit=4, after=second.next_cursor),
            )
        assert _ids(second.items) + _ids(third.items) == expected[4:]

    @pytest.mark.parametrize(("sort", "descending"), _ORDERINGS)
    def test_cursor_pages_through_everything_once(
        self, store: UnitOfWorkFactory, sort: SortField, descending: bool
    ) -> None:
        """Following cursors visits every session exactly once, in order."""
        sessions = self._ordered_sessions(store)
        expected = sorted(sessions, key=lambda s: (_SORT_VALUE[sort](s), s.id), reverse=descending)
        seen: list[str] = []
        after: str | None = None
        with store() as uow:
            for _ in range(len(sessions) + 1):
                query = SessionQuery(sort=sort, descending=descending, limit=5, after=after)
                page = uow.sessions.query(TENANT, query)
                assert page.total == len(sessions)
                seen.extend(_ids(page.items))
                after = page.next_cursor
                if after is None:
                    break
        assert seen == _ids(expected)

    def test_cursor_paging_with_filters_and_an_exact_last_page(
        self, store: UnitOfWorkFactory
    ) -> None:
        """Cursors keep the filters' total; a full last page has no next cursor."""
        self._catalogue(store)
        with store() as uow:
            first = uow.sessions.query(TENANT, SessionQuery(series_id="series-1", limit=2))
            assert (_ids(first.items), first.total) == (["a", "b"], 3)
            assert first.next_cursor is not None
            rest = uow.sessions.query(
                TENANT, SessionQuery(series_id="series-1", limit=2, after=first.next_cursor)
            )
            assert (_ids(rest.items), rest.total, rest.next_cursor) == (["f"], 3, None)
            exact = uow.sessions.query(TENANT, SessionQuery(limit=6))
            assert (len(exact.items), exact.next_cursor) == (6, None)

    def test_a_cursor_survives_a_deleted_row(self, store: UnitOfWorkFactory) -> None:
        """A cursor is a position, not a row: deleting its row does not break it."""
        self._catalogue(store)
        with store() as uow:
            first = uow.sessions.query(TENANT, SessionQuery(limit=2))
            uow.sessions.delete(TENANT, "b", expected_version=1)
            assert first.next_cursor is not None
            rest = uow.sessions.query(TENANT, SessionQuery(limit=2, after=first.next_cursor))
        assert _ids(rest.items) == ["c", "d"]

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
        """Collected events are published by ``commit`` in the order collected, not before."""
        a, b = make_session("a"), make_session("b", at=1)
        events = [_event(session=a), _event(session=b), _event()]
        with store() as uow:
            uow.sessions.add(a)
            uow.collect(events[:2])
            uow.sessions.add(b)
            uow.collect(iter(events[2:]))
            assert publisher.events == []
            uow.commit()
            assert publisher.events == events
        assert publisher.events == events

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

    # ------------------------------------------------------------------ series

    def test_series_add_get_update(self, store: UnitOfWorkFactory) -> None:
        """Series round-trip; ``update`` returns and stores version + 1."""
        series = make_series("series-1", title="Algebra")
        with store() as uow:
            uow.series.add(series)
            uow.commit()
        with store() as uow:
            assert uow.series.get(TENANT, "series-1") == series
            changed = attrs.evolve(series, title="Algebra II", generated_until=_at(24 * 60))
            returned = uow.series.update(changed, expected_version=1)
            assert returned == attrs.evolve(changed, version=2)
            uow.commit()
        with store() as uow:
            assert uow.series.get(TENANT, "series-1") == returned
            assert uow.series.get(TENANT, "series-1").generated_until == _at(24 * 60)

    def test_series_errors(self, store: UnitOfWorkFactory) -> None:
        """SeriesNotFound, DuplicateSession and ConcurrentModification for series."""
        series = make_series("series-1")
        with store() as uow:
            uow.series.add(series)
            uow.commit()
        with store() as uow:
            with pytest.raises(SeriesNotFound) as missing:
                uow.series.get(TENANT, "nope")
            assert isinstance(missing.value, LookupError)
            assert (missing.value.series_id, missing.value.tenant) == ("nope", TENANT)
            with pytest.raises(DuplicateSession) as duplicate:
                uow.series.add(make_series("series-1", title="again"))
            assert duplicate.value.existing == series
            with pytest.raises(ConcurrentModification) as stale:
                uow.series.update(series, expected_version=2)
            assert (stale.value.record_id, stale.value.expected, stale.value.actual) == (
                "series-1",
                2,
                1,
            )
            with pytest.raises(SeriesNotFound):
                uow.series.update(make_series("ghost"), expected_version=1)

    def test_active_series(self, store: UnitOfWorkFactory) -> None:
        """``active`` lists a tenant's (or every tenant's) active series by id."""
        with store() as uow:
            for series in (
                make_series("s-b"),
                make_series("s-a"),
                make_series("s-closed", status=SeriesStatus.CLOSED),
                make_series("s-c", tenant=OTHER_TENANT),
                make_series("s-0", tenant=OTHER_TENANT, status=SeriesStatus.CLOSED),
            ):
                uow.series.add(series)
            uow.commit()
        with store() as uow:
            assert [s.id for s in uow.series.active(TENANT)] == ["s-a", "s-b"]
            assert [s.id for s in uow.series.active(OTHER_TENANT)] == ["s-c"]
            everyone = [(s.tenant, s.id) for s in uow.series.active()]
            assert everyone == [(TENANT, "s-a"), (TENANT, "s-b"), (OTHER_TENANT, "s-c")]
            closed = uow.series.get(TENANT, "s-a")
            uow.series.update(attrs.evolve(closed, status=SeriesStatus.CLOSED), expected_version=1)
            assert [s.id for s in uow.series.active(TENANT)] == ["s-b"]

    # ------------------------------------------------------------------ concurrency

    def _race(self, count: int, work: Callable[[int], None]) -> list[BaseException | None]:
        """Run ``work(n)`` in ``count`` threads released at once; return each outcome."""
        if not self.concurrent_units:
            pytest.skip("this adapter does not run units of work in several threads")
        barrier = threading.Barrier(count)
        outcomes: list[BaseException | None] = [None] * count

        def run(n: int) -> None:
            barrier.wait()
            try:
                work(n)
            except BaseException as exc:  # noqa: BLE001  # reported to the test
                outcomes[n] = exc

        threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a unit of work hung"
        return outcomes

    def test_racing_writers_book_one_resource_once(self, store: UnitOfWorkFactory) -> None:
        """Threads booking one teacher at once: one wins, the rest get SessionConflict."""
        for round_ in range(3):

            def book(n: int, round_: int = round_) -> None:
                with store() as uow:
                    uow.sessions.add(make_session(f"r{round_}-t{n}", at=10 * round_ + n / 10))
                    uow.commit()

            outcomes = self._race(8, book)
            assert sum(outcome is None for outcome in outcomes) == 1
            assert all(o is None or isinstance(o, SessionConflict) for o in outcomes), outcomes
        assert len(self.stored(store)) == 3

    def test_racing_updates_one_wins(self, store: UnitOfWorkFactory) -> None:
        """Threads updating one version of a session: one wins, the rest ConcurrentModification."""
        original = make_session("a")
        self.given(store, original)

        def retitle(n: int) -> None:
            with store() as uow:
                uow.sessions.update(attrs.evolve(original, title=f"t{n}"), expected_version=1)
                uow.commit()

        outcomes = self._race(4, retitle)
        assert sum(outcome is None for outcome in outcomes) == 1
        assert all(o is None or isinstance(o, ConcurrentModification) for o in outcomes), outcomes
        with store() as uow:
            assert uow.sessions.get(TENANT, "a").version == 2

    def test_uncommitted_writes_are_invisible_to_other_units(
        self, store: UnitOfWorkFactory
    ) -> None:
        """Another unit of work never sees uncommitted writes."""
        written = threading.Event()
        seen: list[int] = []

        def work(n: int) -> None:
            if n == 0:
                with store() as uow:
                    uow.sessions.add(make_session("a"))
                    written.set()
                    threading.Event().wait(0.05)
                    uow.rollback()
            else:
                written.wait(5)
                with store() as uow:
                    seen.append(uow.sessions.query(TENANT, SessionQuery()).total)

        outcomes = self._race(2, work)
        assert outcomes == [None, None]
        assert seen == [0]
