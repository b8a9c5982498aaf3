"""Sessions in memory: the conflict and by-series indexes and the session repository.

The generic :class:`~sessionkit.adapters.memory._repository.MemoryRepository`
already enforces the session ids and unique keys (``occurrence`` and
``series_start`` of :data:`~sessionkit.ports.SESSIONS`); this module adds
the busy-resource check and the session reads.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sessionkit.adapters.memory._query import run_query
from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.adapters.memory._table import Index, Table, UniqueIndex
from sessionkit.conflicts import ConflictIndex
from sessionkit.errors import SessionConflict
from sessionkit.errors._base import shown
from sessionkit.model.query import Page, SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import SESSIONS
from sessionkit.timespan import TimeSpan

__all__ = ["BusyIndex", "InMemorySessionRepository", "SeriesMembers"]

SessionKey = tuple[str, str]
"""``(tenant, session id)``: how the conflict index names a session."""


def resource_keys(tenant: str, resources: Iterable[ResourceRef]) -> list[tuple[str, ResourceRef]]:
    """Return the conflict-index resource ids: resources are per tenant, never shared across."""
    return [(tenant, ref) for ref in resources]


def _by_start(sessions: Iterable[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.span.start, s.id))


class BusyIndex:
    """The busy sessions that occupy resources, in a :class:`~sessionkit.conflicts.ConflictIndex`."""  # noqa: E501

    def __init__(self) -> None:
        self.conflicts: ConflictIndex[SessionKey] = ConflictIndex()

    def insert(self, row: Session) -> None:
        """Index a stored session if it is busy on some resource."""
        if row.busy and row.resources:
            self.conflicts.add(
                (row.tenant, row.id), row.span, resource_keys(row.tenant, row.resources)
            )

    def remove(self, row: Session) -> None:
        """Forget a dropped session."""
        self.conflicts.discard((row.tenant, row.id))

    def overlapping(
        self,
        tenant: str,
        span: TimeSpan,
        resources: Iterable[ResourceRef],
        exclude: Iterable[str] = (),
    ) -> list[str]:
        """Return the ids of ``tenant``'s busy sessions on ``resources`` overlapping ``span``."""
        excluded = {(tenant, session_id) for session_id in exclude}
        keys = self.conflicts.conflicts_with(
            span, resource_keys(tenant, resources), exclude=excluded
        )
        return [key[1] for key in keys]


class SeriesMembers:
    """The ids of each series' sessions, extras included: ``(tenant, series id) -> ids``."""

    def __init__(self) -> None:
        self.members: dict[tuple[str, str], set[str]] = {}

    def insert(self, row: Session) -> None:
        """Index a stored session under its series."""
        if row.series_id is not None:
            self.members.setdefault((row.tenant, row.series_id), set()).add(row.id)

    def remove(self, row: Session) -> None:
        """Forget a dropped session."""
        if row.series_id is not None:
            key = (row.tenant, row.series_id)
            members = self.members[key]
            members.discard(row.id)
            if not members:
                del self.members[key]

    def of(self, tenant: str, series_id: str) -> Iterable[str]:
        """Return the ids of the series' sessions (any order)."""
        return self.members.get((tenant, series_id), ())


