"""Which wall times :meth:`Zones.exact` compares to tell a near-miss zone, and what that costs.

A VTIMEZONE may give only the changes of its events' year (RFC 5545 asks no more): compared
from a value's own day on, the change that value sits beside (at night, before that day's
noon UTC) was never seen, and the flag kept for the TZID's later values was one value's
window. Matching a VTIMEZONE reads its offsets by dateutil, which walks its rules from
their DTSTART for each: that is done once per TZID, not again for each value or tie.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sessionkit.contrib.ical import _zone_match, read_ical

from ._ical_support import event, ics, utc


def _w_europe(tzid: str, winter: str, summer: str, *walls: str) -> str:
    """Outlook's Central European rules under ``tzid``, events at ``walls`` (else 16 July)."""
    return ics(
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        "DTSTART:16010101T030000",
        f"TZNAME:{winter}",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        f"TZNAME:{summer}",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        *(
            line
            for n, wall in enumerate(walls or ["20260716T090000"])
            for line in event(f"UID:e{n}", f"DTSTART;TZID={tzid}:{wall}", "DURATION:PT1H")
        ),
    )


def test_names_no_zone_has_do_not_compare_every_zone_around_the_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Outlook in German names them MEZ and MESZ, which no zone does: once Berlin (exact,
    # unnamed) is found, only an exact zone with those names could come before it, and a
    # zone without them need not be compared (some 30 keep Berlin's rules).
    compared: list[str] = []
    around: Callable[..., bool] = _zone_match._around_changes

    def counting(read: Any, zone: Any, spans: Any) -> bool:
        compared.append(zone.key)
        return around(read, zone, spans)

    monkeypatch.setattr(_zone_match, "_around_changes", counting)
    (read,) = read_ical(_w_europe("Customized Time Zone", "MEZ", "MESZ")).events
    assert (read.tz, read.span.start, set(compared)) == (
        "Europe/Berlin",
        utc(2026, 7, 16, 7),
        {"Europe/Berlin"},
    )
