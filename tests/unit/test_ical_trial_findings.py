"""sessionkit.contrib.ical in a new user's trial: RANGE overrides, a single event's revisions."""

from __future__ import annotations

import pytest

from sessionkit.contrib.ical import CalendarSyntaxError, UnsupportedCalendar, read_ical
from sessionkit.timespan import TimeSpan

from ._ical_support import event, ics, utc

DAILY = event(
    "UID:a",
    "SUMMARY:A",
    "DTSTART:20260316T180000Z",
    "DURATION:PT1H",
    "RRULE:FREQ=DAILY;COUNT=3",
)


@pytest.mark.parametrize("value", ["THISANDPRIOR", "thisandprior", "THISANDFUTURE"])
def test_a_recurrence_id_with_a_range_is_refused_on_its_line(value: str) -> None:
    """RFC 2445's THISANDPRIOR changes the occurrence and all before it: not one override.

    Read as an override of its own occurrence, the earlier ones kept the master's time;
    it is refused, as THISANDFUTURE is (RFC 5545 dropped THISANDPRIOR, Appendix A.3).
    """
    text = ics(
        *DAILY,
        *event(
            "UID:a",
            "SUMMARY:B",
            f"RECURRENCE-ID;RANGE={value}:20260317T180000Z",
            "DTSTART:20260317T190000Z",
            "DURATION:PT1H",
        ),
    )
    with pytest.raises(UnsupportedCalendar) as caught:
        read_ical(text)
    assert caught.value.line == 13
    assert caught.value.text == f"RECURRENCE-ID;RANGE={value}:20260317T180000Z"
    assert caught.value.uid == "a"
    assert f"RANGE={value.upper()} overrides are not supported" in str(caught.value)


def test_a_single_event_revised_after_its_override_keeps_its_newer_revision() -> None:
    """Of a single event and an override of it, the higher SEQUENCE is the newer version.

    The override won whatever its SEQUENCE, so a master revised since (3 over 0) was
    read at the old instance's time and title.
    """
    master = event(
        "UID:a",
        "SEQUENCE:3",
        "SUMMARY:Revised",
        "DTSTART:20260316T180000Z",
        "DTEND:20260316T190000Z",
    )
    older = event(
        "UID:a",
        "SEQUENCE:0",
        "RECURRENCE-ID:20260316T180000Z",
        "SUMMARY:Old",
        "DTSTART:20260316T200000Z",
        "DTEND:20260316T210000Z",
    )
    cal = read_ical(ics(*master, *older))
    assert [(e.title, e.span) for e in cal.events] == [
        ("Revised", TimeSpan(utc(2026, 3, 16, 18), utc(2026, 3, 16, 19)))
    ]
    newer = [line.replace("SEQUENCE:0", "SEQUENCE:4") for line in older]
    cal = read_ical(ics(*master, *newer))
    assert [(e.title, e.span) for e in cal.events] == [
        ("Old", TimeSpan(utc(2026, 3, 16, 20), utc(2026, 3, 16, 21)))
    ]
    same = [line.replace("SEQUENCE:0", "SEQUENCE:3") for line in older]
    assert [e.title for e in read_ical(ics(*master, *same)).events] == ["Old"]


def _revision(*lines: str, title: str = "Moved") -> list[str]:
    return event(
        "UID:a",
        "RECURRENCE-ID:20260316T180000Z",
        f"SUMMARY:{title}",
        "DTSTART:20260316T200000Z",
        "DTEND:20260316T210000Z",
        *lines,
    )


def _single(*lines: str) -> list[str]:
    return event("UID:a", "SUMMARY:First", "DTSTART:20260316T180000Z", "DURATION:PT1H", *lines)


def test_a_revision_before_its_single_event_in_the_file_still_wins_a_tie() -> None:
    """docs/ical.md: on a tie a revision wins, wherever it stands; of revisions, the later."""
    assert [e.title for e in read_ical(ics(*_revision(), *_single())).events] == ["Moved"]
    text = ics(
        *_revision("SEQUENCE:2"),
        *_single("SEQUENCE:2"),
        *_revision("SEQUENCE:2", title="Later"),
        *_revision("SEQUENCE:1", title="Older"),
    )
    assert [e.title for e in read_ical(text).events] == ["Later"]


@pytest.mark.parametrize("value", ["THISANDFUTURE", "thisandprior"])
def test_a_range_on_a_single_events_revision_is_read_as_the_revision(value: str) -> None:
    """A single event has one occurrence: a RANGE changes no other, so nothing is refused."""
    revision = [
        line.replace("RECURRENCE-ID:", f"RECURRENCE-ID;RANGE={value}:") for line in _revision()
    ]
    cal = read_ical(ics(*_single(), *revision))
    assert [(e.title, e.span) for e in cal.events] == [
        ("Moved", TimeSpan(utc(2026, 3, 16, 20), utc(2026, 3, 16, 21)))
    ]


def test_a_single_events_sequence_twice_is_refused_when_a_revision_weighs_it() -> None:
    """Its SEQUENCE decides which of it and its revision is read: two are refused, at the second."""
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(ics(*_single("SEQUENCE:1", "SEQUENCE:5"), *_revision("SEQUENCE:3")))
    assert (caught.value.line, caught.value.text) == (9, "SEQUENCE:5")
