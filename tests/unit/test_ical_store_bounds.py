"""store_ical refuses what the services refuse: sessions outside EARLIEST..LATEST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sessionkit.contrib.ical import CalendarError, read_ical, store_ical
from sessionkit.errors import InvalidValue
from sessionkit.testing.harness import Harness

from ._ical_support import NOW, event, ics

WEEKLY = ["UID:yoga", "SUMMARY:Yoga", "DTSTART:20260316T100000Z", "DURATION:PT1H"]


def _kit() -> Harness:
    return Harness.in_memory(NOW)


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (  # a typo's year 1: create_extra refuses it
            event("UID:typo", "DTSTART:00010101T100000Z", "DTEND:00010101T110000Z"),
            3,
            "the event's start 0001-01-01T10:00:00+00:00 is outside",
        ),
        (  # ends after LATEST
            event("UID:late", "DTSTART:89991231T233000Z", "DURATION:PT1H"),
            3,
            "the event's end 9000-01-01T00:30:00+00:00 is outside",
        ),
        (  # an override moved to year 500, on its own VEVENT's line
            [
                *event(*WEEKLY, "RRULE:FREQ=WEEKLY;COUNT=3"),
                *event(
                    "UID:yoga",
                    "RECURRENCE-ID:20260323T100000Z",
                    "DTSTART:05000323T100000Z",
                    "DURATION:PT1H",
                ),
            ],
            10,
            "the override's start 0500-03-23T10:00:00+00:00 is outside",
        ),
    ],
)
def test_a_session_outside_the_instants_the_services_schedule_at_is_refused(
    lines: list[str], line: int, message: str
) -> None:
    h = _kit()
    with pytest.raises(InvalidValue) as caught:  # the services' error, as a CalendarError
        store_ical(h.kit, "acme", read_ical(ics(*lines)), actor="a")
    assert isinstance(caught.value, CalendarError)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"line {line}: {message}")
    assert "1000-01-01 to 9000-01-01 UTC" in str(caught.value)
    assert [s.title for s in h.kit.queries.list("acme").items] == []  # nothing written
    with pytest.raises(InvalidValue):
        h.kit.sessions.create_extra(
            "acme",
            actor="a",
            start=datetime(1, 1, 1, 10, tzinfo=UTC),
            end=datetime(1, 1, 1, 11, tzinfo=UTC),
            lifecycle="lms",
        )


def test_cancelled_events_outside_the_bounds_are_not_checked_since_not_stored() -> None:
    h = _kit()
    text = ics(
        *event("UID:gone", "STATUS:CANCELLED", "DTSTART:00010101T100000Z", "DURATION:PT1H"),
        *event("UID:kept", "DTSTART:89991231T220000Z", "DURATION:PT1H"),
    )
    stored = store_ical(h.kit, "acme", read_ical(text), actor="a")
    assert [s.start for s in stored.extras] == [datetime(8999, 12, 31, 22, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("lines", "line"),
    [
        (event("UID:nul", "SUMMARY:Yo\x00ga", "DTSTART:20260316T100000Z", "DURATION:PT1H"), 3),
        (
            [
                *event(*WEEKLY, "RRULE:FREQ=WEEKLY;COUNT=3"),
                *event(
                    "UID:yoga",
                    "SUMMARY:Yo\x00ga",
                    "RECURRENCE-ID:20260323T100000Z",
                    "DTSTART:20260324T100000Z",
                    "DURATION:PT1H",
                ),
            ],
            10,
        ),
    ],
)
def test_a_summary_with_nul_is_refused_on_its_vevents_line_and_nothing_is_stored(
    lines: list[str], line: int
) -> None:
    # read_ical takes it; the session's title check refused it deep in the unit of work, a
    # bare InvalidValue naming no event, where a SUMMARY too long is named at its line.
    h = _kit()
    with pytest.raises(CalendarError) as caught:
        store_ical(h.kit, "acme", read_ical(ics(*lines)), actor="a")
    assert caught.value.line == line
    assert "the SUMMARY 'Yo\\x00ga' contains NUL" in str(caught.value)
    assert not h.kit.queries.list("acme").items


@pytest.mark.parametrize(("length", "shown"), [(256, "256"), (1500, "1,500")])
def test_a_summary_too_long_names_both_numbers_in_one_form(length: int, shown: str) -> None:
    # "the SUMMARY is 1500 characters long, a session's title at most 255": the length was
    # not grouped as every other length message groups it (text.check_text: "3,000 ... 2,000").
    h = _kit()
    lines = event(
        "UID:long", f"SUMMARY:{'y' * length}", "DTSTART:20260316T100000Z", "DURATION:PT1H"
    )
    with pytest.raises(CalendarError) as caught:
        store_ical(h.kit, "acme", read_ical(ics(*lines)), actor="a")
    assert str(caught.value) == (
        f"line 3: the SUMMARY is {shown} characters long, a session's title at most 255"
    )
    assert (caught.value.line, caught.value.expected) == (3, "a SUMMARY of at most 255 characters")
    assert not h.kit.queries.list("acme").items
