"""Which wall times :meth:`Zones.exact` compares to tell a near-miss zone, and what that costs.

A VTIMEZONE may give only the changes of its events' year (RFC 5545 asks no more): compared
from a value's own day on, the change that value sits beside (at night, before that day's
noon UTC) was never seen, and the flag kept for the TZID's later values was one value's
window. Matching a VTIMEZONE reads its offsets by dateutil, which walks its rules from
their DTSTART for each: that is done once per TZID, not again for each value or tie.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

import icalendar
import pytest

from sessionkit.contrib.ical import _event_zones, _vtimezone, _zone_match, read_ical

from ._ical_support import event, ics, utc
from .test_ical_zone_match_cost import _Counting


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
    assert _read(_YEAR_PAIR, "20260701T090000", "20261101T023000", "20261101T033000") == [
        (_NY, utc(2026, 7, 1, 13)),
        (_NY, utc(2026, 11, 1, 6, 30)),
        (_NY, utc(2026, 11, 1, 8, 30)),
    ]


_EXACT_PAIR = _us_at_three(("DAYLIGHT", "20260308T020000", ""), ("STANDARD", "20261101T020000", ""))


@pytest.mark.parametrize(
    ("wall", "at"),
    [
        ("20261215T180000", utc(2026, 12, 15, 23)),
        # The day of its last change: 01:30 is repeated, its first occurrence in EDT.
        ("20261101T013000", utc(2026, 11, 1, 5, 30)),
    ],
)
def test_a_first_value_on_or_past_the_last_change_is_in_the_zone_of_those_changes(
    wall: str, at: datetime
) -> None:
    # Compared from that value's day on, the VTIMEZONE is -05 for ever: America/Bogota's,
    # which read 01:30 on 1 November at 06:30 UTC. Its own changes are New York's (as a
    # value of January or July finds, test_ical_vtimezones).
    assert _read(_EXACT_PAIR, wall) == [(_NY, at)]


def test_an_earlier_value_does_not_decide_for_a_later_one() -> None:
    # A value of December was matched from its own day: only March's change was compared
    # (where both read 03:30 as EDT), the zone kept as exact, and November's value with it.
    assert _read(_RDATES, "20261201T090000", "20261101T023000") == [
        (_NY, utc(2026, 12, 1, 14)),
        (_NY, utc(2026, 11, 1, 6, 30)),
    ]


def test_rules_that_end_matched_exactly_still_keep_the_zones_reading() -> None:
    # The same changes at New York's hours: nothing to correct, on the change days too.
    walls = ("20260701T090000", "20261101T013000", "20261101T023000", "20260308T033000")
    assert _read(_EXACT_PAIR, *walls) == [
        (_NY, utc(2026, 7, 1, 13)),
        (_NY, utc(2026, 11, 1, 5, 30)),
        (_NY, utc(2026, 11, 1, 7, 30)),
        (_NY, utc(2026, 3, 8, 7, 30)),
    ]


_OUTLOOK_US_AT_3 = [
    "BEGIN:VTIMEZONE",
    "TZID:Customized Time Zone",
    "BEGIN:STANDARD",
    "DTSTART:16010101T030000",
    "TZOFFSETFROM:-0400",
    "TZOFFSETTO:-0500",
    "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T030000",
    "TZOFFSETFROM:-0500",
    "TZOFFSETTO:-0400",
    "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
]


def test_a_custom_zones_offsets_are_read_for_one_match_not_two(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[_Counting] = []
    rules_of = _event_zones.zone_rules

    def counting(*args: Any) -> tzinfo:
        made.append(_Counting(rules_of(*args)))
        return made[-1]

    monkeypatch.setattr(_event_zones, "zone_rules", counting)
    text = ics(
        *_OUTLOOK_US_AT_3,
        *event("UID:e", "DTSTART;TZID=Customized Time Zone:20261101T023000", "DURATION:PT1H"),
    )
    (read,) = read_ical(text).events
    assert (read.tz, read.span.start) == ("America/New_York", utc(2026, 11, 1, 6, 30))
    # 731 noons and some 360 wall times around its changes, read to match it (the cost
    # test_ical_zone_match_cost pins), plus a few for the value: Zones.exact read them all
    # again to learn what the match had found (some 2,200 before).
    assert made[0].asked < 1_500


def test_a_windows_names_zone_is_matched_only_for_a_value_it_reads_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Outlook's own zones come under Windows names, each taken as its zone unmatched (some
    # 20 ms a calendar): Zones.exact matched each to learn whether it reads the VTIMEZONE
    # exactly (some 190 ms more), where no value of the calendar was read otherwise.
    matched: list[object] = []

    def counting(*args: Any, **kwargs: Any) -> _zone_match.Match | None:
        matched.append(kwargs.get("among"))
        return _zone_match.match(*args, **kwargs)

    monkeypatch.setattr(_event_zones, "match", counting)
    walls = ["20260716T090000", "20261025T023000", "20261025T033000", "20260329T033000"]
    text = _w_europe("W. Europe Standard Time", "CET", "CEST", *walls)
    read = read_ical(text).events
    assert [(e.tz, e.span.start) for e in read] == [
        ("Europe/Berlin", utc(2026, 7, 16, 7)),
        ("Europe/Berlin", utc(2026, 10, 25, 0, 30)),  # the first 02:30, as both read it
        ("Europe/Berlin", utc(2026, 10, 25, 2, 30)),
        ("Europe/Berlin", utc(2026, 3, 29, 1, 30)),
    ]
    assert matched == []
    # Outlook's Chile, under its Windows name, is matched at the first value it reads
    # otherwise than Santiago (test_ical_zone_match_exact pins its instants).


def test_a_windows_names_zone_is_matched_once_past_some_values_read_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each value read by the VTIMEZONE costs a few offsets: after 64 of them, the zone is
    # matched once (some 700), and the rest are kept as they are without reading them.
    matched: list[object] = []

    def counting(*args: Any, **kwargs: Any) -> _zone_match.Match | None:
        matched.append(kwargs.get("among"))
        return _zone_match.match(*args, **kwargs)

    monkeypatch.setattr(_event_zones, "match", counting)
    walls = [f"2026{month:02d}{day:02d}T090000" for month in (5, 6, 7) for day in range(1, 29)]
    read = read_ical(_w_europe("W. Europe Standard Time", "CET", "CEST", *walls)).events
    assert {e.span.start.hour for e in read} == {7}
    assert (len(read), matched) == (84, [("Europe/Berlin",)])


def test_where_a_vtimezones_rules_end_is_worked_out_once_per_tzid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # It was worked out for each value (icalendar's transitions: some 40 ms each for
    # Outlook's rules from 1601 with an UNTIL), also under an IANA TZID, which has no need.
    calls: list[str] = []
    last_onset = _vtimezone.last_onset

    def counting(vtz: icalendar.Timezone) -> datetime | None:
        calls.append(str(vtz.get("TZID")))
        return last_onset(vtz)

    monkeypatch.setattr(_event_zones, "last_onset", counting)
    walls = [f"202607{day:02d}T090000" for day in range(1, 11)]
    for tzid in ("America/New_York", _NAME):
        text = ics(
            *[line.replace(f"TZID:{_NAME}", f"TZID:{tzid}") for line in _RDATES],
            *(
                line
                for n, wall in enumerate(walls)
                for line in event(f"UID:e{n}", f"DTSTART;TZID={tzid}:{wall}", "DURATION:PT1H")
            ),
        )
        read = read_ical(text).events
        assert [e.span.start for e in read] == [utc(2026, 7, d, 13) for d in range(1, 11)]
    assert calls == [_NAME]
