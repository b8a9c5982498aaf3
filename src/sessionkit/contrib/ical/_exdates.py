"""The EXDATEs and ends an exported stored series' rules get from what the kit has.

A cancelled session's occurrence, one generation passed without a session, one whose start
another session holds, and a closed series' end at its last session: each written so that
the calendar read back gives the kit's sessions and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import attrs

from sessionkit.contrib.ical._readers import as_read, clamped
from sessionkit.contrib.ical._values import rebuilt
from sessionkit.model.series import ScheduleItem
from sessionkit.model.session import Session

__all__ = [
    "cancelled_exdates",
    "ended_at_last",
    "occupied_exdates",
    "passed_exdates",
    "walked_to",
    "with_exdates",
]

_LATEST = datetime.max.replace(tzinfo=UTC)
_INSTANT = timedelta(microseconds=1)


def cancelled_exdates(
    items: Sequence[ScheduleItem], keys: Sequence[datetime], budget: int
) -> tuple[ScheduleItem, ...]:
    """Return ``items`` with the occurrences of ``keys`` (cancelled sessions) as EXDATEs.

    Every item gets every such instant (one session stands for an instant,
    whichever items give it), so items that shared their EXDATEs still do.
    """
    instants: list[datetime] = []
    for key in keys:
        around = key.replace(tzinfo=UTC)
        lo, hi = clamped(around, -timedelta(days=2)), clamped(around, timedelta(days=2))
        for item in items:
            rec = item.recurrence
            instants.extend(
                as_read(o.key, o.span.start, rec)
                for o in rec.between(lo, hi, max_candidates=budget)
                if o.key == key
            )
    return with_exdates(items, instants)


def with_exdates(
    items: Sequence[ScheduleItem], instants: Iterable[datetime]
) -> tuple[ScheduleItem, ...]:
    """Return ``items`` with each of ``instants`` as an EXDATE of every one of them.

    One session stands for an instant, whichever items give it, so items that
    shared their EXDATEs (and so one VEVENT) still do.
    """
    found = sorted(set(instants))
    if not found:
        return tuple(items)
    changed: list[ScheduleItem] = []
    for item in items:
        rec = item.recurrence
        new = [i for i in found if i not in rec.exdates]
        changed.append(attrs.evolve(item, recurrence=rebuilt(rec, exdates=[*rec.exdates, *new])))
    return tuple(changed)


def ended_at_last(
    items: Sequence[ScheduleItem], kept: set[datetime], since: datetime, budget: int
) -> tuple[ScheduleItem, ...]:
    """A closed series' items as what it still has: up to its last session, none missing.

    A closed series generates nothing more, and closing it deleted its
    sessions from then on (those with bookings or a later status were kept).
    Each item's rule ends at the series' last session (``kept``: the keys of
    its generated sessions), and an occurrence from ``since`` (where
    generation began) up to there without a session is an
    EXDATE: closing, or removing unbooked sessions, deleted it. Occurrences
    before ``since`` never had a session; ``from_began`` has taken them out
    of the rule (or kept them where it could not within the budget). An item
    with no occurrence left is dropped; so is the series (no VEVENT) when it
    has no session at all.
    """
    horizon = walked_to(kept)
    if horizon is None:
        return ()
    # From since, not the start of time: an item from_began could not move and kept for the
    # budget (hourly since 2020) would be walked through years it never had a session in.
    found = {
        item.id: list(item.recurrence.between(since, horizon, max_candidates=budget))
        for item in items
    }
    last = max(o.span.start for occs in found.values() for o in occs if o.key in kept)
    ended: list[ScheduleItem] = []
    missing: set[datetime] = set()
    held: set[datetime] = set()
    for item in items:
        rec = item.recurrence
        up_to = [o for o in found[item.id] if o.span.start <= last]
        if not up_to:
            continue
        bare = rebuilt(rec, exdates=(), rdates=())
        after = clamped(last, timedelta(microseconds=1))
        rule = rec.rule
        if (
            next(bare.between(after, _LATEST, max_candidates=budget), None) is not None
        ):  # the rule goes on: stop it
            rule = attrs.evolve(rule, count=None, until=last)
        for o in up_to:
            if o.span.start >= since:
                (held if o.key in kept else missing).add(as_read(o.key, o.span.start, rec))
        recurrence = rebuilt(rec, rule=rule, rdates=[r for r in rec.rdates if r <= last])
        ended.append(attrs.evolve(item, recurrence=recurrence))
    # Every item gets every EXDATE, as passed_exdates gives them: items that shared their EXDATEs
    # stay one VEVENT, and an instant one item's session holds is no other item's EXDATE.
    return with_exdates(ended, missing - held)


def walked_to(kept: set[datetime]) -> datetime | None:
    """Where :func:`ended_at_last` walks a closed series' items to (None: no session, no walk).

    ``kept``: the keys of its generated sessions; two days past the last, as
    a key is a wall time of its item's zone.
    """
    return clamped(max(kept).replace(tzinfo=UTC), timedelta(days=2)) if kept else None


def passed_exdates(
    items: Sequence[ScheduleItem],
    kept: set[datetime],
    since: datetime,
    until: datetime,
    budget: int,
) -> tuple[ScheduleItem, ...]:
    """An open series' items with an EXDATE for each occurrence generation passed without a session.

    Generation has covered ``[since, until)`` (from where it began to the
    series' ``generated_until``): an occurrence of a current item there with no
    session (``kept``: the keys of the generated sessions) has none because
    it came before a schedule change, lost a conflict, or was removed. Written
    as the rule alone it would read back as a session that never was. Later
    occurrences are the rule's to come; earlier ones, which generation never
    reached, ``from_began`` has taken out of the rule. Every item gets every such
    instant (:func:`with_exdates`), unless a session stands at it.
    """
    missing: set[datetime] = set()
    held: set[datetime] = set()
    for item in items:
        rec = item.recurrence
        for occurrence in rec.between(since, until, max_candidates=budget):
            read = as_read(occurrence.key, occurrence.span.start, rec)
            (held if occurrence.key in kept else missing).add(read)
    return with_exdates(items, missing - held)


def occupied_exdates(
    items: Sequence[ScheduleItem], sessions: Sequence[Session], kept: set[datetime], budget: int
) -> tuple[ScheduleItem, ...]:
    """Return ``items`` with an EXDATE at each start a session took from an occurrence no one holds.

    Generation gives no session to an occurrence whose start a session of the
    series holds (a lesson moved onto next week's, not generated yet; an extra
    one), so it never takes place; written, it and the session would be two
    events at one instant, which RFC 5545 readers show twice and
    :func:`read_ical` refuses. ``sessions``: those off their own occurrence
    (moved, extra, from before a schedule change); ``kept``: the keys
    sessions hold, whose occurrences stay.
    """
    if not sessions:
        return tuple(items)
    # Asked without COUNT, whose expansion walks from DTSTART (a session moved years on would
    # pass the candidates' limit), the rule jumps to the instant; an EXDATE past the last
    # occurrence excludes nothing.
    probes = [
        rebuilt(item.recurrence, rule=attrs.evolve(item.recurrence.rule, count=None))
        for item in items
    ]
    instants: list[datetime] = []
    for start in sorted({s.start for s in sessions}):
        found = [
            (o, probe)
            for probe in probes
            for o in probe.between(start, clamped(start, _INSTANT), max_candidates=budget)
        ]
        if all(o.key not in kept for o, _ in found):
            instants.extend(as_read(o.key, o.span.start, rec) for o, rec in found)
    return with_exdates(items, instants)
