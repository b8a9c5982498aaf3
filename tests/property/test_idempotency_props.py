"""Idempotency keys against an oracle: a key sent again replays only the very same request.

Two booking requests are drawn from a small space (so they often agree) and
sent with one key. The oracle: the second returns the first's booking, and
writes nothing, exactly when every field of what is asked (participant,
seats, role, confirm, waitlist, hold, metadata, compared whatever the order
of the metadata's keys) is the same; otherwise ``IdempotencyKeyReused``
naming the first booking. The acting role is who asks, and never counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionkit.errors import IdempotencyKeyReused
from sessionkit.policies import BookingRules
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15))

metadata = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.one_of(
        st.integers(0, 1), st.sampled_from(["x", "y"]), st.lists(st.integers(0, 1), max_size=2)
    ),
    max_size=3,
)
requests = st.fixed_dictionaries(
    {
        "participant": st.sampled_from(["student:ana", "student:ben"]),
        "seats": st.integers(1, 2),
        "role": st.sampled_from(["attendee", "student"]),
        "confirm": st.booleans(),
        "waitlist": st.booleans(),
        "hold_for": st.sampled_from([None, timedelta(minutes=5), timedelta(minutes=10)]),
        "metadata": st.one_of(st.none(), metadata),
    }
)


def _asked(request: dict[str, Any]) -> dict[str, Any]:
    """What a request asks for, as the oracle compares it: no metadata is empty metadata."""
    return {**request, "metadata": dict(request["metadata"] or {})}


@given(first=requests, second=requests, acting=st.sampled_from([None, "attendee", "student"]))
def test_a_key_replays_the_same_request_and_refuses_any_other(
    first: dict[str, Any], second: dict[str, Any], acting: str | None
) -> None:
    h = Harness.in_memory(NOW, booking_rules=RULES)
    session = h.kit.sessions.create_extra(
        T,
        actor=None,
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, hours=1),
        lifecycle="lms",
        capacity=3,
    )
    made = h.kit.bookings.book(T, session.id, actor=None, idempotency_key="k", **first)
    events = len(h.events.events)
    same = _asked(first) == _asked(second)
    if same:
        again = h.kit.bookings.book(
            T, session.id, actor=None, idempotency_key="k", acting_role=acting, **second
        )
        assert again == made
    else:
        with pytest.raises(IdempotencyKeyReused) as caught:
            h.kit.bookings.book(
                T, session.id, actor=None, idempotency_key="k", acting_role=acting, **second
            )
        assert (caught.value.key, caught.value.booking_id) == ("k", made.id)
    assert len(h.events.events) == events
    assert h.kit.bookings.for_session(T, session.id) == [made]
