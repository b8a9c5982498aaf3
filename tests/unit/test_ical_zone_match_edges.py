"""Custom VTIMEZONEs at the edges of the matcher: an hour from a look-alike, a skipped day.

Each is sessionkit's own export of a zone with its TZID renamed, so only its offsets
tell the zone, read back by read_ical.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sessionkit.contrib.ical import read_ical, write_ical

from ._ical_support import event, ics, utc


def _exported(tz: str, renamed: str, *walls: str) -> list[tuple[str, datetime]]:
    """The zones and UTC starts of one-hour events at ``walls`` of ``tz``, exported by
    sessionkit and read back under the TZID ``renamed``."""
    text = ics(
        *(
            line
            for n, wall in enumerate(walls)
            for line in event(f"UID:e{n}", f"DTSTART;TZID={tz}:{wall}", "DURATION:PT1H")
        )
    )
    written = write_ical(read_ical(text), stamp=datetime(2026, 1, 1, tzinfo=UTC))
    assert f"TZID:{tz}\r\n" in written
    back = read_ical(written.replace(tz, renamed))
    return [(e.tz, e.span.start.astimezone(UTC)) for e in back.events]


def test_apias_jump_over_the_date_line_is_matched_to_apia() -> None:
    # 29 December 2011 at -10, then 31 December at +14: 30 December was skipped. dateutil
    # will not convert an instant by a DAYLIGHT offset a day from the one before it.
    assert _exported("Pacific/Apia", "Samoa 2011", "20111201T120000", "20111231T120000") == [
        ("Pacific/Apia", utc(2011, 12, 1, 22)),
        ("Pacific/Apia", utc(2011, 12, 30, 22)),
    ]


def test_apia_read_on_either_side_of_the_skipped_day() -> None:
    assert _exported("Pacific/Apia", "Samoa 2011b", "20111229T230000", "20111231T000000") == [
        ("Pacific/Apia", utc(2011, 12, 30, 9)),
        ("Pacific/Apia", utc(2011, 12, 30, 10)),
    ]
