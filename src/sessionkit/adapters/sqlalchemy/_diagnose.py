"""Which stored busy sessions block a write, and the ``SessionConflict`` that names them.

:func:`stored_blockers` serves the backends that check for overlaps before
writing, and the explanation of a write the exclusion constraint refused
(duplicates and missing series are explained by the generic repository).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NoReturn

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

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
_REFUSED_KEY = re.compile(
    r'Key \(.*?\)=\((?P<lane>.*), [\[(]"(?P<start>[^"]*)","(?P<end>[^"]*)"[\])]\) '
    r"conflicts with existing key"
)
"""PostgreSQL's DETAIL of an exclusion violation: the refused row's tenant, resource and range."""


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
    row the error's DETAIL shows; when the DETAIL names none alone (it is
    withheld, or its instants are not ISO text and two sessions share the
    resource), the first busy one with resources.
    """
    diag = getattr(error.orig, "diag", None)
    if getattr(diag, "constraint_name", None) != EXCLUSION_CONSTRAINT:
        return None
    busy = [s for s in mine if s.busy and s.resources]
    if not busy:
        return None
    session, needs = busy[0], ", ".join(sorted(str(r) for r in busy[0].resources))
    if len(busy[0].resources) > 1:
        needs = f"one of {needs}"
    shown = _REFUSED_KEY.search(str(getattr(diag, "message_detail", None) or ""))
    if shown is not None:
        lane, start, end = shown["lane"], shown["start"], shown["end"]
        named = [
            (candidate, str(r))
            for candidate in busy
            for r in candidate.resources
            if f"{candidate.tenant}, {r}" == lane and _same_span(candidate, start, end)
        ]
        if len(named) == 1:
            session, needs = named[0]
    return SessionConflict(
        f"session {session.id!r} ({session.span.isoformat()}) needs {needs}, already busy "
        "with a session committed after your transaction's first read, which its snapshot "
        "cannot show (run the transactions you join in READ COMMITTED to have it named)",
        session=session,
        conflicts=[],
    )


def _same_span(session: Session, start: str, end: str) -> bool:
    """Whether PostgreSQL's ``start`` and ``end`` text are ``session``'s (maybe: not ISO text)."""
    try:
        shown = (datetime.fromisoformat(start), datetime.fromisoformat(end))
    except ValueError:  # a DateStyle other than ISO: the tenant and resource decide alone
        return True
    return shown == (session.span.start, session.span.end)
