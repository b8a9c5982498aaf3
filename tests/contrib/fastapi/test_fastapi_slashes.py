"""Ids and references holding a ``/`` reach every route that names them, and no path means two.

``check_id`` allows a ``/``: a participant ``user:acme.com/ann``, a series
``maths/2026``, a host's own ids (``SessionKit(ids=...)``). A client sends it in
a path as ``%2F``; a participant reference may come plain too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI, Path
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import Caller, sessionkit_router
from sessionkit.contrib.fastapi._paths import segment_path
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway
from sessionkit.testing.rooms import FakeMeetingRooms

from .conftest import (
    HOURLY,
    NOW,
    RULES,
    ClientFor,
    _Current,
    caller,
    make_app,
    with_session_ids,
)

PROBLEM = "application/problem+json"
ANN = "user:acme.com/ann"
ANN_HEADERS = {"X-Actor": "ann", "X-Roles": "student,attendee,participant", "X-Participant": ANN}
TEACHER = {"X-Actor": "tina", "X-Roles": "teacher,admin", "X-Participant": "teacher:tina"}
SERIES = {
    "title": "Maths",
    "lifecycle": "lms",
    "series_id": "maths/2026",
    "items": [
        {
            "id": "mo",
            "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
            "start": "2026-03-09T18:00:00",
            "tz": "Europe/Berlin",
            "duration_minutes": 60,
        }
    ],
}


def encoded(value: str) -> str:
    """``value`` as a path segment: its ``/`` (and ``%``) percent-encoded."""
    return quote(value, safe=":")


def slashed_ids() -> Callable[[], str]:
    """A kit's id maker whose every id holds a ``/``."""
    counter = itertools.count(1)
    return lambda: f"acme/{next(counter)}"


def iso(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    return body


@pytest.fixture
def slashed(client_for: ClientFor, clock: ManualClock) -> TestClient:
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        rooms=FakeMeetingRooms(),
        ids=slashed_ids(),
    )
    return client_for(kit)


def test_a_session_booking_and_participant_with_a_slash_reach_every_route(
    slashed: TestClient,
) -> None:
    client = slashed
    lesson = {"start": iso(48), "end": iso(49), "lifecycle": "lms", "resources": [ANN]}
    sid = ok(client.post("/v1/sessions", json=lesson), 201)["id"]
    assert "/" in sid
    url = f"/v1/sessions/{encoded(sid)}"
    assert ok(client.get(url))["id"] == sid
    assert ok(client.patch(url, json={"title": "Algebra"}))["title"] == "Algebra"

    booking = ok(
        client.post(f"{url}/bookings", json={"participant": ANN}, headers=ANN_HEADERS), 201
    )
    bid = booking["id"]
    assert "/" in bid
    assert booking["session_id"] == sid
    assert [b["id"] for b in ok(client.get(f"{url}/bookings"))["items"]] == [bid]
    burl = f"/v1/bookings/{encoded(bid)}"
    assert ok(client.get(burl, headers=ANN_HEADERS))["id"] == bid
    assert ok(client.post(f"{burl}/confirm", headers=ANN_HEADERS))["status"] == "CONFIRMED"
    assert ok(client.get(f"{burl}/payments", headers=ANN_HEADERS)) == []
    for participant in (encoded(ANN), ANN):  # a reference may come plain, too
        mine = ok(client.get(f"/v1/participants/{participant}/bookings", headers=ANN_HEADERS))
        assert [b["id"] for b in mine["items"]] == [bid]

    for participant in (encoded(ANN), ANN):
        report = client.put(
            f"{url}/attendance/{participant}", json={"status": "absent"}, headers=TEACHER
        )
        assert (ok(report)["session_id"], ok(report)["participant"]) == (sid, ANN)
        assert [a["participant"] for a in ok(client.get(f"{url}/attendance"))] == [ANN]
        cleared = client.delete(f"{url}/attendance/{participant}", headers=TEACHER)
        assert ok(cleared) == {"cleared": True}

    options = client.get(f"{url}/options", params={"role": "student"}, headers=ANN_HEADERS)
    assert ok(options)["refund_percent"] == "100"
    joined = client.post(f"{url}/join", headers=ANN_HEADERS)
    assert problem(joined, 409, "JoinRefused")["rule"] == "not_joinable"  # SCHEDULED: not yet

    asked = {"role": "student", "reason": "an exam that morning", "proposed_start": iso(72)}
    request = ok(client.post(f"{url}/reschedules", json=asked, headers=ANN_HEADERS), 201)
    rid = request["id"]
    assert "/" in rid
    assert request["session_id"] == sid
    assert [r["id"] for r in ok(client.get(f"{url}/reschedules"))] == [rid]
    rurl = f"/v1/reschedules/{encoded(rid)}"
    assert ok(client.get(rurl))["id"] == rid
    answer = {"role": "teacher"}
    assert ok(client.post(f"{rurl}/decline", json=answer, headers=TEACHER))["status"] == "DECLINED"
    again = ok(client.post(f"{url}/reschedules", json=asked, headers=ANN_HEADERS), 201)
    withdraw = client.post(
        f"/v1/reschedules/{encoded(again['id'])}/withdraw",
        json={"role": "student"},
        headers=ANN_HEADERS,
    )
    assert ok(withdraw)["status"] == "WITHDRAWN"
    third = ok(client.post(f"{url}/reschedules", json=asked, headers=ANN_HEADERS), 201)
    approve = client.post(
        f"/v1/reschedules/{encoded(third['id'])}/approve", json=answer, headers=TEACHER
    )
    assert ok(approve)["status"] == "APPROVED"

    assert ok(client.post(f"{burl}/cancel", headers=ANN_HEADERS))["status"] == "CANCELLED"
    fired = client.post(f"{url}/transitions/cancel", json={})
    assert (ok(fired)["id"], ok(fired)["status"]) == (sid, "CANCELED")
    assert ok(client.get(url))["status"] == "CANCELED"


