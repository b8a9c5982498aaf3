"""A stored series and its sessions, or a resource's sessions, as iCalendar text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import attrs

from sessionkit.contrib.ical._began import from_began, generation_began, unspent
from sessionkit.contrib.ical._text import without_controls
from sessionkit.contrib.ical._values import (
    IcalCalendar,
    IcalEvent,
    IcalOverride,
    IcalSeries,
    check_candidates,
)
from sessionkit.contrib.ical._write import write_ical
from sessionkit.errors import WrongType
from sessionkit.lifecycle import PRESETS, LifecycleRegistry
from sessionkit.model.series import ScheduleItem, Series, SeriesStatus
from sessionkit.model.session import Session
from sessionkit.recurrence import MAX_CANDIDATES, Recurrence
from sessionkit.zones import resolve_local

__all__ = ["calendar_of", "export_series", "sessions_feed"]

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
_INSTANT = timedelta(microseconds=1)


def calendar_of(
    series: Series,
    sessions: Iterable[Session] = (),
    *,
    lifecycles: LifecycleRegistry = PRESETS,
    max_candidates: int = MAX_CANDIDATES,
) -> IcalCalendar:
    """Return a stored series as plain values: its items, detached sessions as overrides.

    ``sessions`` are the series' sessions, all of them
    (``kit.queries.series_sessions``; others are ignored): a session left out
    is not written, and for a closed series counts as deleted. Of them, the detached
    generated ones become overrides (:class:`IcalOverride`), as do those of an
    occurrence in a DST gap or fold that their rule reads ``"earlier"`` or
    ``"later"`` (RFC 5545 reads it ``"compatible"``), and the extra ones
    single events (:class:`IcalEvent`) related to the series, as do generated
    ones whose occurrence no current item gives (from before a schedule
    change). A detached session of an occurrence an item's EXDATE removes (an
    imported override of an excluded occurrence) is an override all the same,
    and its EXDATE is left out: RFC 5545 readers drop an override whose
    occurrence an EXDATE removes. A cancelled
    generated session (its status is ``cancelled`` in its lifecycle, looked up
    in ``lifecycles``) becomes an EXDATE of every item, a cancelled extra one
    an event with ``cancelled`` set. The UIDs are the ones the series and
    sessions were imported with (``metadata["ical_uid"]``, see
    :func:`store_ical`), else their ids. Each rule starts at its first
    occurrence from where generation began (the series' creation, or an older
    session's occurrence; a COUNT lessened to match): the kit has none before;
    a rule with none from there (spent) is left out.
    A closed series ends at its last generated session, with an EXDATE for
    each occurrence from there without one (closing or
    removing unbooked sessions deleted them), and is left out if it has none.
    An open series has an EXDATE for each occurrence of its items from there
    to its ``generated_until`` without a session (one before a
    schedule change, lost to a conflict, removed): generation passed it. So
    is an occurrence whose start another session holds (moved or extra):
    generation skips it. With no sessions given, an open series' rule is written as it is,
    but a rule spent before the series' creation is left out (it never had a session).
    ``max_candidates`` is each expansion's budget, as :func:`read_ical`'s (a
    closed series' COUNT rule is walked from its DTSTART to its last session):
    past it, ``ExpansionLimitExceeded``. Raises
    ``UnknownLifecycle`` for a session whose lifecycle ``lifecycles`` does
    not know, ``WrongType`` for a ``series`` or session of another type.
    """
    if not isinstance(series, Series):
        raise WrongType(series, name="series", expected="a Series")
    budget = check_candidates(max_candidates)
    mine = [s for s in _sessions(sessions) if s.series_id == series.id]
    given = bool(mine)
    off = {s.id for s in mine if lifecycles.get(s.lifecycle).status(s.status).cancelled}
    read = _as_readers_read(series.items, mine, budget)
    excluded = _excluded(series.items, read, mine, budget)
    loose = _loose(read, [s for s in mine if s.id not in excluded])
    mine = [s for s in mine if s.id not in loose]
    elsewhere = _read_elsewhere(read, mine)
    ids = frozenset({series.id, *(s.id for s in mine if s.is_extra), *loose})
    uid = _uid(series.metadata, series.id, set(), ids)
    overrides = tuple(
        sorted(
            (
                IcalOverride(
                    key=s.occurrence_key,
                    span=s.span,
                    title=None if s.title == series.title else s.title,
                )
                for s in mine
                if (s.detached or s.id in elsewhere)
                and not s.is_extra
                and s.occurrence_key is not None
                and s.id not in off
            ),
            key=lambda o: o.key,
        )
    )
    cancelled = [
        s.occurrence_key
        for s in mine
        if s.id in off and not s.is_extra and s.occurrence_key is not None
    ]
    used = {uid}
    extras = tuple(
        IcalEvent(
            uid=_uid(s.metadata, s.id, used, ids),
            title=s.title,
            span=s.span,
            tz=s.tz,
            series_uid=uid,
            cancelled=s.id in off,
        )
        for s in sorted([*mine, *loose.values()], key=lambda s: (s.start, s.id))
        if s.is_extra or s.id in loose
    )
    items = _including(series.items, {x for i, xs in excluded.items() if i not in off for x in xs})
    generated = {s.occurrence_key for s in mine if not s.is_extra}
    kept = {k for k in generated if k is not None}
    began = generation_began(series, kept)
    closed = series.status == SeriesStatus.CLOSED
    if given:  # the kit never had the occurrences before generation began: nor has the export
        until = None if closed else series.generated_until
        items, began = from_began(items, began, budget, until=until)
    else:  # "no session yet" is written as it is; a rule spent before creation never has one
        items = unspent(items, began, budget)
    if closed:
        items = _ended(items, kept, began, budget)
    elif series.generated_until is not None and given:
        # With no session given, the rule is written as it is (see the docstring).
        items = _passed(items, kept, began, series.generated_until, budget)
    moved = [s for s in mine if s.detached or s.is_extra or s.id in elsewhere]
    items = _occupied(items, [*moved, *loose.values()], kept, budget)
    # Cancelled sessions become EXDATEs last: a closed series' rule ends at its last session,
    # cancelled or not, and one whose every session was cancelled had no last one to end at.
    items = _excluding(items, cancelled, budget)
    return IcalCalendar(
        series=(
            (IcalSeries(uid=uid, title=series.title, items=items, overrides=overrides),)
            if items
            else ()
        ),
        events=extras,
        name=series.title,
    )


Read = dict[str, dict[datetime, tuple[datetime, datetime]]]
"""By schedule item id: the span an RFC 5545 reader gives each occurrence key of its rule."""


def _as_readers_read(
    items: Sequence[ScheduleItem], sessions: Sequence[Session], budget: int
) -> Read:
    """Each item's occurrences around the generated ``sessions``' keys, as readers read them.

    One expansion per item, over the keys' range with two days on either side
    (an occurrence's key is its local start, a day or so from its instant).
    """
    keys = [s.occurrence_key for s in sessions if not s.is_extra and s.occurrence_key is not None]
    if not keys:
        return {}
    lo = _clamped(min(keys).replace(tzinfo=UTC), -timedelta(days=2))
    hi = _clamped(max(keys).replace(tzinfo=UTC), timedelta(days=2))
    found: Read = {}
    for item in items:
        rec = item.recurrence
        spans = found.setdefault(item.id, {})
        for o in rec.between(lo, hi, max_candidates=budget):
            start = _as_read(o.key, o.span.start, rec)
            spans.setdefault(o.key, (start, start + (o.span.end - o.span.start)))
    return found


def _read_elsewhere(read: Read, sessions: Sequence[Session]) -> set[str]:
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


def _as_read(key: datetime, start: datetime, rec: Recurrence) -> datetime:
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


def _sessions(sessions: Iterable[Session]) -> list[Session]:
    """Return ``sessions`` as a list; raise ``WrongType`` for anything that is no Session."""
    given: object = sessions  # typed, but a caller's value may be anything
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise WrongType(given, name="sessions", expected="an iterable of Sessions")
    found: list[Session] = []
    for session in given:
        if not isinstance(session, Session):
            raise WrongType(session, name="a session", expected="a Session")
        found.append(session)
    return found


def _loose(read: Read, sessions: Sequence[Session]) -> dict[str, Session]:
    """The generated sessions whose occurrence no current item gives, by id.

    Sessions from before a schedule change (the old items' past ones), or an
    imported override of an occurrence the rule does not give (but for an
    EXDATE's, :func:`_excluded`; the caller leaves those out): the series'
    rules cannot name them, so they are written as single events related to
    the series, never dropped. ``read``: the items' occurrences around the
    sessions' keys (:func:`_as_readers_read`).
    """
    given = {key for spans in read.values() for key in spans}
    return {
        s.id: s
        for s in sessions
        if not s.is_extra and s.occurrence_key is not None and s.occurrence_key not in given
    }


def _excluded(
    items: Sequence[ScheduleItem], read: Read, sessions: Sequence[Session], budget: int
) -> dict[str, frozenset[datetime | date]]:
    """The detached ``sessions`` whose occurrence only an EXDATE takes away, by id: those EXDATEs.

    An imported override whose RECURRENCE-ID an EXDATE names is stored as a
    detached session of that occurrence. RFC 5545 readers drop such an
    override, and written as a single event it came back as another event, so
    it is written as an override with the EXDATEs left out (:func:`_including`).
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
        lo, hi = _clamped(around, -timedelta(days=2)), _clamped(around, timedelta(days=2))
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


def _including(
    items: Sequence[ScheduleItem], exdates: set[datetime | date]
) -> tuple[ScheduleItem, ...]:
    """Return ``items`` without ``exdates`` (those of :func:`_excluded`) among their EXDATEs."""
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


def _uid(metadata: Mapping[str, object], own_id: str, used: set[str], ids: frozenset[str]) -> str:
    """The UID a stored value was imported with (``metadata["ical_uid"]``), else its id.

    Its id too when the UID is nothing but control characters, which are not
    written, when another event of the calendar has that UID already (the
    same calendar imported twice) or will have it as its own id (a feed of
    this kit imported back): one UID, one event. ``ids`` are the ids of every
    value written; adds the UID to ``used``.
    """
    imported = metadata.get("ical_uid")
    # One of control characters only is written empty (write_ical leaves them out): no UID.
    usable = isinstance(imported, str) and without_controls(imported) and imported not in used
    uid = str(imported) if usable and (imported == own_id or imported not in ids) else own_id
    used.add(uid)
    return uid


def _excluding(
    items: Sequence[ScheduleItem], keys: Sequence[datetime], budget: int
) -> tuple[ScheduleItem, ...]:
    """Return ``items`` with the occurrences of ``keys`` (cancelled sessions) as EXDATEs.

    Every item gets every such instant (one session stands for an instant,
    whichever items give it), so items that shared their EXDATEs still do.
    """
    instants: list[datetime] = []
    for key in keys:
        around = key.replace(tzinfo=UTC)
        lo, hi = _clamped(around, -timedelta(days=2)), _clamped(around, timedelta(days=2))
        for item in items:
            rec = item.recurrence
            instants.extend(
                _as_read(o.key, o.span.start, rec)
                for o in rec.between(lo, hi, max_candidates=budget)
                if o.key == key
            )
    return _exdated(items, instants)


def _exdated(
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
        changed.append(
            attrs.evolve(
                item,
                recurrence=Recurrence.from_rrule(
                    rec.rule,
                    start=rec.start,
                    tz=rec.tz,
                    duration=rec.duration,
                    exdates=[*rec.exdates, *new],
                    rdates=rec.rdates,
                    disambiguate=rec.disambiguate,
                ),
            )
        )
    return tuple(changed)


def _ended(
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
    of the rule. An item with no occurrence left is dropped; so is the series (no
    VEVENT) when it has no session at all.
    """
    if not kept:
        return ()
    horizon = _clamped(max(kept).replace(tzinfo=UTC), timedelta(days=2))
    found = {
        item.id: list(item.recurrence.between(_EARLIEST, horizon, max_candidates=budget))
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
        bare = Recurrence.from_rrule(
            rec.rule,
            start=rec.start,
            tz=rec.tz,
            duration=rec.duration,
            disambiguate=rec.disambiguate,
        )
        after = _clamped(last, timedelta(microseconds=1))
        rule = rec.rule
        if (
            next(bare.between(after, _LATEST, max_candidates=budget), None) is not None
        ):  # the rule goes on: stop it
            rule = attrs.evolve(rule, count=None, until=last)
        for o in up_to:
            if o.span.start >= since:
                (held if o.key in kept else missing).add(_as_read(o.key, o.span.start, rec))
        recurrence = Recurrence.from_rrule(
            rule,
            start=rec.start,
            tz=rec.tz,
            duration=rec.duration,
            exdates=rec.exdates,
            rdates=[r for r in rec.rdates if r <= last],
            disambiguate=rec.disambiguate,
        )
        ended.append(attrs.evolve(item, recurrence=recurrence))
    # Every item gets every EXDATE, as _passed gives them: items that shared their EXDATEs
    # stay one VEVENT, and an instant one item's session holds is no other item's EXDATE.
    return _exdated(ended, missing - held)


def _passed(
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
    instant (:func:`_exdated`), unless a session stands at it.
    """
    missing: set[datetime] = set()
    held: set[datetime] = set()
    for item in items:
        rec = item.recurrence
        for occurrence in rec.between(since, until, max_candidates=budget):
            read = _as_read(occurrence.key, occurrence.span.start, rec)
            (held if occurrence.key in kept else missing).add(read)
    return _exdated(items, missing - held)


def _occupied(
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
        Recurrence.from_rrule(
            attrs.evolve(rec.rule, count=None),
            start=rec.start,
            tz=rec.tz,
            duration=rec.duration,
            exdates=rec.exdates,
            rdates=rec.rdates,
            disambiguate=rec.disambiguate,
        )
        for rec in (item.recurrence for item in items)
    ]
    instants: list[datetime] = []
    for start in sorted({s.start for s in sessions}):
        found = [
            (o, probe)
            for probe in probes
            for o in probe.between(start, _clamped(start, _INSTANT), max_candidates=budget)
        ]
        if all(o.key not in kept for o, _ in found):
            instants.extend(_as_read(o.key, o.span.start, rec) for o, rec in found)
    return _exdated(items, instants)


def _clamped(value: datetime, by: timedelta) -> datetime:
    """``value + by``, kept within the calendar (a key may lie at year 1 or 9999)."""
    try:
        return value + by
    except OverflowError:
        return _EARLIEST if by < timedelta(0) else _LATEST


def export_series(
    series: Series,
    sessions: Iterable[Session] = (),
    *,
    stamp: datetime | None = None,
    lifecycles: LifecycleRegistry = PRESETS,
    max_candidates: int = MAX_CANDIDATES,
) -> str:
    """Return one stored series (and its moved, edited and extra sessions) as iCalendar text.

    ``sessions`` are all of the series' sessions, as
    ``kit.queries.series_sessions`` reads them (see :func:`calendar_of`).

    Cancelled sessions are EXDATEs (of generated ones) or ``STATUS:CANCELLED``
    events (of extra ones); ``lifecycles`` says which statuses are cancelled
    (pass the kit's if it has lifecycles of its own). ``stamp`` (DTSTAMP)
    defaults to when the series was last changed. ``max_candidates``: each
    expansion's budget (:func:`calendar_of`, :func:`write_ical`); pass the
    kit's ``Limits.candidates`` if it raises them.
    """
    if not isinstance(series, Series):
        raise WrongType(series, name="series", expected="a Series")
    when = stamp or series.updated_at or series.created_at
    budget = check_candidates(max_candidates)
    calendar = calendar_of(series, sessions, lifecycles=lifecycles, max_candidates=budget)
    return write_ical(calendar, stamp=when, max_candidates=budget)


def sessions_feed(
    sessions: Iterable[Session],
    *,
    stamp: datetime,
    name: str | None = None,
    lifecycles: LifecycleRegistry = PRESETS,
) -> str:
    """Return sessions as plain VEVENTs, a feed of a resource's agenda.

    The UID of each is the one it was imported with (``metadata["ical_uid"]``),
    else its id; RELATED-TO is its series' id. A session whose status is
    ``cancelled`` in its lifecycle (looked up in ``lifecycles``) is written
    with ``STATUS:CANCELLED``, so subscribed calendars drop it.
    """
    chosen = sorted(_sessions(sessions), key=lambda s: (s.start, s.id))
    ids = frozenset(s.id for s in chosen)
    used: set[str] = set()
    events = tuple(
        IcalEvent(
            uid=_uid(s.metadata, s.id, used, ids),
            title=s.title,
            span=s.span,
            tz=s.tz,
            series_uid=s.series_id,
            cancelled=lifecycles.get(s.lifecycle).status(s.status).cancelled,
        )
        for s in chosen
    )
    return write_ical(IcalCalendar(events=events), stamp=stamp, name=name)