class InMemorySessionRepository(MemoryRepository[Session]):
    """The :class:`~sessionkit.ports.SessionRepository` of an in-memory unit of work.

    Beside the generic rules, ``add``/``add_many``/``update`` refuse a busy
    session overlapping another busy session on a shared resource
    (``SessionConflict``, blockers by start then id).
    """

    @classmethod
    def indexes(cls) -> dict[str, Index[Any]]:
        """Return the conflict index (``"busy"``) and the by-series index (``"series"``)."""
        return {"busy": BusyIndex(), "series": SeriesMembers()}

    @staticmethod
    def _busy(table: Table[Session]) -> BusyIndex:
        return cast("BusyIndex", table.named["busy"])

    def check(self, table: Table[Session], record: Session) -> None:
        """Raise ``SessionConflict`` if ``record`` is busy where another busy session is."""
        if not (record.busy and record.resources):
            return
        tenant = record.tenant
        ids = self._busy(table).overlapping(
            tenant, record.span, record.resources, exclude=(record.id,)
        )
        if not ids:
            return
        rows = table.of(tenant)
        blockers = _by_start(rows[session_id] for session_id in ids)
        shared = sorted({str(r) for b in blockers for r in b.resources if r in record.resources})
        raise SessionConflict(
            f"session {shown(record.id)} ({record.span.isoformat()}) needs "
            f"{', '.join(shared)}, already busy with "
            + ", ".join(f"{shown(b.id)} ({b.span.isoformat()})" for b in blockers),
            session=record,
            conflicts=blockers,
        )

    def busy_overlapping(
        self,
        tenant: str,
        *,
        resources: Iterable[ResourceRef],
        span: TimeSpan,
        exclude_ids: Iterable[str] = (),
    ) -> list[Session]:
        """Return busy sessions on any of ``resources`` overlapping ``span``, by start then id."""
        table = self.table
        refs = tuple(resources)
        if not refs:
            return []
        ids = self._busy(table).overlapping(tenant, span, refs, exclude=exclude_ids)
        rows = table.of(tenant)
        return _by_start(rows[session_id] for session_id in ids)

    def for_series(
        self, tenant: str, series_id: str, *, start_from: datetime | None = None
    ) -> list[Session]:
        """Return the series' sessions starting at or after ``start_from``, by start then id."""
        table = self.table
        members = cast("SeriesMembers", table.named["series"])
        rows = table.of(tenant)
        found = (rows[session_id] for session_id in members.of(tenant, series_id))
        if start_from is not None:
            found = (s for s in found if s.span.start >= start_from)
        return _by_start(found)

    def for_occurrences(
        self, tenant: str, series_id: str, keys: Iterable[datetime]
    ) -> dict[datetime, Session]:
        """Return the series' sessions for the given occurrence keys, by key (in the order asked).

        Reads only those sessions, through the ``occurrence`` unique index.
        """
        table = self.table
        index: UniqueIndex[Session] = table.unique["occurrence"]
        rows = table.of(tenant)
        found: dict[datetime, Session] = {}
        for key in keys:
            owner = index.lookup(tenant, (series_id, key))
            if owner is not None:
                found.setdefault(key, rows[owner])
        return found

    def query(self, tenant: str, query: SessionQuery) -> Page[Session]:
        """Return one page of sessions matching ``query``, with the total count.

        ``updated`` sorts a never-updated session by its creation time; ties
        break by id in the same direction as the sort.
        """
        return run_query(self.table.of(tenant).values(), query)

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

        ``after`` (a ``(start, id)``) and ``limit`` page through them;
        ``lifecycles`` keeps those in a status of their own lifecycle's.
        """
        wanted = _timed(statuses, lifecycles)
        found = _by_start(
            s
            for s in self.table.of(tenant).values()
            if wanted(s)
            and s.span.start < start_before
            and (after is None or (s.span.start, s.id) > after)
        )
        return found if limit is None else found[:limit]

    def due_tenants(
        self,
        *,
        statuses: Iterable[str],
        start_before: datetime,
        lifecycles: Mapping[str, Collection[str]] | None = None,
    ) -> list[str]:
        """Return the tenants having sessions in ``statuses`` starting before ``start_before``."""
        wanted = _timed(statuses, lifecycles)
        rows = self.table.rows
        return sorted(
            tenant
            for tenant, sessions in rows.items()
            if any(wanted(s) and s.span.start < start_before for s in sessions.values())
        )


def _timed(
    statuses: Iterable[str], lifecycles: Mapping[str, Collection[str]] | None
) -> Callable[[Session], bool]:
    """Whether a session is in one of ``statuses`` (and of its lifecycle's, if named there)."""
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    if lifecycles is None:
        return lambda s: s.status in wanted
    return lambda s: (
        s.status in wanted
        and (s.lifecycle not in lifecycles or s.status in lifecycles[s.lifecycle])
    )


register(SESSIONS, InMemorySessionRepository)
