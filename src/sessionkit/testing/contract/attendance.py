"""The contract of the attendance kinds: presence once per provider event, overrides apart.

:class:`PresenceRepositoryContract` fills in the generic
:class:`~sessionkit.testing.contract.RepositoryContract` (and its
:class:`~sessionkit.testing.contract.ParentsContract` rules: a record's
session must exist, and a session with presence is not deleted) for
:data:`~sessionkit.ports.PRESENCE`, and adds what
:class:`~sessionkit.ports.PresenceRepository` promises beyond it: the same
``provider:event_id`` is stored once per tenant, and ``for_sessions`` reads a
session's presence in time order. :class:`OverridesRepositoryContract` does
the same for :data:`~sessionkit.ports.ATTENDANCE_OVERRIDES`. Subclass each
once per adapter and implement ``make_store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs
import pytest

from sessionkit.errors import Duplicate, SessionNotFound
from sessionkit.model.attendance import (
    JOIN,
    LEAVE,
    PRESENT,
    AttendanceOverride,
    Presence,
    PresenceEvent,
    override_id,
)
from sessionkit.ports import (
    ATTENDANCE_OVERRIDES,
    PRESENCE,
    OverrideRepository,
    PresenceRepository,
    UnitOfWork,
)
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import OTHER_TENANT, T0, TENANT
from sessionkit.testing.contract.bookings import make_booking_session
from sessionkit.testing.contract.parents import ParentsContract

__all__ = [
    "OverridesRepositoryContract",
    "PresenceRepositoryContract",
    "make_override",
    "make_presence",
]


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_presence(
    event_id: str,
    *,
    tenant: str = TENANT,
    session_id: str = "s1",
    participant: str = "student:ana",
    action: str = JOIN,
    at: float = 0.0,
) -> Presence:
    """Return the stored presence of provider ``meet``'s event ``event_id``; ``at`` in minutes."""
    event = PresenceEvent(
        provider="meet",
        event_id=event_id,
        session_id=session_id,
        participant=participant,
        action=action,
        at=_at(at),
    )
    return Presence.of(tenant, event, _at(at))


def make_override(
    *,
    tenant: str = TENANT,
    session_id: str = "s1",
    participant: str = "student:ana",
    status: str = PRESENT,
) -> AttendanceOverride:
    """Return the teacher's override of ``participant`` in ``session_id``."""
    return AttendanceOverride(
        id=override_id(session_id, participant),
        tenant=tenant,
        session_id=session_id,
        participant=participant,
        status=status,
        decided_by="tara",
        decided_at=_at(90),
    )


class _WithSessions:
    def prepare(self, uow: UnitOfWork, records: Sequence[Presence | AttendanceOverride]) -> None:
        """Add the records' sessions that are not stored yet."""
        for tenant, session_id in sorted({(r.tenant, r.session_id) for r in records}):
            try:
                uow.sessions.get(tenant, session_id)
            except SessionNotFound:
                uow.sessions.add(make_booking_session(session_id, tenant=tenant))


class PresenceRepositoryContract(_WithSessions, ParentsContract[Presence]):
    """The contract of :data:`~sessionkit.ports.PRESENCE`; implement ``make_store``."""

    kind = PRESENCE

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Presence:
        """Return a join to session ``s<variant>`` stored under ``record_id``."""
        return attrs.evolve(
            make_presence("x", tenant=tenant, session_id=f"s{variant}"), id=record_id
        )

    def change(self, record: Presence) -> Presence:
        """Return the record a minute later."""
        return attrs.evolve(record, at=record.at + timedelta(minutes=1))

    def presence(self, uow: UnitOfWork) -> PresenceRepository:
        """Return the unit's presence repository."""
        return uow.repository(PRESENCE)

    def test_the_same_provider_event_is_stored_once(self, store: Factory) -> None:
        """A second copy of ``provider:event_id`` is the kind's ``Duplicate``; nothing written."""
        first = make_presence("e1")
        self.keep(store, first)
        with store() as uow:
            repo = self.presence(uow)
            with pytest.raises(Duplicate) as caught:
                repo.add_many([make_presence("e2"), make_presence("e1", at=5)])
            assert (caught.value.kind, caught.value.record_id) == ("presence", "meet:e1")
            assert repo.get_many(TENANT, ["meet:e2"]) == []
            theirs = make_presence("e1", tenant=OTHER_TENANT)  # another tenant's own log
            self.prepare(uow, [theirs])
            repo.add(theirs)
            uow.commit()
        with store() as uow:
            assert self.presence(uow).get(TENANT, "meet:e1") == first

    def test_for_sessions_reads_in_time_order(self, store: Factory) -> None:
        """By session id, instant, then id; other sessions and tenants left out."""
        self.keep(
            store,
            make_presence("c", session_id="s2", at=1),
            make_presence("b", at=5, action=LEAVE),
            make_presence("a", at=5),
            make_presence("z", at=1, participant="student:ben"),
            make_presence("y", session_id="s3"),
            make_presence("w", tenant=OTHER_TENANT),
        )
        with store() as uow:
            found = self.presence(uow).for_sessions(TENANT, ["s2", "s1"])
            assert [p.id for p in found] == ["meet:z", "meet:a", "meet:b", "meet:c"]
            assert found[0].participant.id == "ben"
            assert self.presence(uow).for_sessions(TENANT, []) == []


class OverridesRepositoryContract(_WithSessions, ParentsContract[AttendanceOverride]):
    """The contract of :data:`~sessionkit.ports.ATTENDANCE_OVERRIDES`; implement ``make_store``."""

    kind = ATTENDANCE_OVERRIDES

    def make_record(
        self, record_id: str, *, tenant: str = TENANT, variant: int = 0
    ) -> AttendanceOverride:
        """Return an override in session ``s<variant>`` stored under ``record_id``."""
        return attrs.evolve(make_override(tenant=tenant, session_id=f"s{variant}"), id=record_id)

    def change(self, record: AttendanceOverride) -> AttendanceOverride:
        """Return the override with minutes given."""
        return attrs.evolve(record, minutes=42, reason="camera trouble")

    def overrides(self, uow: UnitOfWork) -> OverrideRepository:
        """Return the unit's override repository."""
        return uow.repository(ATTENDANCE_OVERRIDES)

    def test_for_sessions_reads_a_sessions_overrides(self, store: Factory) -> None:
        """By session id, then id; other sessions and tenants left out; one per participant."""
        ana, ben = make_override(), make_override(participant="student:ben", status="late")
        self.keep(
            store, ana, ben, make_override(session_id="s2"), make_override(tenant=OTHER_TENANT)
        )
        with store() as uow:
            found = self.overrides(uow).for_sessions(TENANT, ["s1"])
            assert found == sorted([ana, ben], key=lambda o: o.id)
            with pytest.raises(Duplicate):
                self.overrides(uow).add(make_override(status="absent"))
