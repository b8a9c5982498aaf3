"""Review of the shipped strategies' reprs and booking ids (reviewA)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from sessionkit.lifecycle import presets
from sessionkit.testing import strategies as sks

_STEADY = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=10, database=None
)
_FIVE = [presets.lms, presets.academy, presets.consulting, presets.coaching, presets.marketplace]


def _empty_seats(booked: sks.BookedSession) -> int:
    return 100 // (booked.remaining - booked.remaining)  # a user's bug: always divides by zero


def test_booked_sessions_of_lifecycles_given_fail_as_themselves_in_a_short_note() -> None:
    # booked_sessions() showed its lifecycles in full (18 kB for these five), as sessions()
    # did before 3df4337f: a user's lifecycles pass the 30 kB at which Hypothesis warns.
    @_STEADY
    @given(sks.booked_sessions(lifecycles=_FIVE, max_bookings=2).map(_empty_seats))
    def test_seats(seats: int) -> None:
        assert seats >= 0

    with pytest.raises(ZeroDivisionError) as failed:
        test_seats()
    notes = "".join(getattr(failed.value, "__notes__", []))
    assert "while generating 'seats' from" in notes
    assert "lifecycles=['lms', 'academy', 'consulting', 'coaching', 'marketplace']" in notes
    assert len(notes) < 5_000
