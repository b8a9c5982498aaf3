"""Every sessionkit error maps to a status and a type URI; problem bodies keep structured fields."""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI, HTTPException
from starlette.testclient import TestClient

import sessionkit
from sessionkit import errors
from sessionkit.contrib.fastapi import (
    ERROR_STATUS,
    PROBLEM_MEDIA_TYPE,
    ProblemResponse,
    install_problem_handlers,
    problem_body,
    problem_type,
    sessionkit_router,
    status_of,
)
from sessionkit.contrib.fastapi._advice import in_api_terms
from sessionkit.contrib.fastapi.problems import member_name
from sessionkit.model.session import ResourceRef
from sessionkit.services import SessionKit

from .conftest import caller, make_app

WHEN = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


@functools.cache
def every_error_class() -> frozenset[type[errors.SessionKitError]]:
    # Import every module first, so an error class defined anywhere is a known subclass.
    for info in pkgutil.walk_packages(sessionkit.__path__, "sessionkit."):
        if info.name == "sessionkit.__main__":
            continue  # runs the CLI
        if ".contrib." in info.name and not info.name.startswith("sessionkit.contrib.fastapi"):
            continue  # other integrations need their own extras
        importlib.import_module(info.name)
    found: set[type[errors.SessionKitError]] = set()
    todo: list[type[errors.SessionKitError]] = [errors.SessionKitError]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return frozenset(found)


def test_every_error_class_has_its_own_status() -> None:
    classes = every_error_class()
    assert len(classes) > 60
    # The core's errors each have their own; an integration's (contrib.ical's calendar
    # errors) resolve through a base, since the API does not import every extra.
    core = {c for c in classes if c.__module__.startswith("sessionkit.errors")}
    missing = sorted(c.__name__ for c in core if c not in ERROR_STATUS)
    assert missing == [], f"give these errors a status in ERROR_STATUS: {missing}"
    assert all(any(base in ERROR_STATUS for base in c.__mro__) for c in classes - core)
    assert set(ERROR_STATUS) <= classes
    assert all(400 <= s < 600 for s in ERROR_STATUS.values())


def test_every_error_class_has_its_own_type_uri() -> None:
    uris = [problem_type(cls) for cls in every_error_class()]
    assert len(set(uris)) == len(uris)
    assert problem_type(errors.CapacityExceeded) == "urn:sessionkit:problem:capacity-exceeded"
    assert problem_type(errors.SeriesClosedError) == "urn:sessionkit:problem:series-closed"
    assert (
        problem_type(errors.TransientConflict, "https://example.com/problems/")
        == "https://example.com/problems/transient-conflict"
    )


def test_client_errors_are_4xx_and_storage_faults_5xx() -> None:
    assert status_of(errors.SessionNotFound("s1", "acme")) == 404
    assert status_of(errors.CapacityExceeded(session_id="s", capacity=1, taken=1, asked=1)) == 409
    assert status_of(errors.NaiveDatetime(datetime(2026, 1, 1))) == 422
    assert status_of(errors.StorageUnavailable("gone", backend="postgresql")) == 503
    assert status_of(errors.TransientConflict(retryable=True)) == 503
    assert status_of(errors.PaymentRequired.at_once("s1")) == 402


def test_a_refusal_carries_its_rule_and_when_it_allows() -> None:
    body = problem_body(
        errors.BookingRefused("max_horizon", "too far ahead", allows_at=WHEN), instance="/x"
    )
    assert body == {
        "type": "urn:sessionkit:problem:booking-refused",
        "title": "Booking refused",
        "status": 409,
        "detail": "too far ahead (allowed from 2026-03-09T08:00:00+00:00) [rule max_horizon]",
        "instance": "/x",
        "error": "BookingRefused",
        "rule": "max_horizon",
        "reason": "too far ahead",
        "allows_at": "2026-03-09T08:00:00+00:00",
        "limit": None,
        "count": None,
        "may_free_at": None,
    }


def test_a_per_participant_refusal_carries_its_limit_and_count() -> None:
    refused = errors.BookingRefused.participant_limit(
        "per_day", participant="student:ana", count=2, limit=2, start=WHEN, end=WHEN
    )
    body = problem_body(refused)
    assert (body["rule"], body["limit"], body["count"], body["allows_at"]) == (
        "per_day",
        2,
        2,
        None,
    )


