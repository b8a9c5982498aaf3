"""A booking's ``position`` in the OpenAPI document says what the responses carry in it."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from sessionkit.testing.clocks import ManualClock

from .conftest import NOW, posted_session


def test_a_booking_keeps_its_waitlist_position_once_confirmed_as_the_schema_says(
    client: TestClient, clock: ManualClock
) -> None:
    session_id = posted_session(client, NOW + timedelta(days=1))
    url = f"/v1/sessions/{session_id}/bookings"
    held = client.post(url, json={"participant": "student:ann"}).json()
    waiting = client.post(url, json={"participant": "student:bob", "waitlist": True}).json()
    assert (held["position"], waiting["status"], waiting["position"]) == (None, "WAITLISTED", 1)
    clock.advance(timedelta(hours=1))  # ann's hold ran out: bob is offered her seat
    confirmed = client.post(f"/v1/bookings/{waiting['id']}/confirm").json()
    assert (confirmed["status"], confirmed["position"]) == ("CONFIRMED", 1)

    # It said "The place in the waitlist, if waitlisted.": a client read a confirmed
    # booking's position 1 as a place still in the queue.
    schema = client.app.openapi()["components"]["schemas"]["BookingOut"]  # type: ignore[attr-defined]
    described = schema["properties"]["position"]["description"]
    assert "Kept once it is offered seats, confirmed, cancelled or expired" in described
    assert "null for a booking never waitlisted" in described


def test_a_waitlist_number_left_free_is_not_given_again_as_the_schema_says(
    client: TestClient,
) -> None:
    # It said "1: first in line": a place taken after one that left is first in line at 2.
    session_id = posted_session(client, NOW + timedelta(days=1))
    url = f"/v1/sessions/{session_id}/bookings"
    client.post(url, json={"participant": "student:ann"})
    bob = client.post(url, json={"participant": "student:bob", "waitlist": True}).json()
    assert client.post(f"/v1/bookings/{bob['id']}/cancel", json={}).status_code == 200
    cai = client.post(url, json={"participant": "student:cai", "waitlist": True}).json()
    assert (cai["status"], cai["position"]) == ("WAITLISTED", 2)  # first in line all the same
    schema = client.app.openapi()["components"]["schemas"]["BookingOut"]  # type: ignore[attr-defined]
    described = schema["properties"]["position"]["description"]
    assert "the numbers of places that left are not given again" in described
