"""A custom VTIMEZONE's TZNAMEs choose among IANA zones that share its offsets.

Europe/Dublin and Europe/London have had one offset at every instant since 1996; a
VTIMEZONE under a TZID that names no zone, with Dublin's names (GMT and IST), was read as
London (GMT and BST), the first of the two in the matcher's order.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.contrib.ical import read_ical

from ._ical_support import event, ics, utc


def _irish(winter: str | None, summer: str | None) -> str:
    """The British Isles' rules under a TZID that names no zone, their TZNAMEs given."""
    return ics(
        "BEGIN:VTIMEZONE",
        "TZID:Irish time",
        "BEGIN:STANDARD",
        "DTSTART:19701025T020000",
        *([f"TZNAME:{winter}"] if winter else []),
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:19700329T010000",
        *([f"TZNAME:{summer}"] if summer else []),
        "TZOFFSETFROM:+0000",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        *event("UID:summer", "DTSTART;TZID=Irish time:20260716T090000", "DURATION:PT1H"),
        *event("UID:winter", "DTSTART;TZID=Irish time:20261216T090000", "DURATION:PT1H"),
    )


@pytest.mark.parametrize(
    ("winter", "summer", "key"),
    [
        ("GMT", "IST", "Europe/Dublin"),  # was Europe/London
        ("GMT", "BST", "Europe/London"),
        (None, None, "Europe/London"),  # no names: the matcher's order, as before
        ("GMT", None, "Europe/London"),  # both have GMT: the order again
        ("WET", "WEST", "Europe/Lisbon"),  # Canary's, Madeira's and Faroe's names too
        ("Winter", "Summer", "Europe/London"),  # names no zone has: the order
    ],
)
def test_the_zone_whose_abbreviations_the_vtimezone_names_is_chosen(
    winter: str | None, summer: str | None, key: str
) -> None:
    read = read_ical(_irish(winter, summer)).events
    assert [(e.uid, e.tz, e.span.start) for e in read] == [
        ("summer", key, utc(2026, 7, 16, 8)),
        ("winter", key, utc(2026, 12, 16, 9)),
    ]


@pytest.mark.parametrize(
    ("offset", "name", "key"),
    [
        # Names of an offset, which many zones share: the order, as without them.
        ("+0000", "GMT", "UTC"),  # not Africa/Abidjan, the first zone named GMT
        ("+0300", "+03", "Europe/Moscow"),  # not Antarctica/Syowa, the first named +03
        ("+0300", "MSK", "Europe/Moscow"),
        ("+0300", "EAT", "Africa/Nairobi"),  # East Africa's name: not Moscow, tried before it
        # Zones the others link to (test_ical_zone_match_links), not the first by name.
        ("+0200", "CAT", "Africa/Maputo"),  # not Africa/Blantyre (a link), nor Africa/Juba
        ("-0400", "AST", "America/Puerto_Rico"),  # not America/Anguilla, America/Barbados
        ("-0500", "EST", "America/Panama"),  # not America/Atikokan, America/Jamaica
        ("-1100", "SST", "Pacific/Pago_Pago"),  # not Pacific/Midway
        ("+0900", "KST", "Asia/Seoul"),  # not Asia/Pyongyang: ROK links to Seoul
    ],
)
def test_a_fixed_offset_is_named_by_its_abbreviation_unless_that_is_an_offset(
    offset: str, name: str, key: str
) -> None:
    text = ics(
        "BEGIN:VTIMEZONE",
        "TZID:Fixed",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZNAME:{name}",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        "END:STANDARD",
        "END:VTIMEZONE",
        *event("UID:e", "DTSTART;TZID=Fixed:20260716T090000", "DURATION:PT1H"),
    )
    (read,) = read_ical(text).events
    assert (read.tz, read.span.start) == (key, utc(2026, 7, 16, 9) - _hours(offset))


def _hours(offset: str) -> timedelta:
    return timedelta(hours=int(offset[:3]))
