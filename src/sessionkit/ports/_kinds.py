"""The built-in kinds, sessions and series, with their wider repository protocols."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Protocol

from sessionkit.errors import (
    Duplicate,
    DuplicateSeries,
    DuplicateSession,
    SeriesNotFound,
    SessionNotFound,
)
from sessionkit.model.query import Page, SessionQuery
from sessionkit.model.series import Series
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports._storage import Kind, Repository, UniqueKey
from sessionkit.timespan import TimeSpan


class SessionRepository(Repository[Session], Protocol):
    """Sessions of all tenants: the generic methods plus conflict checks and queries.

    ``add``, ``add_many`` and ``update`` also raise ``SessionConflict`` for a
    busy session overlapping another busy session on a shared resource, and
    ``DuplicateSession`` for a taken id, ``(series_id, occurrence_key)`` or
    ``(series_id, start)``.
    """

    def busy_overlapping(
        self,
        tenant: str,
        *,
        resources: Iterable[ResourceRef],
        span: TimeSpan,
        exclude_ids: Iterable[str] = (),
    ) -> list[Session]:
        """Return busy sessions on any of ``resources`` overlapping ``span``, by start then id."""
        ...

    def for_series(
        self, tenant: str, series_id: str, *, start_from: datetime | None = None
    ) -> list[Session]:
        """Return the series' sessions starting at or after ``start_from``, by start then id."""
        ...

    def for_occurrences(
        self, tenant: str, series_id: str, keys: Iterable[datetime]
    ) -> dict[datetime, Session]:
        """Return the series' sessions for the given occurrence keys (naive local starts), by key.

        Reads only those sessions, never the series' whole history.
        """
        ...

    def query(self, tenant: str, query: SessionQuery) -> Page[Session]:
        """Return one page of sessions matching ``query``, with the total count.

        ``query.resources`` and ``query.statuses`` of ``None`` filter nothing;
        an empty tuple matches no session (an empty page, total 0).
        """
        ...

    def due(
        self,
        tenant: str,
        *,
        statuses: Iterable[str],
        start_before: datetime,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
        lifecycles: Mapping[str, Collection[str]] | None = None,
    ) -> list[Session]:
        """Return sessions in ``statuses`` starting before ``start_before``, by start then id.

        ``after`` (a ``(start, id)`` of the last page) and ``limit`` page through
        them, for the tick's batches. ``lifecycles`` (a lifecycle's name to the
        statuses its timers leave, maybe none) keeps a session of a lifecycle
        named there only in a status among its own lifecycle's: a status timed
        in one lifecycle is not in another. A session of a lifecycle not named
        counts by ``statuses`` alone, as every session does with ``None``.
        """
        ...

    def due_tenants(
        self,
        *,
        statuses: Iterable[str],
        start_before: datetime,
        lifecycles: Mapping[str, Collection[str]] | None = None,
    ) -> list[str]:
        """Return, sorted, the tenants with sessions in ``statuses`` starting before the bound.

        ``lifecycles`` as for :meth:`due`.
        """
        ...


class SeriesRepository(Repository[Series], Protocol):
    """Series of all tenants: the generic methods plus the active ones for the jobs."""

    def active(self, tenant: str | None = None) -> list[Series]:
        """Return active series of ``tenant`` (all tenants for ``None``, system jobs), by id."""
        ...

    def in_group(self, tenant: str, group: str) -> list[Series]:
        """Return the tenant's series whose ``group`` is ``group`` (any status), by id."""
        ...


SERIES: Kind[SeriesRepository] = Kind(
    "series",
    Series,
    not_found=lambda _kind, record_id, tenant: SeriesNotFound(record_id, tenant),
    duplicate=lambda _kind, record, _key, existing: DuplicateSeries(
        record.id, record.tenant, existing=existing
    ),
)
"""Series: unique per tenant by id."""


SESSIONS: Kind[SessionRepository] = Kind(
    "session",
    Session,
    unique=(
        UniqueKey("occurrence", ("series_id", "occurrence_key")),
        UniqueKey("series_start", ("series_id", "start")),
    ),
    not_found=lambda _kind, record_id, tenant: SessionNotFound(record_id, tenant),
    duplicate=lambda _kind, record, key, existing: _duplicate_session(record, key, existing),
    parents={"series_id": SERIES},
)
"""Sessions: unique per tenant by id, by (series, occurrence key) and by (series, start).

A session's ``series_id``, when set, names a stored series.
"""


def _duplicate_session(record: Session, key: UniqueKey | None, existing: object) -> Duplicate:
    owner = getattr(existing, "id", None)
    if key is None:
        message = f"session {record.id!r} already exists for tenant {record.tenant!r}"
    elif key.name == "occurrence":
        assert record.occurrence_key is not None
        message = (
            f"series {record.series_id!r} already has session {owner!r} for the "
            f"occurrence {record.occurrence_key.isoformat()}"
        )
    else:
        message = (
            f"series {record.series_id!r} already has session {owner!r} "
            f"starting at {record.start.isoformat()}"
        )
    return DuplicateSession(
        message,
        session_id=record.id,
        existing=existing,
        key="id" if key is None else key.name,
        tenant=record.tenant,
    )
