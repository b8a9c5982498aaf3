"""How RFC 5545 readers read a stored series' rules around its sessions, for the export.

Which generated sessions a reader of their item's rule would put elsewhere (to be written as
overrides), which no current item gives (single events), which an EXDATE removes (overrides
without it), and the instant a reader gives an occurrence read in a DST gap or fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import attrs

from sessionkit.model.series import ScheduleItem
from sessionkit.model.session import Session
from sessionkit.recurrence import Recurrence
from sessionkit.zones import resolve_local

__all__ = [
    "Read",
    "as_read",
    "clamped",
    "excluded_overrides",
    "including",
    "loose_sessions",
    "read_elsewhere",
    "readers_read",
]

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


Read = dict[str, dict[datetime, tuple[datetime, datetime]]]
"""By schedule item id: the span an RFC 5545 reader gives each occurrence key of its rule."""


def readers_read(items: Sequence[ScheduleItem], sessions: Sequence[Session], budget: int) -> Read:
    """Each item's occurrences around the generated ``sessions``' keys, as readers read them.

    One expansion per item, over the keys' range with two days on either side
    (an occurrence's key is its local start, a day or so from its instant).
    """
    keys = [s.occurrence_key for s in sessions if not s.is_extra and s.occurrence_key is not None]
    if not keys:
        return {}
    lo = clamped(min(keys).replace(tzinfo=UTC), -timedelta(days=2))
    hi = clamped(max(keys).replace(tzinfo=UTC), timedelta(days=2))
    found: Read = {}
    for item in items:
        rec = item.recurrence
        spans = found.setdefault(item.id, {})
        for o in rec.between(lo, hi, max_candidates=budget):
            start = as_read(o.key, o.span.start, rec)
            spans.setdefault(o.key, (start, start + (o.span.end - o.span.start)))
    return found


def read_elsewhere(read: Read, sessions: Sequence[Session]) -> set[str]:
    """The ids of generated ``sessions`` a reader of their item's rule would put elsewhere.

    Written as the rule alone, such a session would read back at another span;
    as an override it comes back where it is. Its key in a DST gap or fold,
    read by its item's rule as ``"earlier"`` or ``"later"`` (RFC 5545 reads
    it ``"compatible"``, an hour away), or a session kept from before a
    schedule change that gave its occurrence another length or zone (a booked
    lesson the change could not move, or one before the change's cutoff, also
    when the change gave the item another id): the rule gives its key, at
    another span.
    """
    found: set[str] = set()
    for session in sessions:
        key = session.occurrence_key
        if session.is_extra or key is None:
            continue
        own = read.get(session.schedule_item_id or "", {})
        # Its item's reading; else (a change replaced its item by one of another id) that of
        # the items giving its key, whose occurrence it holds, as generation counts keys.
        spans = [own[key]] if key in own else [s[key] for s in read.values() if key in s]
        if spans and (session.start, session.end) not in spans:
            found.add(session.id)
    return found


def as_read(key: datetime, start: datetime, rec: Recurrence) -> datetime:
    """The instant RFC 5545 readers give the occurrence of ``key`` that ``rec`` puts at ``start``.

    Theirs is the ``"compatible"`` reading of a local time in a gap or fold:
    it differs from ``rec``'s only for a rule occurrence (not an RDATE, which
    is an instant) that ``rec`` reads ``"earlier"`` or ``"later"``. An EXDATE
    of such an occurrence must name the readers' instant, or it excludes nothing.
    """
    if rec.disambiguate not in ("earlier", "later") or start in rec.rdates:
        return start
    try:
        return resolve_local(key, rec.tz).astimezone(UTC)
    except OverflowError:  # a key at the very edge of the calendar: no DST there
        return start


def loose_sessions(read: Read, sessions: Sequence[Session]) -> dict[str, Session]:
    """The generated sessions whose occurrence no current item gives, by id.

    Sessions from before a schedule change (the old items' past ones), or an
    imported override of an occurrence the rule does not give (but for an
    EXDATE's, :func:`excluded_overrides`; the caller leaves those out): the series'
    rules cannot name them, so they are written as single events related to
    the series, never dropped. ``read``: the items' occurrences around the
    sessions' keys (:func:`readers_read`).
    """
    given = {key for spans in read.values() for key in spans}
    return {
        s.id: s
        for s in sessions
        if not s.is_extra and s.occurrence_key is not None and s.occurrence_key not in given
    }


def excluded_overrides(
    items: Sequence[ScheduleItem], read: Read, sessions: Sequence[Session], budget: int
) -> dict[str, frozenset[datetime | date]]:
    """The detached ``sessions`` whose occurrence only an EXDATE takes away, by id: those EXDATEs.

    An imported override whose RECURRENCE-ID an EXDATE names is stored as a
    detached session of that occurrence. RFC 5545 readers drop such an
    override, and written as a single event it came back as another event, so
    it is written as an override with the EXDATEs left out (:func:`including`).
    A date EXDATE counts only when it removes no other occurrence of its day.
    ``read``: the items' occurrences around the sessions' keys.
    """
    given = {key for spans in read.values() for key in spans}
    found: dict[str, frozenset[datetime | date]] = {}
    for session in sessions:
        key = session.occurrence_key
        if not session.detached or session.is_extra or key is None or key in given:
            continue
        around = key.replace(tzinfo=UTC)
        lo, hi = clamped(around, -timedelta(days=2)), clamped(around, timedelta(days=2))
        drop: set[datetime | date] = set()
        for item in items:
            rec = item.recurrence
            bare = list(attrs.evolve(rec, exdates=()).between(lo, hi, max_candidates=budget))
            starts = {o.span.start for o in bare if o.key == key}
            if not starts:
                continue  # this item does not give the occurrence, EXDATE or not
            drop.update(x for x in rec.exdates if x in starts)
            day = [x for x in rec.exdates if not isinstance(x, datetime) and x == key.date()]
            if all(o.key == key for o in bare if o.key.date() == key.date()):
                drop.update(day)
        if drop:
            found[session.id] = frozenset(drop)
    return found


def including(
    items: Sequence[ScheduleItem], exdates: set[datetime | date]
) -> tuple[ScheduleItem, ...]:
    """Return ``items`` without ``exdates`` among their EXDATEs (:func:`excluded_overrides`'s)."""
    if not exdates:
        return tuple(items)
    return tuple(
        attrs.evolve(
            item,
            recurrence=attrs.evolve(
                item.recurrence,
                exdates=tuple(x for x in item.recurrence.exdates if x not in exdates),
            ),
        )
        for item in items
    )


def clamped(value: datetime, by: timedelta) -> datetime:
    """``value + by``, kept within the calendar (a key may lie at year 1 or 9999)."""
    try:
        return value + by
    except OverflowError:
        return _EARLIEST if by < timedelta(0) else _LATEST
