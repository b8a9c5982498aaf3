"""Schedule changes: reconcile a series' future sessions instead of recreating them.

Only future sessions (starting at or after the cutoff) in the lifecycle's
initial status, generated (not extra), not detached and without dependents
are ever changed or deleted here; everything else is kept, and a kept session
the new schedule no longer wants, or wants otherwise (another time, zone,
title or resources), is reported as an orphan with the reason. It still stands
for the occurrence its item moved to on its local day, which is not made
again: the orphan takes its key. Closing a series is
:mod:`~sessionkit.services._closing`'s.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import attrs

from sessionkit.lifecycle import Lifecycle
from sessionkit.limits import Limits
from sessionkit.model.events import (
    DomainEvent,
    SessionCreated,
    SessionDeleted,
    SessionsRegenerated,
    SessionUpdated,
)
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.model.session import ResourceRef, Session
from sessionkit.recurrence import Occurrence
from sessionkit.services._context import Context, Tx
from sessionkit.services._editing import due_status, lock_sessions
from sessionkit.services._series_time import series_start
from sessionkit.services._usage import assign_codes
from sessionkit.services.generation import (
    BusyIndex,
    Wanted,
    check_keys,
    materialise_in,
    plan,
    skipped_occurrence,
    wanted_occurrences,
)
from sessionkit.services.reports import Orphan, ReconcileReport, Skipped
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone, resolve_local

__all__ = ["keep_schedule_until", "reconcile_in"]

_TICK = timedelta(microseconds=1)


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
class _Sorted:
    """Where classification put each future session of the series."""

    deleted: list[Session] = attrs.Factory(list)
    kept: list[Session] = attrs.Factory(list)
    orphans: list[Orphan] = attrs.Factory(list)
    respecs: list[Respec] = attrs.Factory(list)
    off_time: dict[datetime, Session] = attrs.Factory(dict)
    """Sessions by the key they hold, where the schedule now wants it at another time."""
    differing: list[Orphan] = attrs.Factory(list)
    """Kept sessions the schedule wants at their time with another title or resources."""


def _locked_plan(
    ctx: Context,
    tx: Tx,
    after: Series,
    future: list[Session],
    wanted_by_key: dict[datetime, Wanted],
    seats: int | None,
) -> tuple[list[Session], _Sorted]:
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
) -> _Sorted:
    """Sort the future sessions: delete (unwanted), respec (slot or ``seats`` changed), or keep.

    A session's status is the one its timers due by now give it, tick or not
    (an academy lesson whose READY fell due is READY, and kept).
    """
    machine = ctx.lifecycle(after.lifecycle)
    why = {s.id: _untouchable(machine, due_status(ctx, tx, s)) for s in future}
    touchable = [s for s in future if why[s.id] is None]
    linked = ctx.blocking_links(tx, touchable)
    out = _Sorted()
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


def _check(
    after: Series,
    plan_: _Sorted,
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


def _write(
    tx: Tx,
    before: Series,
    after: Series,
    plan_: _Sorted,
    updated: list[Respec],
    new: tuple[list[tuple[Session, Occurrence]], list[Session]],
    skipped: int,
    actor: str | None,
) -> tuple[list[Session], dict[str, Session]]:
    """Delete, update, re-key and create the sessions, store the series; collect events.

    ``new``: the stand-ins to re-key and the sessions to create. Returns the
    updated sessions, and the re-keyed ones by id. The keys are written in an
    order the unique occurrence key allows: a stand-in takes the key of a
    deleted session, and a new session the key a stand-in left.
    """
    tenant, now = before.tenant, tx.now
    stand_ins, created = new
    events: list[DomainEvent] = []
    for session in plan_.deleted:
        tx.sessions.delete(tenant, session.id, expected_version=session.version)
        events.append(SessionDeleted(tenant=tenant, actor=actor, at=now, session=session))
    stored_updates: list[Session] = []
    for session, changed, old in updated:
        stored = tx.sessions.update(
            attrs.evolve(changed, updated_at=now, updated_by=actor),
            expected_version=session.version,
        )
        stored_updates.append(stored)
        events.append(SessionUpdated(tenant=tenant, actor=actor, at=now, session=stored, old=old))
    rekeyed, rekey_events = _rekey(tx, stand_ins, actor)
    if created:
        tx.sessions.add_many(created)
    events.extend(SessionCreated(tenant=tenant, actor=actor, at=now, session=s) for s in created)
    tx.series.update(after, expected_version=before.version)
    events.append(
        SessionsRegenerated(
            tenant=tenant,
            actor=actor,
            at=now,
            series_id=after.id,
            created=len(created),
            deleted=len(plan_.deleted),
            kept=len(plan_.kept) + len(stored_updates),
            orphaned=len(plan_.orphans),
            skipped=skipped,
            updated=len(stored_updates),
        )
    )
    tx.collect([*events, *rekey_events])
    return stored_updates, rekeyed


def keep_schedule_until(
    ctx: Context, tx: Tx, series: Series, cutoff: datetime, actor: str | None
) -> Series:
    """Generate ``series``' own schedule up to ``cutoff`` where it stops short; return it stored.

    A change from a future ``cutoff`` leaves the weeks before it to the
    schedule in force: a top-up after the change would generate them from
    the new items.
    """
    if not series.is_active:
        return series
    reached = series.generated_until
    begin = max(tx.now, series_start(series))
    lo = begin if reached is None else max(reached, begin)
    if lo >= cutoff:
        return series
    ctx.limits.check_window(lo, cutoff, f"series {series.id!r}'s schedule up to effective_from")
    materialise_in(ctx, tx, series, TimeSpan(lo, cutoff), actor=actor)
    return tx.series.update(
        attrs.evolve(series, generated_until=cutoff), expected_version=series.version
    )


def _day_keys(item: ScheduleItem, day: date, limits: Limits) -> dict[datetime, Occurrence]:
    """``item``'s occurrences on the local ``day`` (by their keys, which are local starts)."""
    zone = get_zone(item.recurrence.tz)
    # A few hours either side: a local midnight may be skipped or repeated by a DST change.
    lo = datetime.combine(day, time(0), zone).astimezone(UTC) - _SLACK
    hi = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC) + _SLACK
    found = item.recurrence.between(lo, hi, max_candidates=limits.candidates)
    return {o.key: o for o in found if o.key.date() == day}


