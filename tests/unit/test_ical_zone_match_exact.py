"""A custom VTIMEZONE that no IANA zone reads exactly: its values keep the instants it gives.

Where no zone changes at a VTIMEZONE's hours (the US rules written at 03:00; Outlook's
Chile at 02:00, Santiago at midnight), it is matched to the first zone that agrees at every
noon. A value between the two changes was read by that zone, an hour off what the
VTIMEZONE (which RFC 5545 makes its meaning) says; :meth:`Zones.exact` gives it as the
zone's wall time of the VTIMEZONE's instant.
"""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from sessionkit.contrib.ical._event import instant
from sessionkit.contrib.ical._event_zones import Zones

from ._ical_support import ics, utc


def _zone(tzid: str, std: str, dst: str, back: str, forward: str, hour: str) -> list[str]:
    """A VTIMEZONE of yearly rules, both changes at ``hour`` local (as Outlook writes them)."""
    return [
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        f"DTSTART:16010101T{hour}0000",
        f"TZOFFSETFROM:{dst}",
        f"TZOFFSETTO:{std}",
        f"RRULE:FREQ=YEARLY;{back}",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        f"DTSTART:16010101T{hour}0000",
        f"TZOFFSETFROM:{std}",
        f"TZOFFSETTO:{dst}",
        f"RRULE:FREQ=YEARLY;{forward}",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]


US_AT_3 = ("-0500", "-0400", "BYDAY=1SU;BYMONTH=11", "BYDAY=2SU;BYMONTH=3", "03")
CHILE_AT_2 = ("-0400", "-0300", "BYDAY=1SU;BYMONTH=4", "BYDAY=1SU;BYMONTH=9", "02")


def _read(tzid: str, rules: tuple[str, ...], wall: datetime) -> tuple[str, datetime]:
    """The zone ``wall`` of ``tzid`` is read in, and its instant, as the reader takes them."""
    text = ics(*_zone(tzid, *rules))
    zones = Zones(icalendar.Calendar.from_ical(text), "UTC", None)
    key = zones.key(tzid, (1, "DTSTART"), "u", wall)
    return key, instant((zones.exact(tzid, wall, key), key))


@pytest.mark.parametrize(
    ("wall", "at"),
    [
        # Its fall back is at 03:00 EDT (07:00 UTC), New York's at 02:00 EDT: 02:30 is
        # repeated, its first occurrence in EDT (New York: 07:30 UTC, an hour late).
        (datetime(2026, 11, 1, 2, 30), utc(2026, 11, 1, 6, 30)),
        (datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),  # EDT in both
        (datetime(2026, 11, 1, 3, 30), utc(2026, 11, 1, 8, 30)),  # EST in both
        # It springs at 03:00 EST (08:00 UTC): 03:30 is skipped, read at the offset before
        # the gap (RFC 5545), as every zone's is (New York: 07:30 UTC, in EDT already).
        (datetime(2026, 3, 8, 3, 30), utc(2026, 3, 8, 8, 30)),
        (datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 30)),  # New York's gap: EST too
        (datetime(2026, 7, 1, 12), utc(2026, 7, 1, 16)),
    ],
)
def test_the_us_rules_written_at_three_keep_their_instants(wall: datetime, at: datetime) -> None:
    assert _read("Customized Time Zone", US_AT_3, wall) == ("America/New_York", at)


@pytest.mark.parametrize("tzid", ["Customized Time Zone", "Pacific SA Standard Time"])
@pytest.mark.parametrize(
    ("wall", "at"),
    [
        # Its spring is at 02:00 -04, Santiago's at midnight: 01:00 is still -04 by the
        # VTIMEZONE (05:00 UTC; 02:00 in Santiago), where Santiago reads 04:00 UTC.
        (datetime(2026, 9, 6, 1), utc(2026, 9, 6, 5)),
        (datetime(2026, 9, 6, 3), utc(2026, 9, 6, 6)),  # -03 in both
        # Its fall back is at 02:00 -03: 00:30 is still -03 (03:30 UTC, the second 23:30
        # of Saturday in Santiago, which fell back at midnight: 04:30 UTC).
        (datetime(2026, 4, 5, 0, 30), utc(2026, 4, 5, 3, 30)),
        (datetime(2026, 3, 16, 9), utc(2026, 3, 16, 12)),  # Outlook's own example day
    ],
)
def test_outlooks_chile_keeps_its_own_instants_on_change_days(
    tzid: str, wall: datetime, at: datetime
) -> None:
    # Also under its Windows name, whose zone (Santiago) is taken without matching.
    assert _read(tzid, CHILE_AT_2, wall) == ("America/Santiago", at)


def test_a_vtimezone_matched_exactly_keeps_the_zones_reading_in_its_own_gap() -> None:
    # icalendar writes New York's spring at 03:00 (the wall time after the gap): read by
    # the letter, 03:30 would be in its gap, at 08:30 UTC; the zone it is (it reads every
    # other wall time as New York does) says 07:30, its writer's meaning.
    spring = ["BEGIN:STANDARD", "DTSTART:20260101T000000", "TZOFFSETFROM:-0500"]
    spring += ["TZOFFSETTO:-0500", "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:20260308T030000"]
    spring += ["TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "END:DAYLIGHT", "BEGIN:STANDARD"]
    spring += ["DTSTART:20261101T020000", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500"]
    text = ics("BEGIN:VTIMEZONE", "TZID:NY", *spring, "END:STANDARD", "END:VTIMEZONE")
    zones = Zones(icalendar.Calendar.from_ical(text), "UTC", None)
    wall = datetime(2026, 3, 8, 3, 30)
    key = zones.key("NY", (1, "DTSTART"), "u", wall)
    assert (key, instant((zones.exact("NY", wall, key), key))) == (
        "America/New_York",
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
    )
