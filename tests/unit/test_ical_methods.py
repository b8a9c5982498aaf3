"""A calendar's METHOD (RFC 5546): an iTIP CANCEL is no calendar of events that take place."""

from __future__ import annotations

import pytest
from tests.unit._ical_support import event, ics, utc

from sessionkit.contrib.ical import (
    CalendarError,
    UnsupportedCalendar,
    UnsupportedMethod,
    read_ical,
)
from sessionkit.errors import SessionKitError

_TALK = event("UID:talk", "SEQUENCE:1", "DTSTART:20260401T100000Z", "DTEND:20260401T110000Z")


def _calendar(*head: str) -> str:
    return ics("PRODID:-//example//EN", *head, *_TALK)


def test_a_cancel_is_refused_naming_its_method_and_line() -> None:
    # Before: the cancelled talk was read as an event taking place (no STATUS:CANCELLED,
    # which RFC 5546 leaves out when the whole message is the cancellation).
    with pytest.raises(UnsupportedMethod) as caught:
        read_ical(_calendar("METHOD:CANCEL"))
    exc = caught.value
    assert isinstance(exc, UnsupportedCalendar)
    assert isinstance(exc, CalendarError)
    assert isinstance(exc, SessionKitError)
    assert isinstance(exc, ValueError)
    assert (exc.method, exc.line, exc.text, exc.uid) == ("CANCEL", 4, "METHOD:CANCEL", None)
    assert "iTIP cancellation" in str(exc)
    assert "ical_uid" in str(exc)


def test_a_cancel_of_one_occurrence_is_refused_too() -> None:
    text = ics(
        "METHOD:CANCEL",
        *event(
            "UID:yoga",
            "STATUS:CANCELLED",
            "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000",
            "DTSTART;TZID=Europe/Berlin:20260323T180000",
            "DTEND;TZID=Europe/Berlin:20260323T190000",
        ),
    )
    with pytest.raises(UnsupportedMethod) as caught:
        read_ical(text)
    assert (caught.value.method, caught.value.line) == ("CANCEL", 3)


@pytest.mark.parametrize(
    ("written", "method"),
    [
        ("METHOD:cancel", "CANCEL"),
        ("METHOD:REPLY", "REPLY"),
        ("METHOD:ADD", "ADD"),
        ("METHOD:COUNTER", "COUNTER"),
        ("METHOD:X-SOMETHING", "X-SOMETHING"),
    ],
)
def test_other_itip_methods_and_unknown_ones_are_refused(written: str, method: str) -> None:
    with pytest.raises(UnsupportedMethod) as caught:
        read_ical(_calendar(written))
    assert (caught.value.method, caught.value.text) == (method, written)


@pytest.mark.parametrize(
    "head", [(), ("METHOD:PUBLISH",), ("METHOD:REQUEST",), ("METHOD:publish",)]
)
def test_publish_request_and_none_read_the_events(head: tuple[str, ...]) -> None:
    cal = read_ical(_calendar(*head))
    assert [(e.uid, e.cancelled, e.span.start) for e in cal.events] == [
        ("talk", False, utc(2026, 4, 1, 10))
    ]


def test_a_method_line_inside_an_event_is_not_the_calendars() -> None:
    text = ics(*event("UID:talk", "METHOD:CANCEL", *_TALK[3:-1]))
    assert [e.uid for e in read_ical(text).events] == ["talk"]


def test_a_method_after_a_quoted_parameter_holding_a_colon() -> None:
    # The value was taken after the first ":", inside the quotes: a PUBLISH was refused as
    # METHOD 'B":PUBLISH'.
    published = _calendar('METHOD;X-NOTE="a:b":PUBLISH')
    assert [e.uid for e in read_ical(published).events] == ["talk"]
    with pytest.raises(UnsupportedMethod) as caught:
        read_ical(_calendar('METHOD;X-NOTE="a:b":Cancel'))
    assert caught.value.method == "CANCEL"
