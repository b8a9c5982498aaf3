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

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

import attrs

from sessionkit.errors import InvalidRecurrence, InvalidWindow, NotADatetime
from sessionkit.recurrence.expand import MAX_CANDIDATES, Plan, expand
from sessionkit.recurrence.rule import WEEKDAYS, Rule, Weekday, parse_rule
from sessionkit.timespan import TimeSpan
from sessionkit.zones import (
    RecurrenceDisambiguate,
    check_aware,
    check_disambiguate,
    get_zone,
    resolve_local,
    wall_time_kind,
)

__all__ = ["Occurrence", "Recurrence"]

_END_OF_DAY: Final = time(23, 59, 59)


class Occurrence(NamedTuple):
    """One occurrence of a recurrence.

    ``span`` is its real time (UTC, lasting exactly the recurrence's duration);
    ``local_start`` the aware start in the recurrence's zone; ``key`` the
    original local start as a naive wall-clock time (the RFC 5545 RECURRENCE-ID),
    which stays the occurrence's identity when it is later moved or cancelled.
    It is a NamedTuple so that a million of them can be built per second.
    """

    span: TimeSpan
    local_start: datetime
    key: datetime


def _naive_local(value: object, tz: str, name: str) -> datetime:
    """Return a naive local wall time: naive values as they are, aware ones converted to tz."""
    if not isinstance(value, datetime):
        raise NotADatetime(value, name=name)
    if value.tzinfo is None:
        return value
    return check_aware(value, name).astimezone(get_zone(tz)).replace(tzinfo=None)


def _check_mix(values: Sequence[object], name: str) -> None:
    kinds = {"naive" if v.tzinfo is None else "aware" for v in values if isinstance(v, datetime)}
    if len(kinds) > 1:
        raise InvalidRecurrence(
            f"{name} mix naive and aware datetimes; give all of them local to the recurrence's "
            "zone (naive) or all aware",
            value=tuple(values),
            part=name.upper(),
        )


def _resolve_instant(local: datetime, tz: str, policy: RecurrenceDisambiguate) -> datetime:
    resolved = resolve_local(local, tz, disambiguate="compatible" if policy == "skip" else policy)
    return resolved.astimezone(UTC)


def _normalise_exdates(
    values: Iterable[object], tz: str, policy: RecurrenceDisambiguate
) -> tuple[datetime | date, ...]:
    items = list(values)
    _check_mix(items, "exdates")
    out: set[datetime | date] = set()
    for value in items:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                if policy == "skip" and wall_time_kind(value, tz) == "skipped":
                    continue  # names an occurrence that "skip" never produces
                out.add(_resolve_instant(value, tz, policy))
            else:
                out.add(check_aware(value, "exdate").astimezone(UTC))
        elif isinstance(value, date):
            out.add(value)
        else:
            raise NotADatetime(value, name="exdate", expected="datetime or date")
    return tuple(sorted(out, key=lambda v: (isinstance(v, datetime), v.isoformat())))


def _normalise_rdates(
    values: Iterable[object], tz: str, at: time, policy: RecurrenceDisambiguate
) -> tuple[datetime, ...]:
    items = list(values)
    _check_mix(items, "rdates")
    out: set[datetime] = set()
    for value in items:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                out.add(_resolve_instant(value, tz, policy))
            else:
                out.add(check_aware(value, "rdate").astimezone(UTC))
        elif isinstance(value, date):
            out.add(_resolve_instant(datetime.combine(value, at), tz, policy))
        else:
            raise NotADatetime(value, name="rdate", expected="datetime or date")
    return tuple(sorted(out))


def _normalise_until(rule: Rule, tz: str, policy: RecurrenceDisambiguate) -> Rule:
    """Turn a DATE or floating UNTIL into the inclusive UTC instant RFC 5545 requires."""
    until = rule.until
    if until is None or (isinstance(until, datetime) and until.tzinfo is not None):
        if isinstance(until, datetime) and until.tzinfo is not None:
            return attrs.evolve(rule, until=until.astimezone(UTC))
        return rule
    if isinstance(until, datetime):
        return attrs.evolve(rule, until=_resolve_instant(until, tz, policy))
    return attrs.evolve(
        rule, until=resolve_local(datetime.combine(until, _END_OF_DAY), tz).astimezone(UTC)
    )


def _check_duration(duration: object) -> timedelta:
    if not isinstance(duration, timedelta):
        raise NotADatetime(duration, name="duration", expected="timedelta")
    if duration <= timedelta(0):
        raise InvalidRecurrence(
            f"duration must be positive, got {duration}", value=duration, part="DURATION"
        )
    return duration


def _check_start(start: datetime) -> datetime:
    if start.tzinfo is not None:
        raise InvalidRecurrence(
            "Recurrence.start is the naive local wall time; pass aware starts through "
            "Recurrence.from_rrule, which converts them",
            value=start,
            part="DTSTART",
        )
    if start.microsecond:
        raise InvalidRecurrence(
            f"DTSTART {start.isoformat()} has microseconds; RFC 5545 times are whole seconds",
            value=start,
            part="DTSTART",
        )
    return start


