"""Zones a VTIMEZONE cannot tell apart: the matcher's order, with Lisbon before Canary.

Europe/Lisbon, Atlantic/Canary, Atlantic/Madeira and Atlantic/Faroe have had the same
offsets and abbreviations (WET/WEST) since 1996, so a VTIMEZONE under a TZID that names no
zone cannot say which it is. By name Atlantic/Canary came first; the common zone does now.
"""

from __future__ import annotations

import pytest

from sessionkit.contrib.ical import read_ical

from ._ical_support import event, ics, utc


def _western(*extra: str, names: bool = True) -> str:
    """The EU's rules at +0000/+0100 (as Google writes them) under a TZID naming no zone."""
    return ics(
        "BEGIN:VTIMEZONE",
        "TZID:Western European",
        *extra,
        "BEGIN:STANDARD",
        "DTSTART:19701025T020000",
        *(["TZNAME:WET"] if names else []),
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:19700329T010000",
        *(["TZNAME:WEST"] if names else []),
        "TZOFFSETFROM:+0000",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        *event("UID:class", "DTSTART;TZID=Western European:20260716T090000", "DURATION:PT1H"),
        *event(
            "UID:weekly",
            "DTSTART;TZID=Western European:20261019T090000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        ),
    )


@pytest.mark.parametrize(
    ("extra", "names", "key"),
    [
        ((), True, "Europe/Lisbon"),  # was Atlantic/Canary, first of the four by name
        (("X-LIC-LOCATION:Atlantic/Madeira",), True, "Atlantic/Madeira"),  # named: first
        ((), False, "Europe/London"),  # no names: London's offsets, London first as before
    ],
    ids=["wet-west", "x-lic-location", "no-tznames"],
)
def test_zones_the_vtimezone_cannot_tell_apart_follow_the_matchers_order(
    extra: tuple[str, ...], names: bool, key: str
) -> None:
    cal = read_ical(_western(*extra, names=names))
    assert [(e.uid, e.tz, e.span.start) for e in cal.events] == [
        ("class", key, utc(2026, 7, 16, 8))
    ]
    assert [s.tz for s in cal.series] == [key]
    assert [o.span.start for o in cal.occurrences()] == [
        utc(2026, 7, 16, 8),
        utc(2026, 10, 19, 8),
        utc(2026, 10, 26, 9),
    ]
