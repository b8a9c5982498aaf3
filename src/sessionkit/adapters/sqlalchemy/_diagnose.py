"""Why a session write was refused: the blockers, the duplicates, the missing series.

When the database refuses a write (``IntegrityError``) the savepoint is rolled
back and :func:`explain_refusal` runs a few queries to find the cause, raising
``DuplicateSession``, ``SessionConflict`` or ``SeriesNotFound`` with the
offending records loaded instead of the driver error. The same conflict search
(:func:`stored_blockers`) serves the backends that check for overlaps before
writing, and the error builders serve the checks inside a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from sessionkit.adapters.sqlalchemy._query import (
    busy_rows_overlapping,
    chunks,
    fetch_sessions,
    load_sessions,
    overlap_params,
)
from sessionkit.adapters.sqlalchemy.rows import (
    SeriesRow,
    session_resources_table,
    sessions_table,
)
from sessionkit.conflicts import ConflictIndex
from sessionkit.errors import DuplicateSession, SeriesNotFound, SessionConflict
from sessionkit.model.session import Session
from sessionkit.timespan import TimeSpan

__all__ = [
    "by_start",
    "conflict_error",
    "duplicate_id_error",
    "duplicate_key_error",
    "explain_refusal",
    "raise_conflict",
    "stored_blockers",
]

S = sessions_table
R = session_resources_table
_BUSY_RESOURCE_ROWS = busy_rows_overlapping(R.c.session_id, R.c.resource, R.c.start_at, R.c.end_at)
"""Busy resource rows on some resources overlapping a span (one compiled form for all)."""


def by_start(sessions: Iterable[Session]) -> list[Session]:
    """Return ``sessions`` by start then id."""
    return sorted(sessions, key=lambda s: (s.span.start, s.id))


def conflict_error(session: Session, blockers: list[Session]) -> SessionConflict:
    """Return the ``SessionConflict`` of ``session`` with ``blockers`` (by start then id)."""
    shared = sorted({str(r) for b in blockers for r in b.resources if r in session.resources})
    return SessionConflict(
        f"session {session.id!r} ({session.span.isoformat()}) needs "
        f"{', '.join(shared)}, already busy with "
        + ", ".join(f"{b.id!r} ({b.span.isoformat()})" for b in blockers),
        session=session,
        conflicts=blockers,
    )


def duplicate_id_error(session: Session, existing: Session) -> DuplicateSession:
    """Return the ``DuplicateSession`` of ``session`` whose id ``existing`` already has."""
    return DuplicateSession(
        f"session {session.id!r} already exists for tenant {session.tenant!r}",
        session_id=session.id,
        existing=existing,
    )


def duplicate_key_error(session: Session, existing: Session) -> DuplicateSession:
    """Return the ``DuplicateSession`` of ``session`` whose occurrence ``existing`` holds."""
    key = session.occurrence_key
    assert key is not None
    return DuplicateSession(
        f"series {session.series_id!r} already has session {existing.id!r} for the "
        f"occurrence {key.isoformat()}",
        session_id=session.id,
        existing=existing,
    )


def stored_blockers(
    db: OrmSession, tenant: str, batch: Sequence[Session], exclude: set[str]
) -> dict[str, list[str]]:
    """Map each busy session of ``batch`` to the stored busy sessions it overlaps.

    One query per chunk of resources (see :func:`.chunks`) loads the busy resource rows of the
    batch's resources inside its time range; the overlaps are then
    found with a :class:`~sessionkit.conflicts.ConflictIndex`. Sessions in
    ``exclude`` (the batch itself, the session being updated) never block.
    """
    busy = [s for s in batch if s.busy and s.resources]
    if not busy:
        return {}
    names = sorted({str(r) for s in busy for r in s.resources})
    overall = TimeSpan(min(s.span.start for s in busy), max(s.span.end for s in busy))
    stored: dict[str, tuple[TimeSpan, list[str]]] = {}
    for chunk in chunks(names):
        params = overlap_params(tenant, overall, chunk)
        for session_id, resource, start, end in db.execute(_BUSY_RESOURCE_ROWS, params):
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


def raise_conflict(
    db: OrmSession,
    session: Session,
    blocker_ids: Sequence[str],
    cause: BaseException | None = None,
) -> NoReturn:
    """Load the blocking sessions and raise the ``SessionConflict`` of ``session``."""
    blockers = fetch_sessions(db, session.tenant, list(blocker_ids))
    raise conflict_error(session, by_start(blockers.values())) from cause


def explain_refusal(
    db: OrmSession, batch: Sequence[Session], *, updating: bool, error: IntegrityError
) -> NoReturn:
    """Raise the sessionkit error behind a refused write (the savepoint is rolled back).

    Looks for, in order: a stored session with a new session's id (not when
    ``updating``), a stored session holding one's occurrence, a stored busy
    session in the way, a series that does not exist. Re-raises ``error`` if
    none of them explains it.
    """
    for tenant in sorted({s.tenant for s in batch}):
        mine = [s for s in batch if s.tenant == tenant]
        if not updating:
            stored = fetch_sessions(db, tenant, [s.id for s in mine])
            for session in mine:
                if session.id in stored:
                    raise duplicate_id_error(session, stored[session.id]) from error
        keyed = [s for s in mine if s.series_id is not None and s.occurrence_key is not None]
        if keyed:
            owners = _occurrence_owners(db, tenant, keyed)
            for session in keyed:
                owner = owners.get((session.series_id, session.occurrence_key))
                if owner is not None and owner.id != session.id:
                    raise duplicate_key_error(session, owner) from error
        blockers = stored_blockers(db, tenant, mine, {s.id for s in mine})
        for session in mine:
            if session.id in blockers:
                raise_conflict(db, session, blockers[session.id], error)
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
    db: OrmSession, tenant: str, keyed: Sequence[Session]
) -> dict[tuple[str | None, datetime | None], Session]:
    series_ids = sorted({s.series_id for s in keyed if s.series_id is not None})
    keys = [s.occurrence_key for s in keyed if s.occurrence_key is not None]
    statement = select(S).where(
        S.c.tenant == tenant,
        S.c.series_id.in_(series_ids),
        S.c.occurrence_key >= min(keys),
        S.c.occurrence_key <= max(keys),
    )
    return {(s.series_id, s.occurrence_key): s for s in load_sessions(db, statement)}
