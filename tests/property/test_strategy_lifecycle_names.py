"""``bookings(lifecycle=)`` and ``BookedSession(lifecycle=)`` take a preset's name, as the kit does.

Both took only a ``Lifecycle`` object: ``bookings(session, lifecycle="lms")`` was
``WrongType``, though ``sessions(lifecycles=["lms"])`` and every kit command take the
name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionkit.errors import InvalidValue, UnknownLifecycle, WrongType
from sessionkit.lifecycle import PRESETS
from sessionkit.model.session import Session
from sessionkit.testing import strategies as sks
from sessionkit.timespan import TimeSpan

START = datetime(2026, 5, 4, 9, tzinfo=UTC)


def _session(status: str = "SCHEDULED", *, lifecycle: str = "lms") -> Session:
    return Session(
        id="s1",
        tenant="acme",
        title="Maths",
        span=TimeSpan(START, START + timedelta(hours=1)),
        tz="Europe/Berlin",
        status=status,
        lifecycle=lifecycle,
        busy=True,
        created_at=START - timedelta(days=3),
        capacity=4,
    )


@given(st.data())
def test_bookings_take_the_sessions_preset_by_name(data: st.DataObject) -> None:
    session = _session()
    booking = data.draw(sks.bookings(session, lifecycle="lms"))
    assert (booking.session_id, booking.tenant) == ("s1", "acme")


def test_bookings_refuse_a_preset_name_of_another_lifecycle() -> None:
    with pytest.raises(InvalidValue, match=r"bookings\(lifecycle='academy'\).*'lms'") as caught:
        sks.bookings(_session(), lifecycle="academy")
    assert caught.value.value is PRESETS.get("academy")


def _by_bookings() -> object:
    return sks.bookings(_session(), lifecycle="lmz")


def _by_hand() -> object:
    return sks.BookedSession(session=_session(), bookings=(), at=START, lifecycle="lmz")


@pytest.mark.parametrize(
    ("make", "called"), [(_by_bookings, "bookings"), (_by_hand, "BookedSession")]
)
def test_an_unknown_lifecycle_name_is_refused_naming_it_and_the_option(
    make: Callable[[], object], called: str
) -> None:
    with pytest.raises(UnknownLifecycle, match="unknown lifecycle 'lmz'") as caught:
        make()
    assert caught.value.name == "lmz"
    assert "lms" in caught.value.known
    assert f"from the option {called}(lifecycle='lmz')" in caught.value.__notes__


def test_a_lifecycle_of_another_type_is_still_wrong_type() -> None:
    with pytest.raises(WrongType, match=r"bookings\(lifecycle\) must be a Lifecycle, a preset"):
        sks.bookings(_session(), lifecycle=5)  # type: ignore[arg-type]  # the bad value under test


def test_a_booked_session_made_by_hand_takes_its_preset_by_name() -> None:
    booked = sks.BookedSession(
        session=_session(), bookings=(), at=START - timedelta(days=1), lifecycle="lms"
    )
    assert booked.lifecycle is PRESETS.get("lms")
    assert (booked.taken, booked.remaining) == (0, 4)
    with pytest.raises(InvalidValue, match=r"BookedSession\(lifecycle='academy'\)"):
        sks.BookedSession(session=_session(), bookings=(), at=START, lifecycle="academy")