def test_structured_fields_become_json() -> None:
    refund = problem_body(
        errors.RefundExceedsPayment(
            "p1", paid=Decimal("40.00"), refunded=Decimal(10), asked=Decimal(50), currency="EUR"
        )
    )
    assert (refund["paid"], refund["remaining"], refund["currency"]) == ("40.00", "30.00", "EUR")
    timeout = problem_body(
        errors.StorageTimeout.waiting("a lock", backend="sqlite", timeout=timedelta(seconds=2))
    )
    assert (timeout["timeout"], type(timeout["timeout"])) == (2, int)
    referenced = problem_body(errors.StillReferenced("series", "s1", "acme", {"session": 3}))
    assert referenced["referenced_by"] == {"session": 3}
    refs = problem_body(errors.InvalidValue("bad", value=(ResourceRef("room", "r1"),)))
    assert refs["value"] == ["room:r1"]
    guarded = problem_body(
        errors.TransitionRefused(
            session_id="s1", status="A", transition="go", reason="no", guard=lambda: None
        )
    )
    assert "guard" not in guarded
    assert guarded["reason"] == "no"


def test_a_field_named_as_a_member_goes_out_under_its_subjects_name() -> None:
    """``status`` stays the HTTP status, ``detail`` the message; the error's own are kept too."""
    cases = [
        (
            errors.InvalidTransition(
                session_id="s1", status="CANCELED", transition="start", allowed=()
            ),
            {"status": 409, "session_status": "CANCELED"},
        ),
        (
            errors.InvalidTransition(
                session_id="b1",
                status="HELD",
                transition="claim",
                allowed=["confirm"],
                subject="booking",
            ),
            {"status": 409, "booking_status": "HELD"},
        ),
        (
            errors.TransitionRefused(
                session_id="s1", status="SCHEDULED", transition="start", reason="too early"
            ),
            {"status": 409, "session_status": "SCHEDULED"},
        ),
        (
            errors.AlreadyBooked(
                session_id="s1", participant="student:ann", booking_id="b1", status="HELD"
            ),
            {"status": 409, "booking_status": "HELD"},
        ),
        (
            errors.PaymentRequired("b1", "p1", "PENDING"),
            {"status": 402, "payment_status": "PENDING"},
        ),
        (errors.PaymentRequired.at_once("s1"), {"status": 402, "payment_status": "missing"}),
        (
            errors.PaymentGatewayError("refund", "p1", detail="processor unavailable"),
            {"status": 502, "provider_detail": "processor unavailable"},
        ),
    ]
    for error, expected in cases:
        body = problem_body(error, staff=True)  # all its advice (staff's too: see test_..._advice)
        assert {name: body[name] for name in expected} == expected
        assert body["detail"] == in_api_terms(str(error))  # the message, its advice the API's
        kept = {member_name(error, name) for name in vars(error) if name != "guard"}
        assert kept <= set(body), f"{type(error).__name__} dropped {kept - set(body)}"


def test_a_client_reads_the_status_of_what_refused_it(client: TestClient) -> None:
    start = {"start": "2026-03-03T10:00:00Z", "end": "2026-03-03T11:00:00Z", "lifecycle": "lms"}
    session_id = client.post("/v1/sessions", json={**start, "capacity": 2}).json()["id"]
    booked = {"participant": "student:ann"}
    held = client.post(f"/v1/sessions/{session_id}/bookings", json=booked).json()
    twice = client.post(f"/v1/sessions/{session_id}/bookings", json=booked)
    body = twice.json()
    assert (twice.status_code, body["error"]) == (409, "AlreadyBooked")
    assert (body["status"], body["booking_id"], body["booking_status"]) == (409, held["id"], "HELD")

    client.post(f"/v1/sessions/{session_id}/cancel", json={})
    started = client.post(f"/v1/sessions/{session_id}/transitions/start", json={})
    body = started.json()
    assert (started.status_code, body["error"]) == (409, "InvalidTransition")
    assert (body["status"], body["subject"], body["session_status"]) == (409, "session", "CANCELED")

    document = client.get("/openapi.json").json()
    declared = document["paths"]["/v1/sessions/{session_id}/bookings"]["post"]["responses"]
    members = declared["409"]["content"][PROBLEM_MEDIA_TYPE]["schema"]["properties"]
    renamed = {"session_status", "booking_status", "payment_status", "provider_detail"}
    assert renamed <= set(members)
    assert members["status"]["type"] == "integer"