def test_a_session_with_a_slash_is_cancelled_and_deleted_by_its_own_routes(
    slashed: TestClient,
) -> None:
    body = {"start": iso(48), "end": iso(49), "lifecycle": "lms"}
    cancelled_id, deleted_id = (
        ok(slashed.post("/v1/sessions", json=body), 201)["id"] for _ in "ab"
    )
    cancelled = ok(slashed.post(f"/v1/sessions/{encoded(cancelled_id)}/cancel", json={}))
    assert (cancelled["id"], cancelled["status"]) == (cancelled_id, "CANCELED")
    url = f"/v1/sessions/{encoded(deleted_id)}"
    assert ok(slashed.delete(url))["id"] == deleted_id
    assert problem(slashed.get(url), 404, "SessionNotFound")["session_id"] == deleted_id


def test_a_series_with_a_slash_in_its_id_is_read_and_closed(client: TestClient) -> None:
    made = ok(client.post("/v1/series", json=SERIES), 201)
    assert made.pop("skipped") == []
    assert made["id"] == "maths/2026"
    url = f"/v1/series/{encoded('maths/2026')}"
    assert ok(client.get(url)) == made
    closed = ok(client.post(f"{url}/close"))
    assert (closed["id"], closed["status"]) == ("maths/2026", "closed")
    assert problem(client.get("/v1/series/maths%2F2027"), 404, "SeriesNotFound")


def test_a_paid_booking_and_payment_with_a_slash_reach_every_route(
    client_for: ClientFor, clock: ManualClock, gateway: FakeGateway
) -> None:
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        gateway=gateway,
        pricing=HOURLY,
        ids=slashed_ids(),
    )
    client = client_for(kit)
    sid = ok(
        client.post(
            "/v1/sessions",
            json={"start": iso(72), "end": iso(73), "lifecycle": "lms", "capacity": 2},
        ),
        201,
    )["id"]
    url = f"/v1/sessions/{encoded(sid)}"
    body = {"participant": ANN, "manual": True, "confirm": True}
    checkout = ok(client.post(f"{url}/paid-bookings", json=body), 201)
    bid, pid = checkout["booking"]["id"], checkout["payment"]["id"]
    assert "/" in bid
    assert "/" in pid
    purl = f"/v1/payments/{encoded(pid)}"
    assert ok(client.get(purl))["id"] == pid
    assert [p["id"] for p in ok(client.get(f"{url}/payments"))["items"]] == [pid]
    assert [p["id"] for p in ok(client.get(f"/v1/bookings/{encoded(bid)}/payments"))] == [pid]
    ok(client.post("/v1/payments/mark-paid", json={"payment_ids": [pid]}))
    refund = client.post(f"{purl}/refunds", json={"amount": "10.00", "currency": "EUR"})
    assert (ok(refund)["id"], ok(refund)["refunded"]) == (pid, "10.00")

    held = ok(client.post(f"{url}/paid-bookings", json={"participant": "student:bob"}), 201)
    claimed = client.post(f"/v1/bookings/{encoded(held['booking']['id'])}/claim")
    # Held, not offered: claim refuses, naming the booking (its id is the error's session_id).
    assert problem(claimed, 409, "InvalidTransition")["session_id"] == held["booking"]["id"]
    done = ok(client.post(f"/v1/bookings/{encoded(bid)}/cancel-and-refund"))
    assert (done["booking"]["id"], done["payment"]["id"]) == (bid, pid)