_SLACK = timedelta(hours=3)


def _stand_ins(
    ctx: Context,
    tx: Tx,
    before: Series,
    after: Series,
    orphans: list[Orphan],
    holders: list[Session],
    *,
    cutoff: datetime,
    deleted: set[str],
) -> list[tuple[Session, Occurrence]]:
    """Pair kept sessions off the new schedule with the new occurrence each stands for.

    ``holders`` are the series' sessions the change leaves (``deleted``: the
    ids of those it deletes); only occurrences from ``cutoff`` on, where the
    new schedule applies, are paired.

    A session the change may not touch (cancelled, moved by hand, booked)
    and whose occurrence the new schedule no longer gives is kept as an
    orphan, and it still is its item's occurrence on its local day: the
    occurrence of that item the new schedule *moved* it to on that day (one
    the old schedule did not give there; the nearest, if several), when no
    other session holds it. An occurrence the new schedule drops (an EXDATE)
    moved nowhere, and the day's other lessons are its own. Each pair is
    recorded on the kept session, which takes the new occurrence's key, so
    every later run of generation over that day (a top-up, the tick, a
    window materialised again) finds it held. Otherwise a class moved to
    18:00 would be back on its cancelled holiday, or twice in the week of a
    lesson moved by hand.
    """
    old_items = {item.id: item for item in before.items}
    new_items = {item.id: item for item in after.items}
    asked: list[tuple[Session, dict[datetime, Occurrence]]] = []
    for orphan in sorted(orphans, key=lambda o: (o.session.start, o.session.id)):
        kept = orphan.session
        key, item_id = kept.occurrence_key, kept.schedule_item_id
        if key is None or item_id is None or item_id not in new_items:
            continue
        day = key.date()
        old = _day_keys(old_items[item_id], day, ctx.limits) if item_id in old_items else {}
        moved = {
            k: o
            for k, o in _day_keys(new_items[item_id], day, ctx.limits).items()
            if k not in old and o.span.start >= cutoff
        }
        if moved:
            asked.append((kept, moved))
    if not asked:
        return []
    by_key = {s.occurrence_key: s for s in holders if s.occurrence_key is not None}
    unknown = sorted({k for _, moved in asked for k in moved if k not in by_key})
    if unknown:  # held by a session before the cutoff, say, moved there by hand
        found = tx.sessions.for_occurrences(after.tenant, after.id, unknown)
        by_key.update((k, s) for k, s in found.items() if s.id not in deleted)
    by_start = {s.start: s for s in holders}
    taken: set[datetime] = set()
    pairs: list[tuple[Session, Occurrence]] = []
    for kept, moved in asked:
        free = []
        for k, occurrence in moved.items():
            holder = by_key.get(k) or by_start.get(occurrence.span.start)
            if k not in taken and (holder is None or holder.id == kept.id):
                free.append((abs(k - (kept.occurrence_key or k)), k, occurrence))
        if free:
            _, k, occurrence = min(free)
            taken.add(k)
            pairs.append((kept, occurrence))
    return pairs


def _reach(session: Session) -> datetime:
    """Where the wanted occurrences must reach for the one ``session`` (generated) holds.

    Past its occurrence key read in its zone, and, unless it was moved by
    hand, past its start (the same instant, or the same day once it stands for
    another occurrence of its day). Not past a moved session's start, nor
    an extra session's: an exam set a year ahead made a change generate a
    year of lessons, beyond the rolling window and ``generated_until``.
    """
    key = session.occurrence_key
    assert key is not None  # generated: the caller passes sessions with a key
    own = resolve_local(key, session.tz).astimezone(UTC)
    return (own if session.detached else max(own, session.start)) + _TICK


