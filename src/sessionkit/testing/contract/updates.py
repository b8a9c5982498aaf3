"""The contract for changing stored sessions: update and delete."""

from __future__ import annotations

import attrs
import pytest

from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSession,
    SessionConflict,
    SessionNotFound,
)
from sessionkit.model.query import SessionQuery
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.contract._support import (
    ANA,
    BEN,
    ROOM,
    TENANT,
    ContractBase,
    _at,
    _ids,
    make_session,
)
from sessionkit.timespan import TimeSpan


class UpdateContract(ContractBase):
    """``update`` (versions, keys, conflicts, resources) and ``delete``."""

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

    def test_a_refused_update_keeps_the_sessions_time_and_resources(
        self, store: UnitOfWorkFactory
    ) -> None:
        """A move refused for a conflict leaves every read as it was, and the unit usable.

        The session's row and its resources are one write: neither the new
        resource nor the new time shows in a query, ``busy_overlapping`` or a
        later conflict check, before or after the unit commits.
        """
        a = make_session("a", at=0, resources=(ANA,))
        b = make_session("b", at=3, resources=(BEN,))
        self.given(store, a, b)
        moved = attrs.evolve(b, span=TimeSpan(_at(0), _at(1)), resources=(ANA, ROOM))
        with store() as uow:
            with pytest.raises(SessionConflict):
                uow.sessions.update(moved, expected_version=1)
            uow.sessions.add(make_session("c", at=0, resources=(ROOM,)))
            uow.commit()
        with store() as uow:
            assert uow.sessions.get(TENANT, "b") == b
            by_ana = uow.sessions.query(TENANT, SessionQuery(resources=[ANA]))
            assert _ids(by_ana.items) == ["a"]
            by_ben = uow.sessions.query(TENANT, SessionQuery(resources=[BEN]))
            assert _ids(by_ben.items) == ["b"]
            span = TimeSpan(_at(-1), _at(5))
            found = uow.sessions.busy_overlapping(TENANT, resources=[ANA, BEN, ROOM], span=span)
            assert _ids(found) == ["a", "c", "b"]
            uow.sessions.add(make_session("d", at=3.5, hours=0.5, resources=(ANA,)))
            uow.commit()

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
