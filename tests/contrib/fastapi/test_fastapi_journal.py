"""``GET /sessions/{id}/journal`` and ``GET /journal``: audit trails for staff, in pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi.paging import journal_cursor
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from .conftest import NOW, RULES, ClientFor, posted_session


@pytest.fixture
def journaled(serve: ClientFor) -> tuple[SessionKit, TestClient]:
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(NOW),
        booking_rules=RULES,
        journal=True,
    )
    return kit, serve(kit)


def test_staff_read_a_sessions_journal_in_pages(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    kit, client = journaled
    start = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        "acme",
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
        capacity=3,
    )
    booking = kit.bookings.book("acme", session.id, "student:ana", actor="ana", confirm=True)
    kit.bookings.cancel("acme", booking.id, actor="ana", reason="sick")
    url = f"/v1/sessions/{session.id}/journal"
    first = client.get(url, params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["event"] for e in page["items"]] == ["SessionCreated", "BookingConfirmed"]
    assert page["items"][1]["details"] == {"participant": "student:ana", "seats": 1}
    assert page["limit"] == 2
    rest = client.get(url, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [(e["event"], e["actor"], e["status"], e["reason"]) for e in rest["items"]] == [
        ("BookingCancelled", "ana", "CANCELLED", "sick")
    ]
    assert rest["next_cursor"] is None
    bad = client.get(url, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"] == "InvalidValue"
    student = client.get(url, headers={"X-Roles": "student", "X-Participant": "student:ana"})
    assert student.status_code == 403, student.text
    assert student.json()["error"] == "RoleNotGranted"


def test_the_journal_of_a_session_there_is_not_is_a_404(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    kit, client = journaled
    session = lesson(kit)
    unknown = client.get("/v1/sessions/nope/journal")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "SessionNotFound"), unknown.text
    assert unknown.headers["content-type"] == "application/problem+json"
    # Another tenant's session is answered as one that does not exist, to the letter,
    # and as the session's own route answers it.
    url = f"/v1/sessions/{session.id}"
    theirs = client.get(f"{url}/journal", headers={"X-Tenant": "globex"})
    assert theirs.status_code == 404, theirs.text
    read = client.get(url, headers={"X-Tenant": "globex"})
    assert {**theirs.json(), "instance": None} == {**read.json(), "instance": None}
    never = client.get("/v1/sessions/nope/journal", headers={"X-Tenant": "globex"})
    assert json.loads(theirs.text.replace(session.id, "nope")) == never.json()
    assert client.head(f"{url}/journal", headers={"X-Tenant": "globex"}).status_code == 404
    # Its own tenant reads it, with a cursor past the end too.
    own = client.get(f"{url}/journal")
    assert own.status_code == 200, own.text
    [entry] = own.json()["items"]
    past = client.get(f"{url}/journal", params={"cursor": journal_cursor_of(kit, session.id)})
    assert (past.status_code, past.json()["items"]) == (200, []), past.text
    assert entry["event"] == "SessionCreated"


def test_a_deleted_sessions_history_stays_readable(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    kit, client = journaled
    session = lesson(kit)
    kit.sessions.delete("acme", session.id, actor="tina")
    url = f"/v1/sessions/{session.id}/journal"
    assert client.get(f"/v1/sessions/{session.id}").status_code == 404
    history = client.get(url)
    assert history.status_code == 200, history.text
    assert [e["event"] for e in history.json()["items"]] == ["SessionCreated", "SessionDeleted"]
    # Read on from its last entry: nothing more, and still no 404.
    past = client.get(url, params={"cursor": journal_cursor_of(kit, session.id)})
    assert (past.status_code, past.json()["items"]) == (200, []), past.text
    # Filters that match none of it: an empty page too, not a 404.
    for params in (
        {"actor": "nobody"},
        {"since": "2030-01-01T00:00:00Z"},
        {"before": "2020-01-01T00:00:00Z"},
    ):
        filtered = client.get(url, params=params)
        assert (filtered.status_code, filtered.json()["items"]) == (200, []), filtered.text


def test_a_kit_without_a_journal_answers_an_empty_page_or_a_404(client: TestClient) -> None:
    session_id = posted_session(client, NOW + timedelta(days=1))
    empty = client.get(f"/v1/sessions/{session_id}/journal")
    assert (empty.status_code, empty.json()["items"]) == (200, []), empty.text
    assert client.get("/v1/sessions/nope/journal").status_code == 404


def lesson(kit: SessionKit, *, hours: int = 0, tenant: str = "acme") -> Session:
    """A one-hour LMS lesson of ``tenant`` tomorrow, ``hours`` later."""
    start = NOW + timedelta(days=1, hours=hours)
    return kit.sessions.create_extra(
        tenant, actor="tina", start=start, end=start + timedelta(hours=1), lifecycle="lms"
    )


def journal_cursor_of(kit: SessionKit, session_id: str) -> str:
    """The cursor after the last entry of the session's history."""
    return journal_cursor(kit.journal.for_session("acme", session_id)[-1])


