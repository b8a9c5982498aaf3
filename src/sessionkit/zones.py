"""IANA time zones and the policy that turns a local wall-clock time into an instant.

A local time such as 2007-03-11 02:30 in New York never happened (the clocks
jumped from 02:00 to 03:00), and 2007-11-04 01:30 happened twice. sessionkit
never resolves such times by accident; the ``disambiguate`` policy decides:

``"compatible"`` (the default, RFC 5545 section 3.3.5)
    a skipped time is read with the offset in force *before* the gap (02:30
    becomes 03:30 EDT); a repeated time means its first occurrence (EDT).
``"earlier"``
    the earlier of the two candidate instants (02:30 in the gap becomes 01:30
    EST; in a fold, the first occurrence).
``"later"``
    the later candidate (03:30 EDT in the gap; the second occurrence in a fold).
``"raise"``
    raise :class:`~sessionkit.errors.SkippedTime` or
    :class:`~sessionkit.errors.RepeatedTime`.

Recurrences accept one more choice, ``"skip"`` (RFC 5545 section 3.3.10): an
occurrence whose local start does not exist is dropped and not counted; a
repeated one is read as in ``"compatible"``.

>>> from datetime import datetime
>>> resolve_local(datetime(2007, 3, 11, 2, 30), "America/New_York").isoformat()
'2007-03-11T03:30:00-04:00'
>>> resolve_local(datetime(2007, 11, 4, 1, 30), "America/New_York").isoformat()
'2007-11-04T01:30:00-04:00'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sessionkit.errors import (
    InvalidValue,
    NaiveDatetime,
    NotADatetime,
    RepeatedTime,
    SkippedTime,
    UnknownTimeZone,
    WrongType,
)
from sessionkit.errors._base import shown

__all__ = [
    "LATEST",
    "EARLIEST",
    "UTC",
    "Disambiguate",
    "RecurrenceDisambiguate",
    "WallTimeKind",
    "check_aware",
    "check_disambiguate",
    "check_instant",
    "get_zone",
    "local_date_start",
    "resolve_local",
    "to_utc",
    "to_zone",
    "wall_time_kind",
    "zone_name",
]

Disambiguate = Literal["compatible", "earlier", "later", "raise"]
"""How a local time in a DST gap or fold becomes an instant (see the module docs)."""

RecurrenceDisambiguate = Literal["compatible", "earlier", "later", "raise", "skip"]
""":data:`Disambiguate` plus ``"skip"``: drop occurrences whose local start does not exist."""

WallTimeKind = Literal["normal", "skipped", "repeated"]

_DISAMBIGUATE_CHOICES: frozenset[str] = frozenset(get_args(RecurrenceDisambiguate))

EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
"""The earliest instant the services schedule at (sessions, windows, ``now``): 1000-01-01 UTC."""
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""The latest instant the services schedule at: 9000-01-01 UTC.

Every database sessionkit supports stores the whole range, and the ample
margin to Python's year 1 and year 9999 lets windows, buffers and timers be
added to any such instant without leaving what a ``datetime`` can hold.
"""


_NOT_IANA = {
    "localtime": "is this machine's own zone, which another machine may not share",
    "posixrules": "is the system's rule for POSIX TZ strings, not a zone",
}
_COPIES = ("posix/", "right/")


def _not_iana(name: str) -> str | None:
    """Why ``name``, which the system's zone files may hold, is not an IANA zone (else None)."""
    if name in _NOT_IANA:
        return _NOT_IANA[name]
    if name.startswith(_COPIES):
        return f"is the system's variant of {name.partition('/')[2]!r}, not an IANA name"
    return None


@lru_cache(maxsize=1024)
def _zone_by_name(name: str) -> ZoneInfo:
    reason = _not_iana(name)
    if reason is not None:
        raise UnknownTimeZone(name, reason)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # ValueError/OSError: names like "../etc/passwd" or "" that zoneinfo refuses.
        raise UnknownTimeZone(name) from exc


