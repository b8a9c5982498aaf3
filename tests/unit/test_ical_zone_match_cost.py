"""What matching a custom VTIMEZONE to an IANA zone costs: each wall time is read by it once.

dateutil reads a VTIMEZONE by walking its RRULEs from DTSTART (Outlook's 1601) on every
conversion, and some 30 zones keep the US rules: comparing each of them around each change
read the same wall times by the VTIMEZONE 30 times over.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import icalendar

from sessionkit.contrib.ical._event_zones import _matching_zone, zone_rules

# The US rules, but changing at 03:00 in March and November: no zone changes at that hour,
# so every zone with the US rules is compared around each change, and none passes.
_VTZ = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//t//EN
BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T030000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
END:VCALENDAR
"""


class _Counting(tzinfo):
    """``inner``'s offsets, counting the wall times it is asked for."""

    def __init__(self, inner: tzinfo) -> None:
        self.inner = inner
        self.asked = 0

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        self.asked += 1
        return self.inner.utcoffset(None if dt is None else dt.replace(tzinfo=self.inner))

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.inner.dst(None if dt is None else dt.replace(tzinfo=self.inner))

    def tzname(self, dt: datetime | None) -> str | None:
        return self.inner.tzname(None if dt is None else dt.replace(tzinfo=self.inner))

    def fromutc(self, dt: datetime) -> datetime:
        return self.inner.fromutc(dt.replace(tzinfo=self.inner)).replace(tzinfo=self)


def test_each_wall_time_around_a_change_is_read_by_the_vtimezone_once() -> None:
    vtz = icalendar.Calendar.from_ical(_VTZ).walk("VTIMEZONE")[0]
    assert isinstance(vtz, icalendar.Timezone)
    custom = _Counting(zone_rules(vtz, "Customized Time Zone", None))
    # Agrees at every noon with New York's, which changes at 02:00: taken as before.
    assert _matching_zone(custom, datetime(2026, 1, 5, 9, tzinfo=UTC)) == "America/New_York"
    # 731 noons and some 360 wall times around its four changes: about 1,100 offsets, not
    # the wall times once for each zone with the US rules (about 11,000 before).
    assert custom.asked < 2_000
