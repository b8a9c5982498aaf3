"""A stored series' rules from where the kit has their occurrences: not before generation began."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import islice, takewhile
from typing import Final, Literal

import attrs

from sessionkit.contrib.ical._values import rebuilt
from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.recurrence import Occurrence, Recurrence
from sessionkit.zones import get_zone

__all__ = ["from_began", "generation_began", "unspent"]

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
_SPENT: Final = "spent"
_PERIOD = {
    "YEARLY": timedelta(days=366),
    "MONTHLY": timedelta(days=31),
    "WEEKLY": timedelta(days=7),
    "DAILY": timedelta(days=1),
    "HOURLY": timedelta(hours=1),
    "MINUTELY": timedelta(minutes=1),
    "SECONDLY": timedelta(seconds=1),
}
"""The longest of each frequency's periods."""


def generation_began(series: Series, keys: Iterable[datetime]) -> datetime:
    """Return the instant from which the kit has the series' occurrences.

    Generation began at the series' creation (``created_at``); a session of
    an occurrence before it (``keys``: the occurrence keys the sessions hold;
    an imported override, a window materialised back in time) moves it back
    to that occurrence.
    """
    began = series.created_at
    for key in keys:
        for item in series.items:
            zone = get_zone(item.recurrence.tz)
            # Both readings of a local time in a gap or fold: every policy gives one of them.
            for fold in (0, 1):
                began = min(began, key.replace(tzinfo=zone, fold=fold).astimezone(UTC))
    return began


def from_began(
    items: Sequence[ScheduleItem], began: datetime, budget: int, *, until: datetime | None = None
) -> tuple[tuple[ScheduleItem, ...], datetime]:
    """Return ``items`` with each rule starting at its first occurrence from ``began`` on.

    A series created after its rule's start never had the occurrences before
    its creation (generation starts there), and written from the rule's own
    DTSTART every reader showed them: a term entered a month late gained a
    month of classes. DTSTART moves to the first occurrence from ``began`` on
    (which keeps the rule's weekday, day of month and interval, as an
    occurrence is on its grid), a COUNT loses the occurrences before it, and
    earlier EXDATEs and RDATEs go. An item with no occurrence from ``began``
    on (a COUNT or UNTIL spent before it, and no RDATE after) never had a
    session and is left out. Also returned: from when the caller is to write an EXDATE for each
    occurrence without a session, ``began``; or the start of time where an
    item keeps occurrences before it, which are then excluded one by one: a
    BYSETPOS rule that cannot move, and items that share a DTSTART (one
    VEVENT) but whose first occurrences differ. The other items (VEVENTs of
    their own) move all the same: walked from the start of time, a moved rule
    costs only what it has from ``began`` on. Where walking such an item from
    its DTSTART to ``until`` (the end of the caller's walk, ``began`` if None)
    would pass ``budget``, the items are kept as they are from ``began`` on
    (their occurrences before it are written, as before the move existed):
    the export does not fail where it used to succeed. ``budget``: each
    expansion's, as the exporter's (a COUNT rule is walked from its DTSTART to
    count those dropped).
    """
    found = [(item, _moved(item, began, budget)) for item in items]
    # Left out: no occurrence from began on, so none ever had a session (began is at or
    # before every session's key), and written they were classes the kit never had.
    live = [(item, m) for item, m in found if m is not _SPENT]
    moved = [m if isinstance(m, ScheduleItem) else None for _, m in live]
    kept = tuple(item for item, _ in live)
    if _one_frame(kept) and (None in moved or _split(moved)):
        unmoved = kept
    else:
        unmoved = tuple(i for (i, _), m in zip(live, moved, strict=True) if m is None)
        kept = tuple(m or i for (i, _), m in zip(live, moved, strict=True))
    if not unmoved:
        return kept, began
    # An item that cannot move keeps its rule, its occurrences before began EXDATEs. Walked
    # from its DTSTART, an old, frequent one (hourly since 2020) passes the budget: it is
    # then written from its DTSTART, as before the move, rather than the export failing.
    end = max(began, until or began)
    try:
        for item in unmoved:
            for _ in item.recurrence.between(_EARLIEST, end, max_candidates=budget):
                pass
    except ExpansionLimitExceeded:
        return kept, began
    return kept, _EARLIEST


def unspent(
    items: Sequence[ScheduleItem], began: datetime, budget: int
) -> tuple[ScheduleItem, ...]:
    """Return ``items`` but those with no occurrence from ``began`` on (spent before it).

    For a series exported without sessions: generation begins at its creation,
    so a rule whose COUNT or UNTIL was spent before it never had a session,
    and never will (one with an occurrence from then on has simply none yet).
    An item too costly to tell within ``budget`` is kept.
    """
    found: list[ScheduleItem] = []
    for item in items:
        try:
            spent = _moved(item, began, budget) is _SPENT
        except ExpansionLimitExceeded:
            spent = False
        if not spent:
            found.append(item)
    return tuple(found)