def _zone_key(tz: str | tzinfo) -> str:
    return get_zone(tz).key


@attrs.frozen(slots=True)
class Recurrence:
    """An immutable recurring schedule: expand it with :meth:`between`.

    Build one with :meth:`weekly` or :meth:`from_rrule`. Fields: ``start`` (naive
    local DTSTART), ``tz`` (IANA key), ``duration`` (elapsed time of every
    occurrence), ``rule``, ``exdates`` (UTC instants, or local dates that remove
    every occurrence on that day), ``rdates`` (UTC instants) and
    ``disambiguate`` (the policy for local times in DST gaps and folds).
    """

    start: datetime = attrs.field(converter=_check_start)
    tz: str = attrs.field(converter=_zone_key)
    duration: timedelta = attrs.field(converter=_check_duration)
    rule: Rule
    exdates: tuple[datetime | date, ...] = ()
    rdates: tuple[datetime, ...] = ()
    disambiguate: RecurrenceDisambiguate = "compatible"
    _plan: Plan = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_disambiguate(self.disambiguate, allow_skip=True)
        if not isinstance(self.rule, Rule):
            raise InvalidRecurrence(
                f"rule must be a Rule (use Recurrence.from_rrule for text), got {self.rule!r}",
                value=self.rule,
            )
        until = self.rule.until
        if until is not None and not (isinstance(until, datetime) and until.tzinfo is UTC):
            raise InvalidRecurrence(
                "rule.until must be an aware UTC datetime here (from_rrule converts it)",
                value=until,
                part="UNTIL",
            )
        for ex in self.exdates:
            if isinstance(ex, datetime) and ex.tzinfo is not UTC:
                raise InvalidRecurrence(
                    "exdates must be UTC datetimes or dates here", value=ex, part="EXDATE"
                )
        for rd in self.rdates:
            if not isinstance(rd, datetime) or rd.tzinfo is not UTC:
                raise InvalidRecurrence("rdates must be UTC datetimes here", value=rd, part="RDATE")
        object.__setattr__(self, "_plan", Plan.build(self))

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
        zone = _zone_key(tz)
        parsed = rule if isinstance(rule, Rule) else parse_rule(rule)
        local_start = _naive_local(start, zone, "start")
        return cls(
            start=local_start,
            tz=zone,
            duration=duration,
            rule=_normalise_until(parsed, zone, disambiguate),
            exdates=_normalise_exdates(exdates, zone, disambiguate),
            rdates=_normalise_rdates(rdates, zone, local_start.time(), disambiguate),
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
        codes: list[Weekday] = []
        for day in days:
            code = day.upper() if isinstance(day, str) else day
            if code not in WEEKDAYS:
                raise InvalidRecurrence(
                    f"unknown weekday {day!r}; expected one of {', '.join(WEEKDAYS)}",
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
                f"unknown week_start {week_start!r}", value=week_start, part="WKST"
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

        Understands ``DTSTART;TZID=...`` (or a UTC ``...Z`` start), ``DURATION``
        (or pass ``duration``), ``RRULE``, ``EXDATE`` and ``RDATE`` (``TZID``,
        UTC or ``VALUE=DATE`` forms).
        """
        return _from_ical_lines(cls, lines, duration, disambiguate)

    # ------------------------------------------------------------------ expansion

    def between(
        self, start: datetime, end: datetime, *, max_candidates: int = MAX_CANDIDATES
    ) -> Iterator[Occurrence]:
        """Lazily yield the occurrences whose start lies in ``[start, end)``, ascending.

        Nothing beyond what is iterated is computed, so infinite rules are fine.
        Rules without COUNT jump straight to the window instead of walking from
        DTSTART. Raises :class:`~sessionkit.errors.ExpansionLimitExceeded` once
        one call has examined more than ``max_candidates`` candidate dates.
        """
        lo = check_aware(start, "start")
        hi = check_aware(end, "end")
        if hi < lo:
            raise InvalidWindow(
                f"window end {hi.isoformat()} is before its start {lo.isoformat()}",
                value=(lo, hi),
                expected="end >= start",
            )
        return self._between(lo, hi, max_candidates)

    def _between(self, lo: datetime, hi: datetime, max_candidates: int) -> Iterator[Occurrence]:
        rule_occurrences = expand(self, self._plan, lo, hi, max_candidates, Occurrence)
        extra = [r for r in self.rdates if lo <= r < hi and not self._excluded(r)]
        if not extra:
            return rule_occurrences
        return self._merge(rule_occurrences, extra)

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
        zone = get_zone(self.tz)
        lines = [
            f"DTSTART;TZID={self.tz}:{self.start.strftime('%Y%m%dT%H%M%S')}",
            f"DURATION:{_format_duration(self.duration)}",
            f"RRULE:{self.to_rrule()}",
        ]
        instants = [x for x in self.exdates if isinstance(x, datetime)]
        days = [x for x in self.exdates if not isinstance(x, datetime)]
        lines.extend(_instant_lines("EXDATE", instants, zone))
        if days:
            lines.append("EXDATE;VALUE=DATE:" + ",".join(d.strftime("%Y%m%d") for d in days))
        lines.extend(_instant_lines("RDATE", list(self.rdates), zone))
        return lines

    # ------------------------------------------------------------------ editing

    def split(self, at_key: datetime) -> tuple[Recurrence, Recurrence]:
        """Split "this and following" at the occurrence whose key is ``at_key``.

        Returns ``(before, after)``: ``before`` ends just before that occurrence,
        ``after`` starts at it; with COUNT, both counts are recomputed so that
        together they expand to exactly the original occurrences.
        """
        from sessionkit.recurrence.editing import split_recurrence

        return split_recurrence(self, at_key)


def _parse_ical_value(text: str, params: dict[str, str]) -> datetime | date:
    try:
        if params.get("VALUE") == "DATE" or len(text) == 8:
            return datetime.strptime(text, "%Y%m%d").date()
        if text.endswith("Z"):
            return datetime.strptime(text[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return datetime.strptime(text, "%Y%m%dT%H%M%S")
    except ValueError:
        raise InvalidRecurrence(
            f"cannot read iCalendar date-time {text!r}", value=text, part="DTSTART"
        ) from None


def _parse_ical_duration(text: str) -> timedelta:
    match = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", text)
    if match is None or not any(match.groups()):
        raise InvalidRecurrence(f"cannot read DURATION {text!r}", value=text, part="DURATION")
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def _from_ical_lines(
    cls: type[Recurrence],
    lines: Iterable[str],
    duration: timedelta | None,
    disambiguate: RecurrenceDisambiguate,
) -> Recurrence:
    start: datetime | date | None = None
    tz = "UTC"
    rule: str | None = None
    exdates: list[datetime | date] = []
    rdates: list[datetime | date] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        head, sep, value = line.partition(":")
        if not sep:
            raise InvalidRecurrence(f"cannot read iCalendar line {raw!r}", value=raw)
        name, *param_texts = head.split(";")
        params = dict(p.split("=", 1) for p in param_texts if "=" in p)
        name = name.upper()
        if name == "DTSTART":
            start = _parse_ical_value(value, params)
            tz = params.get("TZID", tz)
        elif name == "DURATION":
            duration = duration or _parse_ical_duration(value)
        elif name == "RRULE":
            rule = value
        elif name in ("EXDATE", "RDATE"):
            values = [_parse_ical_value(v, params) for v in value.split(",")]
            if "TZID" in params:
                zone = get_zone(params["TZID"])
                values = [
                    v.replace(tzinfo=zone) if isinstance(v, datetime) and v.tzinfo is None else v
                    for v in values
                ]
            (exdates if name == "EXDATE" else rdates).extend(values)
        else:
            raise InvalidRecurrence(
                f"unsupported iCalendar property {name!r}", value=raw, part=name
            )
    if not isinstance(start, datetime) or rule is None or duration is None:
        raise InvalidRecurrence(
            "iCalendar lines need a DTSTART date-time, an RRULE and a DURATION "
            "(or the duration argument)",
            value=list(lines) if not isinstance(lines, list) else lines,
        )
    # A local (TZID) EXDATE/RDATE is an exact local instant: resolve it with the policy.
    local_zone = get_zone(tz)
    return cls.from_rrule(
        rule,
        start=start,
        tz=tz,
        duration=duration,
        exdates=[_to_aware(v, local_zone, disambiguate) for v in exdates],
        rdates=[_to_aware(v, local_zone, disambiguate) for v in rdates],
        disambiguate=disambiguate,
    )


def _to_aware(
    value: datetime | date, zone: ZoneInfo, policy: RecurrenceDisambiguate
) -> datetime | date:
    if isinstance(value, datetime) and value.tzinfo is zone:
        naive = value.replace(tzinfo=None)
        return _resolve_instant(naive, zone.key, policy)
    return value


def _instant_lines(name: str, instants: list[datetime], zone: ZoneInfo) -> list[str]:
    """Local TZID form where the wall time is unambiguous, UTC form for gap/fold instants."""
    local: list[str] = []
    utc: list[str] = []
    for instant in instants:
        wall = instant.astimezone(zone).replace(tzinfo=None)
        if wall_time_kind(wall, zone) == "normal":
            local.append(wall.strftime("%Y%m%dT%H%M%S"))
        else:
            utc.append(instant.strftime("%Y%m%dT%H%M%SZ"))
    lines = [f"{name};TZID={zone.key}:" + ",".join(local)] if local else []
    if utc:
        lines.append(f"{name}:" + ",".join(utc))
    return lines


def _format_duration(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    if hours or minutes or secs or not days:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        text += f"{secs}S" if secs or not (hours or minutes) else ""
    return text
