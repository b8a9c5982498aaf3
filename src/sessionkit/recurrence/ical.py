"""iCalendar text of a recurrence: reading and writing its property lines.

``DTSTART;TZID=...``, ``DURATION``, ``RRULE``, ``EXDATE`` and ``RDATE`` lines,
as :meth:`~sessionkit.recurrence.Recurrence.to_ical_lines` writes them and
:meth:`~sessionkit.recurrence.Recurrence.from_ical_lines` reads them back. This
module only parses and formats; it returns the parts and the Recurrence builds
itself from them, so it does not import the Recurrence class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs

from sessionkit.errors import InvalidRecurrence, WrongType
from sessionkit.errors._base import iterator_of, shown
from sessionkit.recurrence._normalise import (
    exdate_policy,
    normalise_exdates,
    rdate_instant,
    resolve_instant,
)
from sessionkit.recurrence._stamps import (
    format_date,
    format_local,
    format_utc,
    parse_date,
    parse_local,
)
from sessionkit.zones import RecurrenceDisambiguate, get_zone, wall_time_kind

__all__ = ["IcalParts", "format_ical_lines", "parse_ical_lines"]


@attrs.frozen
class IcalParts:
    """What iCalendar lines say about a recurrence, ready for ``Recurrence.from_rrule``.

    ``start`` is naive local (with ``tz``) or aware UTC; local EXDATEs and
    RDATEs are already resolved to UTC instants with the policy.
    """

    rule: str
    start: datetime
    tz: str
    duration: timedelta
    exdates: list[datetime | date]
    rdates: list[datetime | date]


def parse_ical_lines(
    lines: Iterable[str],
    *,
    duration: timedelta | None,
    disambiguate: RecurrenceDisambiguate,
) -> IcalParts:
    """Read iCalendar property lines; ``duration`` stands in for a missing DURATION line.

    Raises :class:`~sessionkit.errors.InvalidRecurrence` for unreadable lines,
    unsupported properties, or a missing DTSTART, RRULE or duration.
    """
    start: datetime | date | None = None
    tz = "UTC"
    rule: str | None = None
    exdates: list[datetime | date] = []
    rdates: list[datetime | date] = []
    once: set[str] = set()
    iterator = iterator_of(lines, name="lines", expected="an iterable of iCalendar lines (str)")
    for position, raw in enumerate(iterator):
        if not isinstance(raw, str):
            raise WrongType(raw, name=f"lines[{position}]", expected="an iCalendar line (str)")
        line = raw.strip()
        if not line:
            continue
        head, sep, value = line.partition(":")
        if not sep:
            raise InvalidRecurrence(f"cannot read iCalendar line {shown(raw)}", value=raw)
        name, *param_texts = head.split(";")
        # Parameter names are case-insensitive and a value may be quoted (RFC 5545 3.2):
        # a "tzid=" or a TZID="..." named the zone as well, and was ignored or refused.
        params = {
            key.strip().upper(): _unquoted(given.strip())
            for key, given in (p.split("=", 1) for p in param_texts if "=" in p)
        }
        name = name.upper()
        if name in ("DTSTART", "DURATION"):
            if name in once:
                # RFC 5545 allows one of each; a second silently replaced the first start (or
                # was ignored, for DURATION), as a second RRULE once replaced the first rule.
                raise InvalidRecurrence(
                    f"a second {name} line {shown(raw)}: a recurrence has one {name}",
                    value=raw,
                    part=name,
                )
            once.add(name)
        if name == "DTSTART":
            start = _parse_ical_value(value, params, "DTSTART")
            if isinstance(start, datetime) and start.tzinfo is None and "TZID" not in params:
                # A floating time (RFC 5545 form 1) is local wherever it is read: taken as
                # UTC, the rule ran hours away from the wall time it names.
                raise InvalidRecurrence(
                    f"DTSTART {shown(value)} is a floating local time with no zone; name it "
                    f"(DTSTART;TZID=Europe/Berlin:{value}) or give UTC ({value}Z)",
                    value=raw,
                    part="DTSTART",
                )
            tz = params.get("TZID", tz)
        elif name == "DURATION":
            duration = duration or _parse_ical_duration(value)
        elif name == "RRULE":
            if rule is not None:
                # Several RRULEs are a union (RFC 5545); a Recurrence holds one rule, and
                # keeping the last one silently dropped the others' occurrences.
                raise InvalidRecurrence(
                    f"a second RRULE line {shown(raw)}: several RRULEs are a union of rules, and "
                    "a Recurrence holds one; give each rule its own schedule item "
                    "(sessionkit.contrib.ical reads such events so)",
                    value=raw,
                    part="RRULE",
                )
            rule = value
        elif name in ("EXDATE", "RDATE"):
            values = [_parse_ical_value(v, params, name) for v in value.split(",")]
            if "TZID" in params:
                zone = get_zone(params["TZID"])
                values = [
                    v.replace(tzinfo=zone) if isinstance(v, datetime) and v.tzinfo is None else v
                    for v in values
                ]
            (exdates if name == "EXDATE" else rdates).extend(values)
        else:
            raise InvalidRecurrence(
                f"unsupported iCalendar property {shown(name)}", value=raw, part=name
            )
    if not isinstance(start, datetime) or rule is None or duration is None:
        raise InvalidRecurrence(
            "iCalendar lines need a DTSTART date-time, an RRULE and a DURATION "
            "(or the duration argument)",
            value=list(lines) if not isinstance(lines, list) else lines,
        )
    # A local (TZID) EXDATE/RDATE is an exact local instant: resolve it with the policy.
    local_zone = get_zone(tz)
    exdates = [_to_aware(v, local_zone, exdate_policy(disambiguate)) for v in exdates]
    # Under "raise" a local RDATE that an EXDATE excludes is never yielded, so never raises.
    raising = disambiguate == "raise" and bool(rdates)
    excluded = normalise_exdates(exdates, tz, disambiguate) if raising else ()
    return IcalParts(
        rule=rule,
        start=start,
        tz=tz,
        duration=duration,
        exdates=exdates,
        rdates=[_to_aware(v, local_zone, disambiguate, excluded) for v in rdates],
    )


def _unquoted(value: str) -> str:
    """A parameter value without the double quotes of its quoted-string form."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _parse_ical_value(text: str, params: dict[str, str], part: str) -> datetime | date:
    try:
        if params.get("VALUE", "").upper() == "DATE" or "T" not in text:
            return parse_date(text)
        if text.endswith("Z"):
            return parse_local(text[:-1]).replace(tzinfo=UTC)
        return parse_local(text)
    except ValueError:
        raise InvalidRecurrence(
            f"cannot read iCalendar {part} date-time {shown(text)}", value=text, part=part
        ) from None


