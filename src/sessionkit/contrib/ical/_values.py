"""What a calendar holds, as plain values: recurring events, their overrides, single events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import attrs

from sessionkit.contrib.ical._attendee import IcalAttendee, check_address
from sessionkit.contrib.ical._errors import UnboundedRule
from sessionkit.errors import InvalidValue, NotADatetime, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import MAX_CANDIDATES, Occurrence, Recurrence, Rule
from sessionkit.recurrence._budget import check_candidates
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware, get_zone

__all__ = [
    "IcalCalendar",
    "IcalEvent",
    "IcalOccurrence",
    "IcalOverride",
    "IcalSeries",
    "check_candidates",
    "rebuilt",
]

_DAY = timedelta(days=1)
_FAR = datetime(9999, 1, 1, tzinfo=UTC)
_NEAR = datetime(1, 1, 3, tzinfo=UTC)
"""The earliest instant a scan starts from (a day or two above ``datetime.min`` for any zone)."""


def _moved(value: datetime, by: timedelta) -> datetime:
    """Return ``value + by`` kept within ``[_NEAR, _FAR]`` (an override may lie centuries away)."""
    try:
        moved = value + by
    except OverflowError:
        return _NEAR if by < timedelta(0) else _FAR
    return min(max(moved, _NEAR), _FAR)


def rebuilt(
    rec: Recurrence,
    *,
    rule: Rule | None = None,
    start: datetime | None = None,
    exdates: Iterable[datetime | date] | None = None,
    rdates: Iterable[datetime | date] | None = None,
) -> Recurrence:
    """Return ``rec`` with the parts given in place of its own (a moved DTSTART, a reduced COUNT).

    Its zone, duration and reading of gaps and folds (``disambiguate``) are
    kept. Built again by :meth:`~sessionkit.recurrence.Recurrence.from_rrule`,
    not ``attrs.evolve``, so the new UNTIL, EXDATEs and RDATEs are normalised
    as a rule read from text is (an RDATE at an EXDATE left out).
    """
    return Recurrence.from_rrule(
        rec.rule if rule is None else rule,
        start=rec.start if start is None else start,
        tz=rec.tz,
        duration=rec.duration,
        exdates=rec.exdates if exdates is None else exdates,
        rdates=rec.rdates if rdates is None else rdates,
        disambiguate=rec.disambiguate,
    )


def _typed(
    kind: type | tuple[type, ...], expected: str, *, each: bool = False
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """A validator refusing a value (``each``: an item of a tuple) of another type.

    Built by hand, an ``IcalEvent(title=None)`` was written ``SUMMARY:None``
    and a span of another type failed deep in :func:`write_ical`.
    """

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        name = f"{type(instance).__name__}.{attribute.name}"
        if not each:
            if not isinstance(value, kind):
                raise WrongType(value, name=name, expected=expected)
            return
        if not isinstance(value, (tuple, list)):
            raise WrongType(value, name=name, expected=f"a tuple of {expected}")
        for item in value:
            if not isinstance(item, kind):
                raise WrongType(item, name=f"an item of {name}", expected=expected)

    return check


_TEXT = _typed(str, "text")
_OPTIONAL_TEXT = _typed((str, type(None)), "text or None")
_SPAN = _typed(TimeSpan, "a TimeSpan")
_FLAG = _typed(bool, "True or False")
"""``all_day`` and ``cancelled``: a truthy ``"no"`` was written ``STATUS:CANCELLED``."""


@attrs.frozen
class IcalOverride:
    """A moved or edited occurrence of a series (a VEVENT with RECURRENCE-ID).

    ``key`` is the occurrence key it replaces (the naive local start in the
    series' zone, as :attr:`sessionkit.Session.occurrence_key`); ``span`` is
    when it now takes place; ``title`` is set when it differs from the series'.
    ``line`` is where its VEVENT begins (the series' own, for an RDATE with a
    PERIOD of another length), when read from a file.
    """

    key: datetime = attrs.field()
    span: TimeSpan = attrs.field(validator=_SPAN)
    title: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    line: int | None = attrs.field(default=None, eq=False)

    @key.validator
    def _naive_key(self, _attribute: attrs.Attribute[datetime], key: datetime) -> None:
        # An aware key equals no occurrence key: the override would be dropped unnoticed.
        if not isinstance(key, datetime):
            raise NotADatetime(key, name="IcalOverride.key")
        if key.tzinfo is not None:
            raise InvalidValue(
                f"IcalOverride.key must be a naive local time in the series' zone, "
                f"got {shown(key.isoformat())}",
                value=key,
                expected="a naive datetime (an occurrence key)",
            )


_INSTANT = timedelta(microseconds=1)
"""The finest step of an instant: ``[start, start + _INSTANT)`` holds the occurrences then."""


@attrs.frozen
class IcalSeries:
    """A recurring event: one schedule item per RRULE (several RRULEs are a union).

    Every item has the EXDATEs; the RDATEs (and a DTSTART its rules do not
    produce) are on the first. ``all_day`` marks an event of whole days (read
    as midnight to midnight in the calendar's zone): each item's duration is
    its days of 24 hours, and :meth:`occurrences` gives each occurrence its
    local days however long they are (23 or 25 hours at a DST change). ``line`` and
    ``rule_lines`` say where the VEVENT and each item's RRULE were in the
    text (``None``: not read from text). ``cancelled`` marks ``STATUS:CANCELLED``
    on the recurring event: none of it takes place, so it has no occurrence and
    :func:`store_ical` stores no series for it.
    """

    uid: str = attrs.field(validator=_TEXT)
    title: str = attrs.field(validator=_TEXT)
    items: tuple[ScheduleItem, ...] = attrs.field()
    overrides: tuple[IcalOverride, ...] = attrs.field(
        default=(), validator=_typed(IcalOverride, "IcalOverrides", each=True)
    )
    all_day: bool = attrs.field(default=False, validator=_FLAG)
    line: int | None = attrs.field(default=None, eq=False)
    rule_lines: tuple[int | None, ...] = attrs.field(default=(), eq=False)
    cancelled: bool = attrs.field(default=False, kw_only=True, validator=_FLAG)

    @items.validator
    def _some_items(
        self, _attribute: attrs.Attribute[tuple[ScheduleItem, ...]], items: tuple[ScheduleItem, ...]
    ) -> None:
        _typed(ScheduleItem, "ScheduleItems", each=True)(self, _attribute, items)
        if not items:
            raise InvalidValue(
                f"the series {shown(self.uid)} needs at least one schedule item",
                value=items,
                expected=">= 1 item",
            )

    @property
    def tz(self) -> str:
        """The IANA zone of the series (its first item's)."""
        return self.items[0].recurrence.tz

    def occurrences(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        max_candidates: int = MAX_CANDIDATES,
    ) -> list[IcalOccurrence]:
        """Return the occurrences, overrides applied, starting in ``[start, end)``, by start.

        Without a window every occurrence is returned, which a rule without
        COUNT or UNTIL refuses with :class:`UnboundedRule` naming its line.
        A cancelled series has none. ``max_candidates``: each expansion's
        budget, as :meth:`Recurrence.between <sessionkit.recurrence.Recurrence.between>`'s
        (a COUNT rule is walked from its start, however late the window).
        """
        lo = check_aware(start, "start") if start is not None else None
        hi = check_aware(end, "end") if end is not None else None
        budget = check_candidates(max_candidates)
        if self.cancelled:
            return []
        windowed = start is not None and end is not None
        if not windowed:
            for index, item in enumerate(self.items):
                rule = item.recurrence.rule
                if rule.count is None and rule.until is None:
                    line = self.rule_lines[index] if index < len(self.rule_lines) else self.line
                    raise UnboundedRule(
                        f"the rule {shown(item.recurrence.to_rrule())} of {shown(self.uid)} never "
                        "ends; "
                        "give a window",
                        line=line,
                        text=f"RRULE:{item.recurrence.to_rrule()}",
                        uid=self.uid,
                        expected="COUNT or UNTIL, or a window",
                    )
        # An override may move its occurrence into (or out of) the window: look that far around.
        shift = max((self._shift(o) for o in self.overrides), default=timedelta(0))
        first = self.items[0].recurrence
        scan_lo = _NEAR if lo is None else _moved(lo, -shift)
        scan_hi = _FAR if hi is None else _moved(hi, shift)
        by_key = {o.key: o for o in self.overrides}
        seen: dict[datetime, IcalOccurrence] = {}
        for rec, occ in self._expand(scan_lo, scan_hi, budget):
            if occ.span.start in seen:
                continue  # the same instant from two rules: a union holds it once
            override = by_key.get(occ.key)
            span = self._span(rec, occ) if override is None else override.span
            title = self.title if override is None or override.title is None else override.title
            seen[occ.span.start] = IcalOccurrence(
                uid=self.uid, key=occ.key, span=span, title=title, tz=first.tz
            )
        given = {o.key for o in seen.values()}
        for override in self.overrides:
            if override.key not in given and not self._gives(override.key, budget):
                # Its RECURRENCE-ID names no occurrence (an EXDATE'd one, or one the rule
                # never gives): it still takes place, as store_ical stores it.
                title = self.title if override.title is None else override.title
                seen.setdefault(
                    override.span.start,
                    IcalOccurrence(
                        uid=self.uid, key=override.key, span=override.span, title=title, tz=first.tz
                    ),
                )
        # An override moved onto the start of another occurrence takes its place, as
        # store_ical stores it (one session of a series per instant; the override's first).
        moved_onto = {o.span.start for o in seen.values() if o.key in by_key}
        found = [
            o
            for o in seen.values()
            if (o.key in by_key or o.span.start not in moved_onto)
            and (lo is None or o.span.start >= lo)
            and (hi is None or o.span.start < hi)
        ]
        return sorted(found, key=lambda o: (o.span.start, o.key or o.span.start))

    def crowded(self, *, max_candidates: int = MAX_CANDIDATES) -> list[IcalOverride]:
        """The overrides moved onto the start of another occurrence or override of the series.

        A series holds one session per start, so :func:`read_ical` refuses
        such a calendar rather than lose one of the two. ``max_candidates``:
        as :meth:`occurrences`'.
        """
        budget = check_candidates(max_candidates)
        overridden = {o.key for o in self.overrides}
        taken: set[datetime] = set()
        found: list[IcalOverride] = []
        for override in self.overrides:
            start = override.span.start
            if start in taken or any(
                occ.span.start == start and occ.key != override.key and occ.key not in overridden
                for _rec, occ in self._expand(start, start + _INSTANT, budget)
            ):
                found.append(override)
            taken.add(start)
        return found

    def _gives(self, key: datetime, budget: int) -> bool:
        """Whether a rule of the series gives the occurrence ``key`` (looked for around it)."""
        around = key.replace(tzinfo=UTC)
        lo, hi = _moved(around, -timedelta(days=2)), _moved(around, timedelta(days=2))
        return any(occ.key == key for _rec, occ in self._expand(lo, hi, budget))

    def _span(self, rec: Recurrence, occ: Occurrence) -> TimeSpan:
        """The occurrence's span; of an all-day series, midnight to midnight of its local days.

        A :class:`Recurrence` lasts an exact duration, which is one hour off
        for an all-day occurrence on a day with a DST change.
        """
        length = rec.duration
        if not self.all_day or occ.key.time() != time() or length % _DAY:
            return occ.span
        zone = get_zone(rec.tz)
        try:
            last = datetime.combine(occ.key.date() + length, time(), tzinfo=zone).astimezone(UTC)
        except OverflowError:  # the last local day of the calendar: keep the exact length
            return occ.span
        return TimeSpan(occ.span.start, last)

    def _shift(self, override: IcalOverride) -> timedelta:
        key_instant = override.key.replace(tzinfo=get_zone(self.tz)).astimezone(UTC)
        return abs(override.span.start - key_instant) + timedelta(days=1)

    def _expand(
        self, lo: datetime, hi: datetime, budget: int
    ) -> Iterator[tuple[Recurrence, Occurrence]]:
        for item in self.items:
            for occ in item.recurrence.between(lo, hi, max_candidates=budget):
                yield item.recurrence, occ


def _organizer(_instance: object, _attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        check_address(value, "IcalEvent.organizer")


@attrs.frozen
class IcalEvent:
    """A single event (a VEVENT without RRULE, RDATE or a master to override).

    ``series_uid`` is the UID its RELATED-TO names: an extra session of that
    series. ``cancelled`` marks ``STATUS:CANCELLED``: the event does not take
    place, so it has no occurrence and :func:`store_ical` stores no session for it.
    ``attendees`` are written as ATTENDEE lines, ``organizer`` (a calendar
    address URI) as ORGANIZER; :func:`read_ical` reads neither.
    """

    uid: str = attrs.field(validator=_TEXT)
    title: str = attrs.field(validator=_TEXT)
    span: TimeSpan = attrs.field(validator=_SPAN)
    tz: str = attrs.field(validator=_TEXT)
    all_day: bool = attrs.field(default=False, validator=_FLAG)
    series_uid: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    line: int | None = attrs.field(default=None, eq=False)
    cancelled: bool = attrs.field(default=False, kw_only=True, validator=_FLAG)
    attendees: tuple[IcalAttendee, ...] = attrs.field(
        default=(), kw_only=True, validator=_typed(IcalAttendee, "IcalAttendees", each=True)
    )
    organizer: str | None = attrs.field(default=None, kw_only=True, validator=_organizer)


@attrs.frozen
class IcalOccurrence:
    """One occurrence of a calendar: ``key`` is ``None`` for a single event."""

    uid: str
    key: datetime | None
    span: TimeSpan
    title: str
    tz: str


@attrs.frozen
class IcalCalendar:
    """A calendar's recurring (:class:`IcalSeries`) and single events (:class:`IcalEvent`)."""

    series: tuple[IcalSeries, ...] = attrs.field(
        default=(), validator=_typed(IcalSeries, "IcalSeries", each=True)
    )
    events: tuple[IcalEvent, ...] = attrs.field(
        default=(), validator=_typed(IcalEvent, "IcalEvents", each=True)
    )
    name: str | None = attrs.field(default=None, eq=False, validator=_OPTIONAL_TEXT)

    def occurrences(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        max_candidates: int = MAX_CANDIDATES,
    ) -> list[IcalOccurrence]:
        """Return every occurrence (single events too) starting in ``[start, end)``, by start.

        Cancelled series and single events have none. Without a window, a
        series whose rule never ends raises :class:`UnboundedRule`.
        ``max_candidates``: each expansion's budget (:meth:`IcalSeries.occurrences`).
        """
        lo = check_aware(start, "start") if start is not None else None
        hi = check_aware(end, "end") if end is not None else None
        budget = check_candidates(max_candidates)
        found: list[IcalOccurrence] = []
        for series in self.series:
            found.extend(series.occurrences(lo, hi, max_candidates=budget))
        found.extend(
            IcalOccurrence(uid=e.uid, key=None, span=e.span, title=e.title, tz=e.tz)
            for e in self.events
            if not e.cancelled
            and (lo is None or e.span.start >= lo)
            and (hi is None or e.span.start < hi)
        )
        return sorted(found, key=lambda o: (o.span.start, o.uid))
