"""One RRULE part at a time: each part's range and limits, reading and writing a part's value.

Private to the recurrence package. :mod:`sessionkit.recurrence.rule` builds,
checks and parses whole rules with these, and exports the public names defined
here (``MAX_INTERVAL``, ``MAX_COUNT``, ``MAX_RULE_LENGTH``) under its own name,
as before this module was split from it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Final

from sessionkit.errors import InvalidRecurrence
from sessionkit.errors._base import shown
from sessionkit.recurrence._stamps import (
    format_date,
    format_local,
    format_utc,
    parse_date,
    parse_local,
)


def _format_until(until: datetime | date) -> str:
    if isinstance(until, datetime):
        return format_utc(until) if until.tzinfo is not None else format_local(until)
    return format_date(until)


_RANGES: Final[dict[str, tuple[int, int, bool]]] = {
    # part: (min, max, negative values allowed)
    "BYSECOND": (0, 59, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}


_RANGE_FIELDS: Final = tuple((part, part.lower()) for part in _RANGES)

MAX_INTERVAL: Final[dict[str, int]] = {
    "YEARLY": 10_000,
    "MONTHLY": 120_000,
    "WEEKLY": 521_775,
    "DAILY": 3_652_425,
    "HOURLY": 87_658_200,
    "MINUTELY": 5_259_492_000,
    "SECONDLY": 315_569_520_000,
}
"""The largest INTERVAL per FREQ: ten thousand years, all a ``datetime`` can hold."""
MAX_COUNT: Final = 1_000_000_000
"""The largest COUNT (expansion is bounded by its candidate cost anyway)."""


def _check_range(part: str, values: tuple[int, ...]) -> None:
    low, high, negative = _RANGES[part]
    for value in values:
        magnitude = abs(value) if negative else value
        if not low <= magnitude <= high or (not negative and value < 0):
            hint = (
                " (leap second 60 is not supported)" if part == "BYSECOND" and value == 60 else ""
            )
            sign = "+/-" if negative else ""
            raise InvalidRecurrence(
                f"{part}={value} is out of range; expected {sign}{low}..{high}{hint}",
                value=value,
                part=part,
            )


_PART_RE: Final = re.compile(r"^[A-Z][A-Z-]*$")
_INT_RE: Final = re.compile(r"^[+-]?[0-9]{1,18}$")
_BYDAY_RE: Final = re.compile(r"^([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
# Eight digits of date; five to seven are years before 1000 as older versions wrote them.
_UNTIL_RE: Final = re.compile(r"^([0-9]{5,8})(?:T([0-9]{6})(Z)?)?$")
MAX_RULE_LENGTH: Final = 8192
"""The longest rule text :func:`parse_rule` reads."""
_INT_LISTS: Final = (
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
)


def _parse_int(part: str, text: str) -> int:
    if not _INT_RE.match(text):
        raise InvalidRecurrence(
            f"{part}={shown(text)} is not an integer (of at most 18 digits)", value=text, part=part
        )
    return int(text)


def _parse_until(text: str) -> datetime | date:
    match = _UNTIL_RE.match(text)
    if match is None:
        raise InvalidRecurrence(
            f"UNTIL={shown(text)} is not a DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS[Z])",
            value=text,
            part="UNTIL",
        )
    day_text, time_text, zulu = match.groups()
    try:
        if time_text is None:
            return parse_date(day_text)
        moment = parse_local(f"{day_text}T{time_text}")
    except ValueError as exc:
        raise InvalidRecurrence(
            f"UNTIL={shown(text)} is not a valid date: {exc}", value=text, part="UNTIL"
        ) from None
    return moment.replace(tzinfo=UTC) if zulu else moment
