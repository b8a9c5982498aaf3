"""Zones a VTIMEZONE cannot tell apart: tzdb's own zone before the names it links to it.

A fixed offset with its abbreviation (CAT, AST, EST, SST, KST) is the offset of many zones
over the dates compared; by name the matcher took Africa/Blantyre, America/Anguilla,
America/Atikokan, Pacific/Midway and Asia/Pyongyang. The tz database keeps the first four
as links to the zone it merged them into; a zone linked to first, the most linked first.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sessionkit.contrib.ical import read_ical
from sessionkit.contrib.ical._zone_match import _by_name

from ._ical_support import event, ics, utc


def _fixed(offset: str, name: str) -> str:
    return ics(
        "BEGIN:VTIMEZONE",
        "TZID:Custom",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZNAME:{name}",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        "END:STANDARD",
        "END:VTIMEZONE",
        *event("UID:e", "DTSTART;TZID=Custom:20260601T090000", "DURATION:PT1H"),
    )


@pytest.mark.parametrize(
    ("offset", "name", "key", "start"),
    [
        ("+0200", "CAT", "Africa/Maputo", utc(2026, 6, 1, 7)),  # not Blantyre, nor Juba
        ("-0400", "AST", "America/Puerto_Rico", utc(2026, 6, 1, 13)),  # not Anguilla, Barbados
        ("-0500", "EST", "America/Panama", utc(2026, 6, 1, 14)),  # not Atikokan, nor Jamaica
        ("-1100", "SST", "Pacific/Pago_Pago", utc(2026, 6, 1, 20)),  # not Midway
        ("+0900", "KST", "Asia/Seoul", utc(2026, 6, 1)),  # not Pyongyang: Seoul has a link
    ],
    ids=["cat", "ast", "est", "sst", "kst"],
)
def test_a_fixed_offset_is_the_zone_the_others_link_to(
    offset: str, name: str, key: str, start: datetime
) -> None:
    (found,) = read_ical(_fixed(offset, name)).events
    assert (found.tz, found.span.start) == (key, start)


def test_a_link_comes_after_the_zone_it_names() -> None:
    order = {name: n for n, name in enumerate(_by_name())}
    assert order["Europe/Prague"] < order["Europe/Bratislava"]
    assert order["America/Panama"] < order["America/Atikokan"] < order["US/Eastern"]
