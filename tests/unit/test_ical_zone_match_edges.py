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


def test_damascus_is_not_amman_which_leaves_summer_time_an_hour_later() -> None:
    # Damascus went back to +02 at 00:00 (21:00 UTC), Amman at 01:00 (22:00 UTC): Amman is
    # first by name and reads every wall time outside its own fold as Damascus does, but
    # 00:00 on the day, in that fold, at +03.
    assert _exported("Asia/Damascus", "Syria 2011", "20111028T000000") == [
        ("Asia/Damascus", utc(2011, 10, 27, 22))
    ]
    assert _exported("Asia/Damascus", "Syria 2018", "20181026T000000") == [
        ("Asia/Damascus", utc(2018, 10, 25, 22))
    ]


def test_damascus_over_the_years_between_keeps_both_midnights() -> None:
    assert _exported("Asia/Damascus", "Syria 2011-18", "20111028T000000", "20181026T000000") == [
        ("Asia/Damascus", utc(2011, 10, 27, 22)),
        ("Asia/Damascus", utc(2018, 10, 25, 22)),
    ]


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
