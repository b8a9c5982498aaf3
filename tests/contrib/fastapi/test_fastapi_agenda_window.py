"""``GET /agenda``'s window is held to what ``/bookable``'s and the booking lists' are held to.

docs/fastapi.md gives ``/agenda`` and ``/bookable`` the same window, sessions starting
in [``start``, ``end``), both required; ``/bookings`` bounds its starts alike. The
booking reads refuse an ``end`` not after its ``start`` (``InvalidTimeSpan``), while
``/agenda`` answered ``start == end`` with an empty 200 (and a backwards window with
another problem, ``InvalidWindow``): a client that sent the same instant twice read "no
sessions" on one route and its mistake on the other. Each now answers the same 422.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from .conftest import NOW, problem

AT = "2026-03-03T10:00:00+00:00"
EARLIER = "2026-03-03T09:00:00+00:00"
READS = [
    ("/v1/agenda", {"resource": "tutor:tina"}),
    ("/v1/bookable", {}),
    ("/v1/bookings", {}),
]


@pytest.mark.parametrize(("path", "params"), READS)
@pytest.mark.parametrize("end", [AT, EARLIER], ids=["empty", "backwards"])
def test_an_end_not_after_the_start_is_the_same_422_on_every_window(
    client: TestClient, path: str, params: dict[str, str], end: str
) -> None:
    body = problem(
        client.get(path, params={**params, "start": AT, "end": end}), 422, "InvalidTimeSpan"
    )
    assert body["detail"] == f"the end must be after the start, got start={AT} end={end}"
    assert (body["start"], body["end"], body["expected"]) == (AT, end, "end strictly after start")


def test_the_shortest_agenda_window_lists_the_session_starting_in_it(client: TestClient) -> None:
    start = NOW + timedelta(days=1)
    made = client.post(
        "/v1/sessions",
        json={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "lifecycle": "lms",
            "resources": ["tutor:tina"],
        },
    )
    assert made.status_code == 201, made.text
    window = {"start": start.isoformat(), "end": (start + timedelta(microseconds=1)).isoformat()}
    listed = client.get("/v1/agenda", params={"resource": "tutor:tina", **window})
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()] == [made.json()["id"]]
