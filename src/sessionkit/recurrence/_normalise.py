"""Normalising what a Recurrence is built from: local starts, UNTIL, EXDATEs and RDATEs.

A :class:`~sessionkit.recurrence.Recurrence` stores DTSTART as a naive local
wall time, UNTIL, EXDATEs and RDATEs as UTC instants (or dates for whole-day
EXDATEs); these functions turn what callers pass into that form, resolving
local times with the recurrence's gap/fold policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final

import attrs

from sessionkit.errors import InvalidRecurrence, NotADatetime, WrongType
from sessionkit.errors._base import duration_text
from sessionkit.recurrence.rule import Rule
from sessionkit.zones import (
    RecurrenceDisambiguate,
    check_aware,
    get_zone,
    resolve_local,
    to_utc,
    to_zone,
    wall_time_kind,
)

__all__ = [
    "LONGEST_DURATION",
    "check_duration",
    "check_start",
    "check_whole_seconds",
    "exdate_policy",
    "naive_local",
    "normalise_exdates",
    "normalise_rdates",
    "normalise_until",
    "rdate_instant",
    "resolve_instant",
    "zone_key",
]

_END_OF_DAY: Final = time(23, 59, 59)
LONGEST_DURATION: Final = timedelta(days=999_999_999, seconds=86_399)
"""The longest duration a recurrence takes: ``timedelta.max`` in whole seconds."""


def naive_local(value: object, tz: str, name: str) -> datetime:
    """Return a naive local wall time: naive values as they are, aware ones converted to tz."""
    if not isinstance(value, datetime):
        raise NotADatetime(value, name=name)
    if value.tzinfo is None:
        return value
    return to_zone(value, tz, name).replace(tzinfo=None)


def _check_mix(values: Sequence[object], name: str) -> None:
    kinds = {"naive" if v.tzinfo is None else "aware" for v in values if isinstance(v, datetime)}
    if len(kinds) > 1:
        raise InvalidRecurrence(
            f"{name} mix naive and aware datetimes; give all of them local to the recurrence's "
            "zone (naive) or all aware",
            value=tuple(values),
            part=name.upper(),
        )


def _members(values: object, name: str) -> list[object]:
    """Return the EXDATEs or RDATEs as a list; ``None`` or a single value is ``WrongType``.

    The parameters take a collection (``()`` for none), as ``days`` does; a
    single string is refused rather than read as letters.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise WrongType(
            values, name=name, expected="a collection of datetimes or dates (() for none)"
        )
    return list(values)


def resolve_instant(
    local: datetime, tz: str, policy: RecurrenceDisambiguate, name: str = "local time"
) -> datetime:
    """Return the UTC instant of local wall time ``local`` in ``tz`` under ``policy``.

    A local time so close to year 1 or 9999 that it has no UTC equivalent is
    an ``InvalidValue`` naming ``name``.
    """
    resolved = resolve_local(local, tz, disambiguate="compatible" if policy == "skip" else policy)
    return to_utc(resolved, name)


def exdate_policy(policy: RecurrenceDisambiguate) -> RecurrenceDisambiguate:
    """Return the policy a local EXDATE (or UNTIL) is read with under the recurrence's ``policy``.

    Under ``"raise"`` only an occurrence that is yielded raises; an excluded one is
    matched by its ``"compatible"`` instant (see ``expand``). A local EXDATE is read
    so too: one naming the occurrence in a gap or fold excludes it, where reading it
    with ``"raise"`` refused the very EXDATE that keeps the occurrence from raising.
    """
    return "compatible" if policy == "raise" else policy