def get_zone(tz: str | tzinfo) -> ZoneInfo:
    """Return the :class:`~zoneinfo.ZoneInfo` for an IANA name (or a ZoneInfo, unchanged).

    ``datetime.timezone.utc`` is accepted and becomes ``ZoneInfo("UTC")``.
    Raises :class:`~sessionkit.errors.UnknownTimeZone` for anything else.
    """
    if isinstance(tz, ZoneInfo):
        reason = None if tz.key is None else _not_iana(tz.key)
        if reason is not None:
            raise UnknownTimeZone(tz.key, reason)
        return tz
    if tz is UTC:
        return _zone_by_name("UTC")
    if not isinstance(tz, str) or not tz:
        raise UnknownTimeZone(tz)
    return _zone_by_name(tz)


def zone_name(tz: str | tzinfo) -> str:
    """Return the IANA key of a zone (validating it), for a value that keeps the zone's name.

    Raises :class:`~sessionkit.errors.UnknownTimeZone` as :func:`get_zone`
    does, and for a :class:`~zoneinfo.ZoneInfo` of no name (``ZoneInfo.from_file``).
    """
    key: str | None = get_zone(tz).key
    if key is None:
        raise UnknownTimeZone(tz, "has no IANA name (a zone read from a file)")
    return key


def check_disambiguate(value: object, *, allow_skip: bool = False) -> None:
    """Raise :class:`~sessionkit.errors.InvalidValue` unless ``value`` is a known policy."""
    allowed = _DISAMBIGUATE_CHOICES if allow_skip else _DISAMBIGUATE_CHOICES - {"skip"}
    if not isinstance(value, str):
        raise WrongType(value, name="disambiguate", expected=" | ".join(sorted(allowed)))
    if value not in allowed:
        raise InvalidValue(
            f"disambiguate must be one of {sorted(allowed)}, got {shown(value)}",
            value=value,
            expected=" | ".join(sorted(allowed)),
        )


def check_aware(value: object, name: str = "datetime") -> datetime:
    """Return ``value`` if it is an aware datetime, else raise a clear sessionkit error.

    An aware value so close to year 1 or year 9999 that it has no UTC
    equivalent (``datetime.min`` at +14:00) is an :class:`~sessionkit.errors.InvalidValue`.
    A subclass (pandas' ``Timestamp``) comes back as a plain ``datetime``, so
    every store compares and stores the same value; one with nanoseconds, which
    no ``datetime`` holds (and SQL stores would cut), is an ``InvalidValue``,
    and so is pandas' ``NaT``, a missing time rather than an instant.
    """
    if not isinstance(value, datetime):
        raise NotADatetime(value, name=name)
    if value != value:  # pandas' NaT, a datetime unequal to itself (no pandas import here)
        raise InvalidValue(
            f"{name} is NaT (pandas' missing time), which is no instant",
            value=value,
            expected="an aware datetime",
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(value, name=name)
    if type(value) is not datetime:
        value = _plain(value, name)
    if value.year in (1, 9999):
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise InvalidValue(
                f"{name} {value.isoformat()} has no UTC equivalent (it lies outside the years "
                "1 to 9999 in UTC)",
                value=value,
                expected="an aware datetime between 0001-01-01 and 9999-12-31 UTC",
            ) from None
    return value


def _plain(value: datetime, name: str) -> datetime:
    """``value``, of a subclass of ``datetime``, as a plain one (refused with nanoseconds)."""
    nanoseconds = getattr(value, "nanosecond", 0)
    if nanoseconds:
        raise InvalidValue(
            f"{name} {value.isoformat()} has {nanoseconds} nanosecond(s); sessionkit keeps "
            "instants to the microsecond",
            value=value,
            expected="an aware datetime to the microsecond (round a pandas Timestamp with "
            ".floor('us'))",
        )
    return datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        value.tzinfo,
        fold=value.fold,
    )


