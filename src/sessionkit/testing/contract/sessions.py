"""The contract for storing and reading single sessions: add, get, tenancy, conflicts, add_many."""

from __future__ import annotations

import attrs
import pytest

from sessionkit.errors import DuplicateSession, SeriesNotFound, SessionConflict, SessionNotFound
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.contract._support import (
    ANA,
    BEN,
    OTHER_TENANT,
    ROOM,
    T0,
    TENANT,
    ContractBase,
    _at,
    _ids,
    make_series,
    make_session,
)
from sessionkit.timespan import TimeSpan


class SessionContract(ContractBase):
    """Adding and getting sessions, tenant scoping, conflicts on add, and ``add_many``."""

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
        """One key may repeat across series, and any number of extras share a series.

        (The extras start at other times: a series has one session per start.)
        """
        key = T0.replace(tzinfo=None)
        self.given(
            store,
            make_session("a", series_id="series-1", key=key, busy=False),
            make_session("b", series_id="series-2", key=key, busy=False),
            make_session("x1", series_id="series-1", is_extra=True, busy=False, at=1),
            make_session("x2", series_id="series-1", is_extra=True, busy=False, at=2),
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

    # ------------------------------------------------------------------ series keys

    def test_a_series_has_one_session_per_start(self, store: UnitOfWorkFactory) -> None:
        """Same series and start, another occurrence key: DuplicateSession, key "series_start"."""
        self.needs("series_start")
        first = make_session("s1", series_id="series-1", busy=False)
        self.given(store, first)
        other_key = _at(24).replace(tzinfo=None)
        clash = make_session("s2", series_id="series-1", key=other_key, busy=False)
        extra = make_session("x1", series_id="series-1", is_extra=True, busy=False)
        with store() as uow:
            for refused in (clash, extra):
                with pytest.raises(DuplicateSession) as caught:
                    uow.sessions.add(refused)
                assert (caught.value.key, caught.value.existing) == ("series_start", first)
                assert caught.value.session_id == refused.id
            with pytest.raises(DuplicateSession) as caught:
                uow.sessions.add_many([make_session("s3", series_id="series-1", at=5), clash])
            assert caught.value.key == "series_start"
            assert uow.sessions.get_many(TENANT, ["s2", "s3", "x1"]) == []
            # Another series, another tenant, or no series at all: no collision.
            other = make_session("other", series_id="series-2", busy=False)
            self.ensure_series(uow, [other])
            uow.sessions.add(other)
            uow.sessions.add(make_session("lone1", is_extra=True, busy=False))
            uow.sessions.add(make_session("lone2", is_extra=True, busy=False))
            self.ensure_series(uow, [make_session("t", tenant=OTHER_TENANT, series_id="series-1")])
            uow.sessions.add(
                make_session("s2", tenant=OTHER_TENANT, series_id="series-1", key=other_key)
            )
            uow.commit()
        assert self.stored(store) == ["lone1", "lone2", "other", "s1"]

    def test_duplicate_keys_are_named(self, store: UnitOfWorkFactory) -> None:
        """A DuplicateSession says which key refused: "id", "occurrence" or "series_start"."""
        self.needs("series_start")
        first = make_session("s1", series_id="series-1")
        self.given(store, first)
        with store() as uow:
            for again, key in (
                (make_session("s1", at=5, resources=(BEN,)), "id"),
                (
                    make_session("s2", series_id="series-1", key=first.occurrence_key, at=5),
                    "occurrence",
                ),
            ):
                with pytest.raises(DuplicateSession) as caught:
                    uow.sessions.add(again)
                assert (caught.value.key, caught.value.existing) == (key, first)
            moved = make_session("s3", series_id="series-1", at=5)
            uow.sessions.add(moved)
            with pytest.raises(DuplicateSession) as caught:
                uow.sessions.update(
                    attrs.evolve(moved, span=first.span, busy=False), expected_version=1
                )
            assert (caught.value.key, caught.value.existing) == ("series_start", first)
            assert uow.sessions.get(TENANT, "s3") == moved

    # ------------------------------------------------------------------ for_occurrences

    def test_for_occurrences(self, store: UnitOfWorkFactory) -> None:
        """The series' sessions for the keys asked, by key; other series and extras never."""
        self.needs("for_occurrences")
        w0 = make_session("w0", series_id="series-1", at=0)
        w1 = make_session("w1", series_id="series-1", at=1)
        w2 = make_session("w2", series_id="series-1", at=2)
        self.given(
            store,
            w0,
            w1,
            w2,
            make_session("x", series_id="series-1", is_extra=True, at=3, busy=False),
            make_session("o1", series_id="series-2", at=1, resources=(BEN,)),
            make_session("t1", tenant=OTHER_TENANT, series_id="series-1", at=1),
        )
        assert w0.occurrence_key is not None
        assert w1.occurrence_key is not None
        assert w2.occurrence_key is not None
        missing = _at(7).replace(tzinfo=None)
        with store() as uow:
            got = uow.sessions.for_occurrences(
                TENANT, "series-1", iter([w2.occurrence_key, missing, w0.occurrence_key])
            )
            assert got == {w2.occurrence_key: w2, w0.occurrence_key: w0}
            assert uow.sessions.for_occurrences(TENANT, "series-1", []) == {}
            assert uow.sessions.for_occurrences(TENANT, "series-9", [w1.occurrence_key]) == {}
            theirs = uow.sessions.for_occurrences(OTHER_TENANT, "series-1", [w1.occurrence_key])
            assert _ids(theirs.values()) == ["t1"]
            uow.sessions.delete(TENANT, "w1", expected_version=1)
            assert uow.sessions.for_occurrences(TENANT, "series-1", [w1.occurrence_key]) == {}