def reconcile_in(
    ctx: Context,
    tx: Tx,
    before: Series,
    after: Series,
    cutoff: datetime,
    *,
    actor: str | None,
) -> ReconcileReport:
    """Bring the sessions of ``before`` from ``cutoff`` on in line with ``after``'s schedule.

    Classifies the future sessions, checks the changed ones for conflicts,
    plans the missing occurrences, then writes the sessions and the series
    (with ``before``'s version) inside ``tx`` and collects the events; the
    caller commits. Reads the series' future sessions and the sessions of the
    wanted occurrence keys, never its whole history.
    """
    tenant = before.tenant
    future = tx.sessions.for_series(tenant, before.id, start_from=cutoff)
    horizon = max(
        [cutoff, *([] if after.generated_until is None else [after.generated_until])]
        + [_reach(s) for s in future if s.occurrence_key is not None]
    )
    wanted = wanted_occurrences(after, cutoff, horizon, ctx.limits)
    check_keys(after, wanted)
    wanted_by_key: dict[datetime, Wanted] = {}
    for w in wanted:
        wanted_by_key.setdefault(w.key, w)

    seats = None if after.capacity == before.capacity else after.capacity
    future, plan_ = _locked_plan(ctx, tx, after, future, wanted_by_key, seats)
    deleted_ids = {s.id for s in plan_.deleted}
    busy = BusyIndex.load(tx, tenant, wanted, exclude=deleted_ids)
    keyed = tx.sessions.for_occurrences(tenant, before.id, list(wanted_by_key))
    known = {s.id: s for s in [*future, *keyed.values()] if s.id not in deleted_ids}
    updated, skipped = _check(after, plan_, busy, wanted_by_key, list(known.values()))

    # The occurrences still missing are planned around the sessions where they will be.
    known.update((session.id, changed) for session, changed, _ in updated)
    holders = sorted(known.values(), key=lambda s: (s.start, s.id))
    stand_ins = _stand_ins(
        ctx, tx, before, after, plan_.orphans, holders, cutoff=cutoff, deleted=deleted_ids
    )
    standing = {occurrence.key: kept for kept, occurrence in stand_ins}
    # A kept session stands for one occurrence: one that takes the key of its item's lesson
    # of the day leaves its own key (wanted by another item) free, in this change already.
    rekeying = {kept.id: occ.key for kept, occ in stand_ins if kept.occurrence_key != occ.key}
    standing.update((k, s) for k, s in plan_.off_time.items() if s.id not in rekeying)
    holders = [
        attrs.evolve(s, occurrence_key=rekeying[s.id]) if s.id in rekeying else s for s in holders
    ]
    # A kept session the new schedule puts back where it is (a class moved back) is no
    # orphan: it stands for that occurrence exactly, as a session of the first generation.
    back = {kept.id for kept, occurrence in stand_ins if kept.span == occurrence.span}
    plan_.orphans = sorted(
        [o for o in plan_.orphans if o.session.id not in back] + plan_.differing,
        key=lambda o: (o.session.start, o.session.id),
    )
    held = {s.occurrence_key for s in holders}
    missing: list[Wanted] = []
    for wish in wanted:
        if wish.key in standing:
            skipped.append(skipped_occurrence(after, wish, "exists", standing[wish.key], None))
        elif wish.key not in held:
            missing.append(wish)
    created, more_skipped = plan(
        ctx, after, missing, holders=holders, busy=busy, now=tx.now, actor=actor
    )
    skipped.extend(more_skipped)

    created = assign_codes(ctx, tx, created)
    stored_updates, rekeyed = _write(
        tx, before, after, plan_, updated, (stand_ins, created), len(skipped), actor
    )
    return ReconcileReport(
        tenant=tenant,
        series_id=after.id,
        cutoff=cutoff,
        created=tuple(created),
        updated=tuple(stored_updates),
        deleted=tuple(plan_.deleted),
        kept=tuple(
            sorted((rekeyed.get(s.id, s) for s in plan_.kept), key=lambda s: (s.start, s.id))
        ),
        orphans=tuple(
            attrs.evolve(o, session=rekeyed.get(o.session.id, o.session)) for o in plan_.orphans
        ),
        skipped=tuple(
            attrs.evolve(k, blocking=rekeyed.get(k.blocking.id, k.blocking)) for k in skipped
        ),
    )


def _rekey(
    tx: Tx, stand_ins: list[tuple[Session, Occurrence]], actor: str | None
) -> tuple[dict[str, Session], list[DomainEvent]]:
    """Give each kept session the key of the occurrence it stands for; return them, and events.

    The sessions by id; the events are the caller's to collect.
    """
    stored: dict[str, Session] = {}
    events: list[DomainEvent] = []
    for kept, occurrence in stand_ins:
        if kept.occurrence_key == occurrence.key:
            continue
        after = tx.sessions.update(
            attrs.evolve(kept, occurrence_key=occurrence.key, updated_at=tx.now, updated_by=actor),
            expected_version=kept.version,
        )
        stored[after.id] = after
        events.append(
            SessionUpdated(
                tenant=after.tenant,
                actor=actor,
                at=tx.now,
                session=after,
                old={"occurrence_key": kept.occurrence_key},
            )
        )
    return stored, events
