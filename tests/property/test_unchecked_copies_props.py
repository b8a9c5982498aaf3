"""The booking command's unchecked constructions build exactly what the checked ones build.

A booking command builds its new booking with ``Booking.unchecked``, copies
it into its status with ``Booking._sessionkit_with_status`` (what the
lifecycle calls instead of ``attrs.evolve``) and reads its session back with
``session_from_row`` (``Session.unchecked``). Each is compared here, field by
field (``metadata`` too, which equality leaves out), with the constructor's
way on the shipped strategies' values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionkit.adapters.sqlalchemy.mapping import session_from_row, session_values
from sessionkit.errors import InvalidValue, SessionKitError
from sessionkit.lifecycle._values import replace_status
from sessionkit.model import Session
from sessionkit.model.booking import (
    BOOKING_LIFECYCLE,
    BOOKING_STATUSES,
    CONFIRMED,
    NEW,
    Booking,
)
from sessionkit.model.session import MAX_NAME_LENGTH
from sessionkit.testing.strategies import bookings, sessions

metadata = st.dictionaries(
    st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=8), max_size=3
)


def fields(value: object) -> dict[str, Any]:
    """Every field, ``metadata`` as a plain dict: equality skips it."""
    found = attrs.asdict(value, recurse=False)  # type: ignore[arg-type]
    found["metadata"] = dict(found["metadata"])
    return found


@st.composite
def stored_bookings(draw: st.DrawFn) -> Booking:
    session = draw(sessions(taking_bookings=True))
    booking = draw(bookings(session))
    return attrs.evolve(booking, metadata=draw(metadata))


@given(stored_bookings(), st.sampled_from(sorted(BOOKING_STATUSES)))
def test_status_copy_is_the_constructors(booking: Booking, status: str) -> None:
    copied = replace_status(booking, "status", status)
    built = attrs.evolve(booking, status=status)
    assert type(copied) is Booking
    assert fields(copied) == fields(built)
    assert copied == built
    assert hash(copied) == hash(built)
    assert fields(booking)["status"] != status or copied == booking  # the original is unchanged


@given(stored_bookings())
def test_unchecked_new_booking_is_new(booking: Booking) -> None:
    asked: dict[str, Any] = {
        "id": booking.id,
        "tenant": booking.tenant,
        "session_id": booking.session_id,
        "participant": booking.participant,
        "session_start": booking.session_start,
        "session_end": booking.session_end,
        "created_at": booking.created_at,
        "created_by": booking.created_by,
        "role": booking.role,
        "seats": booking.seats,
        "idempotency_key": booking.idempotency_key,
        "fingerprint": booking.fingerprint,
        "metadata": dict(booking.metadata),
    }
    unchecked = Booking.unchecked(**asked)
    assert fields(unchecked) == fields(Booking.new(**asked))
    assert unchecked.status == NEW
    with pytest.raises(TypeError):
        unchecked.metadata["added"] = 1  # type: ignore[index]  # read-only, as new() makes it


@given(sessions(), metadata)
def test_session_read_back_is_the_session_written(session: Session, extra: dict[str, Any]) -> None:
    written = attrs.evolve(session, metadata=extra)
    read = session_from_row(session_values(written))
    assert type(read) is Session
    assert fields(read) == fields(written)
    assert read == written
    with pytest.raises(TypeError):
        read.metadata["added"] = 1  # type: ignore[index]


NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def booking() -> Booking:
    return Booking.new(
        id="b1",
        tenant="acme",
        session_id="s1",
        participant="student:ana",
        session_start=NOW,
        session_end=NOW + timedelta(hours=1),
        created_at=NOW,
        metadata={"note": "x"},
    )


def test_a_fired_booking_keeps_every_other_field() -> None:
    held, _ = BOOKING_LIFECYCLE.fire(
        booking().holding(until=NOW + timedelta(minutes=5)), "hold", now=NOW
    )
    confirmed, change = BOOKING_LIFECYCLE.fire(held, "confirm", now=NOW)
    assert (change.from_status, change.to_status) == ("HELD", CONFIRMED)
    assert fields(confirmed) == {**fields(held), "status": CONFIRMED}


@pytest.mark.parametrize(
    "status",
    ["x" * (MAX_NAME_LENGTH + 1), "held\x00", "", 7, [1]],
    ids=["long", "nul", "empty", "int", "unhashable"],
)
def test_a_status_the_constructor_refuses_is_refused(status: Any) -> None:
    if status == "":
        # The constructor takes an empty status (the lifecycle never sets one): so does the copy.
        assert replace_status(booking(), "status", status).status == ""
        return
    with pytest.raises(SessionKitError) as refused:
        replace_status(booking(), "status", status)
    with pytest.raises(SessionKitError) as built:
        attrs.evolve(booking(), status=status)
    assert type(refused.value) is type(built.value)
    assert str(refused.value) == str(built.value)


def test_another_field_takes_the_constructor() -> None:
    moved = replace_status(booking(), "role", "student")
    assert moved.role == "student"
    with pytest.raises(InvalidValue):
        replace_status(booking(), "role", "x" * (MAX_NAME_LENGTH + 1))


@attrs.frozen(slots=True, kw_only=True)
class TaggedBooking(Booking):
    tag: str = "plain"


def test_a_subclass_is_copied_by_its_constructor() -> None:
    tagged = TaggedBooking(**{**fields(booking()), "tag": "vip"})
    copied = replace_status(tagged, "status", CONFIRMED)
    assert type(copied) is TaggedBooking
    assert (copied.status, copied.tag) == (CONFIRMED, "vip")
