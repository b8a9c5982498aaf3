"""The reschedule requests kind and its repository protocol: one pending request per session."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sessionkit.errors import DuplicateReschedule, RescheduleNotFound
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.ports._kinds import SESSIONS
from sessionkit.ports._storage import Kind, Repository, UniqueKey


class RescheduleRepository(Repository[RescheduleRequest], Protocol):
    """Reschedule requests of all tenants: the generic methods plus the reads the commands need.

    ``add`` and ``update`` refuse a second pending request for a session
    (``DuplicateReschedule`` with key ``"pending"``): the storage holds the
    rule, so two racing requests cannot both be pending.
    """

    def pending_for(self, tenant: str, session_id: str) -> RescheduleRequest | None:
        """Return the session's pending request, or ``None``."""
        ...

    def for_session(self, tenant: str, session_id: str) -> list[RescheduleRequest]:
        """Return the session's requests (any status), oldest first (by creation, then id)."""
        ...

    def due(self, tenant: str | None, *, before: datetime, limit: int) -> list[RescheduleRequest]:
        """Return pending requests whose deadline is at or before ``before``, earliest first.

        Ties go by tenant, then id; ``tenant=None`` reads every tenant's (a system job).
        """
        ...

    def counts(self, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return how many requests (any status) each session has.

        A session with none is left out of the mapping (read a missing id as 0).
        Requests are a session's dependents: a series' change or close keeps
        a session that has any.
        """
        ...


def _duplicate(
    record: RescheduleRequest, key: UniqueKey | None, existing: object
) -> DuplicateReschedule:
    owner = getattr(existing, "id", None)
    if key is None:
        message = f"reschedule request {record.id!r} already exists for tenant {record.tenant!r}"
    else:
        message = f"session {record.session_id!r} already has pending reschedule request {owner!r}"
    return DuplicateReschedule(
        message,
        kind="reschedule",
        record_id=record.id,
        tenant=record.tenant,
        key="id" if key is None else key.name,
        existing=existing,
    )


RESCHEDULES: Kind[RescheduleRepository] = Kind(
    "reschedule",
    RescheduleRequest,
    unique=(UniqueKey("pending", ("pending_session_id",)),),
    not_found=lambda _kind, record_id, tenant: RescheduleNotFound(record_id, tenant),
    duplicate=lambda _kind, record, key, existing: _duplicate(record, key, existing),
    parents={"session_id": SESSIONS},
)
"""Reschedule requests: unique per tenant by id, and at most one pending per session."""