def test_an_encoded_slash_is_part_of_the_id_and_a_plain_one_a_separator(
    client: TestClient, kit: SessionKit
) -> None:
    """Session ``a/bookings`` and session ``a``'s bookings; ``x/transitions``' cancel and
    session ``x``'s ``cancel`` transition: each path names one of them."""
    with_session_ids(kit, "a", "a/bookings", "x", "x/transitions", "50%/off")
    assert ok(client.get("/v1/sessions/a%2Fbookings"))["id"] == "a/bookings"
    assert ok(client.get("/v1/sessions/a/bookings"))["items"] == []  # session a's bookings
    assert ok(client.get("/v1/sessions/a%2Fbookings/bookings"))["items"] == []
    assert ok(client.get("/v1/sessions/50%25%2Foff"))["id"] == "50%/off"

    cancelled = ok(client.post("/v1/sessions/x%2Ftransitions/cancel", json={}))
    assert (cancelled["id"], cancelled["status"]) == ("x/transitions", "CANCELED")
    assert ok(client.get("/v1/sessions/x"))["status"] == "SCHEDULED"
    fired = ok(client.post("/v1/sessions/x/transitions/cancel", json={}))
    assert (fired["id"], fired["status"]) == ("x", "CANCELED")

    unrouted = client.get("/v1/sessions/a/bookings/more")  # no route: a plain / separates
    assert (unrouted.status_code, unrouted.json()) == (404, {"detail": "Not Found"})


def test_a_mounted_app_reaches_ids_with_a_slash(kit: SessionKit, serve: ClientFor) -> None:
    kit.sessions.create_extra(
        "acme",
        actor="t",
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, hours=1),
        lifecycle="lms",
        session_id="a/b",
    )
    api = serve(kit).app  # make_app's, shared: building one per test is slow
    outer = Starlette(routes=[Mount("/api", app=api)])
    with TestClient(outer) as client:
        assert ok(client.get("/api/v1/sessions/a%2Fb"))["id"] == "a/b"


def org_caller(org: Annotated[str, Path()]) -> Caller:
    """A host whose tenant is a parameter of the prefix it includes the router under."""
    return Caller(org, actor="t", roles={"admin"})


@pytest.mark.parametrize("org", ["50%", "acme/eu", "caf\xe9"])
def test_the_hosts_own_prefix_parameter_is_decoded_once(kit: SessionKit, org: str) -> None:
    # A tenant read from the prefix (/orgs/{org}/v1) was handed over still encoded ("50%25",
    # "acme%2Feu"): the caller saw another tenant than the one the client named.
    kit.sessions.create_extra(
        org,
        actor="t",
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, hours=1),
        lifecycle="lms",
        session_id="a/b",
    )
    app = FastAPI()
    app.include_router(
        sessionkit_router(kit=lambda: kit, caller=org_caller), prefix="/orgs/{org}/v1"
    )
    with TestClient(app) as client:
        assert ok(client.get(f"/orgs/{encoded(org)}/v1/sessions/a%2Fb"))["id"] == "a/b"
        body = problem(client.get(f"/orgs/{encoded(org)}/v1/sessions/zz"), 404, "SessionNotFound")
        assert body["tenant"] == org


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"path": "/v1/s/a/b", "raw_path": b"/v1/s/a%2Fb"}, "/v1/s/a%2Fb"),
        ({"path": "/v1/s/50%/b", "raw_path": b"/v1/s/50%25%2Fb"}, "/v1/s/50%25%2Fb"),
        ({"path": "/v1/s/caf\xe9", "raw_path": b"/v1/s/caf%C3%A9"}, "/v1/s/caf\xe9"),
        # uvicorn --root-path: both paths start with it
        (
            {"path": "/api/v1/s/a/b", "raw_path": b"/api/v1/s/a%2Fb", "root_path": "/api"},
            "/v1/s/a%2Fb",
        ),
        # Starlette's TestClient(root_path=...): neither does
        ({"path": "/v1/s/a/b", "raw_path": b"/v1/s/a%2Fb", "root_path": "/api"}, "/v1/s/a%2Fb"),
        # The router's trailing-slash probe strips the decoded path: the raw one is read so too
        ({"path": "/v1/s/a/b", "raw_path": b"/v1/s/a%2Fb/"}, "/v1/s/a%2Fb"),
        ({"path": "/v1/s/a", "raw_path": b"/v1/s/a%2F/"}, "/v1/s/a%2F"),
        ({"path": "/v1/s/a/b/", "raw_path": b"/v1/s/a%2Fb"}, "/v1/s/a%2Fb/"),
        ({"path": "/v1/s/a/b"}, None),  # no raw path: matched as Starlette does
        ({"path": "/v1/s/other", "raw_path": b"/v1/s/a%2Fb"}, None),  # not the same path
    ],
)
def test_the_path_a_route_matches(scope: dict[str, Any], expected: str | None) -> None:
    assert segment_path({"type": "http", **scope}) == expected


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/v1/sessions/a/", "/v1/sessions/a"),
        ("/v1/sessions/a%2Fb/", "/v1/sessions/a%2Fb"),
        ("/v1/sessions/a%2F/", "/v1/sessions/a%2F"),  # session "a/", not session "a"
        ("/v1/sessions/50%25%2Foff/", "/v1/sessions/50%25%2Foff"),
        ("/v1/sessions/a%2Fb/bookings/?limit=1", "/v1/sessions/a%2Fb/bookings?limit=1"),
        ("/v1/participants/user:acme.com%2Fann/bookings/", None),
    ],
)
def test_a_trailing_slash_redirects_alike_with_an_encoded_slash_or_without(
    client: TestClient, kit: SessionKit, path: str, location: str | None
) -> None:
    with_session_ids(kit, "a", "a/", "a/b", "50%/off")
    moved = client.get(path, follow_redirects=False)
    target = location or path.removesuffix("/")
    assert (moved.status_code, moved.headers["location"]) == (307, f"http://testserver{target}")
    assert client.get(target).status_code == 200


