"""The contract of the reschedule requests kind: the generic rules plus one pending per session.

:class:`ReschedulesRepositoryContract` fills in the generic
:class:`~sessionkit.testing.contract.RepositoryContract` (and its
:class:`~sessionkit.testing.contract.ParentsContract` rules: a request's
session must exist, and a session with requests is not deleted) for
:data:`~sessionkit.ports.RESCHEDULES`, and adds what
:class:`~sessionkit.ports.RescheduleRepository` promises beyond it: at most
one pending request per session (answered ones pile up), and the reads
``pending_for``, ``for_session``, ``counts`` and ``due``. Subclass it once per adapter and
implement ``make_store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs
import pytest

from sessionkit.errors import DuplicateReschedule, SessionNotFound
from sessionkit.model.reschedule import APPROVED, DECLINED, PENDING, RescheduleRequest
from sessionkit.ports import RESCHEDULES, RescheduleRepository, UnitOfWork
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import OTHER_TENANT, T0, TENANT
from sessionkit.testing.contract.bookings import make_booking_session
from sessionkit.testing.contract.parents import ParentsContract

__all__ = ["ReschedulesRepositoryContract", "make_reschedule"]


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def make_reschedule(
    request_id: str,
    *,
    tenant: str = TENANT,
    session_id: str = "s1",
    status: str = PENDING,
    deadline: float = 24.0,
    created: float = 0.0,
    proposed: float | None = 72.0,
) -> RescheduleRequest:
    """Return a request to move ``session_id``; ``deadline``, ``created``, ``proposed`` in hours."""
    return RescheduleRequest(
        id=request_id,
        tenant=tenant,
        session_id=session_id,
        role="student",
        requested_by="ana",
        reason="I have an exam that morning",
        session_start=_at(48),
        proposed_start=None if proposed is None else _at(proposed),
        deadline=_at(deadline),
        status=status,
        created_at=_at(created),
    )


class ReschedulesRepositoryContract(ParentsContract[RescheduleRequest]):
    """The contract of :data:`~sessionkit.ports.RESCHEDULES`; implement ``make_store``."""

    kind = RESCHEDULES

    def make_record(
        self, record_id: str, *, tenant: str = TENANT, variant: int = 0
    ) -> RescheduleRequest:
        """Return a pending request for session ``s<variant>``."""
        return make_reschedule(record_id, tenant=tenant, session_id=f"s{variant}")

    def change(self, record: RescheduleRequest) -> RescheduleRequest:
        """Return the request with another reason."""
        return attrs.evolve(record, reason=record.reason + " (changed)")

    def prepare(self, uow: UnitOfWork, records: Sequence[RescheduleRequest]) -> None:
        """Add the requests' sessions that are not stored yet."""
        for tenant, session_id in sorted({(r.tenant, r.session_id) for r in records}):
            try:
                uow.sessions.get(tenant, session_id)
            except SessionNotFound:
                uow.sessions.add(make_booking_session(session_id, tenant=tenant))

    def collide(self, record: RescheduleRequest, new_id: str) -> RescheduleRequest:
        """Return another pending request for the same session."""
        return attrs.evolve(record, id=new_id)

    def requests(self, uow: UnitOfWork) -> RescheduleRepository:
        """Return the unit's reschedule repository."""
        return uow.repository(RESCHEDULES)

    def test_a_second_pending_request_for_a_session_is_a_duplicate(self, store: Factory) -> None:
        """``DuplicateReschedule`` with key "pending" and the pending one; nothing written."""
        first = make_reschedule("r1")
        self.keep(store, first)
        with store() as uow:
            repo = self.requests(uow)
            with pytest.raises(DuplicateReschedule) as caught:
                repo.add(make_reschedule("r2"))
            assert isinstance(caught.value, ValueError)
            assert (caught.value.key, caught.value.existing) == ("pending", first)
            assert repo.get_many(TENANT, ["r2"]) == []

    def test_answered_requests_pile_up_and_free_the_key(self, store: Factory) -> None:
        """Answered requests hold no key: a new pending one may follow, also by update."""
        self.keep(store, make_reschedule("r1", status=DECLINED), make_reschedule("r2"))
        with store() as uow:
            repo = self.requests(uow)
            repo.add(make_reschedule("r3", status=APPROVED))
            with pytest.raises(DuplicateReschedule):
                repo.update(make_reschedule("r1"), expected_version=1)  # back to pending
            pending = repo.get(TENANT, "r2")
            repo.update(attrs.evolve(pending, status=APPROVED), expected_version=1)
            repo.update(make_reschedule("r1"), expected_version=1)
            uow.commit()
        with store() as uow:
            found = self.requests(uow).pending_for(TENANT, "s1")
            assert found is not None
            assert found.id == "r1"

    def test_tenants_have_their_own_pending_keys(self, store: Factory) -> None:
        """Another tenant's pending request for a session of the same id does not collide.

        Nor is it found: a session only the other tenant has a request for has none.
        """
        self.keep(
            store,
            make_reschedule("r1"),
            make_reschedule("r1", tenant=OTHER_TENANT),
            make_reschedule("r2", tenant=OTHER_TENANT, session_id="s2"),
        )
        with store() as uow:
            repo = self.requests(uow)
            assert repo.pending_for(OTHER_TENANT, "s1") == make_reschedule(
                "r1", tenant=OTHER_TENANT
            )
            assert repo.pending_for(TENANT, "s2") is None
            assert repo.for_session(TENANT, "s2") == []

    def test_for_session_is_oldest_first_then_by_id(self, store: Factory) -> None:
        """A session's requests of any status, by creation then id; others' left out."""
        self.keep(
            store,
            make_reschedule("r3", status=DECLINED, created=2),
            make_reschedule("r2", status=APPROVED, created=1),
            make_reschedule("r1", created=2),
            make_reschedule("x", session_id="s2"),
        )
        with store() as uow:
            assert [r.id for r in self.requests(uow).for_session(TENANT, "s1")] == [
                "r2",
                "r1",
                "r3",
            ]

    def test_counts_are_per_session_of_any_status_and_tenant_bound(self, store: Factory) -> None:
        """Requests of any status per asked session; none (or another tenant's) is left out."""
        self.keep(
            store,
            make_reschedule("r1", status=DECLINED),
            make_reschedule("r2", status=APPROVED),
            make_reschedule("r3"),
            make_reschedule("x", session_id="s2"),
            make_reschedule("y", session_id="s3", tenant=OTHER_TENANT),
        )
        with store() as uow:
            repo = self.requests(uow)
            assert repo.counts(TENANT, ["s3", "s2", "s1", "s1", "s9"]) == {"s2": 1, "s1": 3}
            assert repo.counts(OTHER_TENANT, ["s1", "s3"]) == {"s3": 1}
            assert repo.counts(TENANT, []) == {}

    def test_due_is_pending_past_the_deadline_earliest_first(self, store: Factory) -> None:
        """Pending requests with ``deadline <= before``, by deadline, tenant, id; limited."""
        self.keep(
            store,
            make_reschedule("a", session_id="s1", deadline=5),
            make_reschedule("b", session_id="s2", deadline=3),
            make_reschedule("c", session_id="s3", deadline=3, status=DECLINED),
            make_reschedule("d", session_id="s4", deadline=9),
            make_reschedule("e", session_id="s1", deadline=4, tenant=OTHER_TENANT),
            # Ties with "b" on the deadline: the tenant comes before the id.
            make_reschedule("a0", session_id="s5", deadline=3, tenant=OTHER_TENANT),
        )
        with store() as uow:
            repo = self.requests(uow)
            assert [r.id for r in repo.due(TENANT, before=_at(5), limit=10)] == ["b", "a"]
            assert [r.id for r in repo.due(None, before=_at(5), limit=10)] == [
                "b",
                "a0",
                "e",
                "a",
            ]
            assert [r.id for r in repo.due(None, before=_at(5), limit=1)] == ["b"]
            assert repo.due(None, before=_at(2), limit=10) == []
            assert repo.due(None, before=_at(9), limit=0) == []