def check_instant(value: object, name: str = "datetime") -> datetime:
    """Return the aware ``value`` in UTC if it lies in ``[EARLIEST, LATEST]``, else raise.

    What the services accept as a session's time, a window's ends or ``now``;
    outside it :class:`~sessionkit.errors.InvalidValue` names the value and the range.
    """
    instant = check_aware(value, name).astimezone(UTC)
    if not EARLIEST <= instant <= LATEST:
        raise InvalidValue(
            f"{name} {instant.isoformat()} is outside the instants sessionkit schedules at, "
            f"{EARLIEST.date().isoformat()} to {LATEST.date().isoformat()} UTC",
            value=value,
            expected=f"an aware datetime between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
        )
    return instant


def to_zone(value: datetime, tz: str | tzinfo, name: str = "datetime") -> datetime:
    """Return the aware ``value`` in zone ``tz``; ``InvalidValue`` past year 1 or 9999 there."""
    zone = get_zone(tz)
    try:
        return check_aware(value, name).astimezone(zone)
    except OverflowError:
        raise InvalidValue(
            f"{name} {value.isoformat()} has no local time in {zone.key} (it would fall "
            "outside the years 1 to 9999)",
            value=value,
            expected=f"an instant that exists on the wall clock of {zone.key}",
        ) from None


def to_utc(value: datetime, name: str = "datetime") -> datetime:
    """Return the aware ``value`` as the same instant in UTC."""
    return check_aware(value, name).astimezone(UTC)


def wall_time_kind(local: datetime, tz: str | tzinfo) -> WallTimeKind:
    """Tell whether a naive local time is normal, skipped (in a gap) or repeated (in a fold).

    An aware ``local`` is judged by its wall time in ``tz`` (as :func:`resolve_local`
    converts it): never skipped, repeated when it falls in a fold there.
    """
    zone = get_zone(tz)
    if not isinstance(local, datetime):
        raise NotADatetime(local, name="local time")
    if local.utcoffset() is not None:  # its own zone was swapped for tz: 01:30 UTC read as 01:30
        local = to_zone(local, zone, "local time").replace(tzinfo=None)
    off0 = local.replace(tzinfo=zone, fold=0).utcoffset()
    off1 = local.replace(tzinfo=zone, fold=1).utcoffset()
    assert off0 is not None
    assert off1 is not None
    if off0 == off1:
        return "normal"
    # PEP 495: in a gap fold=0 reads the offset before the transition, which is
    # the smaller one when clocks jump forward; in a fold it is the larger one.
    return "skipped" if off0 < off1 else "repeated"


def resolve_local(
    local: datetime,
    tz: str | tzinfo,
    *,
    disambiguate: Disambiguate = "compatible",
) -> datetime:
    """Turn a naive local wall-clock time in ``tz`` into an aware datetime in that zone.

    The result is always a time that really happened on the local clock: a
    skipped time is moved by the length of the gap (see the module docs for the
    policies). An aware ``local`` is converted to ``tz`` unchanged.
    """
    zone = get_zone(tz)
    if not isinstance(local, datetime):
        raise NotADatetime(local, name="local time")
    # Checked for an aware ``local`` too, which needs no policy: a misspelt one is
    # refused whatever the value, not only once a naive value reaches it.
    check_disambiguate(disambiguate)
    if local.tzinfo is not None:
        return to_zone(local, zone, "local time")
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    off0 = first.utcoffset()
    off1 = second.utcoffset()
    assert off0 is not None
    assert off1 is not None
    if off0 == off1:
        return first
    if off0 < off1:  # skipped
        if disambiguate == "raise":
            raise SkippedTime(local, zone.key)
        offset = off1 if disambiguate == "earlier" else off0
        return to_zone((local - offset).replace(tzinfo=UTC), zone, "local time")
    if disambiguate == "raise":
        raise RepeatedTime(local, zone.key)
    return second if disambiguate == "later" else first


def local_date_start(day: date, tz: str | tzinfo) -> datetime:
    """Return the first instant of a local calendar day (midnight, or the gap's end)."""
    if not isinstance(day, date):
        raise WrongType(day, name="day", expected="a date")
    return resolve_local(datetime.combine(day, datetime.min.time()), tz)


def utc_offset(local_aware: datetime) -> timedelta:
    """Return the UTC offset of an aware datetime (never None for zoneinfo values)."""
    offset = local_aware.utcoffset()
    assert offset is not None
    return offset
