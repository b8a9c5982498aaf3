"""The session repository: the generic SQL repository plus conflict checks and queries.

Every method runs a fixed number of statements whatever the number of
sessions involved (batches of ids are split into chunks only to respect the
drivers' parameter limits). Writes go through the generic path of
:class:`~._repository.SqlRepository` (a SAVEPOINT each); the hooks here take
the backend's locks, check for overlaps where no constraint refuses them, and
explain a refused write as a ``SessionConflict`` with the blockers loaded
(:mod:`~sessionkit.adapters.sqlalchemy._diagnose`), after the generic
``DuplicateSession`` and before the generic ``SeriesNotFound``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, and_, or_, select
from sqlalchemy.exc import IntegrityError

from sessionkit.adapters._driver_faults import driver_code
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._diagnose import (
    by_start,
    conflict_error,
    raise_conflict,
    stored_blockers,
    unseen_conflict,
)
from sessionkit.adapters.sqlalchemy._query import (
    CHUNK,
    busy_rows_overlapping,
    chunks,
    fetch_sessions,
    load_sessions,
    overlap_params,
    run_query,
)
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy.rows import (
    EXCLUSION_CONSTRAINT,
    session_resources_table,
    sessions_table,
)
from sessionkit.conflicts import ConflictIndex
from sessionkit.errors import TransientConflict
from sessionkit.model.query import Page, SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

__all__ = ["SqlAlchemySessionRepository"]

S = sessions_table
R = session_resources_table


_FIXED = 16
"""Up to this many resources, the conflict read has a statement of its own."""


@functools.cache
def _busy_rows(resources: int | None) -> CompoundSelect[Any]:
    """The busy resource rows that may overlap a span, for ``resources`` resources, built once.

    The conflict check runs before every write: building a select() per call
    cost about as much as SQLite takes to answer it, and so does re-rendering
    a statement with an expanding ``IN`` list, so the usual sizes each get a
    statement with numbered parameters (``None``: the expanding list).
    """
    return busy_rows_overlapping(R.c.session_id, R.c.end_at, resources=resources)


def _overlaps_inside(batch: Sequence[Session]) -> bool:
    """Whether two busy sessions of ``batch`` overlap on a resource (a sort and sweep per lane).

    The common answer is no, and this finds it in a fraction of the time a
    :class:`~sessionkit.conflicts.ConflictIndex` query per session takes.
    """
    lanes: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
    for session in batch:
        if session.busy:
            span = (session.span.start, session.span.end)
            for ref in session.resources:
                lanes.setdefault((session.tenant, str(ref)), []).append(span)
    for spans in lanes.values():
        if len(spans) < 2:
            continue
        spans.sort()
        reach = spans[0][1]
        for start, end in spans[1:]:
            if start < reach:
                return True
            reach = max(reach, end)
    return False


class SqlAlchemySessionRepository(SqlRepository[Session]):
    """The :class:`~sessionkit.ports.SessionRepository`: the generic one plus conflicts and queries.

    Writes also take the backend's locks on the busy resources and, where no
    constraint refuses overlaps, check for them first; a refused write is
    explained as a duplicate, a ``SessionConflict`` or a missing series.
    """

    # ------------------------------------------------------------------ reads

    def _fetch(self, db: Db, tenant: str, ids: Sequence[str]) -> dict[str, Session]:
        return fetch_sessions(db, tenant, ids)

    def busy_overlapping(
        self,
        tenant: str,
        *,
        resources: Iterable[ResourceRef],
        span: TimeSpan,
        exclude_ids: Iterable[str] = (),
    ) -> list[Session]:
        """Return busy sessions on any of ``resources`` overlapping ``span``, by start then id."""
        names = sorted({str(ref) for ref in resources})
        if not names:
            return []
        excluded = sorted(set(exclude_ids))
        db = self._unit.db()
        if len(names) > CHUNK:
            # Very many resources (a bulk create): one query per chunk, merged in order.
            found: dict[str, Session] = {}
            for chunk in chunks(names):
                found.update((s.id, s) for s in self._busy(db, tenant, chunk, span, excluded))
            return by_start(found.values())
        return self._busy(db, tenant, names, span, excluded)

    @staticmethod
    def _busy(
        db: Db, tenant: str, names: Sequence[str], span: TimeSpan, excluded: list[str]
    ) -> list[Session]:
        # Two statements: the resource rows (index ranges), then those sessions by primary
        # key. In one statement (S.id IN (...)) planners without statistics walked every
        # session of the tenant by start instead, to spare themselves a sort.
        numbered = len(names) <= _FIXED
        params = overlap_params(tenant, span, names, numbered=numbered)
        rows = db.connection().execute(_busy_rows(len(names) if numbered else None), params)
        ids = {session_id for session_id, end in rows if end > span.start}
        ids.difference_update(excluded)
        if not ids:
            return []
        return by_start(fetch_sessions(db, tenant, sorted(ids)).values())

    def for_series(
        self, tenant: str, series_id: str, *, start_from: datetime | None = None
    ) -> list[Session]:
        """Return the series' sessions starting at or after ``start_from``, by start then id."""
        statement = select(S).where(S.c.tenant == tenant, S.c.series_id == series_id)
        if start_from is not None:
            statement = statement.where(S.c.start_at >= start_from)
        return load_sessions(self._unit.db(), statement.order_by(S.c.start_at, S.c.id))

    def for_occurrences(
        self, tenant: str, series_id: str, keys: Iterable[datetime]
    ) -> dict[datetime, Session]:
        """Return the series' sessions for the given occurrence keys (naive local starts), by key.

        One query per chunk of keys, by the unique index on (tenant, series_id,
        occurrence_key); never the series' whole history.
        """
        wanted = sorted(set(keys))
        found: dict[datetime, Session] = {}
        db = self._unit.db()
        for chunk in chunks(wanted):
            statement = select(S).where(
                S.c.tenant == tenant, S.c.series_id == series_id, S.c.occurrence_key.in_(chunk)
            )
            for session in load_sessions(db, statement):
                if session.occurrence_key is not None:
                    found[session.occurrence_key] = session
        return found

    def query(self, tenant: str, query: SessionQuery) -> Page[Session]:
        """Return one page of sessions matching ``query``, with the total count (two queries).

        ``updated`` sorts a never-updated session by its creation time; ties
        break by id in the same direction as the sort.
        """
        return run_query(self._unit.db(), self._unit.backend, tenant, query)

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

        ``after`` (a ``(start, id)``) and ``limit`` page through them, on the
        (tenant, status, start) index; ``lifecycles`` keeps those in a status
        of their own lifecycle's.
        """
        wanted = _timed(statuses, lifecycles)
        if wanted is None:
            return []
        statement = select(S).where(S.c.tenant == tenant, wanted, S.c.start_at < start_before)
        if after is not None:
            start, last_id = after
            statement = statement.where(
                or_(S.c.start_at > start, and_(S.c.start_at == start, S.c.id > last_id))
            )
        statement = statement.order_by(S.c.start_at, S.c.id)
        if limit is not None:
            statement = statement.limit(limit)
        return load_sessions(self._unit.db(), statement)

    def due_tenants(
        self,
        *,
        statuses: Iterable[str],
        start_before: datetime,
        lifecycles: Mapping[str, Collection[str]] | None = None,
    ) -> list[str]:
        """Return the tenants having sessions in ``statuses`` starting before ``start_before``."""
        wanted = _timed(statuses, lifecycles)
        if wanted is None:
            return []
        statement = (
            select(S.c.tenant)
            .where(wanted, S.c.start_at < start_before)
            .distinct()
            .order_by(S.c.tenant)
        )
        return list(self._unit.db().connection().execute(statement).scalars())

    # ------------------------------------------------------------------ write hooks

    def _check_batch(self, batch: Sequence[Session]) -> None:
        """Refuse repeated ids and keys, and overlaps inside ``batch`` itself (no database)."""
        super()._check_batch(batch)
        if not _overlaps_inside(batch):
            return
        # Some pair overlaps: find the first session that collides, and with what.
        by_id = {(s.tenant, s.id): s for s in batch}
        index: ConflictIndex[tuple[str, str]] = ConflictIndex()
        for session in batch:
            if not (session.busy and session.resources):
                continue
            lanes = [(session.tenant, str(r)) for r in session.resources]
            keys = index.conflicts_with(session.span, lanes)
            if keys:
                raise conflict_error(session, by_start([by_id[key] for key in keys]))
            index.add((session.tenant, session.id), session.span, lanes)

    def _before_insert(self, db: Db, batch: Sequence[Session]) -> None:
        """Lock the batch's busy resources; without a constraint, check for stored overlaps.

        Duplicates and overlaps against stored sessions are left to the
        database's constraints where it has them, else found with one query
        under the write lock.
        """
        backend = self._unit.backend
        check = backend.check_before_write(db)
        if check and any(s.busy and s.resources for s in batch):
            self._unit.refuse_stale_counts()  # the query reads as the host's level lets it
        for tenant in sorted({s.tenant for s in batch}):
            mine = [s for s in batch if s.tenant == tenant]
            backend.lock(db, tenant, {str(r) for s in mine if s.busy for r in s.resources})
            if check:
                ids = {s.id for s in mine}
                blockers = stored_blockers(db, tenant, mine, set())
                for session in mine:
                    found = blockers.get(session.id)
                    if not found:
                        continue
                    # A stored row with a batch member's id is that member's duplicate.
                    twins = sorted(ids.intersection(found))
                    if twins:
                        twin = next(s for s in mine if s.id == twins[0])
                        raise self.kind.taken(twin, None, self.get(tenant, twin.id))
                    raise_conflict(db, session, found)

    def _before_children(self, db: Db, new: Session) -> None:
        """Lock the session's busy resources; check for overlaps where no constraint does."""
        backend = self._unit.backend
        names = {str(r) for r in new.resources} if new.busy else set()
        check = bool(names) and backend.check_before_write(db)
        if check:
            self._unit.refuse_stale_counts()
        backend.lock(db, new.tenant, names)
        if check:
            blockers = stored_blockers(db, new.tenant, [new], {new.id})
            if blockers:
                raise_conflict(db, new, blockers[new.id])

    def _explain(self, db: Db, tenant: str, mine: Sequence[Session], error: IntegrityError) -> None:
        """A refusal that is no duplicate: a stored busy session in the way (the constraint).

        Rows written around sessionkit may carry a wrong ``long_span`` flag and
        hide from the bounded conflict query; the constraint still refuses
        them, so a refusal that query cannot explain asks again exhaustively.
        A joined unit's refusal no read explains (a blocker committed after a
        host's snapshot) is still a ``SessionConflict``, naming no blockers.
        The store's own units read in ``READ COMMITTED``, so theirs is a race
        (the blocker moved since): a ``TransientConflict`` (``reason``
        ``"constraint"``, retryable), which the kit's commands run again, as
        the Django store answers it.
        """
        exclude = {s.id for s in mine}
        blockers = stored_blockers(db, tenant, mine, exclude) or stored_blockers(
            db, tenant, mine, exclude, exhaustive=True
        )
        for session in mine:
            if session.id in blockers:
                raise_conflict(db, session, blockers[session.id], error)
        if self._unit.joined:
            unseen = unseen_conflict(mine, error)
            if unseen is not None:
                raise unseen from error
            return
        diag = getattr(error.orig, "diag", None)
        if getattr(diag, "constraint_name", None) != EXCLUSION_CONSTRAINT:
            return  # another constraint's (a missing series): translated by the caller
        backend = self._unit.backend.name
        raise TransientConflict(
            f"the database refused session {mine[0].id!r} in a race ({error.orig or error}); "
            "running the command again usually succeeds",
            reason="constraint",
            backend=backend,
            retryable=True,
            code=driver_code(error.orig or error, backend),
        ) from error


def _timed(
    statuses: Iterable[str], lifecycles: Mapping[str, Collection[str]] | None
) -> ColumnElement[bool] | None:
    """The condition on status (and lifecycle) of ``due``; ``None``: no session can match."""
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    if not wanted:
        return None
    if lifecycles is None:
        return S.c.status.in_(sorted(wanted))
    each = [
        and_(S.c.lifecycle == name, S.c.status.in_(sorted(wanted & set(timed))))
        for name, timed in sorted(lifecycles.items())
        if wanted & set(timed)
    ]
    # A lifecycle the kit does not know: its sessions stay candidates, for the tick to report.
    each.append(and_(S.c.lifecycle.not_in(sorted(lifecycles)), S.c.status.in_(sorted(wanted))))
    return or_(*each)
