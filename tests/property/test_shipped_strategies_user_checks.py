"""What a new user following docs/testing.md met: drawn values the kit refuses, poor shrinking."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import find, settings
from hypothesis import strategies as st

from sessionkit.errors import InvalidValue
from sessionkit.testing import strategies as sks
from sessionkit.testing.harness import Harness


@pytest.mark.parametrize("role", [" student", "client ", "coach\u00a0", "host\t"])
def test_a_role_with_surrounding_whitespace_is_refused_as_book_refuses_it(role: str) -> None:
    # Drawn, such a role made bookings the kit never makes: book() refuses it (no rule
    # names it), so a user's rule was checked on a state no command leaves.
    session = find(sks.sessions(taking_bookings=True, generated=False), lambda _: True)
    h = Harness.in_memory(session.created_at)
    with h.kit.context.transaction() as tx:
        tx.sessions.add(session)
    with pytest.raises(InvalidValue, match="whitespace"):
        h.kit.bookings.book("acme", session.id, "student:ana", actor=None, role=role)
    with pytest.raises(InvalidValue, match=r"booked_sessions\(roles=.*whitespace") as built:
        sks.booked_sessions(roles=["student", role])
    assert built.value.value == role
    with pytest.raises(InvalidValue, match=r"bookings\(roles=.*whitespace"):
        sks.bookings(session, roles=[role])


def test_recurrences_shrink_to_a_start_on_the_first_day_not_a_leap_day() -> None:
    # One start day in eight is a Feb 29, drawn with fewer choices than the uniform day: as
    # Hypothesis takes fewer choices for simpler, every failing example shrank to a leap day
    # (2004-02-29 00:15), whatever the failure had to do with one.
    drawn = sks.recurrences(
        with_exdates=False, zones=st.just(ZoneInfo("UTC")), rule_strategy=st.just("FREQ=DAILY")
    )
    simplest = find(drawn, lambda _: True, settings=settings(database=None, derandomize=True))
    assert simplest.start == datetime(2000, 1, 1)


def test_building_sessions_and_bookings_decorates_no_composite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # st.composite reads the decorated function's source (some 13 ms for sessions()'s);
    # booked_sessions() builds sessions() for every example, and the docs' example failed
    # Hypothesis's too_slow health check on a loaded machine.
    session = find(sks.sessions(taking_bookings=True), lambda _: True)
    decorated: list[object] = []
    composite = st.composite

    def counted(function: Any) -> Any:
        decorated.append(function)
        return composite(function)

    monkeypatch.setattr(st, "composite", counted)
    sks.sessions()
    sks.bookings(session)
    assert decorated == []
