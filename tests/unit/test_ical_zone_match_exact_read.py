"""Events in a custom VTIMEZONE no IANA zone reads exactly keep the instants it gives.

To go with event_exact.patch (_event.py): read_ical takes a single event's (and an
override's) DTSTART and DTEND by the VTIMEZONE where the zone matched to it (the first that
agrees at every noon) changes at another hour.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sessionkit.contrib.ical import read_ical

from ._ical_support import event, ics, utc
from .test_ical_zone_match_exact import CHILE_AT_2, US_AT_3, _zone


def _events(tzid: str, rules: tuple[str, ...], *walls: str) -> list[tuple[str, datetime]]:
    """The zones and starts of one-hour events at ``walls`` of ``tzid``, as read_ical reads them."""
    text = ics(
        *_zone(tzid, *rules),
        *(
            line
            for n, wall in enumerate(walls)
            for line in event(f"UID:e{n}", f"DTSTART;TZID={tzid}:{wall}", "DURATION:PT1H")
        ),
    )
    return [(e.tz, e.span.start) for e in read_ical(text).events]


def test_us_rules_written_at_three_read_as_written() -> None:
    # New York read 02:30 on 1 November at 07:30 UTC and 03:30 on 8 March at 07:30.
    assert _events(
        "Customized Time Zone", US_AT_3, "20261101T023000", "20260308T033000", "20260701T120000"
    ) == [
        ("America/New_York", utc(2026, 11, 1, 6, 30)),
        ("America/New_York", utc(2026, 3, 8, 8, 30)),
        ("America/New_York", utc(2026, 7, 1, 16)),
    ]


@pytest.mark.parametrize("tzid", ["Customized Time Zone", "Pacific SA Standard Time"])
def test_outlooks_chile_read_as_written_on_change_days(tzid: str) -> None:
    # Santiago read 01:00 on 6 September at 04:00 UTC and 00:30 on 5 April at 04:30.
    assert _events(tzid, CHILE_AT_2, "20260906T010000", "20260405T003000") == [
        ("America/Santiago", utc(2026, 9, 6, 5)),
        ("America/Santiago", utc(2026, 4, 5, 3, 30)),
    ]


def test_an_event_ending_in_the_hour_between_the_changes_ends_where_the_vtimezone_says() -> None:
    text = ics(
        *_zone("Customized Time Zone", *US_AT_3),
        *event(
            "UID:late",
            "DTSTART;TZID=Customized Time Zone:20261101T000000",
            "DTEND;TZID=Customized Time Zone:20261101T023000",
        ),
    )
    (read,) = read_ical(text).events
    assert (read.span.start, read.span.end) == (utc(2026, 11, 1, 4), utc(2026, 11, 1, 6, 30))
