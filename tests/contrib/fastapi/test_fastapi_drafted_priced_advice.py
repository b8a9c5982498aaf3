"""A seat of a priced session a booking drafted is advised to ``POST /paid-bookings`` alone.

The drafted session was never stored, so it has no id to put in
``POST /sessions/{session_id}/paid-bookings``; the problem named that route
beside ``POST /paid-bookings``, where docs/fastapi.md says "book a priced draft
with ``POST /paid-bookings``". A stored priced session keeps both routes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from starlette.testclient import TestClient

from sessionkit.contrib.fastapi import problem_body
from sessionkit.errors import PaymentRequired
from sessionkit.services import SessionKit

from .conftest import NOW, problem

BOTH = "POST /sessions/{session_id}/paid-bookings or POST /paid-bookings"
DRAFTED = "the drafted session is priced: a seat in it is taken by paying, so book it with "


def test_a_drafted_priced_session_is_advised_the_route_that_drafts_it() -> None:
    body = problem_body(PaymentRequired.at_once(None))
    assert body["detail"] == DRAFTED + "POST /paid-bookings"
    assert body["reason"] == "a seat in it is taken by paying, so book it with POST /paid-bookings"
    staff = problem_body(PaymentRequired.at_once(None, waitlist=True), staff=True)
    assert staff["detail"] == (
        "the drafted session is priced and has room for the seats asked for, so"
        ' "waitlist": true would take them, not queue: a seat in it is taken by paying, so'
        ' book it with POST /paid-bookings ("manual": true, "confirm": true for money the'
        " host collects itself)"
    )
    stored = problem_body(PaymentRequired.at_once("s9"))
    assert BOTH in stored["detail"]
    assert BOTH in stored["reason"]


def test_post_bookings_of_a_priced_draft_names_post_paid_bookings(
    client_for: Callable[[SessionKit], TestClient], paid_kit: SessionKit
) -> None:
    start = NOW + timedelta(days=2)
    session = {
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "lifecycle": "lms",
        "resources": ["tutor:tina"],
    }
    answer = client_for(paid_kit).post(
        "/v1/bookings", json={"participant": "student:ann", "session": session}
    )
    refused = problem(answer, 402, "PaymentRequired")
    assert refused["session_id"] is None
    assert refused["detail"].startswith(DRAFTED + "POST /paid-bookings")
    assert "{session_id}" not in refused["detail"]
    assert "{session_id}" not in refused["reason"]
