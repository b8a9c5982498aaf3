"""The ``SessionConflict`` of an exclusion violation no read of the transaction can explain.

PostgreSQL's exclusion constraint on busy resource rows checks the rows
committed by now, but a transaction in ``REPEATABLE READ`` or
``SERIALIZABLE`` reads the snapshot of its first read: a unit joined to such a
host transaction is refused for a session committed after that read, which no
read of the transaction can load. :func:`unseen_conflict` names the refused
session and resource from the driver error's DETAIL. The SQLAlchemy store
(:mod:`sessionkit.adapters.sqlalchemy._diagnose`) and the Django store
(:mod:`sessionkit.contrib.django._sessions`) both raise it; it imports
neither, reads only the error's attributes and does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sessionkit.errors import SessionConflict
from sessionkit.model.session import Session

__all__ = ["unseen_conflict"]

_REFUSED_KEY = re.compile(
    r'Key \(.*?\)=\((?P<lane>.*), [\[(]"(?P<start>[^"]*)","(?P<end>[^"]*)"[\])]\) '
    r"conflicts with existing key"
)
"""PostgreSQL's DETAIL of an exclusion violation: the refused row's tenant, resource and range."""


def unseen_conflict(
    mine: Sequence[Session], driver_error: object, constraint: str, *, advice: str
) -> SessionConflict | None:
    """Return the ``SessionConflict`` of an exclusion violation no query could explain, or ``None``.

    ``None`` unless ``driver_error`` (psycopg's own exception, its ``diag``
    read) is a violation of ``constraint``, or when none of ``mine`` is busy
    with resources. ``conflicts`` is empty: the blocker was committed after
    the transaction's first read. The session refused is the one of ``mine``
    whose row the error's DETAIL shows; ``None`` when it shows another
    tenant's (a batch's next tenant is asked in its turn); when it names none
    alone (it is withheld, or its instants are not ISO text and two sessions
    share the resource), the first busy one with resources. ``advice`` ends the message
    (how to have the blocker named, in the store's terms).
    """
    diag = getattr(driver_error, "diag", None)
    if getattr(diag, "constraint_name", None) != constraint:
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
        if not any(lane.startswith(f"{s.tenant}, ") for s in busy):
            return None  # another tenant's row: a batch is explained tenant by tenant
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
        f"cannot show ({advice})",
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
