"""The session repository: SQL for every read, a SAVEPOINT per write, translated errors.

Every method runs a fixed number of statements whatever the number of
sessions involved (batches of ids are split into chunks only to respect the
drivers' parameter limits). Writes happen inside a SAVEPOINT; when the database
refuses one (``IntegrityError``), the savepoint is rolled back and a few
queries find out why (:mod:`~sessionkit.adapters.sqlalchemy._diagnose`), so
the caller gets ``DuplicateSession``, ``SessionConflict`` or ``SeriesNotFound``
with the offending records loaded, never a driver error.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import (
    CompoundSelect,
    and_,
    delete,
    exists,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from sessionkit.adapters.sqlalchemy._diagnose import (
    by_start,
    conflict_error,
    duplicate_id_error,
    duplicate_key_error,
    explain_refusal,
    raise_conflict,
    stored_blockers,
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
from sessionkit.adapters.sqlalchemy._versioned import raise_stale, rowcount, update_versioned
from sessionkit.adapters.sqlalchemy.mapping import resource_values, session_values
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.conflicts import ConflictIndex
from sessionkit.errors import SessionNotFound
from sessionkit.model.query import Page, SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

if TYPE_CHECKING:
    from sessionkit.adapters.sqlalchemy.store import SqlAlchemyUnitOfWork

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


class SqlAlchemySessionRepository:
    """The :class:`~sessionkit.ports.SessionRepository` of a :class:`SqlAlchemyUnitOfWork`."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow

    # ------------------------------------------------------------------ reads

    def get(self, tenant: str, session_id: str) -> Session:
        """Return the session; raise ``SessionNotFound`` (also for another tenant's id)."""
        db = self._uow.db()
        found = load_sessions(db, select(S).where(S.c.tenant == tenant, S.c.id == session_id))
        if not found:
            raise SessionNotFound(session_id, tenant)
        return found[0]

    def get_many(self, tenant: str, session_ids: Iterable[str]) -> list[Session]:
        """Return the sessions that exist among ``session_ids``, in the order asked, each once."""
        wanted = list(dict.fromkeys(session_ids))
        found = fetch_sessions(self._uow.db(), tenant, wanted)
        return [found[i] for i in wanted if i in found]

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
        db = self._uow.db()
        if len(names) > CHUNK:
            # Very many resources (a bulk create): one query per chunk, merged in order.
            found: dict[str, Session] = {}
            for chunk in chunks(names):
                found.update((s.id, s) for s in self._busy(db, tenant, chunk, span, excluded))
            return by_start(found.values())
        return self._busy(db, tenant, names, span, excluded)

    @staticmethod
    def _busy(
        db: OrmSession, tenant: str, names: Sequence[str], span: TimeSpan, excluded: list[str]
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
        return load_sessions(self._uow.db(), statement.order_by(S.c.start_at, S.c.id))

    def for_occurrences(
        self, tenant: str, series_id: str, keys: Iterable[datetime]
    ) -> dict[datetime, Session]:
        """Return the series' sessions for the given occurrence keys, by key."""
        wanted = sorted(set(keys))
        found: dict[datetime, Session] = {}
        db = self._uow.db()
        for chunk in chunks(wanted):
            statement = select(S).where(
                S.c.tenant == tenant, S.c.series_id == series_id, S.c.occurrence_key.in_(chunk)
            )
            for session in load_sessions(db, statement):
                assert session.occurrence_key is not None
                found[session.occurrence_key] = session
        return found

    def query(self, tenant: str, query: SessionQuery) -> Page[Session]:
        """Return one page of sessions matching ``query``, with the total count (two queries).

        ``updated`` sorts a never-updated session by its creation time; ties
        break by id in the same direction as the sort.
        """
        return run_query(self._uow.db(), self._uow.backend, tenant, query)

    def due(self, tenant: str, *, statuses: Iterable[str], start_before: datetime) -> list[Session]:
        """Return sessions in ``statuses`` starting before ``start_before``, by start then id."""
        wanted = sorted({statuses} if isinstance(statuses, str) else set(statuses))
        if not wanted:
            return []
        statement = select(S).where(
            S.c.tenant == tenant, S.c.status.in_(wanted), S.c.start_at < start_before
        )
        return load_sessions(self._uow.db(), statement.order_by(S.c.start_at, S.c.id))

    # ------------------------------------------------------------------ conflict detection

    def _check_batch(self, batch: Sequence[Session]) -> None:
        """Refuse duplicates and overlaps inside ``batch`` itself (no database needed)."""
        by_id: dict[tuple[str, str], Session] = {}
        by_key: dict[tuple[str, str, datetime], Session] = {}
        for session in batch:
            first = by_id.setdefault((session.tenant, session.id), session)
            if first is not session:
                raise duplicate_id_error(session, first)
            if session.series_id is not None and session.occurrence_key is not None:
                key = (session.tenant, session.series_id, session.occurrence_key)
                owner = by_key.setdefault(key, session)
                if owner is not session:
                    raise duplicate_key_error(session, owner)
        if not _overlaps_inside(batch):
            return
        # Some pair overlaps: find the first session that collides, and with what.
        index: ConflictIndex[tuple[str, str]] = ConflictIndex()
        for session in batch:
            if not (session.busy and session.resources):
                continue
            lanes = [(session.tenant, str(r)) for r in session.resources]
            keys = index.conflicts_with(session.span, lanes)
            if keys:
                blockers = [by_id[key] for key in keys]
                raise conflict_error(session, by_start(blockers))
            index.add((session.tenant, session.id), session.span, lanes)

    # ------------------------------------------------------------------ writes

    def add(self, session: Session) -> None:
        """Store a new session; raise ``DuplicateSession`` or ``SessionConflict``."""
        self.add_many([session])

    def add_many(self, sessions: Sequence[Session]) -> None:
        """Store new sessions in bulk, all or none; same errors as :meth:`add`.

        Inserts with one multi-row ``executemany`` per table (Core, not the ORM
        unit of work). Duplicates and overlaps inside the batch are found in
        Python first; against stored sessions the database's constraints (or,
        where no constraint guards overlaps, one query under the write lock)
        decide.
        """
        batch = list(sessions)
        if not batch:
            return
        db = self._uow.db()
        self._check_batch(batch)
        backend = self._uow.backend
        savepoint = db.begin_nested()
        try:
            check = backend.check_before_write(db)
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
                            raise duplicate_id_error(twin, self.get(tenant, twin.id))
                        raise_conflict(db, session, found)
            db.execute(insert(S), [session_values(s) for s in batch])
            rows = [row for s in batch for row in resource_values(s)]
            if rows:
                db.execute(insert(R), rows)
        except IntegrityError as error:
            savepoint.rollback()
            explain_refusal(db, batch, updating=False, error=error)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()

    def update(self, session: Session, *, expected_version: int) -> Session:
        """Replace the stored session, returning it with ``version + 1``.

        Raises ``SessionNotFound``, ``ConcurrentModification``, ``DuplicateSession``
        or ``SessionConflict`` (checked against every other session). The
        version check is ``UPDATE ... WHERE version = :expected``: a row count
        of zero means someone else got there first.
        """
        db = self._uow.db()
        backend = self._uow.backend
        new = attrs.evolve(session, version=expected_version + 1)
        savepoint = db.begin_nested()
        try:
            update_versioned(
                db,
                S,
                session_values(new),
                tenant=session.tenant,
                record_id=session.id,
                expected=expected_version,
                not_found=lambda: SessionNotFound(session.id, session.tenant),
            )
            names = {str(r) for r in new.resources} if new.busy else set()
            backend.lock(db, new.tenant, names)
            if names and backend.check_before_write(db):
                blockers = stored_blockers(db, new.tenant, [new], {new.id})
                if blockers:
                    raise_conflict(db, new, blockers[new.id])
            db.execute(delete(R).where(R.c.tenant == new.tenant, R.c.session_id == new.id))
            rows = resource_values(new)
            if rows:
                db.execute(insert(R), rows)
        except IntegrityError as error:
            savepoint.rollback()
            explain_refusal(db, [new], updating=True, error=error)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return new

    def delete(self, tenant: str, session_id: str, *, expected_version: int) -> None:
        """Delete the session; raise ``SessionNotFound`` or ``ConcurrentModification``."""
        db = self._uow.db()
        savepoint = db.begin_nested()
        try:
            current = and_(
                S.c.tenant == tenant, S.c.id == session_id, S.c.version == expected_version
            )
            db.execute(
                delete(R).where(
                    R.c.tenant == tenant,
                    R.c.session_id == session_id,
                    exists().where(current),
                )
            )
            if rowcount(db, delete(S).where(current)) != 1:
                raise_stale(
                    db,
                    S,
                    tenant,
                    session_id,
                    expected_version,
                    lambda: SessionNotFound(session_id, tenant),
                )
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
