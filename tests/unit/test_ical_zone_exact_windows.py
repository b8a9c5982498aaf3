"""Which wall times :meth:`Zones.exact` compares to tell a near-miss zone, and what that costs.

A VTIMEZONE may give only the changes of its events' year (RFC 5545 asks no more): compared
from a value's own day on, the change that value sits beside (at night, before that day's
noon UTC) was never seen, and the flag kept for the TZID's later values was one value's
window. Matching a VTIMEZONE reads its offsets by dateutil, which walks its rules from
their DTSTART for each: that is done once per TZID, not again for each value or tie.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
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


_NAME = "Eastern"


def _us_at_three(*observances: tuple[str, str, str]) -> list[str]:
    """A VTIMEZONE of the US offsets, its changes at 03:00 local, each observance given alone.

    ``observances``: (part, DTSTART, RDATE or ""), with no RRULE, so its rules end.
    """
    lines = ["BEGIN:VTIMEZONE", f"TZID:{_NAME}"]
    for part, start, rdate in observances:
        offsets = ("-0400", "-0500") if part == "STANDARD" else ("-0500", "-0400")
        lines += [f"BEGIN:{part}", f"DTSTART:{start}", *([f"RDATE:{rdate}"] if rdate else [])]
        lines += [f"TZOFFSETFROM:{offsets[0]}", f"TZOFFSETTO:{offsets[1]}", f"END:{part}"]
    return [*lines, "END:VTIMEZONE"]


def _read(vtimezone: list[str], *walls: str) -> list[tuple[str, datetime]]:
    """The zones and starts of one-hour events at ``walls`` of the VTIMEZONE, as read."""
    text = ics(
        *vtimezone,
        *(
            line
            for n, wall in enumerate(walls)
            for line in event(f"UID:e{n}", f"DTSTART;TZID={_NAME}:{wall}", "DURATION:PT1H")
        ),
    )
    return [(e.tz, e.span.start) for e in read_ical(text).events]


_NY = "America/New_York"


# The year's two changes only, at 03:00 (New York's at 02:00): 02:30 on 1 November is
# repeated by the VTIMEZONE, its first occurrence in EDT (06:30 UTC; New York: 07:30).
_YEAR_PAIR = _us_at_three(("DAYLIGHT", "20260308T030000", ""), ("STANDARD", "20261101T030000", ""))
_RDATES = _us_at_three(
    ("STANDARD", "20251102T030000", "20261101T030000"),
    ("DAYLIGHT", "20260308T030000", "20270314T030000"),
)


def test_a_value_beside_a_change_of_rules_that_end_keeps_the_vtimezones_instant() -> None:
    # Compared from 1 November's noon UTC on, the change that morning was never seen:
    # only March's was, where both read 03:30 as EDT (the writers' gap, left alone).
    assert _read(_RDATES, "20261101T023000") == [(_NY, utc(2026, 11, 1, 6, 30))]


def test_a_year_pairs_values_on_and_off_its_change_days() -> None:
    # A value of July first: one on the day of the last change, read first, is matched
    # past that change, where the offset is -05 for ever, to America/Bogota (reported by
    # review6, not changed here).
    assert _read(_YEAR_PAIR, "20260701T090000", "20261101T023000", "20261101T033000") == [
        (_NY, utc(2026, 7, 1, 13)),
        (_NY, utc(2026, 11, 1, 6, 30)),
        (_NY, utc(2026, 11, 1, 8, 30)),
    ]


def test_an_earlier_value_does_not_decide_for_a_later_one() -> None:
    # A value of December was matched from its own day: only March's change was compared
    # (where both read 03:30 as EDT), the zone kept as exact, and November's value with it.
    assert _read(_RDATES, "20261201T090000", "20261101T023000") == [
        (_NY, utc(2026, 12, 1, 14)),
        (_NY, utc(2026, 11, 1, 6, 30)),
    ]


def test_rules_that_end_matched_exactly_still_keep_the_zones_reading() -> None:
    # The same changes at New York's hours: nothing to correct, on the change days too.
    exact = _us_at_three(("DAYLIGHT", "20260308T020000", ""), ("STANDARD", "20261101T020000", ""))
    walls = ("20260701T090000", "20261101T013000", "20261101T023000", "20260308T033000")
    assert _read(exact, *walls) == [
        (_NY, utc(2026, 7, 1, 13)),
        (_NY, utc(2026, 11, 1, 5, 30)),
        (_NY, utc(2026, 11, 1, 7, 30)),
        (_NY, utc(2026, 3, 8, 7, 30)),
    ]
