"""sessionkit.contrib.ical: a UTC UNTIL of an all-day series ends on its date in its writer's zone.

Exchange writes the UNTIL of an all-day series as its last day's midnight in
its own zone, in UTC. The last day is read in the zone the calendar says it was
written in, whatever zone it is read in; without one, by the nearest midnight.
"""

from __future__ import annotations

from datetime import date

import pytest

from sessionkit.contrib.ical import read_ical

from ._ical_support import event, ics


def _vtimezone(tzid: str, changes: str, rules: tuple[str, str] = ("", "")) -> list[str]:
    """A VTIMEZONE as Exchange writes it, of ``changes``: ``+0100 03:00 +0200 02:00``.

    The standard offset and the local time summer ends, then the summer offset
    and the time it begins, with ``rules`` (when summer begins, when it ends);
    an offset alone: no summer.
    """
    standard, back, *summer = changes.split()
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    parts = [("STANDARD", back, summer[0] if summer else standard, standard, rules[1])]
    if summer:
        parts.append(("DAYLIGHT", summer[1], standard, summer[0], rules[0]))
    for name, at, before, after, rule in parts:
        lines += [f"BEGIN:{name}", f"DTSTART:16010101T{at.replace(':', '')}00"]
        lines += [f"TZOFFSETFROM:{before}", f"TZOFFSETTO:{after}"]
        lines += [f"RRULE:FREQ=YEARLY;INTERVAL=1;{rule}"] if rule else []
        lines += [f"END:{name}"]
    return [*lines, "END:VTIMEZONE"]


BERLIN = _vtimezone(  # +0100 in January
    "W. Europe Standard Time",
    "+0100 03:00 +0200 02:00",
    ("BYDAY=-1SU;BYMONTH=3", "BYDAY=-1SU;BYMONTH=10"),
)
LOS_ANGELES = _vtimezone(  # -0800 in January
    "Pacific Standard Time",
    "-0800 02:00 -0700 02:00",
    ("BYDAY=2SU;BYMONTH=3", "BYDAY=1SU;BYMONTH=11"),
)
TONGA = _vtimezone("Tonga Standard Time", "+1300 00:00")
KIRITIMATI = _vtimezone("Line Islands Standard Time", "+1400 00:00")


def _last_days(until: str, *lines: str, default_tz: str, extra: tuple[str, ...] = ()) -> list[date]:
    """The last two days of a daily all-day series from 29 January 2024 to ``until``.

    ``lines`` come before the series, ``extra`` in it (an EXDATE, say).
    """
    cal = read_ical(
        ics(
            *lines,
            *event(
                "UID:bin",
                "SUMMARY:Bin",
                "DTSTART;VALUE=DATE:20240129",
                "DTEND;VALUE=DATE:20240130",
                f"RRULE:FREQ=DAILY;UNTIL={until}",
                *extra,
            ),
        ),
        default_tz=default_tz,
    )
    (series,) = cal.series
    return [o.key.date() for o in series.occurrences() if o.key is not None][-2:]