def _parse_ical_duration(text: str) -> timedelta:
    match = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", text)
    if match is None or not any(match.groups()):
        raise InvalidRecurrence(f"cannot read DURATION {shown(text)}", value=text, part="DURATION")
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def _to_aware(
    value: datetime | date,
    zone: ZoneInfo,
    policy: RecurrenceDisambiguate,
    excluded: Sequence[datetime | date] | None = None,
) -> datetime | date:
    """An EXDATE (or, given ``excluded``, the EXDATEs, an RDATE) local to ``zone`` as UTC."""
    if isinstance(value, datetime) and value.tzinfo is zone:
        naive = value.replace(tzinfo=None)
        if excluded is not None:
            return rdate_instant(naive, zone.key, policy, excluded)
        return resolve_instant(naive, zone.key, policy)
    return value


def _instant_lines(name: str, instants: list[datetime], zone: ZoneInfo) -> list[str]:
    """Local TZID form where the wall time is unambiguous, UTC form for gap/fold instants."""
    local: list[str] = []
    utc: list[str] = []
    for instant in instants:
        wall = instant.astimezone(zone).replace(tzinfo=None)
        if wall_time_kind(wall, zone) == "normal":
            local.append(format_local(wall))
        else:
            utc.append(format_utc(instant))
    lines = [f"{name};TZID={zone.key}:" + ",".join(local)] if local else []
    if utc:
        lines.append(f"{name}:" + ",".join(utc))
    return lines


def _format_duration(duration: timedelta) -> str:
    # Whole seconds (check_duration refuses less), counted without a float's rounding.
    days, rest = duration.days, duration.seconds
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    if hours or minutes or secs or not days:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        text += f"{secs}S" if secs or not (hours or minutes) else ""
    return text


def format_ical_lines(
    *,
    start: datetime,
    tz: str,
    duration: timedelta,
    rule: str,
    exdates: Sequence[datetime | date],
    rdates: Sequence[datetime],
) -> list[str]:
    """Return ``DTSTART;TZID=...``, ``DURATION``, ``RRULE``, ``EXDATE`` and ``RDATE`` lines.

    ``start`` is the naive local DTSTART in ``tz``; EXDATE and RDATE instants
    are written in the local TZID form where the wall time is unambiguous.
    """
    zone = get_zone(tz)
    lines = [
        f"DTSTART;TZID={tz}:{format_local(start)}",
        f"DURATION:{_format_duration(duration)}",
        f"RRULE:{rule}",
    ]
    instants = [x for x in exdates if isinstance(x, datetime)]
    days = [x for x in exdates if not isinstance(x, datetime)]
    lines.extend(_instant_lines("EXDATE", instants, zone))
    if days:
        lines.append("EXDATE;VALUE=DATE:" + ",".join(format_date(d) for d in days))
    lines.extend(_instant_lines("RDATE", list(rdates), zone))
    return lines
