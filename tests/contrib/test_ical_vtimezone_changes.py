"""sessionkit.contrib.ical: each VTIMEZONE onset the export writes is its zone's change.

RFC 5545 (3.6.5) reads an observance's DTSTART and RDATEs as local times in its
TZOFFSETFROM, the offset before the change. icalendar's ``from_tzinfo`` writes
the first wall time after it, which is that only when clocks go back: New
York's 2026 DAYLIGHT began at 03:00 -0500 (08:00 UTC), an hour after the
change, and a reader going by the VTIMEZONE put the hour from 07:00 UTC at a
02:xx that does not exist. The onsets here are checked against zoneinfo's own
changes, found hour by hour, then minute by minute and second by second.

A first DAYLIGHT begins at the change that began it, when that came within a year before
the VTIMEZONE's first date: icalendar begins it at that date, in its own offset
(TZOFFSETFROM is TZOFFSETTO), and dateutil, which takes TZOFFSETTO less TZOFFSETFROM for
a DAYLIGHT's saving, read New York's from June as having none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from tests._versions import needs

from sessionkit.contrib.ical import read_ical, write_ical
from sessionkit.contrib.ical._write_zones import Ranges

Change = tuple[datetime, timedelta, timedelta, str]
"""A change of offset: its instant (UTC), the offsets before and after, the name after."""
Observance = icalendar.TimezoneStandard | icalendar.TimezoneDaylight

ZONES = [
    ("America/New_York", 2026, 2027),
    ("Europe/Berlin", 2026, 2027),
    ("Europe/London", 2026, 2027),  # changes at 01:00 UTC
    ("Australia/Sydney", 2026, 2027),  # southern: forward in October
    ("Australia/Lord_Howe", 2026, 2027),  # a change of 30 minutes
    ("America/Santiago", 2026, 2027),  # changes at midnight
    ("Asia/Beirut", 2021, 2022),  # changes at midnight
    ("America/Havana", 2026, 2027),  # forward at midnight
    ("Asia/Tehran", 2020, 2021),  # changes at 24:00 (until 2022)
    ("Africa/Casablanca", 2026, 2027),  # an hour back for Ramadan (a negative DST)
    ("Europe/Volgograd", 2018, 2019),  # +03 to +04 in October 2018: no DST on either side
    ("Asia/Pyongyang", 2015, 2016),  # +09 to +0830, no DST
    ("Pacific/Apia", 2011, 2012),  # the date line: 29 December 2011 -10, then 31 December +14
    ("Pacific/Chatham", 2026, 2027),  # +1245 and +1345, changing at 02:45
]


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta | None:
    return instant.astimezone(zone).utcoffset()


def _first_after(zone: ZoneInfo, lo: datetime, step: timedelta) -> datetime:
    """The first instant from ``lo`` on, in steps of ``step``, read in another offset."""
    before = _offset(zone, lo)
    while _offset(zone, lo + step) == before:
        lo += step
    return lo + step


def _changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[Change]:
    """zoneinfo's changes of offset from ``start`` to ``end``, to the second."""
    found: list[Change] = []
    hour, offset = start, _offset(zone, start)
    while hour < end:
        if (later := _offset(zone, hour + timedelta(hours=1))) != offset:
            minute = _first_after(zone, hour, timedelta(minutes=1)) - timedelta(minutes=1)
            instant = _first_after(zone, minute, timedelta(seconds=1))
            before, after = _offset(zone, instant - timedelta(seconds=1)), _offset(zone, instant)
            assert before is not None
            assert after is not None
            found.append((instant, before, after, str(instant.astimezone(zone).tzname())))
        hour, offset = hour + timedelta(hours=1), later
    return found


def _observances(vtimezone: icalendar.Timezone) -> list[Observance]:
    return [part for part in vtimezone.subcomponents if isinstance(part, Observance)]


def _walls(part: Observance) -> list[datetime]:
    """The observance's onsets as written: DTSTART, then its RDATEs."""
    rdates = [wall for wall, _ in part.rdates]
    assert all(isinstance(wall, datetime) for wall in rdates)
    return [part.DTSTART, *(wall for wall in rdates if isinstance(wall, datetime))]


def _offsets(part: Observance) -> tuple[timedelta, timedelta]:
    """TZOFFSETFROM and TZOFFSETTO."""
    before, after = part.TZOFFSETFROM, part.TZOFFSETTO
    assert isinstance(before, timedelta)
    assert isinstance(after, timedelta)
    return before, after


