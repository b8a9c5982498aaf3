"""The session repository: SQL for every read, a SAVEPOINT per write, translated errors.

Every method runs a fixed number of statements whatever the number of
sessions involved (batches of ids are split into chunks only to respect the
drivers' parameter limits). Writes happen inside a SAVEPOINT; when the database
refuses one (``IntegrityError``), the savepoint is rolled back and a few
queries find out why, so the caller gets ``DuplicateSession``,
``SessionConflict`` or ``SeriesNotFound`` with the offending records loaded,
never a driver error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import attrs
from sqlalchemy import (
    CursorResult,
    Executable,
    Select,
    and_,
    delete,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from sessionkit.adapters.sqlalchemy._query import run_query
from sessionkit.adapters.sqlalchemy.mapping import (
    resource_values,
    session_from_row,
    session_values,
)
from sessionkit.adapters.sqlalchemy.rows import (
    SeriesRow,
    session_resources_table,
    sessions_table,
)
from sessionkit.conflicts import ConflictIndex
from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSession,
    SeriesNotFound,
    SessionConflict,
    SessionNotFound,
)
from sessionkit.model.query import Page, SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

if TYPE_CHECKING:
    from sessionkit.adapters.sqlalchemy.store import SqlAlchemyUnitOfWork

__all__ = ["SqlAlchemySessionRepository"]

S = sessions_table
R = session_resources_table
CHUNK = 900
"""Ids per ``IN (...)`` list: far below every driver's parameter limit."""
_RESOURCE_FILTER_LIMIT = 200
"""Above this many resources the conflict query filters by time alone."""

T = TypeVar("T")


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for begin in range(0, len(values), CHUNK):
        yield values[begin : begin + CHUNK]


