"""VTIMEZONEs of zones whose DAYLIGHT saving is negative: Dublin's winter, Windhoek's 1994-2017.

The zone database has Ireland's summer IST as standard time and its winter GMT as a
negative saving since 2018 (Namibia's winter WAT from 1994 to 2017 too), and Google and
tzurl.org write Dublin so: ``STANDARD`` IST from March (``TZOFFSETFROM:+0000``,
``TZOFFSETTO:+0100``), ``DAYLIGHT`` GMT from October. icalendar reads a VTIMEZONE with
dateutil, which converted an instant in the hour before each change by that saving (so a
repeated wall time read as its second occurrence, a skipped one after the gap), and before
the first onset gave the first STANDARD's offset: a VTIMEZONE of Dublin's 2026 changes read
January at IST, matched no zone, and was refused.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sessionkit.contrib.ical import read_ical

from ._ical_support import event, ics, utc


def _irish(*observances: str) -> list[str]:
    return ["BEGIN:VTIMEZONE", "TZID:Irish time", *observances, "END:VTIMEZONE"]


def _ist(*onsets: str, rule: str | None = None) -> list[str]:
    first, *more = onsets
    return [
        "BEGIN:STANDARD",
        f"DTSTART:{first}",
        *(f"RDATE:{o}" for o in more),
        *([f"RRULE:{rule}"] if rule else []),
        "TZNAME:IST",
        "TZOFFSETFROM:+0000",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
    ]


def _gmt(*onsets: str, rule: str | None = None) -> list[str]:
    first, *more = onsets
    return [
        "BEGIN:DAYLIGHT",
        f"DTSTART:{first}",
        *(f"RDATE:{o}" for o in more),
        *([f"RRULE:{rule}"] if rule else []),
        "TZNAME:GMT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0000",
        "END:DAYLIGHT",
    ]


def _starts(vtimezone: list[str], tzid: str, *walls: str) -> list[tuple[str, datetime]]:
    """The zone and start of a half-hour event at each wall time of ``tzid``."""
    cal = read_ical(
        ics(
            *vtimezone,
            *(
                line
                for n, wall in enumerate(walls)
                for line in event(f"UID:e{n}", f"DTSTART;TZID={tzid}:{wall}", "DURATION:PT30M")
            ),
        )
    )
    return [(e.tz, e.span.start) for e in sorted(cal.events, key=lambda e: int(e.uid[1:]))]


def test_dublins_changes_of_2026_and_2027_give_the_first_of_a_repeated_time() -> None:
    # As icalendar and sessionkit write Dublin's changes: dates of the years used, no RRULE.
    irish = _irish(
        *_ist("20260329T010000", "20270328T010000"), *_gmt("20261025T020000", "20271031T020000")
    )
    starts = _starts(irish, "Irish time", "20261025T013000", "20270328T013000", "20271031T013000")
    assert starts == [
        ("Europe/Dublin", utc(2026, 10, 25, 0, 30)),  # the first 01:30, at IST (was GMT's)
        ("Europe/Dublin", utc(2027, 3, 28, 1, 30)),  # skipped: GMT's, before the gap
        ("Europe/Dublin", utc(2027, 10, 31, 0, 30)),  # was read in "UTC", at 01:30
    ]


@pytest.mark.parametrize(
    ("wall", "start"),
    [
        ("20260115T090000", utc(2026, 1, 15, 9)),  # was refused: no zone has IST in January
        ("20260329T013000", utc(2026, 3, 29, 1, 30)),  # skipped: GMT's (was IST's, 00:30)
        ("20260715T090000", utc(2026, 7, 15, 8)),
        ("20261210T090000", utc(2026, 12, 10, 9)),  # was read in "UTC"
    ],
    ids=["january", "skipped", "july", "december"],
)
def test_a_pair_of_dublins_changes_reads_the_offset_before_its_first(
    wall: str, start: datetime
) -> None:
    # One STANDARD/DAYLIGHT pair of the events' year, as RFC 5545 allows; before its first
    # onset the offset is that onset's TZOFFSETFROM (GMT), not IST.
    irish = _irish(*_ist("20260329T010000"), *_gmt("20261025T020000"))
    assert _starts(irish, "Irish time", wall) == [("Europe/Dublin", start)]


def test_dublin_as_google_writes_it_keeps_its_instants() -> None:
    irish = _irish(
        *_ist("19700329T010000", rule="FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
        *_gmt("19701025T020000", rule="FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
    )
    walls = ("20260115T090000", "20261025T013000", "20270328T013000", "20270715T090000")
    assert _starts(irish, "Irish time", *walls) == [
        ("Europe/Dublin", utc(2026, 1, 15, 9)),
        ("Europe/Dublin", utc(2026, 10, 25, 0, 30)),
        ("Europe/Dublin", utc(2027, 3, 28, 1, 30)),
        ("Europe/Dublin", utc(2027, 7, 15, 8)),
    ]


def test_windhoeks_season_of_2010_is_africa_windhoek_at_its_own_instants() -> None:
    # Namibia kept CAT (+02) in summer and WAT (+01) in winter, WAT being the negative saving.
    namibia = [
        "BEGIN:VTIMEZONE",
        "TZID:Namibia",
        "BEGIN:STANDARD",
        "DTSTART:20100905T020000",
        "TZNAME:CAT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:20110403T020000",
        "TZNAME:WAT",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]
    walls = ("20100715T090000", "20100905T023000", "20110403T013000", "20110715T090000")
    assert _starts(namibia, "Namibia", *walls) == [
        ("Africa/Windhoek", utc(2010, 7, 15, 8)),  # was refused (read at CAT)
        ("Africa/Windhoek", utc(2010, 9, 5, 1, 30)),  # skipped: WAT's (was 00:30)
        ("Africa/Windhoek", utc(2011, 4, 2, 23, 30)),  # the first 01:30, at CAT (was 00:30)
        ("Africa/Windhoek", utc(2011, 7, 15, 8)),  # was Africa/Lagos
    ]


@pytest.mark.parametrize(
    ("wall", "start"),
    [
        ("20260405T003000", utc(2026, 4, 5, 3, 30)),
        ("20260405T013000", utc(2026, 4, 5, 4, 30)),  # repeated: the first, at -03 (was -04's)
        ("20260405T023000", utc(2026, 4, 5, 6, 30)),
    ],
    ids=["before", "repeated", "after"],
)
def test_the_hour_repeated_at_a_vtimezones_first_onset_is_read_at_the_offset_before_it(
    wall: str, start: datetime
) -> None:
    # Outlook's Chile (changes at 02:00, Santiago's at midnight: a near miss, whose values
    # take the VTIMEZONE's instants), one pair of 2026. Before its first onset the offset is
    # its TZOFFSETFROM (-03); an instant there was turned into a wall time at the first
    # STANDARD's -04 (dateutil's), so 04:30 UTC was 00:30 and 01:30 read as its second.
    chile = [
        "BEGIN:VTIMEZONE",
        "TZID:Chile",
        "BEGIN:STANDARD",
        "DTSTART:20260405T020000",
        "TZOFFSETFROM:-0300",
        "TZOFFSETTO:-0400",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:20260906T020000",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0300",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]
    assert _starts(chile, "Chile", wall) == [("America/Santiago", start)]