def test_a_mounted_app_redirects_a_trailing_slash_after_an_encoded_one(
    kit: SessionKit, serve: ClientFor
) -> None:
    outer = Starlette(routes=[Mount("/api", app=serve(with_session_ids(kit, "a/b")).app)])
    with TestClient(outer) as client:
        moved = client.get("/api/v1/sessions/a%2Fb/", follow_redirects=False)
        assert moved.headers["location"] == "http://testserver/api/v1/sessions/a%2Fb"
        assert ok(client.get("/api/v1/sessions/a%2Fb/"))["id"] == "a/b"


@pytest.fixture(scope="module")
def unredirected() -> FastAPI:
    """An app of the router that does not redirect slashes, for the module: it serves the kit
    :func:`serve` was given last (one app each took a second or more on CI)."""
    app = FastAPI(redirect_slashes=False)
    app.include_router(sessionkit_router(kit=_Current.get, caller=caller), prefix="/v1")
    return app


def test_without_redirect_slashes_both_are_not_found(
    kit: SessionKit, serve: ClientFor, unredirected: FastAPI
) -> None:
    serve(with_session_ids(kit, "a", "a/b"))
    with TestClient(unredirected) as client:
        for path in ("/v1/sessions/a/", "/v1/sessions/a%2Fb/"):
            gone = client.get(path, follow_redirects=False)
            assert (gone.status_code, gone.json()) == (404, {"detail": "Not Found"})


def test_a_mounted_app_without_redirect_slashes_is_not_found_either(
    kit: SessionKit, serve: ClientFor, unredirected: FastAPI
) -> None:
    """The router that holds the routes decides, not the outer one around its mount."""
    serve(with_session_ids(kit, "a", "a/b"))
    with TestClient(Starlette(routes=[Mount("/api", app=unredirected)])) as client:
        for path in ("/api/v1/sessions/a/", "/api/v1/sessions/a%2Fb/"):
            gone = client.get(path, follow_redirects=False)
            assert (gone.status_code, gone.json()) == (404, {"detail": "Not Found"})


def test_a_route_that_takes_the_path_with_its_slash_answers_it(kit: SessionKit) -> None:
    """As with Starlette's redirect: it is only for a path no route takes."""
    with_session_ids(kit, "a/b")
    app = make_app(lambda: kit)

    @app.get("/v1/sessions/{first}/{second}/")
    def both(first: str, second: str) -> list[str]:
        return [first, second]

    with TestClient(app) as client:
        taken = client.get("/v1/sessions/a%2Fb/", follow_redirects=False)
        assert (taken.status_code, taken.json()) == (200, ["a", "b"])
        moved = client.get("/v1/sessions/a%2Fb/bookings/", follow_redirects=False)
        assert moved.headers["location"] == "http://testserver/v1/sessions/a%2Fb/bookings"


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/v1/sessions/nope%2Fx", 404, "SessionNotFound"),
        ("/v1/sessions/nope", 404, "SessionNotFound"),
        ("/v1/sessions/50%25%2Foff/bookings?limit=0", 422, "RequestValidationError"),
        ("/v1/sessions/caf%C3%A9%2Fx", 404, "SessionNotFound"),
    ],
)
def test_a_problems_instance_is_the_path_as_requested(
    client: TestClient, path: str, status: int, error: str
) -> None:
    """A client can send the ``instance`` back: an id's ``%2F`` stays encoded."""
    assert problem(client.get(path), status, error)["instance"] == path.partition("?")[0]