def normalise_exdates(
    values: Iterable[object], tz: str, policy: RecurrenceDisambiguate
) -> tuple[datetime | date, ...]:
    """Return EXDATEs as sorted, unique UTC instants (local ones resolved) and local dates."""
    items = _members(values, "exdates")
    if not items:
        return ()
    _check_mix(items, "exdates")
    out: set[datetime | date] = set()
    for value in items:
        if isinstance(value, datetime):
            check_whole_seconds(value, "EXDATE")
            if value.tzinfo is None:
                if policy == "skip" and wall_time_kind(value, tz) == "skipped":
                    continue  # names an occurrence that "skip" never produces
                out.add(resolve_instant(value, tz, exdate_policy(policy), "exdate"))
            else:
                out.add(check_aware(value, "exdate").astimezone(UTC))
        elif isinstance(value, date):
            out.add(value)
        else:
            raise NotADatetime(value, name="exdate", expected="datetime or date")
    return _exdate_order(out)


def rdate_instant(
    local: datetime, tz: str, policy: RecurrenceDisambiguate, exdates: Sequence[datetime | date]
) -> datetime:
    """Return the UTC instant of local RDATE ``local``; ``exdates`` as normalise_exdates gives.

    Under ``"raise"`` one that an EXDATE excludes is never yielded, so it is read
    as the EXDATEs are (see :func:`exdate_policy`) rather than raising; one that
    none excludes raises ``SkippedTime`` / ``RepeatedTime`` in a gap or fold.
    """
    if policy == "raise":
        instant = resolve_instant(local, tz, exdate_policy(policy), "rdate")
        day = instant.astimezone(get_zone(tz)).date()  # a date EXDATE: as expand matches it
        if any(x == instant if isinstance(x, datetime) else x == day for x in exdates):
            return instant
    return resolve_instant(local, tz, policy, "rdate")


def normalise_rdates(
    values: Iterable[object],
    tz: str,
    at: time,
    policy: RecurrenceDisambiguate,
    exdates: Sequence[datetime | date] = (),
) -> tuple[datetime, ...]:
    """Return RDATEs as sorted, unique UTC instants; a date means local time ``at`` that day.

    ``exdates`` are the recurrence's, normalised: see :func:`rdate_instant`.
    """
    items = _members(values, "rdates")
    if not items:
        return ()
    _check_mix(items, "rdates")
    out: set[datetime] = set()
    for value in items:
        if isinstance(value, datetime):
            check_whole_seconds(value, "RDATE")
            if value.tzinfo is None:
                instant = rdate_instant(value, tz, policy, exdates)
            else:
                instant = check_aware(value, "rdate").astimezone(UTC)
        elif isinstance(value, date):
            instant = rdate_instant(datetime.combine(value, at), tz, policy, exdates)
        else:
            raise NotADatetime(value, name="rdate", expected="datetime or date")
        to_zone(instant, tz, "rdate")  # an occurrence's local start must exist
        out.add(instant)
    return tuple(sorted(out))


def utc_exdates(values: object) -> tuple[datetime | date, ...]:
    """Return a ``Recurrence``'s own EXDATEs, UTC instants or local dates, sorted and unique.

    What :func:`normalise_exdates` makes of a caller's values, checked when
    a ``Recurrence`` is made directly: ``None``, a string or anything but a
    UTC datetime or a date is refused, naming it.
    """
    out: set[datetime | date] = set()
    for value in _members(values, "exdates"):
        if isinstance(value, datetime):
            if value.tzinfo is not UTC:
                raise InvalidRecurrence(
                    "exdates must be UTC datetimes or dates here", value=value, part="EXDATE"
                )
            out.add(check_whole_seconds(value, "EXDATE"))
        elif isinstance(value, date):
            out.add(value)
        else:
            raise NotADatetime(value, name="exdate", expected="UTC datetime or date")
    return _exdate_order(out)


def utc_rdates(values: object) -> tuple[datetime, ...]:
    """Return a ``Recurrence``'s own RDATEs: UTC instants, sorted and unique (see utc_exdates)."""
    out: set[datetime] = set()
    for value in _members(values, "rdates"):
        if not isinstance(value, datetime) or value.tzinfo is not UTC:
            raise InvalidRecurrence("rdates must be UTC datetimes here", value=value, part="RDATE")
        out.add(check_whole_seconds(value, "RDATE"))
    return tuple(sorted(out))


