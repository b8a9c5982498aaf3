"""A schedule change's plan: which future sessions it deletes, re-times, or keeps, and why.

Private to the services package; :func:`~sessionkit.services.reconcile.reconcile_in`
runs it. :func:`locked_plan` sorts a series' future sessions (:class:`Sorted`),
locking those the change would write and sorting them again under the lock;
:func:`check_respecs` keeps the re-timed sessions that would collide where they
are, and orders the rest as the updates must run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from sessionkit.lifecycle import Lifecycle
from sessionkit.model.series import Series
from sessionkit.model.session import ResourceRef, Session
from sessionkit.services._context import Context, Tx
from sessionkit.services._editing import due_status, lock_sessions
from sessionkit.services.generation import BusyIndex, Wanted, skipped_occurrence
from sessionkit.services.reports import Orphan, Skipped

__all__ = ["Respec", "Sorted", "check_respecs", "locked_plan"]


def _untouchable(machine: Lifecycle, session: Session) -> str | None:
    """Return why reconciliation must leave ``session`` alone (links aside), or ``None``."""
    if session.is_extra or session.occurrence_key is None:
        return "it is an extra session"
    if session.detached:
        return "it was moved or edited by hand (detached)"
    if session.status != machine.entry_status:
        return f"its status {session.status!r} is not the entry status {machine.entry_status!r}"
    return None


def _respec(
    series: Series, session: Session, wanted: Wanted, seats: int | None
) -> tuple[Session, dict[str, Any]]:
    """Return ``session`` following ``wanted``'s slot, and the old values of what changed.

    ``seats``: the series' new capacity, when the change gives it one (else a
    session keeps its own, which its host may have set).
    """
    target: dict[str, Any] = {
        "title": wanted.item.title or series.title,
        "span": wanted.span,
        "resources": wanted.item.resources,
        "schedule_item_id": wanted.item.id,
        "tz": wanted.item.recurrence.tz,
    }
    if seats is not None:
        target["capacity"] = seats
    old: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for name, value in target.items():
        current = getattr(session, name)
        if current == value:
            continue
        changes[name] = value
        if name == "span":
            if session.start != wanted.span.start:
                old["start"] = session.start
            if session.end != wanted.span.end:
                old["end"] = session.end
        else:
            old[name] = current
    return (attrs.evolve(session, **changes) if changes else session), old


Respec = tuple[Session, Session, dict[str, Any]]
"""A session, the same following its new slot, and the old values of what changed."""


@attrs.define
class Sorted:
    """Where classification put each future session of the series."""

    deleted: list[Session] = attrs.Factory(list)
    kept: list[Session] = attrs.Factory(list)
    orphans: list[Orphan] = attrs.Factory(list)
    respecs: list[Respec] = attrs.Factory(list)
    off_time: dict[datetime, Session] = attrs.Factory(dict)
    """Sessions by the key they hold, where the schedule now wants it at another time."""
    differing: list[Orphan] = attrs.Factory(list)
    """Kept sessions the schedule wants at their time with another title or resources."""


def locked_plan(
    ctx: Context,
    tx: Tx,
    after: Series,
    future: list[Session],
    wanted_by_key: dict[datetime, Wanted],
    seats: int | None,
) -> tuple[list[Session], Sorted]:
    """Classify ``future``, with the sessions the change would write locked and read again.

    A first look finds the sessions to delete or re-time; those are locked
    (by id; one deleted meanwhile drops out) and the sessions classified
    again, their bookings counted under the lock. A booking takes the
    session's lock first, so none can commit between that count and the
    change (which would re-time a booked session without its bookings' copy
    of the time, or fail to delete it on the database's foreign key). The
    rest are not locked: the change leaves them as they are.
    """
    guess = _classify(ctx, tx, after, future, wanted_by_key, seats)
    writing = [*guess.deleted, *(session for session, _, _ in guess.respecs)]
    if not writing or tx.bookings_or_none() is None:
        return future, guess
    locked = lock_sessions(tx, writing)
    asked = {session.id for session in writing}
    future = [locked.get(s.id, s) for s in future if s.id in locked or s.id not in asked]
    return future, _classify(ctx, tx, after, future, wanted_by_key, seats)


def _classify(
    ctx: Context,
    tx: Tx,
    after: Series,
    future: list[Session],
    wanted_by_key: dict[datetime, Wanted],
    seats: int | None,
) -> Sorted:
    """Sort the future sessions: delete (unwanted), respec (slot or ``seats`` changed), or keep.

    A session's status is the one its timers due by now give it, tick or not
    (an academy lesson whose READY fell due is READY, and kept).
    """
    machine = ctx.lifecycle(after.lifecycle)
    why = {s.id: _untouchable(machine, due_status(ctx, tx, s)) for s in future}
    touchable = [s for s in future if why[s.id] is None]
    linked = ctx.blocking_links(tx, touchable)
    out = Sorted()
    for session in future:
        key = session.occurrence_key
        wish = None if key is None else wanted_by_key.get(key)
        reason = why[session.id]
        if reason is None and session.id in linked:
            reason = f"it has dependents ({linked[session.id]})"
        if wish is None and not session.is_extra and key is not None:
            if reason is None:
                out.deleted.append(session)
            else:
                out.kept.append(session)
                out.orphans.append(Orphan(session=session, reason=reason))
            continue
        if wish is not None and reason is None:
            changed, old = _respec(after, session, wish, seats)
            if old:
                out.respecs.append((session, changed, old))
                continue
        elif (
            wish is not None
            and reason is not None
            and not session.detached
            and (session.span, session.tz) != (wish.span, wish.item.recurrence.tz)
        ):
            # The same key at another time or zone (Berlin 18:00 made London 18:00): kept
            # where it is, so the schedule's occurrence that day is not made. Reported as
            # for a changed time, which gives the occurrence a new key: an orphan, and the
            # occurrence skipped as held.
            out.orphans.append(Orphan(session=session, reason=reason))
            out.off_time[wish.key] = session
        elif (
            wish is not None
            and reason is not None
            and not session.detached
            and session.busy
            and (session.title, session.resources)
            != (wish.item.title or after.title, wish.item.resources)
        ):
            # At its time, but with a title or resources the new schedule changed (the
            # class's teacher replaced): left as it is, so reported, else the old teacher
            # stayed busy and the new one free with no word of it. It holds its own key
            # already: reported only, never a stand-in for another occurrence of the day.
            out.differing.append(Orphan(session=session, reason=reason))
        out.kept.append(session)
    return out


def _clash(
    respec: Respec, starts: dict[datetime, Session], busy: BusyIndex
) -> tuple[Session, ResourceRef | None] | None:
    """Return what is in the respec's way (a session, and the shared resource if busy), or ``None``.

    Another session of the series at its new start (no resource), or a busy
    session on one of its resources at its new time.
    """
    session, changed, _ = respec
    holder = starts.get(changed.start)
    if holder is not None and holder.id != session.id:
        return holder, None
    if changed.busy:
        return busy.blocker(changed.span, changed.resources, exclude=session.id)
    return None


def check_respecs(
    after: Series,
    plan_: Sorted,
    busy: BusyIndex,
    wanted_by_key: dict[datetime, Wanted],
    staying: list[Session],
) -> tuple[list[Respec], list[Skipped]]:
    """Keep the respecs that would collide (reported as skipped); return the rest, in order.

    A respec collides with a busy session, or with another session of the
    series at its new start (``staying``: the series' sessions not deleted;
    a series has one session per start). A respec taken frees its old start
    and time for the others, so they are taken in rounds until a round takes
    none: one that waited for what another frees comes after it in the order
    returned, the order the updates must run in. The rest (a true clash, or
    moves that would swap starts) are kept where they are.
    """
    updated: list[Respec] = []
    starts: dict[datetime, Session] = {}
    for stays in staying:
        starts.setdefault(stays.start, stays)
    pending = list(plan_.respecs)
    blocked: list[tuple[Respec, tuple[Session, ResourceRef | None]]] = []
    while pending:
        blocked = []
        for respec in pending:
            hit = _clash(respec, starts, busy)
            if hit is not None:
                blocked.append((respec, hit))
                continue
            session, changed, _ = respec
            busy.add(changed)
            updated.append(respec)
            held = starts.get(session.start)
            if held is not None and held.id == session.id:
                del starts[session.start]
            starts[changed.start] = changed
        if len(blocked) == len(pending):
            break  # a round that took none changed nothing: its hits are what stays in the way
        pending = [respec for respec, _ in blocked]
    skipped: list[Skipped] = []
    for (session, _, _), hit in blocked:
        wish = wanted_by_key[session.occurrence_key]  # type: ignore[index]  # generated
        reason = "exists" if hit[1] is None else "conflict"
        skipped.append(skipped_occurrence(after, wish, reason, hit[0], hit[1]))
        plan_.kept.append(session)
    return updated, skipped
