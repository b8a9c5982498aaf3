"""sessions_feed's ATTENDEEs: a booking read twice, and the hold ending at the stamp (review)."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from sessionkit.contrib.ical import IcalAttendee, sessions_feed
from sessionkit.errors import InvalidValue

from .test_ical_attendees import NOW, attendee_lines, booking, email, pottery


def test_a_booking_given_twice_counts_once_as_last_given() -> None:
    # Keyset pages (for_tenant, for_participant) read a booking twice when its session moves
    # past the page boundary between two reads: its seats are the booking's, not twice them.
    held = booking("student:ana", "HELD", seats=2, expires=NOW + timedelta(minutes=15))
    confirmed = attrs.evolve(held, status="CONFIRMED", hold_expires_at=None)
    text = sessions_feed([pottery()], stamp=NOW, bookings=[held, confirmed], address=email)
    assert attendee_lines(text) == [
        (
            "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;"
            "X-SESSIONKIT-SEATS=2:mailto:ana@example.org"
        )
    ]
    again = sessions_feed([pottery()], stamp=NOW, bookings=[confirmed, held], address=email)
    assert attendee_lines(again) == [
        (
            "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=TENTATIVE;ROLE=REQ-PARTICIPANT;"
            "X-SESSIONKIT-SEATS=2:mailto:ana@example.org"
        )
    ]


def test_bookings_of_one_id_in_two_tenants_are_two_bookings() -> None:
    ours = booking("student:ana", "CONFIRMED")
    theirs = attrs.evolve(booking("student:ana", "CONFIRMED", tenant="other"), id=ours.id)
    feed = [pottery(), pottery("other")]
    text = sessions_feed(feed, stamp=NOW, bookings=[ours, theirs], address=email)
    assert len(attendee_lines(text)) == 2


def test_a_hold_ending_at_the_stamp_is_no_attendee_a_moment_before_it_is() -> None:
    ends = NOW + timedelta(minutes=15)
    held = [booking("student:ana", "HELD", expires=ends)]
    at_end = sessions_feed([pottery()], stamp=ends, bookings=held, address=email)
    before = sessions_feed(
        [pottery()], stamp=ends - timedelta(microseconds=1), bookings=held, address=email
    )
    assert (len(attendee_lines(at_end)), len(attendee_lines(before))) == (0, 1)


def test_an_address_with_a_lone_surrogate_is_refused_naming_the_participant() -> None:
    # A lone surrogate is no character (bytes decoded with surrogateescape): no URI holds
    # one, and write_ical could not encode it, far from the participant who gave it.
    bad = "mailto:jos\udce9@example.org"
    with pytest.raises(InvalidValue, match=r"^the address of student:ana must be a URI"):
        sessions_feed(
            [pottery()],
            stamp=NOW,
            bookings=[booking("student:ana", "CONFIRMED")],
            address=lambda _p: bad,
        )
    with pytest.raises(InvalidValue, match=r"^IcalAttendee\.address must be a URI"):
        IcalAttendee(bad)
