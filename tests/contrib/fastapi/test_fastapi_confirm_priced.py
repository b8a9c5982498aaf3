"""``"confirm": true`` with ``"waitlist": true`` on a priced session: 402, naming both ways on.

It was the 402 of a seat asked for without paying, whose advice ended "POST
/sessions/{session_id}/bookings or POST /bookings only joins its waitlist":
the request had asked to join it. The problem now says no seat of it is
confirmed at once, and how the waitlist is joined (``"confirm": false``), in
its ``detail`` and in its ``reason``.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from .conftest import NOW, posted_session, problem

PAY = (
    "a seat in it is taken by paying, so book it with POST /sessions/{session_id}/paid-bookings "
    'or POST /paid-bookings ("manual": true, "confirm": true for money the host collects '
    "itself); "
)


def test_confirm_with_waitlist_on_a_full_priced_session_names_the_waitlist(
    paid_client: TestClient,
) -> None:
    session_id = posted_session(paid_client, NOW + timedelta(days=2), capacity=1)
    paid = paid_client.post(
        f"/v1/sessions/{session_id}/paid-bookings", json={"participant": "student:ben"}
    )
    assert paid.status_code == 201, paid.text
    url = f"/v1/sessions/{session_id}/bookings"
    asked = {"participant": "student:ann", "confirm": True, "waitlist": True}
    body = problem(paid_client.post(url, json=asked), 402, "PaymentRequired")
    reason = (
        f"{PAY}POST /sessions/{{session_id}}/bookings or POST /bookings confirms none at once, "
        'even with "waitlist": true, and joins its waitlist with "waitlist": true and '
        '"confirm": false (it queues only when the session has no room for the seats)'
    )
    assert body["detail"] == f"session {session_id!r} is priced: {reason}"
    assert body["reason"] == reason
    assert (body["session_id"], body["payment_status"], body["booking_id"]) == (
        session_id,
        "missing",
        None,
    )
    # The advice, followed: without "confirm", the full session queues the request.
    queued = paid_client.post(url, json={**asked, "confirm": False})
    assert queued.status_code == 201, queued.text
    assert (queued.json()["status"], queued.json()["position"]) == ("WAITLISTED", 1)
