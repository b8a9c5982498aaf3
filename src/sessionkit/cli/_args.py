"""What the command line's arguments mean, and how it says they are wrong.

The errors :func:`sessionkit.cli.main` turns into an exit status (:class:`UsageError`
2, :class:`Unreachable` and :class:`WorkFailed` 1) and the parsers of the values
given as text: durations, local and aware date-times, window bounds, excluded dates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sessionkit.zones import check_aware, get_zone, local_date_start

__all__ = [
    "UsageError",
    "Unreachable",
    "WorkFailed",
    "parse_aware",
    "parse_bound",
    "parse_duration",
    "parse_exdate",
    "parse_local",
    "positive_int",
    "positive_seconds",
]

_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$", re.ASCII)


class UsageError(Exception):
    """The command line is wrong (an argument, a ``--db``): status 2, as argparse's."""


class Unreachable(Exception):
    """The database cannot be opened or reached: nothing was done, and the next run may do it."""


class WorkFailed(Exception):
    """A tick's item or a demo's step failed: status 1 (running it again retries)."""


def positive_int(flag: str) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least 1, refused as ``flag`` otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise UsageError(f"{flag} {text!r}: expected a whole number of at least 1")
        return value

    return parse


def positive_seconds(flag: str) -> Callable[[str], float]:
    """An argparse ``type``: a finite number of seconds above 0 (``50``, ``0.5``), else refused."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value < math.inf:  # also nan, which compares false to everything
            raise UsageError(
                f"{flag} {text!r}: expected a finite number of seconds above 0, e.g. 50"
            )
        return value

    return parse


def parse_duration(text: str) -> timedelta:
    """Parse ``90m``, ``1h30m``, ``45s``, ``2h`` or ISO 8601 ``PT1H30M`` into a timedelta."""
    raw = text.strip()
    if raw.upper().startswith("PT"):
        raw = raw[2:].lower()
    match = _DURATION_RE.match(raw.lower())
    if not raw or match is None or not any(match.groups()):
        raise UsageError(f"--duration {text!r}: expected e.g. 90m, 1h30m or PT1H30M")
    try:
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        value = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (OverflowError, ValueError):  # past timedelta's range, or too many digits for int()
        raise UsageError(
            f"--duration {text!r}: too long, at most {timedelta.max.days} days"
        ) from None
    if value <= timedelta(0):
        raise UsageError(f"--duration {text!r}: must be positive")
    return value


def parse_local(
    text: str, flag: str, expected: str = "an ISO date-time such as 2026-03-02T18:00"
) -> datetime:
    """An ISO date-time, with or without an offset, refused as ``flag`` otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected {expected}") from None
    return value


def parse_aware(text: str, flag: str) -> datetime:
    """An instant: an ISO date-time with its offset (``--now``)."""
    example = "2026-04-06T07:00+00:00"
    value = parse_local(text, flag, f"an ISO date-time with an offset, such as {example}")
    if value.tzinfo is None:
        raise UsageError(f"{flag} {text!r}: give an offset, e.g. {example}")
    return value


def parse_bound(text: str, flag: str, tz: str) -> datetime:
    """A window bound: a date (local midnight), a local date-time, or an aware date-time."""
    try:
        if "T" not in text and " " not in text:
            value = local_date_start(date.fromisoformat(text), tz)
        else:
            value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{flag} {text!r}: expected a date (2026-03-01) or ISO date-time"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_zone(tz))
    # Checked here, so that a bound with no UTC equivalent is named by its flag, not
    # as the ``start`` or ``end`` argument of ``Recurrence.between`` it becomes.
    return check_aware(value, flag)


def parse_exdate(text: str) -> datetime | date:
    """An excluded occurrence: a date, a local date-time, or an aware date-time.

    The forms of a window bound (:func:`parse_bound`), told apart the same way,
    but a date stays a date and a local date-time stays local.
    """
    try:
        if "T" not in text and " " not in text:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--exdate {text!r}: expected a date (2026-03-02) or a local date-time"
            " (2026-03-02T18:00 or 2026-03-02 18:00)"
        ) from None