def _exdate_order(values: set[datetime | date]) -> tuple[datetime | date, ...]:
    return tuple(sorted(values, key=lambda v: (isinstance(v, datetime), v.isoformat())))


def normalise_until(rule: Rule, tz: str, policy: RecurrenceDisambiguate) -> Rule:
    """Turn a DATE or floating UNTIL into the inclusive UTC instant RFC 5545 requires.

    A fraction of a second is cut off: occurrences start on whole seconds, so
    an inclusive bound keeps the same ones, and RFC 5545 text has no fractions.
    A local UNTIL in a gap or fold is read under ``"raise"`` as ``"compatible"``
    reads it (see :func:`exdate_policy`): it bounds the occurrences and is none
    of them, and ``"raise"`` is for an occurrence that is yielded.
    """
    until = rule.until
    if isinstance(until, datetime) and until.microsecond:
        until = until.replace(microsecond=0)
        rule = attrs.evolve(rule, until=until)
    if until is None or (isinstance(until, datetime) and until.tzinfo is not None):
        if isinstance(until, datetime) and until.tzinfo is not None:
            return attrs.evolve(rule, until=until.astimezone(UTC))
        return rule
    if isinstance(until, datetime):
        return attrs.evolve(rule, until=resolve_instant(until, tz, exdate_policy(policy), "UNTIL"))
    return attrs.evolve(
        rule, until=resolve_local(datetime.combine(until, _END_OF_DAY), tz).astimezone(UTC)
    )


def check_duration(duration: object) -> timedelta:
    """Return ``duration`` if it is a positive timedelta of whole seconds, else raise.

    RFC 5545 writes a DURATION in whole seconds, and so does the recurrence's
    stored text: a fraction would be lost on the way to storage and back.
    """
    if not isinstance(duration, timedelta):
        raise NotADatetime(duration, name="duration", expected="timedelta")
    if duration <= timedelta(0):
        raise InvalidRecurrence(
            f"duration must be positive, got {duration_text(duration)}",
            value=duration,
            part="DURATION",
        )
    if duration.microseconds:
        raise InvalidRecurrence(
            f"duration {duration_text(duration)} has a fraction of a second; a recurrence's "
            f"DURATION is whole seconds (RFC 5545), from 1 second to "
            f"{duration_text(LONGEST_DURATION)} (say "
            f"{duration_text(duration - timedelta(microseconds=duration.microseconds))})",
            value=duration,
            part="DURATION",
        )
    return duration


def check_whole_seconds(value: datetime, part: str) -> datetime:
    """Return ``value`` if it has no microseconds; raise ``InvalidRecurrence`` naming ``part``.

    RFC 5545 DATE-TIMEs are whole seconds, and so is the recurrence's stored
    text: a fraction would be lost on the way to storage and back.
    """
    if value.microsecond:
        raise InvalidRecurrence(
            f"{part} {value.isoformat()} has a fraction of a second; RFC 5545 date-times, and "
            "a recurrence's stored text, are whole seconds",
            value=value,
            part=part,
        )
    return value


def check_start(start: datetime) -> datetime:
    """Return ``start`` if it is a naive local DTSTART in whole seconds, else raise."""
    if not isinstance(start, datetime):
        raise NotADatetime(start, name="start", expected="naive local datetime")
    if start.tzinfo is not None:
        raise InvalidRecurrence(
            "Recurrence.start is the naive local wall time; pass aware starts through "
            "Recurrence.from_rrule, which converts them",
            value=start,
            part="DTSTART",
        )
    return check_whole_seconds(start, "DTSTART")


def zone_key(tz: str | tzinfo) -> str:
    """Return the IANA key of ``tz`` (raises ``UnknownTimeZone``)."""
    return get_zone(tz).key