LAST_TWO = [date(2024, 1, 31), date(2024, 2, 1)]
READERS = ["UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@pytest.mark.parametrize("default_tz", READERS)
def test_a_writer_at_plus_one_named_by_its_vtimezone_keeps_its_last_day(default_tz: str) -> None:
    """UNTIL=20240131T230000Z is 1 February's midnight in Berlin, read at -11 or +14 too."""
    # The VTIMEZONE is the only zone the calendar names: no value uses it.
    assert _last_days("20240131T230000Z", *BERLIN, default_tz=default_tz) == LAST_TWO


@pytest.mark.parametrize(
    "until",
    [
        "20240201T080000Z",  # 1 February's midnight in Los Angeles
        "20240202T075959Z",  # its last second, an end of day
    ],
)
def test_a_writer_at_minus_eight_read_at_plus_nine_adds_no_day(until: str) -> None:
    """Los Angeles' 1 February is the 2nd in Tokyo: the override's TZID tells the writer's zone."""
    override = event(
        "UID:bin",
        "SUMMARY:Bin (moved)",
        "RECURRENCE-ID;TZID=Pacific Standard Time:20240130T000000",
        "DTSTART;VALUE=DATE:20240130",
        "DTEND;VALUE=DATE:20240131",
    )
    assert _last_days(until, *LOS_ANGELES, *override, default_tz="Asia/Tokyo") == LAST_TWO


@pytest.mark.parametrize(
    ("until", "lines", "extra"),
    [
        # 1 February's midnight at +13 is 31 January's 11:00 in UTC: in Tonga (no summer),
        ("20240131T110000Z", TONGA, ()),
        # in Auckland's summer, named by another event's TZID,
        (
            "20240131T110000Z",
            event("UID:talk", "DTSTART;TZID=Pacific/Auckland:20240105T100000", "DURATION:PT1H"),
            (),
        ),
        # and by the series' own EXDATE, before the calendar's X-WR-TIMEZONE;
        (
            "20240131T110000Z",
            ("X-WR-TIMEZONE:UTC",),
            ("EXDATE;TZID=Pacific/Auckland:20240129T000000",),
        ),
        # at +14 (Kiritimati), 31 January's 10:00 in UTC.
        ("20240131T100000Z", KIRITIMATI, ()),
    ],
)
@pytest.mark.parametrize("default_tz", ["UTC", "Europe/Berlin"])
def test_a_writer_at_plus_thirteen_or_fourteen_keeps_its_last_day(
    until: str, lines: list[str], extra: tuple[str, ...], default_tz: str
) -> None:
    """The UNTIL's date at +13 or +14 is the last day, where UTC's nearest midnight is the 31st."""
    assert _last_days(until, *lines, default_tz=default_tz, extra=extra) == LAST_TWO


FEB_2 = [date(2024, 2, 1), date(2024, 2, 2)]  # a day too many: the guess at +14


@pytest.mark.parametrize(
    ("default_tz", "days"),
    [
        ("UTC", LAST_TWO),
        ("Europe/Berlin", LAST_TWO),
        ("America/New_York", LAST_TWO),
        ("Pacific/Kiritimati", FEB_2),
    ],
)
def test_without_a_zone_the_nearest_midnight_of_the_reading_zone_names_the_last_day(
    default_tz: str, days: list[date]
) -> None:
    """No zone named: the day whose midnight, where it is read, is within 12 hours.

    Berlin's 1 February (31 January's 23:00 UTC) is 1 February's 13:00 at +14,
    11 hours before the 2nd's midnight: a writer 12 hours or more away is a day off.
    """
    assert _last_days("20240131T230000Z", default_tz=default_tz) == days


@pytest.mark.parametrize(("default_tz", "days"), [("UTC", LAST_TWO), ("Pacific/Kiritimati", FEB_2)])
def test_zones_that_disagree_on_the_day_leave_it_to_the_nearest_midnight(
    default_tz: str, days: list[date]
) -> None:
    """Berlin's 1 February is Los Angeles' 31 January: no writer's zone is told."""
    lines = (*BERLIN, *LOS_ANGELES)
    assert _last_days("20240131T230000Z", *lines, default_tz=default_tz) == days


@pytest.mark.parametrize("default_tz", ["UTC", "Asia/Tokyo"])
def test_an_end_of_day_until_ends_that_day_in_the_writers_zone(default_tz: str) -> None:
    """22:59:59 UTC is Berlin's last second of 31 January: RFC 5545's bound, read in Berlin."""
    assert _last_days("20240131T225959Z", *BERLIN, default_tz=default_tz) == [
        date(2024, 1, 30),
        date(2024, 1, 31),
    ]


OUTLOOK = "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"


def test_a_quoted_tzid_holding_a_colon_names_the_writers_zone() -> None:
    """Outlook quotes a TZID holding ``:``; read to the quote's end, not to its first ``:``.

    Cut at ``(UTC+01``, the EXDATE named no zone, the two VTIMEZONEs disagreed,
    and at +14 the nearest midnight added 2 February.
    """
    berlin = _vtimezone(
        OUTLOOK, "+0100 03:00 +0200 02:00", ("BYDAY=-1SU;BYMONTH=3", "BYDAY=-1SU;BYMONTH=10")
    )
    exdate = f'EXDATE;TZID="{OUTLOOK}":20240129T000000'
    lines = (*berlin, *LOS_ANGELES)
    days = _last_days("20240131T230000Z", *lines, default_tz="Pacific/Kiritimati", extra=(exdate,))
    assert days == LAST_TWO
