"""sessionkit.contrib.ical: a feed's ATTENDEEs, from the sessions' bookings (``sessions_feed``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import attrs
import icalendar
import pytest

from sessionkit.contrib.ical import (
    IcalAttendee,
    IcalCalendar,
    IcalEvent,
    read_ical,
    sessions_feed,
    write_ical,
)
from sessionkit.errors import InvalidValue, NaiveDatetime, WrongType
from sessionkit.model.booking import Booking
from sessionkit.model.session import ResourceRef, Session
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)
START = datetime(2026, 3, 10, 9, tzinfo=UTC)
EMAILS = {
    "student:ana": "mailto:ana@example.org",
    "student:bo": "mailto:bo@example.org",
    "student:cy": "mailto:cy@example.org",
    "student:di": "mailto:di@example.org",
    "student:ed": "mailto:ed@example.org",
    "student:fay": "mailto:fay@example.org",
}


def email(participant: ResourceRef) -> str | None:
    return EMAILS.get(str(participant))


def pottery(tenant: str = "acme", session_id: str = "s1") -> Session:
    return Session(
        id=session_id,
        tenant=tenant,
        title="Pottery",
        span=TimeSpan(START, START + timedelta(hours=1)),
        tz="Europe/Berlin",
        status="SCHEDULED",
        lifecycle="academy",
        busy=True,
        created_at=NOW,
        capacity=8,
    )


def booking(
    who: str,
    status: str,
    *,
    seats: int = 1,
    session_id: str = "s1",
    tenant: str = "acme",
    expires: datetime | None = None,
) -> Booking:
    made = Booking.new(
        id=f"b-{who}-{session_id}-{tenant}",
        tenant=tenant,
        session_id=session_id,
        participant=who,
        seats=seats,
        session_start=START,
        session_end=START + timedelta(hours=1),
        created_at=NOW,
    )
    return attrs.evolve(made, status=status, hold_expires_at=expires)


def attendee_lines(text: str) -> list[str]:
    """The ATTENDEE lines of ``text``, unfolded (RFC 5545 folds lines at 75 octets)."""
    return [line for line in text.replace("\r\n ", "").split("\r\n") if line.startswith("ATTENDEE")]


def test_bookings_in_play_are_attendees_with_their_partstat_role_cutype_and_seats() -> None:
    bookings = [
        booking("student:ana", "CONFIRMED", seats=2),
        booking("student:bo", "HELD", expires=NOW + timedelta(minutes=15)),
        booking("student:cy", "OFFERED", expires=NOW + timedelta(hours=1)),
        booking("student:di", "CANCELLED"),
        booking("student:ed", "EXPIRED"),
        booking("student:fay", "WAITLISTED"),
    ]
    text = sessions_feed([pottery()], stamp=NOW, bookings=bookings, address=email)
    assert attendee_lines(text) == [
        (
            "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;"
            "X-SESSIONKIT-SEATS=2:mailto:ana@example.org"
        ),
        "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=TENTATIVE;ROLE=REQ-PARTICIPANT:mailto:bo@example.org",
        "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:mailto:cy@example.org",
    ]
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # folded as it should


def test_the_feed_parses_back_with_icalendar_and_read_ical_ignores_the_attendees() -> None:
    bookings = [
        booking("student:ana", "CONFIRMED", seats=3),
        booking("student:bo", "HELD", expires=NOW + timedelta(minutes=15)),
    ]
    text = sessions_feed([pottery()], stamp=NOW, bookings=bookings, address=email)
    (vevent,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    found = cast("list[icalendar.vCalAddress]", vevent["ATTENDEE"])
    assert [str(a) for a in found] == ["mailto:ana@example.org", "mailto:bo@example.org"]
    assert [dict(a.params) for a in found] == [
        {
            "CUTYPE": "INDIVIDUAL",
            "PARTSTAT": "ACCEPTED",
            "ROLE": "REQ-PARTICIPANT",
            "X-SESSIONKIT-SEATS": "3",
        },
        {"CUTYPE": "INDIVIDUAL", "PARTSTAT": "TENTATIVE", "ROLE": "REQ-PARTICIPANT"},
    ]
    (event,) = read_ical(text).events  # the reader reads no ATTENDEE: the event as before
    assert (event.uid, event.title, event.span, event.attendees) == (
        "s1",
        "Pottery",
        pottery().span,
        (),
    )
    plain = sessions_feed([pottery()], stamp=NOW)
    assert read_ical(text) == read_ical(plain)
    attendees = _folded(text, "ATTENDEE")  # the rest of the text is the feed without bookings
    assert "\r\n".join(line for line in text.split("\r\n") if line not in attendees) == plain


def _folded(text: str, name: str) -> list[str]:
    """The physical lines of every ``name`` property of ``text``, its folds included."""
    found: list[str] = []
    inside = False
    for line in text.split("\r\n"):
        inside = line.startswith(name) or (inside and line.startswith(" "))
        if inside:
            found.append(line)
    return found


def test_bookings_of_other_sessions_and_other_tenants_are_ignored() -> None:
    bookings = [
        booking("student:ana", "CONFIRMED"),
        booking("student:bo", "CONFIRMED", session_id="s2"),  # a session not in the feed
        booking("student:cy", "CONFIRMED", tenant="other"),  # its s1 is another session
    ]
    text = sessions_feed([pottery()], stamp=NOW, bookings=bookings, address=email)
    assert attendee_lines(text) == [
        "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:ana@example.org"
    ]


def test_each_session_gets_its_own_attendees() -> None:
    later = attrs.evolve(
        pottery(session_id="s2"),
        span=TimeSpan(START + timedelta(days=1), START + timedelta(days=1, hours=1)),
    )
    bookings = [
        booking("student:bo", "CONFIRMED", session_id="s2"),
        booking("student:ana", "CONFIRMED"),
    ]
    text = sessions_feed([later, pottery()], stamp=NOW, bookings=bookings, address=email)
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert [(str(e["UID"]), str(e["ATTENDEE"])) for e in events] == [
        ("s1", "mailto:ana@example.org"),
        ("s2", "mailto:bo@example.org"),
    ]


def test_a_hold_past_its_expiry_at_the_stamp_is_no_attendee() -> None:
    h = Harness.in_memory(NOW)
    session = h.kit.sessions.create_extra(
        "acme",
        actor="admin",
        start=START,
        end=START + timedelta(hours=1),
        title="Pottery",
        capacity=8,
        tz="Europe/Berlin",
        lifecycle="academy",
    )
    h.kit.bookings.book("acme", session.id, "student:ana", actor="ana", confirm=True)
    h.kit.bookings.book("acme", session.id, "student:bo", actor="bo", hold_for=timedelta(hours=1))
    bookings = h.kit.bookings.for_session("acme", session.id)
    assert sorted(b.status for b in bookings) == ["CONFIRMED", "HELD"]

    def partstats(stamp: datetime) -> list[str]:
        text = sessions_feed([session], stamp=stamp, bookings=bookings, address=email)
        return [line.split(";")[2] + " " + line.split(":", 2)[2] for line in attendee_lines(text)]

    assert partstats(NOW + timedelta(minutes=59)) == [
        "PARTSTAT=ACCEPTED ana@example.org",
        "PARTSTAT=TENTATIVE bo@example.org",
    ]
    # Stored HELD still, but its seat is gone at read time (Booking.takes_seats).
    assert partstats(NOW + timedelta(hours=1)) == ["PARTSTAT=ACCEPTED ana@example.org"]


def test_a_participant_without_an_address_is_left_out_and_each_is_asked_once() -> None:
    asked: list[ResourceRef] = []

    def some(participant: ResourceRef) -> str | None:
        asked.append(participant)
        return None if participant.id == "bo" else email(participant)

    bookings = [
        booking("student:ana", "CONFIRMED"),
        booking("student:bo", "CONFIRMED"),
        booking("student:ana", "CONFIRMED", session_id="s2"),
    ]
    later = attrs.evolve(
        pottery(session_id="s2"),
        span=TimeSpan(START + timedelta(days=1), START + timedelta(days=1, hours=1)),
    )
    text = sessions_feed([pottery(), later], stamp=NOW, bookings=bookings, address=some)
    assert [line.rsplit(":", 1)[1] for line in attendee_lines(text)] == [
        "ana@example.org",
        "ana@example.org",
    ]
    assert asked == [ResourceRef("student", "ana"), ResourceRef("student", "bo")]


def test_participants_of_one_address_are_one_attendee_with_their_seats() -> None:
    parent = "mailto:parent@example.org"
    bookings = [
        booking("student:ana", "HELD", seats=2, expires=NOW + timedelta(hours=1)),
        booking("student:bo", "CONFIRMED"),
        booking("student:cy", "OFFERED", expires=NOW + timedelta(hours=1)),
    ]
    text = sessions_feed([pottery()], stamp=NOW, bookings=bookings, address=lambda _p: parent)
    assert attendee_lines(text) == [
        (
            "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;"
            "X-SESSIONKIT-SEATS=4:mailto:parent@example.org"
        )
    ]


def test_without_bookings_the_feed_is_as_before() -> None:
    text = sessions_feed([pottery()], stamp=NOW, bookings=[], address=email)
    assert text == sessions_feed([pottery()], stamp=NOW)
    assert attendee_lines(text) == []


@pytest.mark.parametrize(
    ("bookings", "address", "error", "message"),
    [
        (
            ["student:ana"],
            email,
            WrongType,
            "an item of bookings must be a Booking, got str 'student:ana'",
        ),
        (
            booking("student:ana", "CONFIRMED"),
            email,
            WrongType,
            "bookings must be an iterable of Booking, got Booking",
        ),
        (
            [booking("student:ana", "CONFIRMED")],
            None,
            WrongType,
            "address must be a function of a participant, with bookings, got NoneType None",
        ),
        (
            [],
            "mailto:ana@example.org",
            WrongType,
            "address must be a function of a participant, with bookings, got str",
        ),
        (
            [booking("student:ana", "CONFIRMED")],
            lambda _p: 5,
            WrongType,
            "the address of student:ana must be text (a calendar address URI), got int 5",
        ),
        (
            [booking("student:ana", "CONFIRMED")],
            lambda _p: "ana@example.org",
            InvalidValue,
            (
                "the address of student:ana must be a URI such as 'mailto:ana@example.org', "
                "got 'ana@example.org'"
            ),
        ),
        (
            [booking("student:ana", "CONFIRMED")],
            lambda _p: "mailto:ana@example.org\r\nORGANIZER:mailto:evil@example.org",
            InvalidValue,
            (
                "the address of student:ana must be a URI such as 'mailto:ana@example.org', "
                "got 'mailto:ana@example.org\\r\\nORGANIZER:mailto:evil@example.org'"
            ),
        ),
        (
            [booking("student:ana", "CONFIRMED")],
            lambda _p: "mailto:Ana Smith@example.org",
            InvalidValue,
            "got 'mailto:Ana Smith@example.org'",
        ),
    ],
)
def test_bad_bookings_and_addresses_are_refused_naming_the_value(
    bookings: object,
    address: Callable[[ResourceRef], object] | None,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error) as caught:
        sessions_feed(
            [pottery()],
            stamp=NOW,
            bookings=bookings,  # type: ignore[arg-type]  # what a caller may pass
            address=address,  # type: ignore[arg-type]  # what a caller may pass
        )
    assert message in str(caught.value)


def test_a_naive_stamp_is_refused_by_its_name() -> None:
    with pytest.raises(NaiveDatetime, match=r"^stamp must be timezone-aware"):
        sessions_feed(
            [pottery()],
            stamp=datetime(2026, 3, 1, 8),  # the naive value refused
            bookings=[booking("student:ana", "CONFIRMED")],
            address=email,
        )


def test_write_ical_writes_attendees_built_by_hand() -> None:
    event = IcalEvent(
        uid="talk",
        title="Talk",
        span=TimeSpan(START, START + timedelta(hours=1)),
        tz="UTC",
        attendees=(
            IcalAttendee("mailto:x@example.org", partstat="DECLINED", role="OPT-PARTICIPANT"),
            IcalAttendee("urn:uuid:room-1", cutype="ROOM", seats=1),
        ),
    )
    text = write_ical(IcalCalendar(events=(event,)), stamp=NOW)
    assert attendee_lines(text) == [
        "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=DECLINED;ROLE=OPT-PARTICIPANT:mailto:x@example.org",
        "ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:urn:uuid:room-1",
    ]


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"address": None}, WrongType, "IcalAttendee.address must be text"),
        ({"address": "x@example.org"}, InvalidValue, "IcalAttendee.address must be a URI"),
        ({"partstat": "ACCEPTED;X=1"}, InvalidValue, "IcalAttendee.partstat must be a token"),
        ({"role": 1}, WrongType, "IcalAttendee.role must be text, got int 1"),
        ({"cutype": ""}, InvalidValue, "IcalAttendee.cutype must be a token"),
        ({"seats": 0}, InvalidValue, "IcalAttendee.seats must be 1 or more, got 0"),
        ({"seats": True}, WrongType, "IcalAttendee.seats must be an int, got bool True"),
    ],
)
def test_an_attendee_built_by_hand_is_checked(
    fields: dict[str, object], error: type[Exception], message: str
) -> None:
    given: dict[str, object] = {"address": "mailto:x@example.org", **fields}
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        IcalAttendee(**given)  # type: ignore[arg-type]  # what a caller may pass


def test_an_event_refuses_attendees_of_another_type() -> None:
    with pytest.raises(WrongType, match=r"^an item of IcalEvent\.attendees must be IcalAttendees"):
        IcalEvent(
            uid="talk",
            title="Talk",
            span=TimeSpan(START, START + timedelta(hours=1)),
            tz="UTC",
            attendees=("mailto:x@example.org",),  # type: ignore[arg-type]  # a caller's
        )