def _moved(
    item: ScheduleItem, began: datetime, budget: int
) -> ScheduleItem | Literal["spent"] | None:
    """``item`` from its first occurrence from ``began`` on (itself if none before).

    ``"spent"`` where it has no occurrence from ``began`` on (nor RDATE);
    None where its start cannot move (:func:`_same_first_period`, or a spent
    rule with an RDATE from ``began`` on).
    """
    rec = item.recurrence
    # As COUNT counts: the rule's instances, before EXDATEs, without RDATEs or skips.
    bare = Recurrence.from_rrule(rec.rule, start=rec.start, tz=rec.tz, duration=rec.duration)
    # The first as generation had it: at the rule's own reading of a gap or fold ("earlier"
    # puts a gap's occurrence an hour before the "compatible" one, which may be before began).
    probe = attrs.evolve(
        bare, rule=attrs.evolve(rec.rule, count=None), disambiguate=rec.disambiguate
    )
    first = next(probe.between(began, _LATEST, max_candidates=budget), None)
    # An RDATE from began on is an occurrence the kit has: not spent, though it cannot move.
    spent: Literal["spent"] | None = _SPENT if all(r < began for r in rec.rdates) else None
    if first is None:
        return spent
    rule = rec.rule
    # Counted by key, not instant: read "later", a fold's first is after the bare reading.
    before = takewhile(
        lambda o: o.key < first.key, bare.between(_EARLIEST, _LATEST, max_candidates=budget)
    )
    # Only a COUNT needs them counted (and walks from DTSTART anyway); a rule without one
    # jumps to the first, as a rule of every ten minutes for years would pass the budget.
    dropped = sum(1 for _ in before) if rule.count is not None else len(list(islice(before, 1)))
    if not dropped:
        if all(r >= began for r in rec.rdates):
            return item
        # The rule's own first is from began on, but an RDATE before it never had a session.
        return attrs.evolve(
            item,
            recurrence=rebuilt(rec, rdates=[r for r in rec.rdates if r >= began]),
        )
    if rule.count is not None:
        if dropped >= rule.count:
            return spent
        rule = attrs.evolve(rule, count=rule.count - dropped)
    if rec.rule.bysetpos and not _same_first_period(probe, first, budget):
        return None
    recurrence = rebuilt(
        rec,
        rule=rule,
        start=first.key,
        exdates=[x for x in rec.exdates if _on_or_after(x, first.span.start, first.key.date())],
        rdates=[r for r in rec.rdates if r >= began],
    )
    return attrs.evolve(item, recurrence=recurrence)


def _same_first_period(probe: Recurrence, first: Occurrence, budget: int) -> bool:
    """Whether ``probe`` started at ``first`` gives what it gave from there, a period on.

    BYSETPOS picks from a period's set, and dateutil (and so the kit and
    :func:`read_ical`) cuts a rule's first week at DTSTART: the second of
    Monday, Wednesday and Friday moved to a Wednesday is that week's Friday.
    """
    moved = attrs.evolve(probe, start=first.key)
    rule = probe.rule
    try:
        hi = first.span.start + _PERIOD[rule.freq] * rule.interval + timedelta(days=1)
    except OverflowError:  # the last period of the calendar: nothing after it to differ
        hi = _LATEST
    lo = first.span.start
    keys = [[o.key for o in r.between(lo, hi, max_candidates=budget)] for r in (probe, moved)]
    return keys[0] == keys[1]


def _one_frame(items: Sequence[ScheduleItem]) -> bool:
    """Whether the items share their DTSTART, zone, length and EXDATEs: one VEVENT of RRULEs."""
    first = items[0].recurrence if items else None
    return first is not None and all(
        (i.recurrence.start, i.recurrence.tz, i.recurrence.duration, i.recurrence.exdates)
        == (first.start, first.tz, first.duration, first.exdates)
        and not i.recurrence.rdates
        for i in items
    )


def _split(moved: Sequence[ScheduleItem | None]) -> bool:
    """Whether moved items of one VEVENT start apart: they would be VEVENTs of UIDs of their own."""
    return len({m.recurrence.start for m in moved if m is not None}) > 1


def _on_or_after(exdate: datetime | date, instant: datetime, day: date) -> bool:
    if isinstance(exdate, datetime):
        return exdate >= instant
    return exdate >= day