def test_a_hostile_value_still_renders() -> None:
    """Lone surrogates, huge ints and long text come back escaped or cut, never as a 500."""
    error = errors.InvalidValue("bad", value={"\udc80": [10**30, "x" * 10_000, float("nan")]})
    response = ProblemResponse(problem_body(error), status_code=422)
    assert response.media_type == PROBLEM_MEDIA_TYPE
    value = json.loads(bytes(response.body))["value"]
    [(key, [big, text, nan])] = value.items()
    assert (key, big, nan) == ("\udc80", str(10**30), "nan")
    assert len(text) < 600


def test_the_openapi_document_declares_problem_bodies(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert len(operations) == 50
    for op in operations:
        errors_declared = {c: r for c, r in op["responses"].items() if c.startswith(("4", "5"))}
        assert {"422", "503"} <= set(errors_declared), op["operationId"]
        for response in errors_declared.values():
            schema = response["content"][PROBLEM_MEDIA_TYPE]["schema"]
            assert {"type", "title", "status", "detail", "error"} <= set(schema["required"])
    book = document["paths"]["/v1/sessions/{session_id}/bookings"]["post"]
    assert {"402", "404", "409"} <= set(book["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in book["parameters"])
    paid = document["paths"]["/v1/sessions/{session_id}/paid-bookings"]["post"]
    assert {"402", "409", "502"} <= set(paid["responses"])
    refused = document["paths"]["/v1/sessions/{session_id}/reschedules"]["post"]["responses"]["409"]
    members = refused["content"][PROBLEM_MEDIA_TYPE]["schema"]["properties"]
    assert {"rule", "allows_at"} <= set(members)  # a refusal's fields are declared


@pytest.mark.parametrize("status", [404, 409, 422])
def test_problem_responses_are_problem_json(client: TestClient, status: int) -> None:
    requests = {
        404: lambda: client.get("/v1/sessions/nope"),
        409: lambda: client.post("/v1/sessions/nope/bookings", json={"participant": "a:b"}),
        422: lambda: client.get("/v1/sessions", params={"limit": 0}),
    }
    response = requests[status]()
    if status == 409:  # an unknown session is a 404 first
        assert response.status_code == 404
        return
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


def _app_with_own_routes(kit: SessionKit, *, installed: bool) -> FastAPI:
    app = make_app(lambda: kit)

    @app.get("/own/{n}")
    def own(n: int) -> dict[str, int]:
        if n == 0:
            raise HTTPException(404, "no such thing", headers={"X-Why": "zero"})
        if n == 1:
            kit.queries.get("acme", "nope")  # SessionNotFound, from the app's own route
        if n == 3:
            raise HTTPException(304, headers={"ETag": '"v1"'})
        if n == 4:
            raise HTTPException(409, detail={"reason": "taken", "ids": [1, 2]})
        return {"n": n}

    if installed:
        install_problem_handlers(app, type_base="https://docs.example.com/problems/")
    return app


def test_installed_handlers_answer_every_error_of_the_app_as_problem_json(
    kit: SessionKit,
) -> None:
    with TestClient(_app_with_own_routes(kit, installed=True)) as client:
        unknown = client.get("/v1/nowhere")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert unknown.json() == {
            "type": "https://docs.example.com/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "Not Found",
            "instance": "/v1/nowhere",
            "error": "HTTPException",
        }
        wrong_method = client.delete("/v1/sessions")
        assert wrong_method.status_code == 405
        assert wrong_method.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert "GET" in wrong_method.headers["allow"]
        assert wrong_method.json()["title"] == "Method not allowed"
        raised = client.get("/own/0")
        assert (raised.status_code, raised.headers["x-why"]) == (404, "zero")
        assert raised.json()["detail"] == "no such thing"
        invalid = client.get("/own/x")
        assert invalid.status_code == 422
        assert invalid.json()["error"] == "RequestValidationError"
        assert invalid.json()["errors"][0]["loc"] == ["path", "n"]
        theirs = client.get("/own/1")
        assert theirs.status_code == 404
        assert theirs.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert theirs.json()["error"] == "SessionNotFound"
        assert theirs.json()["type"] == "https://docs.example.com/problems/session-not-found"
        assert client.get("/own/2").json() == {"n": 2}
        not_modified = client.get("/own/3")
        assert (not_modified.status_code, not_modified.content) == (304, b"")
        assert not_modified.headers["etag"] == '"v1"'
        structured = client.get("/own/4").json()
        assert structured["detail"] == "Conflict; see errors"
        assert structured["errors"] == {"reason": "taken", "ids": [1, 2]}
        # The router's own routes answer as before, with the router's type_base.
        routers = client.get("/v1/sessions/nope").json()
        assert routers["error"] == "SessionNotFound"
        assert routers["type"] == "urn:sessionkit:problem:session-not-found"


@pytest.mark.parametrize(
    ("status", "title", "kind"),
    [
        (503, "Service unavailable", "service-unavailable"),
        (502, "Bad gateway", "bad-gateway"),
        (418, "I'm a teapot", "i-m-a-teapot"),
        (404, "Not found", "not-found"),
    ],
)
def test_the_hosts_own_http_error_is_titled_by_its_status_not_by_sessionkits_causes(
    status: int, title: str, kind: str
) -> None:
    # A host's HTTPException(503, "down for maintenance") went out as type
    # .../storage-unavailable, and a 502 as a payment (or meeting-rooms) provider's error:
    # what sessionkit answers those statuses for, not what the host meant.
    app = FastAPI()

    @app.get("/own")
    def own() -> None:
        raise HTTPException(status, "down for maintenance")

    install_problem_handlers(app)
    with TestClient(app) as client:
        body = client.get("/own").json()
    assert (body["status"], body["title"]) == (status, title)
    assert body["type"] == f"urn:sessionkit:problem:{kind}"


def test_without_the_handlers_the_app_answers_its_own_errors_as_fastapi_does(
    kit: SessionKit,
) -> None:
    with TestClient(_app_with_own_routes(kit, installed=False)) as client:
        unknown = client.get("/v1/nowhere")
        assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not Found"})
        assert unknown.headers["content-type"] == "application/json"
        assert client.get("/v1/sessions/nope").headers["content-type"] == PROBLEM_MEDIA_TYPE


ALLOWED = [
    ("PUT", "/v1/sessions/s1", "DELETE, GET, HEAD, PATCH"),
    ("POST", "/v1/sessions/a%2Fb", "DELETE, GET, HEAD, PATCH"),  # an id with an encoded /
    ("DELETE", "/v1/sessions", "GET, HEAD, POST"),
    ("GET", "/v1/sessions/a%2Fb/cancel", "POST"),
    ("GET", "/v1/sessions/a%2Fb/attendance/user:acme.com%2Fann", "DELETE, PUT"),
    ("POST", "/v1/sessions/a%2Fb/attendance/user:acme.com/ann", "DELETE, PUT"),
    ("PUT", "/v1/sessions/s1/bookings", "GET, HEAD, POST"),
    # Two paths in one: session "transitions" answers GET, PATCH and DELETE.
    ("PUT", "/v1/sessions/transitions", "DELETE, GET, HEAD, PATCH, POST"),
    ("PUT", "/v1/payments/events", "GET, HEAD, POST"),
]


@pytest.mark.parametrize(("method", "path", "allow"), ALLOWED)
def test_a_405_allows_every_method_of_its_path(
    kit: SessionKit, method: str, path: str, allow: str
) -> None:
    """RFC 9110 section 15.5.6: ``Allow`` lists every method the resource takes."""
    with TestClient(_app_with_own_routes(kit, installed=True)) as client:
        refused = client.request(method, path)
    assert refused.status_code == 405
    assert refused.headers["allow"] == allow
    assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert refused.json() == {
        "type": "https://docs.example.com/problems/method-not-allowed",
        "title": "Method not allowed",
        "status": 405,
        "detail": "Method Not Allowed",
        "instance": path,
        "error": "HTTPException",
    }


@pytest.mark.parametrize(("method", "path", "allow"), ALLOWED[:3])
def test_without_the_handlers_a_405_allows_every_method_too(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    refused = client.request(method, path)
    assert (refused.status_code, refused.json()) == (405, {"detail": "Method Not Allowed"})
    assert refused.headers["allow"] == allow


def test_a_router_served_without_an_app_answers_its_405_in_plain_text(kit: SessionKit) -> None:
    router = sessionkit_router(kit=lambda: kit, caller=caller)
    with TestClient(router) as client:
        refused = client.put("/sessions/a%2Fb")
    assert (refused.status_code, refused.text) == (405, "Method Not Allowed")
    assert refused.headers["allow"] == "DELETE, GET, HEAD, PATCH"


def test_a_connection_lost_in_the_commit_says_the_outcome_is_unknown() -> None:
    # The note saying so never reached an API client: a 503 read as "nothing was kept",
    # so a client resent a write the database may have applied.
    lost = errors.StorageUnavailable("the connection was lost", backend="postgresql")
    assert problem_body(lost)["outcome_unknown"] is False
    lost.lost_in_commit()
    body = problem_body(lost)
    assert (body["status"], body["outcome_unknown"]) == (503, True)