def _onsets(vtimezone: icalendar.Timezone) -> tuple[list[datetime], list[Change]]:
    """Where the VTIMEZONE begins (an offset kept), and its changes, each onset read in UTC."""
    begins: list[datetime] = []
    changes: list[Change] = []
    for part in _observances(vtimezone):
        before, after = _offsets(part)
        instants = [(wall - before).replace(tzinfo=UTC) for wall in _walls(part)]
        if before == after:
            begins.extend(instants)
        else:
            changes.extend((i, before, after, str(part["TZNAME"])) for i in instants)
    return begins, sorted(changes)


def _written(tz: str, first: date, last: date) -> icalendar.Timezone:
    """The VTIMEZONE the export writes for ``tz`` used from ``first`` to ``last``, as read."""
    ranges = Ranges()
    ranges.add(tz, first, last)
    (component,) = ranges.components()
    read = icalendar.Timezone.from_ical(component.to_ical())
    assert isinstance(read, icalendar.Timezone)
    return read


@needs("icalendar", "6.2", "_walls reads the onsets by .rdates")
@pytest.mark.parametrize(("tz", "first_year", "last_year"), ZONES)
def test_every_onset_is_the_zones_change_read_in_tzoffsetfrom(
    tz: str, first_year: int, last_year: int
) -> None:
    zone = ZoneInfo(tz)
    vtimezone = _written(tz, date(first_year, 1, 1), date(last_year, 12, 31))
    begins, changes = _onsets(vtimezone)
    # It covers from a day before the first date to two days after the last.
    span = (datetime(first_year - 1, 12, 30, tzinfo=UTC), datetime(last_year + 1, 1, 3, tzinfo=UTC))
    expected = _changes(zone, *span)
    assert expected  # each zone changes in its years
    assert [change for change in changes if change[0] >= span[0]] == expected
    # A first DAYLIGHT (a positive saving) begins at the change that began it, a year before
    # at most; a first STANDARD begins with the VTIMEZONE, in its own offset.
    opening = [change for change in changes if change[0] < span[0]]
    daylight = (span[0].astimezone(zone).dst() or timedelta()) > timedelta()
    last = _changes(zone, span[0] - timedelta(days=366), span[0])[-1:]
    assert opening == (last if daylight else [])
    assert len(begins) == (0 if daylight else 1)
    assert all(begin < changes[0][0] for begin in begins)


@needs("icalendar", "6.2", "_walls reads the onsets by .rdates")
@pytest.mark.parametrize("first_month", [1, 6])
@pytest.mark.parametrize(("tz", "first_year", "last_year"), ZONES)
def test_each_observance_is_named_and_kinded_as_the_zone_after_its_change(
    tz: str, first_year: int, last_year: int, first_month: int
) -> None:
    zone = ZoneInfo(tz)
    vtimezone = _written(tz, date(first_year, first_month, 1), date(last_year, 12, 31))
    for part in _observances(vtimezone):
        before, after = _offsets(part)
        for wall in _walls(part):
            onset = (wall - before).replace(tzinfo=UTC)
            local = onset.astimezone(zone)
            assert (str(part["TZNAME"]), after) == (local.tzname(), local.utcoffset())
            assert part.name == ("STANDARD" if local.dst() == timedelta(0) else "DAYLIGHT")
            # TZOFFSETFROM is the offset before the onset (RFC 5545 3.8.3.3), the first
            # observance's too: where it begins with no change, it is TZOFFSETTO.
            assert _offset(zone, onset - timedelta(seconds=1)) == before


def test_new_yorks_daylight_from_june_begins_at_its_change_in_march() -> None:
    vtimezone = _written("America/New_York", date(2026, 6, 15), date(2026, 12, 31))
    first = _observances(vtimezone)[0]
    assert (first.name, first.DTSTART, *_offsets(first)) == (
        "DAYLIGHT",
        datetime(2026, 3, 8, 2),
        timedelta(hours=-5),  # not -0400: dateutil would read it as no saving
        timedelta(hours=-4),
    )


def test_new_yorks_2026_daylight_begins_at_two_as_rfc_5545_writes_it() -> None:
    vtimezone = _written("America/New_York", date(2026, 1, 1), date(2027, 12, 31))
    lines = vtimezone.to_ical().decode().splitlines()
    daylight = lines[lines.index("BEGIN:DAYLIGHT") : lines.index("END:DAYLIGHT") + 1]
    assert sorted(daylight) == sorted(
        [
            "BEGIN:DAYLIGHT",
            "DTSTART:20260308T020000",
            "RDATE:20270314T020000",
            "TZNAME:EDT",
            "TZOFFSETFROM:-0500",
            "TZOFFSETTO:-0400",
            "END:DAYLIGHT",
        ]
    )


