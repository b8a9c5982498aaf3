"""iCalendar DATE and DATE-TIME text (``YYYYMMDD``, ``YYYYMMDDTHHMMSS``), for every year.

RFC 5545 writes a year as four digits. ``strftime("%Y")`` does not pad on
every platform (glibc writes year 99 as ``99``), so earlier versions stored
``990105T100000`` for 0099-01-05, which ``strptime`` cannot read, and
``9990105T100000`` for 0999-01-05, which it reads as 9990-10-05. Here years
are always written with four digits, and read as whatever precedes the last
four digits of the date (month and day), so those older lines read back as
the dates they meant.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Final

from sessionkit.errors._base import shown

__all__ = ["format_date", "format_local", "format_utc", "parse_date", "parse_local"]

_DATE: Final = re.compile(r"(\d{1,4})(\d{2})(\d{2})")
_DATE_TIME: Final = re.compile(r"(\d{1,4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})")


def format_date(day: date) -> str:
    """Return ``YYYYMMDD``, the year in four digits."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def format_local(moment: datetime) -> str:
    """Return ``YYYYMMDDTHHMMSS`` of ``moment``'s wall time (its zone, if any, is not written)."""
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


def format_utc(moment: datetime) -> str:
    """Return ``YYYYMMDDTHHMMSSZ`` of the aware instant ``moment``."""
    return format_local(moment.astimezone(UTC)) + "Z"


def parse_date(text: str) -> date:
    """Read ``YYYYMMDD`` (or the unpadded year older versions wrote); raise ``ValueError``."""
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{shown(text)} is not YYYYMMDD")
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def parse_local(text: str) -> datetime:
    """Read ``YYYYMMDDTHHMMSS`` as a naive datetime; raise ``ValueError``."""
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"{shown(text)} is not YYYYMMDDTHHMMSS")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, minute, second)
