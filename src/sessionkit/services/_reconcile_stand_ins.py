"""Kept sessions a schedule change moved off: the new occurrence each stands for, its key.

Private to the services package; :func:`~sessionkit.services.reconcile.reconcile_in`
runs it. A session the change may not touch, whose occurrence the new schedule
no longer gives, still stands for its item's occurrence on its local day where
the new schedule moved it (:func:`find_stand_ins`), and takes that occurrence's
key (:func:`rekey`), so later generation finds the day held.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs

from sessionkit.limits import Limits
from sessionkit.model.events import DomainEvent, SessionUpdated
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.model.session import Session
from sessionkit.recurrence import Occurrence
from sessionkit.services._context import Context, Tx
from sessionkit.services.reports import Orphan
from sessionkit.zones import get_zone

__all__ = ["find_stand_ins", "rekey"]

_SLACK = timedelta(hours=3)


def _day_keys(item: ScheduleItem, day: date, limits: Limits) -> dict[datetime, Occurrence]:
    """``item``'s occurrences on the local ``day`` (by their keys, which are local starts)."""
    zone = get_zone(item.recurrence.tz)
    # A few hours either side: a local midnight may be skipped or repeated by a DST change.
    lo = datetime.combine(day, time(0), zone).astimezone(UTC) - _SLACK
    hi = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC) + _SLACK
    found = item.recurrence.between(lo, hi, max_candidates=limits.candidates)
    return {o.key: o for o in found if o.key.date() == day}


def find_stand_ins(
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


def rekey(
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