@needs("icalendar", "6.2", "_walls reads the onsets by .rdates")
def test_samoas_jump_over_the_date_line_begins_at_midnight_of_the_lost_day() -> None:
    vtimezone = _written("Pacific/Apia", date(2011, 12, 1), date(2012, 1, 31))
    # The first observance is the daylight saving begun in September (-11 to -10).
    (_, (_, before, after, name)) = _onsets(vtimezone)[1]
    (_, part) = _observances(vtimezone)
    assert (part.DTSTART, before, after, name) == (
        datetime(2011, 12, 30),  # 10:00 UTC: 30 December was skipped, not 31 December
        timedelta(hours=-10),
        timedelta(hours=14),
        "+14",
    )


def _exported(tz: str, *walls: str, rule: str = "") -> list[datetime]:
    """Events at ``walls`` in ``tz`` exported, their starts read back by icalendar, as it reads
    them by the VTIMEZONE written.

    icalendar reads a known IANA TZID by its own zoneinfo, so the TZID is renamed
    (each test its own name: icalendar keeps the first VTIMEZONE of a TZID it reads).
    """
    lines = [
        line
        for i, wall in enumerate(walls)
        for line in (
            *("BEGIN:VEVENT", f"UID:e{i}", f"DTSTART;TZID={tz}:{wall}"),
            *("DURATION:PT1H", *([f"RRULE:{rule}"] if rule else []), "END:VEVENT"),
        )
    ]
    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *lines, "END:VCALENDAR", ""])
    written = write_ical(read_ical(text), stamp=datetime(2026, 1, 1, tzinfo=UTC))
    custom = f"{tz} as sessionkit exports it ({walls[0]})"
    back = icalendar.Calendar.from_ical(written.replace(tz, custom))
    assert isinstance(back, icalendar.Calendar)
    starts = [event.DTSTART for event in back.events]
    assert all(isinstance(start, datetime) for start in starts)
    return [start for start in starts if isinstance(start, datetime)]


def test_an_export_read_back_by_its_vtimezone_keeps_the_instants_around_a_spring_change() -> None:
    starts = _exported("America/New_York", "20260308T033000", "20260316T033000")
    assert [start.astimezone(UTC) for start in starts] == [
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 03:30 EDT on the day clocks go forward
        datetime(2026, 3, 16, 7, 30, tzinfo=UTC),
    ]
    # icalendar (dateutil) compares a wall time with DTSTART, so it read these starts so with
    # the onset an hour late too; from UTC it did not: 07:30 UTC was a 02:30 EST that New
    # York skips, where it is 03:30 EDT.
    rules = starts[0].tzinfo
    assert rules is not None
    instants = [datetime(2026, 3, 8, hour, 30, tzinfo=UTC) for hour in (6, 7, 8)]
    assert [i.astimezone(rules).replace(tzinfo=None) for i in instants] == [
        datetime(2026, 3, 8, 1, 30),
        datetime(2026, 3, 8, 3, 30),
        datetime(2026, 3, 8, 4, 30),
    ]
    assert [i.astimezone(rules).utcoffset() for i in instants] == [
        timedelta(hours=-5),
        timedelta(hours=-4),
        timedelta(hours=-4),
    ]


def test_an_export_from_june_read_back_by_its_vtimezone_keeps_the_instants_of_the_fall_back() -> (
    None
):
    # icalendar wrote the first observance (EDT, from the VTIMEZONE's first day) with
    # TZOFFSETFROM -0400, and dateutil, reading no saving in it, put the four hours before
    # the change (02:00 to 05:59 UTC on 1 November) at 21:00 to 00:59, an hour early.
    (start,) = _exported("America/New_York", "20260615T100000", rule="FREQ=WEEKLY;COUNT=30")
    assert start.astimezone(UTC) == datetime(2026, 6, 15, 14, tzinfo=UTC)
    rules = start.tzinfo
    assert rules is not None
    instants = [datetime(2026, 11, 1, hour, 30, tzinfo=UTC) for hour in range(1, 8)]
    assert [i.astimezone(rules).replace(tzinfo=None) for i in instants] == [
        datetime(2026, 10, 31, 21, 30),
        datetime(2026, 10, 31, 22, 30),
        datetime(2026, 10, 31, 23, 30),
        datetime(2026, 11, 1, 0, 30),
        datetime(2026, 11, 1, 1, 30),  # EDT
        datetime(2026, 11, 1, 1, 30),  # EST, the hour repeated
        datetime(2026, 11, 1, 2, 30),
    ]
    assert [i.astimezone(rules).utcoffset() for i in instants] == [
        *(timedelta(hours=-4),) * 5,
        *(timedelta(hours=-5),) * 2,
    ]