def test_staff_read_one_actors_entries_of_a_window_in_pages(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    kit, client = journaled
    session = lesson(kit)
    kit.sessions.update("acme", session.id, actor="tina", title="Chemistry")
    booking = kit.bookings.book("acme", session.id, "student:ana", actor="ana", confirm=True)
    kit.bookings.cancel("acme", booking.id, actor="ana", reason="sick")
    url = f"/v1/sessions/{session.id}/journal"
    first = client.get(url, params={"actor": "ana", "limit": 1})
    assert first.status_code == 200, first.text
    assert [e["event"] for e in first.json()["items"]] == ["BookingConfirmed"]
    rest = client.get(
        url, params={"actor": "ana", "limit": 1, "cursor": first.json()["next_cursor"]}
    ).json()
    assert ([e["event"] for e in rest["items"]], rest["next_cursor"]) == (
        ["BookingCancelled"],
        None,
    )
    # Every entry is at NOW (a manual clock): the window [NOW, NOW + 1 s) holds them all, and
    # one ending at NOW none, an empty page of a session that has a history: no 404.
    window = {"since": "2026-03-02T09:00:00+01:00", "before": "2026-03-02T08:00:01+00:00"}
    assert NOW.isoformat() == "2026-03-02T08:00:00+00:00"
    found = client.get(url, params={**window, "actor": "tina"}).json()["items"]
    assert [(e["event"], e["actor"]) for e in found] == [
        ("SessionCreated", "tina"),
        ("SessionUpdated", "tina"),
    ]
    none = client.get(url, params={"before": "2026-03-02T08:00:00Z"})
    assert (none.status_code, none.json()["items"]) == (200, []), none.text
    nobody = client.get(url, params={"actor": "Ana"})
    assert (nobody.status_code, nobody.json()["items"]) == (200, []), nobody.text
    assert client.get("/v1/sessions/nope/journal", params={"actor": "ana"}).status_code == 404


@pytest.mark.parametrize("tenant_wide", [False, True])
@pytest.mark.parametrize(
    ("params", "error", "named"),
    [
        ({"since": "2026-03-02T08:00:00"}, "NaiveDatetime", "since"),
        ({"before": "tomorrow"}, "NotADatetime", "before"),
        (
            {"since": "2026-03-02T08:00:00Z", "before": "2026-03-02T07:00:00Z"},
            "InvalidWindow",
            "before 2026-03-02T07:00:00+00:00 is before since",
        ),
        ({"actor": "a" * 256}, "InvalidValue", "actor"),
        ({"cursor": "not-a-cursor"}, "InvalidValue", "cursor"),
    ],
)
def test_the_journals_filters_are_checked_over_http(
    journaled: tuple[SessionKit, TestClient],
    tenant_wide: bool,
    params: dict[str, str],
    error: str,
    named: str,
) -> None:
    kit, client = journaled
    url = "/v1/journal" if tenant_wide else f"/v1/sessions/{lesson(kit).id}/journal"
    refused = client.get(url, params=params)
    assert (refused.status_code, refused.json()["error"]) == (422, error), refused.text
    assert named in refused.json()["detail"]


def test_the_journals_filters_are_in_the_openapi_document(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    _, client = journaled
    operation = client.get("/openapi.json").json()["paths"]["/v1/sessions/{session_id}/journal"]
    parameters = {p["name"]: p for p in operation["get"]["parameters"]}
    assert {"actor", "since", "before", "limit", "cursor"} <= set(parameters)
    assert all(parameters[name]["in"] == "query" for name in ("actor", "since", "before"))
    assert parameters["since"]["description"] == (
        "only the entries at or after this instant (ISO 8601 with offset)"
    )
    assert parameters["before"]["description"] == (
        "only the entries before this instant (ISO 8601 with offset)"
    )


def test_staff_read_the_tenants_journal_by_actor_and_window_in_pages(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    """``GET /journal``: every session's entries, one actor's or a window's, staff only."""
    kit, client = journaled
    first, second = lesson(kit), lesson(kit, hours=2)
    booking = kit.bookings.book("acme", first.id, "student:ana", actor="ana", confirm=True)
    kit.sessions.cancel("acme", second.id, actor="tina", reason="ill")
    kit.bookings.cancel("acme", booking.id, actor="ana", reason="sick")
    lesson(kit, tenant="globex")
    everything = client.get("/v1/journal").json()
    assert [(e["event"], e["session_id"]) for e in everything["items"]] == [
        ("SessionCreated", first.id),
        ("SessionCreated", second.id),
        ("BookingConfirmed", first.id),
        ("SessionCanceled", second.id),
        ("BookingCancelled", first.id),
    ]
    assert everything["next_cursor"] is None
    page = client.get("/v1/journal", params={"actor": "tina", "limit": 2}).json()
    assert [e["event"] for e in page["items"]] == ["SessionCreated", "SessionCreated"]
    rest = client.get(
        "/v1/journal", params={"actor": "tina", "limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert ([e["event"] for e in rest["items"]], rest["next_cursor"]) == (["SessionCanceled"], None)
    # Every entry is at NOW (a manual clock): [NOW, NOW + 1 s) holds them, one ending at NOW none.
    window = {"since": "2026-03-02T09:00:00+01:00", "before": "2026-03-02T08:00:01+00:00"}
    assert len(client.get("/v1/journal", params=window).json()["items"]) == 5
    none = client.get("/v1/journal", params={"before": "2026-03-02T08:00:00Z"})
    assert (none.status_code, none.json()["items"]) == (200, []), none.text
    assert client.get("/v1/journal", params={"actor": "Ana"}).json()["items"] == []
    theirs = client.get("/v1/journal", headers={"X-Tenant": "globex"}).json()["items"]
    assert [(e["event"], e["actor"]) for e in theirs] == [("SessionCreated", "tina")]
    student = client.get(
        "/v1/journal", headers={"X-Roles": "student", "X-Participant": "student:ana"}
    )
    assert (student.status_code, student.json()["error"]) == (403, "RoleNotGranted"), student.text
