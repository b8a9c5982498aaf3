"""A session posted without a lifecycle or a series is told, in the body's terms, what to send.

``POST /sessions`` with only ``start`` and ``end`` (the first request a new user
writes) was a 422 whose detail read "an extra session without a series needs a
lifecycle name": the core's word for a session outside a schedule, naming no
member of the body. It now names the members, ``"series_id"`` and
``"lifecycle"``; ``expected`` still lists the kit's lifecycles.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import problem


def test_a_session_without_lifecycle_or_series_names_the_members_to_send(
    client: TestClient,
) -> None:
    span = {"start": "2026-03-03T10:00:00+01:00", "end": "2026-03-03T11:00:00+01:00"}
    for url, body in [
        ("/v1/sessions", span),
        ("/v1/bookings", {"participant": "student:ann", "session": span}),  # drafted by staff
    ]:
        refused = problem(client.post(url, json=body), 422, "InvalidValue")
        assert refused["detail"] == 'a session without a "series_id" needs a "lifecycle"'
        assert "lms" in refused["expected"].split(", ")
    assert client.get("/v1/sessions").json()["items"] == []
