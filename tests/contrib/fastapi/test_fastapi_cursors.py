"""A tampered keyset cursor is refused as no cursor, on every list that pages by one.

A client holds a cursor as opaque text: a forged one whose values the services
would refuse (a naive instant, one out of range, an id too long, a position or
seq no store keeps) is "not a cursor from a previous page", and the problem
names neither the services' ``after`` argument nor Python's ``tzinfo``.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.contrib.fastapi.paging import (
    read_journal_cursor,
    read_session_order_cursor,
    read_start_cursor,
)
from sessionkit.errors import InvalidValue

from .conftest import posted_session

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PROBLEM = "application/problem+json"


def forged(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


NAIVE = "2026-03-03T10:00:00"
EARLY = "0001-01-01T00:00:00-10:00"
"""Aware, but outside the instants sessionkit schedules at."""
LATE = "9999-12-31T23:59:59-10:00"
"""Aware, but with no UTC equivalent."""
LONG_ID = "x" * 200
"""Longer than any id a store keeps (128)."""
AWARE = "2026-03-03T10:00:00+00:00"

START_CURSORS = [
    forged(NAIVE, "b1"),
    forged(EARLY, "b1"),
    forged(LATE, "b1"),
    forged(AWARE, LONG_ID),
    forged(AWARE, ""),
]
"""Forged ``(session_start, id)`` cursors: a participant's bookings, the payments."""
ORDER_CURSORS = [
    forged(None, NAIVE, "b1"),
    forged(None, EARLY, "b1"),
    forged(2**40, AWARE, "b1"),
    forged(-1, AWARE, "b1"),
    forged(None, AWARE, LONG_ID),
]
"""Forged ``(position, created_at, id)`` cursors: a session's bookings."""
JOURNAL_CURSORS = [
    forged(NAIVE, 1, "j1"),
    forged(EARLY, 1, "j1"),
    forged(AWARE, 2**70, "j1"),
    forged(AWARE, -1, "j1"),
    forged(AWARE, 1, LONG_ID),
]
"""Forged ``(at, seq, id)`` cursors: a session's journal."""


def refused_as_no_cursor(response: Any, cursor: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["error"]) == (422, "InvalidValue")
    assert body["detail"].startswith("not a cursor from a previous page: ")
    assert body["value"] == cursor
    assert body["expected"] == "the next_cursor of a previous page"
    assert "after" not in body["detail"]
    assert "tzinfo" not in body["detail"]


@pytest.fixture
def session_id(client: TestClient) -> str:
    return posted_session(client, NOW + timedelta(days=1))


@pytest.mark.parametrize("cursor", START_CURSORS)
def test_a_forged_start_cursor_is_no_cursor(
    client: TestClient, session_id: str, cursor: str
) -> None:
    for path in ("/v1/participants/student:ann/bookings", "/v1/payments"):
        refused_as_no_cursor(client.get(path, params={"cursor": cursor}), cursor)
    with pytest.raises(InvalidValue, match="not a cursor"):
        read_start_cursor(cursor)


@pytest.mark.parametrize("cursor", ORDER_CURSORS)
def test_a_forged_session_order_cursor_is_no_cursor(
    client: TestClient, session_id: str, cursor: str
) -> None:
    answer = client.get(f"/v1/sessions/{session_id}/bookings", params={"cursor": cursor})
    refused_as_no_cursor(answer, cursor)
    with pytest.raises(InvalidValue, match="not a cursor"):
        read_session_order_cursor(cursor)


@pytest.mark.parametrize("cursor", JOURNAL_CURSORS)
def test_a_forged_journal_cursor_is_no_cursor(
    client: TestClient, session_id: str, cursor: str
) -> None:
    answer = client.get(f"/v1/sessions/{session_id}/journal", params={"cursor": cursor})
    refused_as_no_cursor(answer, cursor)
    with pytest.raises(InvalidValue, match="not a cursor"):
        read_journal_cursor(cursor)


def test_a_cursor_from_a_page_still_reads(client: TestClient) -> None:
    # The checks take what the lists hand out: every page of ann's bookings is reached.
    ids = []
    for day in range(1, 4):
        session_id = posted_session(client, NOW + timedelta(days=day))
        booked = client.post(
            f"/v1/sessions/{session_id}/bookings", json={"participant": "student:ann"}
        )
        ids.append(booked.json()["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1} if cursor is None else {"limit": 1, "cursor": cursor}
        page = client.get("/v1/participants/student:ann/bookings", params=params).json()
        seen += [b["id"] for b in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