def _rowcount(db: OrmSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it matched."""
    return cast("CursorResult[Any]", db.execute(statement)).rowcount


def _by_start(sessions: Iterable[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.span.start, s.id))


def _conflict(session: Session, blockers: list[Session]) -> SessionConflict:
    shared = sorted({str(r) for b in blockers for r in b.resources if r in session.resources})
    return SessionConflict(
        f"session {session.id!r} ({session.span.isoformat()}) needs "
        f"{', '.join(shared)}, already busy with "
        + ", ".join(f"{b.id!r} ({b.span.isoformat()})" for b in blockers),
        session=session,
        conflicts=blockers,
    )


def _duplicate_id(session: Session, existing: Session) -> DuplicateSession:
    return DuplicateSession(
        f"session {session.id!r} already exists for tenant {session.tenant!r}",
        session_id=session.id,
        existing=existing,
    )


def _duplicate_key(session: Session, existing: Session) -> DuplicateSession:
    key = session.occurrence_key
    assert key is not None
    return DuplicateSession(
        f"series {session.series_id!r} already has session {existing.id!r} for the "
        f"occurrence {key.isoformat()}",
        session_id=session.id,
        existing=existing,
    )


class SqlAlchemySessionRepository:
    """The :class:`~sessionkit.ports.SessionRepository` of a :class:`SqlAlchemyUnitOfWork`."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow

    # ------------------------------------------------------------------ reads

    def _load(self, db: OrmSession, statement: Select[Any]) -> list[Session]:
        return [session_from_row(row) for row in db.execute(statement).mappings()]

    def get(self, tenant: str, session_id: str) -> Session:
        """Return the session; raise ``SessionNotFound`` (also for another tenant's id)."""
        db = self._uow.db()
        found = self._load(db, select(S).where(S.c.tenant == tenant, S.c.id == session_id))
        if not found:
            raise SessionNotFound(session_id, tenant)
        return found[0]

    def get_many(self, tenant: str, session_ids: Iterable[str]) -> list[Session]:
        """Return the sessions that exist among ``session_ids``, in the order asked, each once."""
        wanted = list(dict.fromkeys(session_ids))
        found = self._fetch(self._uow.db(), tenant, wanted)
        return [found[i] for i in wanted if i in found]

    def _fetch(self, db: OrmSession, tenant: str, ids: Sequence[str]) -> dict[str, Session]:
        found: dict[str, Session] = {}
        for chunk in _chunks(ids):
            statement = select(S).where(S.c.tenant == tenant, S.c.id.in_(chunk))
            found.update((s.id, s) for s in self._load(db, statement))
        return found

    def busy_overlapping(
        self,
        tenant: str,
        *,
        resources: Iterable[ResourceRef],
        span: TimeSpan,
        exclude_ids: Iterable[str] = (),
    ) -> list[Session]:
        """Return busy sessions on any of ``resources`` overlapping ``span``, by start then id."""
        db = self._uow.db()
        names = sorted({str(ref) for ref in resources})
        if not names:
            return []
        occupies = (
            select(R.c.session_id)
            .where(
                R.c.tenant == tenant,
                R.c.session_id == S.c.id,
                R.c.resource.in_(names),
                R.c.busy.is_(True),
                R.c.end_at > span.start,
                R.c.start_at < span.end,
            )
            .exists()
        )
        statement = select(S).where(S.c.tenant == tenant, occupies)
        excluded = sorted(set(exclude_ids))
        if excluded:
            statement = statement.where(S.c.id.not_in(excluded))
        return self._load(db, statement.order_by(S.c.start_at, S.c.id))

    def for_series(
        self, tenant: str, series_id: str, *, start_from: datetime | None = None
    ) -> list[Session]:
        """Return the series' sessions starting at or after ``start_from``, by start then id."""
        statement = select(S).where(S.c.tenant == tenant, S.c.series_id == series_id)
        if start_from is not None:
            statement = statement.where(S.c.start_at >= start_from)
        return self._load(self._uow.db(), statement.order_by(S.c.start_at, S.c.id))

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
        return self._load(self._uow.db(), statement.order_by(S.c.start_at, S.c.id))

    # ------------------------------------------------------------------ conflict detection

    def _stored_blockers(
        self, db: OrmSession, tenant: str, batch: Sequence[Session], exclude: set[str]
    ) -> dict[str, list[str]]:
        """Map each busy session of ``batch`` to the stored busy sessions it overlaps.

        One query loads the busy resource rows inside the batch's time range
        (on its resources, unless there are very many); the overlaps are then
        found with a :class:`~sessionkit.conflicts.ConflictIndex`. Sessions in
        ``exclude`` (the batch itself, the session being updated) never block.
        """
        busy = [s for s in batch if s.busy and s.resources]
        if not busy:
            return {}
        names = sorted({str(r) for s in busy for r in s.resources})
        statement = select(R.c.session_id, R.c.resource, R.c.start_at, R.c.end_at).where(
            R.c.tenant == tenant,
            R.c.busy.is_(True),
            R.c.end_at > min(s.span.start for s in busy),
            R.c.start_at < max(s.span.end for s in busy),
        )
        if len(names) <= _RESOURCE_FILTER_LIMIT:
            statement = statement.where(R.c.resource.in_(names))
        stored: dict[str, tuple[TimeSpan, list[str]]] = {}
        for session_id, resource, start, end in db.execute(statement):
            if session_id in exclude:
                continue
            entry = stored.setdefault(session_id, (TimeSpan(start, end), []))
            entry[1].append(resource)
        if not stored:
            return {}
        index: ConflictIndex[str] = ConflictIndex()
        index.add_many((key, span, resources) for key, (span, resources) in stored.items())
        found: dict[str, list[str]] = {}
        for session in busy:
            keys = index.conflicts_with(session.span, [str(r) for r in session.resources])
            if keys:
                found[session.id] = keys
        return found

    def _raise_conflict(
        self,
        db: OrmSession,
        session: Session,
        blocker_ids: Sequence[str],
        cause: BaseException | None = None,
    ) -> NoReturn:
        blockers = self._fetch(db, session.tenant, list(blocker_ids))
        raise _conflict(session, _by_start(blockers.values())) from cause

    def _check_batch(self, batch: Sequence[Session]) -> None:
        """Refuse duplicates and overlaps inside ``batch`` itself (no database needed)."""
        by_id: dict[tuple[str, str], Session] = {}
        by_key: dict[tuple[str, str, datetime], Session] = {}
        for session in batch:
            first = by_id.setdefault((session.tenant, session.id), session)
            if first is not session:
                raise _duplicate_id(session, first)
            if session.series_id is not None and session.occurrence_key is not None:
                key = (session.tenant, session.series_id, session.occurrence_key)
                owner = by_key.setdefault(key, session)
                if owner is not session:
                    raise _duplicate_key(session, owner)
        index: ConflictIndex[tuple[str, str]] = ConflictIndex()
        for session in batch:
            if not (session.busy and session.resources):
                continue
            lanes = [(session.tenant, str(r)) for r in session.resources]
            keys = index.conflicts_with(session.span, lanes)
            if keys:
                blockers = [by_id[key] for key in keys]
                raise _conflict(session, _by_start(blockers))
            index.add((session.tenant, session.id), session.span, lanes)

    def _explain(
        self, db: OrmSession, batch: Sequence[Session], *, updating: bool, error: IntegrityError
    ) -> NoReturn:
        """Raise the sessionkit error behind a refused write (the savepoint is rolled back)."""
        for tenant in sorted({s.tenant for s in batch}):
            mine = [s for s in batch if s.tenant == tenant]
            if not updating:
                stored = self._fetch(db, tenant, [s.id for s in mine])
                for session in mine:
                    if session.id in stored:
                        raise _duplicate_id(session, stored[session.id]) from error
            keyed = [s for s in mine if s.series_id is not None and s.occurrence_key is not None]
            if keyed:
                owners = self._occurrence_owners(db, tenant, keyed)
                for session in keyed:
                    owner = owners.get((session.series_id, session.occurrence_key))
                    if owner is not None and owner.id != session.id:
                        raise _duplicate_key(session, owner) from error
            blockers = self._stored_blockers(db, tenant, mine, {s.id for s in mine})
            for session in mine:
                if session.id in blockers:
                    self._raise_conflict(db, session, blockers[session.id], error)
            series_ids = sorted({s.series_id for s in mine if s.series_id is not None})
            if series_ids:
                known = set(
                    db.scalars(
                        select(SeriesRow.id).where(
                            SeriesRow.tenant == tenant, SeriesRow.id.in_(series_ids)
                        )
                    )
                )
                for series_id in series_ids:
                    if series_id not in known:
                        raise SeriesNotFound(series_id, tenant) from error
        raise error

    def _occurrence_owners(
        self, db: OrmSession, tenant: str, keyed: Sequence[Session]
    ) -> dict[tuple[str | None, datetime | None], Session]:
        series_ids = sorted({s.series_id for s in keyed if s.series_id is not None})
        keys = [s.occurrence_key for s in keyed if s.occurrence_key is not None]
        statement = select(S).where(
            S.c.tenant == tenant,
            S.c.series_id.in_(series_ids),
            S.c.occurrence_key >= min(keys),
            S.c.occurrence_key <= max(keys),
        )
        return {(s.series_id, s.occurrence_key): s for s in self._load(db, statement)}

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
                    blockers = self._stored_blockers(db, tenant, mine, set())
                    for session in mine:
                        found = blockers.get(session.id)
                        if not found:
                            continue
                        # A stored row with a batch member's id is that member's duplicate.
                        twins = sorted(ids.intersection(found))
                        if twins:
                            twin = next(s for s in mine if s.id == twins[0])
                            raise _duplicate_id(twin, self.get(tenant, twin.id))
                        self._raise_conflict(db, session, found)
            db.execute(insert(S), [session_values(s) for s in batch])
            rows = [row for s in batch for row in resource_values(s)]
            if rows:
                db.execute(insert(R), rows)
        except IntegrityError as error:
            savepoint.rollback()
            self._explain(db, batch, updating=False, error=error)
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
        values = session_values(new)
        for key in ("tenant", "id", "created_at", "created_by"):
            values.pop(key)
        savepoint = db.begin_nested()
        try:
            changed = _rowcount(
                db,
                update(S)
                .where(
                    S.c.tenant == session.tenant,
                    S.c.id == session.id,
                    S.c.version == expected_version,
                )
                .values(values),
            )
            if changed != 1:
                self._stale(db, session.tenant, session.id, expected_version)
            names = {str(r) for r in new.resources} if new.busy else set()
            backend.lock(db, new.tenant, names)
            if names and backend.check_before_write(db):
                blockers = self._stored_blockers(db, new.tenant, [new], {new.id})
                if blockers:
                    self._raise_conflict(db, new, blockers[new.id])
            db.execute(delete(R).where(R.c.tenant == new.tenant, R.c.session_id == new.id))
            rows = resource_values(new)
            if rows:
                db.execute(insert(R), rows)
        except IntegrityError as error:
            savepoint.rollback()
            self._explain(db, [new], updating=True, error=error)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return new

    def _stale(self, db: OrmSession, tenant: str, session_id: str, expected: int) -> NoReturn:
        actual = db.scalar(select(S.c.version).where(S.c.tenant == tenant, S.c.id == session_id))
        if actual is None:
            raise SessionNotFound(session_id, tenant)
        raise ConcurrentModification(session_id, expected, actual)

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
            if _rowcount(db, delete(S).where(current)) != 1:
                self._stale(db, tenant, session_id, expected_version)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
