"""Recurrence: a local start in an IANA zone, a duration, an RFC 5545 rule, EXDATEs and RDATEs.

The rule is expanded in local wall-clock time, so a class at 18:00 in Berlin is
at 18:00 local every week: 17:00 UTC in winter, 16:00 UTC in summer.

>>> from datetime import date, datetime, time, timedelta
>>> from zoneinfo import ZoneInfo
>>> rec = Recurrence.weekly(
...     days=("MO", "WE"), at=time(18, 0), duration=timedelta(minutes=90),
...     tz="Europe/Berlin", start=date(2026, 3, 1), until=date(2026, 6, 30),
... )
>>> utc = ZoneInfo("UTC")
>>> for occ in rec.between(datetime(2026, 3, 23, tzinfo=utc), datetime(2026, 4, 2, tzinfo=utc)):
...     print(occ.local_start.isoformat(), occ.span.start.isoformat())
2026-03-23T18:00:00+01:00 2026-03-23T17:00:00+00:00
2026-03-25T18:00:00+01:00 2026-03-25T17:00:00+00:00
2026-03-30T18:00:00+02:00 2026-03-30T16:00:00+00:00
2026-04-01T18:00:00+02:00 2026-04-01T16:00:00+00:00
>>> rec.to_rrule()
'FREQ=WEEKLY;UNTIL=20260630T215959Z;BYDAY=MO,WE'

A DTSTART that does not match its rule (a Sunday start for ``BYDAY=MO,WE``, as
above) is *not* an occurrence: DTSTART anchors the rule and bounds it from
below, as in dateutil and ``Recurrence.weekly(start=...)``. RFC 5545 leaves this
case undefined; add the start as an RDATE if it should be one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta

import attrs

from sessionkit.errors import (
    InvalidRecurrence,
    InvalidValue,
    InvalidWindow,
    NotADatetime,
    WrongType,
)
from sessionkit.errors._base import shown
from sessionkit.recurrence._budget import check_candidates
from sessionkit.recurrence._normalise import (
    check_duration,
    check_start,
    check_whole_seconds,
    naive_local,
    normalise_exdates,
    normalise_rdates,
    normalise_until,
    utc_exdates,
    utc_rdates,
    zone_key,
)
from sessionkit.recurrence._plan import MAX_CANDIDATES, Occurrence, Plan
from sessionkit.recurrence.editing import split_recurrence
from sessionkit.recurrence.expand import expand, make_plan, past_year_9999
from sessionkit.recurrence.ical import format_ical_lines, parse_ical_lines
from sessionkit.recurrence.rule import WEEKDAYS, Rule, Weekday, parse_rule
from sessionkit.timespan import TimeSpan
from sessionkit.zones import (
    RecurrenceDisambiguate,
    check_aware,
    check_disambiguate,
    get_zone,
    resolve_local,
)

__all__ = ["Occurrence", "Recurrence"]


_FIRST_START = datetime(1, 1, 3, tzinfo=UTC)
_LAST_START = datetime(9999, 12, 29, tzinfo=UTC)


def _minute(instant: datetime) -> str:
    """``instant`` as ``0001-01-03 00:00`` (``strftime`` drops the zeros of a year below 1000)."""
    return instant.replace(tzinfo=None).isoformat(" ", "minutes")


def _check_dtstart(start: datetime, tz: str) -> None:
    """Refuse a DTSTART within two days of year 1 or 9999 (UTC), where expansion overflows."""
    if _FIRST_START.year < start.year < _LAST_START.year:
        return
    try:
        instant: datetime | None = resolve_local(start, tz).astimezone(UTC)
    except (OverflowError, InvalidValue):
        instant = None
    if instant is None or not _FIRST_START <= instant <= _LAST_START:
        raise InvalidRecurrence(
            f"DTSTART {start.isoformat()} in {tz} must lie between "
            f"{_minute(_FIRST_START)} and {_minute(_LAST_START)} UTC",
            value=start,
            part="DTSTART",
        )


@attrs.frozen(slots=True)
class Recurrence:
    """An immutable recurring schedule: expand it with :meth:`between`.

    Build one with :meth:`weekly` or :meth:`from_rrule`. Fields: ``start`` (naive
    local DTSTART), ``tz`` (IANA key), ``duration`` (elapsed time of every
    occurrence), ``rule``, ``exdates`` (UTC instants, or local dates that remove
    every occurrence on that day), ``rdates`` (UTC instants) and
    ``disambiguate`` (the policy for local times in DST gaps and folds). Made
    directly, every field is checked as the builders check theirs (a sessionkit
    error names a bad value), and ``exdates``/``rdates`` of any collection are
    kept sorted and unique, as the builders keep them.
    """

    start: datetime = attrs.field(converter=check_start)
    tz: str = attrs.field(converter=zone_key)
    duration: timedelta = attrs.field(converter=check_duration)
    rule: Rule
    exdates: tuple[datetime | date, ...] = attrs.field(default=(), converter=utc_exdates)
    rdates: tuple[datetime, ...] = attrs.field(default=(), converter=utc_rdates)
    disambiguate: RecurrenceDisambiguate = "compatible"
    _plan: Plan = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_disambiguate(self.disambiguate, allow_skip=True)
        _check_dtstart(self.start, self.tz)
        if not isinstance(self.rule, Rule):
            raise InvalidRecurrence(
                f"rule must be a Rule (use Recurrence.from_rrule for text), got {shown(self.rule)}",
                value=self.rule,
            )
        until = self.rule.until
        if until is not None and not (isinstance(until, datetime) and until.tzinfo is UTC):
            raise InvalidRecurrence(
                "rule.until must be an aware UTC datetime here (from_rrule converts it)",
                value=until,
                part="UNTIL",
            )
        if until is not None:
            check_whole_seconds(until, "UNTIL")
        object.__setattr__(
            self,
            "_plan",
            make_plan(
                self.rule,
                start=self.start,
                tz=self.tz,
                duration=self.duration,
                disambiguate=self.disambiguate,
                exdates=self.exdates,
            ),
        )

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_rrule(
        cls,
        rule: str | Rule,
        *,
        start: datetime,
        tz: str,
        duration: timedelta,
        exdates: Iterable[datetime | date] = (),
        rdates: Iterable[datetime | date] = (),
        disambiguate: RecurrenceDisambiguate = "compatible",
    ) -> Recurrence:
        """Build from RFC 5545 rule text (``RRULE:`` prefix optional) or a :class:`Rule`.

        ``start`` is a naive local datetime in ``tz`` or an aware one (converted
        to ``tz``). UNTIL may be UTC (``...Z``), a local date-time or a date (the
        whole local day is included); it is stored as the UTC instant. EXDATEs
        and RDATEs are aware, or naive local times in ``tz``, or dates; mixing
        naive and aware values is an error.
        """
        check_disambiguate(disambiguate, allow_skip=True)
        zone = zone_key(tz)
        parsed = rule if isinstance(rule, Rule) else parse_rule(rule)
        local_start = naive_local(start, zone, "start")
        bounded = normalise_until(parsed, zone, disambiguate)
        excluded = normalise_exdates(exdates, zone, disambiguate)
        return cls(
            start=local_start,
            tz=zone,
            duration=duration,
            rule=bounded,
            exdates=excluded,
            rdates=normalise_rdates(rdates, zone, local_start.time(), disambiguate, excluded),
            disambiguate=disambiguate,
        )

    @classmethod
    def weekly(
        cls,
        days: Sequence[str],
        at: time,
        duration: timedelta,
        tz: str,
        start: date,
        until: date | None = None,
        count: int | None = None,
        interval: int = 1,
        *,
        exdates: Iterable[datetime | date] = (),
        rdates: Iterable[datetime | date] = (),
        disambiguate: RecurrenceDisambiguate = "compatible",
        week_start: str = "MO",
    ) -> Recurrence:
        """Every ``interval`` weeks on ``days`` (``"MO"`` ... ``"SU"``) at local time ``at``.

        Occurrences fall on or after ``start`` and, with ``until``, on or before
        that local date (inclusive).
        """
        if isinstance(days, str):
            days = (days,)
        given: object = days
        if not isinstance(given, Iterable):
            raise WrongType(given, name="days", expected="weekday codes such as ('MO', 'WE')")
        codes: list[Weekday] = []
        for day in days:
            code = day.upper() if isinstance(day, str) else day
            if code not in WEEKDAYS:
                raise InvalidRecurrence(
                    f"unknown weekday {shown(day)}; expected one of {', '.join(WEEKDAYS)}",
                    value=day,
                    part="BYDAY",
                )
            codes.append(Weekday(WEEKDAYS.index(code)))
        if not codes:
            raise InvalidRecurrence("weekly needs at least one day", value=days, part="BYDAY")
        if not isinstance(at, time):
            raise NotADatetime(at, name="at", expected="time")
        if at.tzinfo is not None:
            raise InvalidRecurrence(
                "at is a local wall time; give the zone as tz, not on the time",
                value=at,
                part="DTSTART",
            )
        if not isinstance(start, date) or isinstance(start, datetime):
            raise NotADatetime(start, name="start", expected="date")
        if until is not None and (not isinstance(until, date) or isinstance(until, datetime)):
            raise NotADatetime(until, name="until", expected="date")
        if week_start not in WEEKDAYS:
            raise InvalidRecurrence(
                f"unknown week_start {shown(week_start)}", value=week_start, part="WKST"
            )
        rule = Rule(
            freq="WEEKLY",
            interval=interval,
            count=count,
            until=until,
            byday=tuple(codes),
            wkst=WEEKDAYS.index(week_start),
        )
        return cls.from_rrule(
            rule,
            start=datetime.combine(start, at),
            tz=tz,
            duration=duration,
            exdates=exdates,
            rdates=rdates,
            disambiguate=disambiguate,
        )

    @classmethod
    def from_ical_lines(
        cls,
        lines: Iterable[str],
        *,
        duration: timedelta | None = None,
        disambiguate: RecurrenceDisambiguate = "compatible",
    ) -> Recurrence:
        """Build from iCalendar property lines as :meth:`to_ical_lines` writes them.

        Understands ``DTSTART;TZID=...`` (or a UTC ``...Z`` start; a floating
        one, with neither, is ``InvalidRecurrence``), ``DURATION`` (or pass
        ``duration``), ``RRULE``, ``EXDATE`` and ``RDATE`` (``TZID``, UTC or
        ``VALUE=DATE`` forms). A second DTSTART, DURATION or RRULE line is
        ``InvalidRecurrence`` (one rule, one start, one length).
        """
        parts = parse_ical_lines(lines, duration=duration, disambiguate=disambiguate)
        return cls.from_rrule(
            parts.rule,
            start=parts.start,
            tz=parts.tz,
            duration=parts.duration,
            exdates=parts.exdates,
            rdates=parts.rdates,
            disambiguate=disambiguate,
        )

    # ------------------------------------------------------------------ expansion

    def between(
        self, start: datetime, end: datetime, *, max_candidates: int = MAX_CANDIDATES
    ) -> Iterator[Occurrence]:
        """Lazily yield the occurrences whose start lies in ``[start, end)``, ascending.

        Nothing beyond what is iterated is computed, so infinite rules are fine.
        Rules without COUNT jump straight to the window instead of walking from
        DTSTART. Raises :class:`~sessionkit.errors.ExpansionLimitExceeded` (a
        ``LimitExceeded``) once one call's candidate cost passes
        ``max_candidates``: each rule period and candidate date costs 1, each
        local year visited :data:`~sessionkit.recurrence.YEAR_COST` (the
        default, 100,000, is ``Limits().candidates``).
        """
        max_candidates = check_candidates(max_candidates)
        lo = check_aware(start, "start")
        hi = check_aware(end, "end")
        if hi < lo:
            raise InvalidWindow(
                f"window end {hi.isoformat()} is before its start {lo.isoformat()}",
                value=(lo, hi),
                expected="end >= start",
            )
        # Once, here: every candidate is compared with the bounds, and comparing
        # datetimes of two different zones costs a utcoffset() call each time.
        if lo.tzinfo is not UTC:
            lo = lo.astimezone(UTC)
        if hi.tzinfo is not UTC:
            hi = hi.astimezone(UTC)
        return self._between(lo, hi, max_candidates)

    def _between(self, lo: datetime, hi: datetime, max_candidates: int) -> Iterator[Occurrence]:
        rule_occurrences = expand(self._plan, lo, hi, max_candidates)
        extra = [r for r in self.rdates if lo <= r < hi and not self._excluded(r)]
        if not extra:
            return rule_occurrences
        return self._merge(rule_occurrences, extra)

    def _instances(self, lo: datetime, hi: datetime) -> Iterator[Occurrence]:
        """The rule's instances starting in ``[lo, hi)`` (UTC): see ``expand``'s ``instances``."""
        return expand(self._plan, lo, hi, MAX_CANDIDATES, instances=True)

    def _merge(
        self, rule_occurrences: Iterator[Occurrence], extra: list[datetime]
    ) -> Iterator[Occurrence]:
        pending = iter(extra)
        nxt = next(pending, None)
        for occ in rule_occurrences:
            while nxt is not None and nxt <= occ.span.start:
                if nxt < occ.span.start:
                    yield self._rdate_occurrence(nxt)
                nxt = next(pending, None)
            yield occ
        while nxt is not None:
            yield self._rdate_occurrence(nxt)
            nxt = next(pending, None)

    def _excluded(self, instant: datetime) -> bool:
        plan = self._plan
        if instant in plan.ex_instants:
            return True
        return bool(plan.ex_days) and instant.astimezone(get_zone(self.tz)).date() in plan.ex_days

    def _rdate_occurrence(self, instant: datetime) -> Occurrence:
        if datetime.max.replace(tzinfo=UTC) - instant < self.duration:
            raise past_year_9999(instant, self.duration)
        local = instant.astimezone(get_zone(self.tz))
        return Occurrence(
            TimeSpan(instant, instant + self.duration), local, local.replace(tzinfo=None)
        )

    # ------------------------------------------------------------------ text forms

    def to_rrule(self) -> str:
        """Return the rule as RFC 5545 text, with UNTIL in UTC (``...Z``)."""
        return self.rule.to_text()

    def to_ical_lines(self) -> list[str]:
        """Return the iCalendar lines: ``DTSTART;TZID=...``, ``DURATION``, ``RRULE``, ``EXDATE``, ``RDATE``."""  # noqa: E501
        return format_ical_lines(
            start=self.start,
            tz=self.tz,
            duration=self.duration,
            rule=self.to_rrule(),
            exdates=self.exdates,
            rdates=self.rdates,
        )

    # ------------------------------------------------------------------ editing

    def _evolve(
        self,
        *,
        start: datetime | None = None,
        rule: Rule | None = None,
        exdates: tuple[datetime | date, ...] | None = None,
        rdates: tuple[datetime, ...] | None = None,
        disambiguate: RecurrenceDisambiguate | None = None,
    ) -> Recurrence:
        return attrs.evolve(
            self,
            start=self.start if start is None else start,
            rule=self.rule if rule is None else rule,
            exdates=self.exdates if exdates is None else exdates,
            rdates=self.rdates if rdates is None else rdates,
            disambiguate=self.disambiguate if disambiguate is None else disambiguate,
        )

    def split(self, at_key: datetime) -> tuple[Recurrence, Recurrence]:
        """Split "this and following" at the occurrence whose key is ``at_key``.

        Returns ``(before, after)``: ``before`` ends just before that occurrence,
        ``after`` starts at it; with COUNT, both counts are recomputed so that
        together they expand to exactly the original occurrences. At an RDATE,
        ``after``'s DTSTART is the rule's next occurrence (DTSTART fills in the
        rule's defaults), or the RDATE itself when the rule has ended.
        """
        return split_recurrence(self, at_key)