def test_an_export_beginning_the_day_clocks_go_forward_at_midnight_is_read_in_summer() -> None:
    # The VTIMEZONE begins a day before the event: 8 March 2026, when Havana goes from 00:00
    # CST to 01:00 CDT. Its first observance (CST kept from 00:00) and the change (00:00 CST)
    # began at one instant, and icalendar (dateutil) took the first, CST until November.
    (start,) = _exported("America/Havana", "20260309T100000")
    assert start.astimezone(UTC) == datetime(2026, 3, 9, 14, tzinfo=UTC)


class _Counted(ZoneInfo):
    """A zone that counts the offsets asked of it."""

    asked = 0

    def utcoffset(self, dt: datetime | None, /) -> timedelta | None:
        _Counted.asked += 1
        return super().utcoffset(dt)


# Pyongyang's last change (to +09, no DST) was in May 2018; Tokyo's and Phoenix's long before.
@needs("icalendar", "6.2", "_walls reads the onsets by .rdates")
@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/Phoenix", "Asia/Pyongyang"])
def test_a_zone_that_changes_no_more_is_looked_at_no_further_than_its_vtimezone_covers(
    tz: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # icalendar looked for the change after the last one day by day until zoneinfo's end in
    # year 9999: some 2.9 million offsets, a second or so for each VTIMEZONE of such a zone.
    from sessionkit.contrib.ical import _write_zones

    monkeypatch.setattr(_write_zones, "ZoneInfo", _Counted)
    monkeypatch.setattr(_Counted, "asked", 0)
    vtimezone = _write_zones._vtimezone.__wrapped__(tz, date(2017, 1, 1), date(2019, 12, 31))
    assert _Counted.asked < 10 * 1100  # it covers 1098 days
    zone = ZoneInfo(tz)
    written = icalendar.Timezone.from_ical(vtimezone.to_ical())
    assert isinstance(written, icalendar.Timezone)
    span = (datetime(2016, 12, 30, tzinfo=UTC), datetime(2020, 1, 3, tzinfo=UTC))
    assert _onsets(written)[1] == _changes(zone, *span)


@needs("icalendar", "6.2", "_walls reads the onsets by .rdates")
def test_onsets_are_corrected_with_an_icalendar_whose_observances_have_no_rdates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pyproject takes icalendar 6.1, whose STANDARD and DAYLIGHT have no ``rdates`` (6.2 added
    # it): every export with a VTIMEZONE raised AttributeError there.
    from sessionkit.contrib.ical import _write_zones

    with monkeypatch.context() as icalendar_6_1:
        icalendar_6_1.delattr(icalendar.TimezoneStandard, "rdates")
        icalendar_6_1.delattr(icalendar.TimezoneDaylight, "rdates")
        vtimezone = _write_zones._vtimezone.__wrapped__(
            "America/New_York", date(2026, 1, 1), date(2028, 12, 31)
        )
    written = icalendar.Timezone.from_ical(vtimezone.to_ical())
    assert isinstance(written, icalendar.Timezone)
    span = (datetime(2025, 12, 30, tzinfo=UTC), datetime(2029, 1, 3, tzinfo=UTC))
    changes = _onsets(written)[1]
    assert changes == _changes(ZoneInfo("America/New_York"), *span)
    assert len(changes) == 6  # three springs (a DTSTART, two RDATEs), three autumns


@needs("icalendar", "6.2", "_walls reads the onsets by .rdates")
def test_the_module_loads_with_an_icalendar_without_its_private_search_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # _DailyTimezone read icalendar's private _from_tzinfo_skip_search when it was defined:
    # an icalendar without it would make ``import sessionkit.contrib.ical`` fail.
    import importlib.util

    from sessionkit.contrib.ical import _write_zones

    monkeypatch.delattr(icalendar.Timezone, "_from_tzinfo_skip_search")
    spec = importlib.util.spec_from_file_location("_write_zones_probe", _write_zones.__file__)
    assert spec is not None
    assert spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    # Casablanca's Ramadan hour (15 February to 22 March 2026) is still seen, a day at a time.
    vtimezone = probe._vtimezone.__wrapped__(
        "Africa/Casablanca", date(2026, 1, 1), date(2026, 6, 30)
    )
    span = (datetime(2025, 12, 30, tzinfo=UTC), datetime(2026, 7, 3, tzinfo=UTC))
    assert _onsets(vtimezone)[1] == _changes(ZoneInfo("Africa/Casablanca"), *span)
