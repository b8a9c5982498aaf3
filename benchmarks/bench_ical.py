"""iCalendar import and export: sessionkit.contrib.ical against icalendar alone, in the same run.

A generated calendar of weekly series in twelve zones (a VTIMEZONE each, two
overrides per series, EXDATEs) is

* read: ``read_ical`` (icalendar's parse, the line map, zones, ``Recurrence``
  values and overrides) against ``icalendar.Calendar.from_ical`` alone, the
  floor it cannot go below; and
* written: ``write_ical`` of the values read (VTIMEZONEs computed for the
  dates used) against ``to_ical`` of the calendar icalendar parsed.

Ratios are medians of per-round ratios over interleaved rounds
(:mod:`benchmarks.compare`); the aim is the cost of icalendar plus a small
factor (read within 3x of the parse alone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Final

import icalendar

from benchmarks.compare import clocked, interleave
from sessionkit.contrib.ical import read_ical, write_ical

ZONES: Final = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Europe/London",
    "Asia/Kolkata",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "America/Chicago",
    "Europe/Paris",
    "Australia/Lord_Howe",
)
STAMP: Final = datetime(2026, 1, 1, tzinfo=UTC)


def calendar_text(series: int) -> str:
    """A VCALENDAR of ``series`` weekly series with two overrides each."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
    for n in range(series):
        zone = ZONES[n % len(ZONES)]
        day = 2 + n % 5
        hour = 6 + n % 14
        lines += [
            "BEGIN:VEVENT",
            f"UID:s{n}",
            f"SUMMARY:Series {n}",
            f"DTSTART;TZID={zone}:202603{day:02d}T{hour:02d}0000",
            "DURATION:PT1H",
            f"RRULE:FREQ=WEEKLY;COUNT={20 + n % 30}",
            f"EXDATE;TZID={zone}:202603{day + 7:02d}T{hour:02d}0000",
            "END:VEVENT",
        ]
        for week in (2, 3):
            lines += [
                "BEGIN:VEVENT",
                f"UID:s{n}",
                f"RECURRENCE-ID;TZID={zone}:202603{day + 7 * week:02d}T{hour:02d}0000",
                f"DTSTART;TZID={zone}:202603{day + 7 * week:02d}T{hour + 1:02d}3000",
                "DURATION:PT1H",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def main(quick: bool) -> None:
    """Print read and write times against icalendar's own, for two calendar sizes."""
    sizes = (50, 200) if quick else (200, 1000)
    rounds = 5
    print(
        f"{'series':>8} {'parse':>9} {'read':>9} {'ratio':>7} {'range':>11}"
        f" {'to_ical':>9} {'write':>9} {'ratio':>7} {'range':>11}"
    )
    for size in sizes:
        text = calendar_text(size)
        parsed = icalendar.Calendar.from_ical(text)
        values = read_ical(text)
        assert len(values.series) == size
        assert sum(len(s.overrides) for s in values.series) == 2 * size
        result = interleave(
            {
                "parse": clocked(partial(icalendar.Calendar.from_ical, text)),
                "read": clocked(partial(read_ical, text)),
                "to_ical": clocked(parsed.to_ical),
                "write": clocked(partial(write_ical, values, stamp=STAMP)),
            },
            rounds,
        )
        print(
            f"{size:>8,} {result.median('parse'):8.3f}s {result.median('read'):8.3f}s"
            f" {result.ratio('read', 'parse'):6.2f}x {result.spread('read', 'parse'):>11}"
            f" {result.median('to_ical'):8.3f}s {result.median('write'):8.3f}s"
            f" {result.ratio('write', 'to_ical'):6.2f}x {result.spread('write', 'to_ical'):>11}",
            flush=True,
        )
