"""Which stored busy sessions block a write, and the ``SessionConflict`` that names them.

:func:`stored_blockers` serves the backends that check for overlaps before
writing, and the explanation of a write the exclusion constraint refused
(duplicates and missing series are explained by the generic repository).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NoReturn

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from sessionkit.adapters._unseen_conflict import unseen_conflict as shared_unseen_conflict
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._query import (
    busy_rows_overlapping,
    chunks,
    fetch_sessions,
    overlap_params,
)
from sessionkit.adapters.sqlalchemy.rows import (
    EXCLUSION_CONSTRAINT,
    session_resources_table,
    sessions_table,
)
from sessionkit.conflicts import ConflictIndex
from sessionkit.errors import SessionConflict
from sessionkit.model.session import Session
from sessionkit.timespan import TimeSpan

__all__ = [
    "by_start",
    "conflict_error",
    "raise_conflict",
    "stored_blockers",
    "unseen_conflict",
]

S = sessions_table
R = session_resources_table
_BUSY_RESOURCE_ROWS = busy_rows_overlapping(R.c.session_id, R.c.resource, R.c.start_at, R.c.end_at)
"""Busy resource rows on some resources overlapping a span (one compiled form for all)."""
_ANY_BUSY_RESOURCE_ROWS = select(R.c.session_id, R.c.resource, R.c.start_at, R.c.end_at).where(
    R.c.tenant == bindparam("tenant"),
    R.c.resource.in_(bindparam("resources", expanding=True)),
    R.c.busy.is_(True),
    R.c.start_at < bindparam("end"),
    R.c.end_at > bindparam("start"),
)
"""The same rows found without trusting ``long_span`` (the exclusion constraint's own test)."""


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


def stored_blockers(
    db: Db,
    tenant: str,
    batch: Sequence[Session],
    exclude: set[str],
    *,
    exhaustive: bool = False,
) -> dict[str, list[str]]:
    """Map each busy session of ``batch`` to the stored busy sessions it overlaps.

    One query per chunk of resources (see :func:`.chunks`) loads the busy resource rows of the
    batch's resources inside its time range; the overlaps are then
    found with a :class:`~sessionkit.conflicts.ConflictIndex`. Sessions in
    ``exclude`` (the batch itself, the session being updated) never block.

    The query trusts each row's ``long_span`` flag to bound its index ranges;
    ``exhaustive`` asks what the exclusion constraint asks instead (busy rows
    of the resources overlapping the range, whatever their flags), for a
    refusal the usual query cannot explain (rows written around sessionkit).
    """
    busy = [s for s in batch if s.busy and s.resources]
    if not busy:
        return {}
    names = sorted({str(r) for s in busy for r in s.resources})
    overall = TimeSpan(min(s.span.start for s in busy), max(s.span.end for s in busy))
    stored: dict[str, tuple[TimeSpan, list[str]]] = {}
    taken: set[str] = set()
    statement = _ANY_BUSY_RESOURCE_ROWS if exhaustive else _BUSY_RESOURCE_ROWS
    for chunk in chunks(names):
        params = overlap_params(tenant, overall, chunk)
        for session_id, resource, start, end in db.execute(statement, params):
            if session_id in exclude:
                continue
            entry = stored.setdefault(session_id, (TimeSpan(start, end), []))
            entry[1].append(resource)
            taken.add(resource)
    if not stored:
        return {}
    index: ConflictIndex[str] = ConflictIndex()
    index.add_many((key, span, resources) for key, (span, resources) in stored.items())
    found: dict[str, list[str]] = {}
    for session in busy:
        lanes = [str(r) for r in session.resources]
        if taken.isdisjoint(lanes):
            continue  # nothing stored on its resources: the index has nothing to say
        keys = index.conflicts_with(session.span, lanes)
        if keys:
            found[session.id] = keys
    return found


def raise_conflict(
    db: Db,
    session: Session,
    blocker_ids: Sequence[str],
    cause: BaseException | None = None,
) -> NoReturn:
    """Load the blocking sessions and raise the ``SessionConflict`` of ``session``."""
    blockers = fetch_sessions(db, session.tenant, list(blocker_ids))
    raise conflict_error(session, by_start(blockers.values())) from cause


def unseen_conflict(mine: Sequence[Session], error: IntegrityError) -> SessionConflict | None:
    """Return the ``SessionConflict`` of an exclusion violation no query could explain, or ``None``.

    ``None`` unless ``error`` is PostgreSQL's exclusion constraint's. A unit
    joined to a host's transaction in ``REPEATABLE READ`` or ``SERIALIZABLE``
    reads the snapshot of the host's first read, but the constraint checks
    the rows committed since: a busy session committed after that read
    refuses the write, and no read of this transaction can load it, so
    ``conflicts`` is empty. The session refused is the one of ``mine`` whose
    row the error's DETAIL shows (:func:`sessionkit.adapters._unseen_conflict.unseen_conflict`,
    shared with the Django store).
    """
    return shared_unseen_conflict(
        mine,
        error.orig,
        EXCLUSION_CONSTRAINT,
        advice="run the transactions you join in READ COMMITTED to have it named",
    )
