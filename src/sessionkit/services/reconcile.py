"""Schedule changes: reconcile a series' future sessions instead of recreating them.

Only future sessions (starting at or after the cutoff) in the lifecycle's
initial status, generated (not extra), not detached and without dependents
are ever changed or deleted here; everything else is kept, and a kept session
the new schedule no longer wants, or wants otherwise (another time, zone,
title or resources), is reported as an orphan with the reason. It still stands
for the occurrence its item moved to on its local day, which is not made
again: the orphan takes its key. Closing a series is
:mod:`~sessionkit.services._closing`'s.

This module runs a change (:func:`reconcile_in`) and writes it. Its plan, which
sessions are deleted, re-timed or kept, is :mod:`~sessionkit.services._reconcile_plan`'s;
the kept sessions standing for moved occurrences are
:mod:`~sessionkit.services._reconcile_stand_ins`'.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from sessionkit.model.events import (
    DomainEvent,
    SessionCreated,
    SessionDeleted,
    SessionsRegenerated,
    SessionUpdated,
)
from sessionkit.model.series import Series
from sessionkit.model.session import Session
from sessionkit.recurrence import Occurrence
from sessionkit.services._context import Context, Tx
from sessionkit.services._reconcile_plan import Respec, Sorted, check_respecs, locked_plan
from sessionkit.services._reconcile_stand_ins import find_stand_ins, rekey
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
from sessionkit.services.reports import ReconcileReport
from sessionkit.timespan import TimeSpan
from sessionkit.zones import resolve_local

__all__ = ["keep_schedule_until", "reconcile_in"]

_TICK = timedelta(microseconds=1)


def _write(
    tx: Tx,
    before: Series,
    after: Series,
    plan_: Sorted,
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
    rekeyed, rekey_events = rekey(tx, stand_ins, actor)
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
    future, plan_ = locked_plan(ctx, tx, after, future, wanted_by_key, seats)
    deleted_ids = {s.id for s in plan_.deleted}
    busy = BusyIndex.load(tx, tenant, wanted, exclude=deleted_ids)
    keyed = tx.sessions.for_occurrences(tenant, before.id, list(wanted_by_key))
    known = {s.id: s for s in [*future, *keyed.values()] if s.id not in deleted_ids}
    updated, skipped = check_respecs(after, plan_, busy, wanted_by_key, list(known.values()))

    # The occurrences still missing are planned around the sessions where they will be.
    known.update((session.id, changed) for session, changed, _ in updated)
    holders = sorted(known.values(), key=lambda s: (s.start, s.id))
    stand_ins = find_stand_ins(
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
