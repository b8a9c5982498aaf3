"""A problem's advice is in the API's terms: routes and body members, not Python calls.

The core's errors tell a Python caller what to call (``kit.payments.book``),
what to pass (``manual=True``) and how to mend a value
(``.replace(tzinfo=...)``); over HTTP the same advice names the route, the
body member and the form of the value, and the structured fields stay as the
error has them.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import sessionkit
from sessionkit import errors
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import install_problem_handlers, problem_body
from sessionkit.contrib.fastapi._advice import API_TERMS, in_api_terms, in_seconds
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

from .conftest import NOW, ClientFor, make_app, posted_session, problem

PYTHON = re.compile(
    r"\bkit\.\w+\.\w+|\b\w+=(?:True|False|\.\.\.)|tzinfo|ZoneInfo|SessionKit\(|\w+\(\w*=|"
    r"\ba (?:PaymentGateway|MeetingRooms)\b|\bLimits\.|\bidempotency_key\b|\w+=\)|"
    r"\bdays?, \d+:\d\d:\d\d|datetime\.timedelta\("
)
"""Python's spellings of advice: a call of the kit, a keyword argument, a class of a port, the
host's ``Limits``, a keyword the API reads from a header, a ``timedelta`` as ``str`` or ``repr``
writes it."""
CORE = Path(sessionkit.__file__).parent
REACHABLE = ("errors", "services", "policies", "model", "zones.py", "timespan.py")
"""The parts of the core whose messages a route's problem can carry."""


def advice_of(body: dict[str, Any]) -> str:
    """The problem's text a client reads as advice: its detail and its advice fields."""
    return " | ".join(str(body.get(name)) for name in ("detail", "expected", "reason"))


def slot(client: TestClient, hours: float = 48) -> str:
    return posted_session(client, NOW + timedelta(hours=hours))


# -- the routes' problems ----------------------------------------------------------------


def test_a_priced_seat_booked_without_paying_names_the_paid_bookings_routes(
    paid_client: TestClient,
) -> None:
    session_id = slot(paid_client)
    body = problem(
        paid_client.post(
            f"/v1/sessions/{session_id}/bookings", json={"participant": "student:ann"}
        ),
        402,
        "PaymentRequired",
    )
    assert PYTHON.search(advice_of(body)) is None, body
    assert "POST /sessions/{session_id}/paid-bookings" in body["detail"]
    assert '"manual": true, "confirm": true' in body["detail"]
    assert (body["session_id"], body["payment_status"], body["booking_id"]) == (
        session_id,
        "missing",
        None,
    )
    drafted = problem(
        paid_client.post(
            "/v1/bookings",
            json={
                "participant": "student:ann",
                "session": {
                    "start": (NOW + timedelta(days=3)).isoformat(),
                    "end": (NOW + timedelta(days=3, hours=1)).isoformat(),
                    "lifecycle": "lms",
                },
            },
        ),
        402,
        "PaymentRequired",
    )
    assert PYTHON.search(advice_of(drafted)) is None, drafted
    assert "POST /paid-bookings" in drafted["detail"]
    assert drafted["session_id"] is None


def test_a_free_session_paid_for_names_the_bookings_routes(client_for: ClientFor) -> None:
    clock = ManualClock(NOW)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, gateway=FakeGateway(clock=clock.now)
    )
    client = client_for(kit)
    session_id = slot(client)
    body = problem(
        client.post(
            f"/v1/sessions/{session_id}/paid-bookings", json={"participant": "student:ann"}
        ),
        422,
        "InvalidValue",
    )
    assert PYTHON.search(advice_of(body)) is None, body
    assert "has no price; book it with POST /sessions/{session_id}/bookings" in body["detail"]
    assert body["value"] == session_id


def test_confirming_a_providers_payment_names_the_body_members(paid_client: TestClient) -> None:
    session_id = slot(paid_client)
    body = problem(
        paid_client.post(
            f"/v1/sessions/{session_id}/paid-bookings",
            json={"participant": "student:ann", "confirm": True},
        ),
        422,
        "InvalidValue",
    )
    assert body["expected"] == '"confirm": false, or "manual": true'
    assert body["value"] is True


def test_a_kit_without_a_provider_says_so_in_the_apis_terms(client: TestClient) -> None:
    session_id = slot(client)
    body = problem(
        client.post(
            f"/v1/sessions/{session_id}/paid-bookings", json={"participant": "student:ann"}
        ),
        422,
        "InvalidValue",
    )
    assert PYTHON.search(advice_of(body)) is None, body
    assert body["detail"] == (
        'this API has no payment gateway: the host must configure its gateway, or "manual": true'
    )


def test_a_claim_without_a_provider_is_advised_what_a_claim_can_do(client: TestClient) -> None:
    # It said 'or "manual": true', which POST /bookings/{booking_id}/claim does not take.
    session_id = slot(client)
    url = f"/v1/sessions/{session_id}/bookings"
    first = client.post(url, json={"participant": "student:ann", "confirm": True}).json()
    waiting = client.post(url, json={"participant": "student:bob", "waitlist": True}).json()
    assert waiting["status"] == "WAITLISTED", waiting
    assert client.post(f"/v1/bookings/{first['id']}/cancel").status_code == 200
    body = problem(client.post(f"/v1/bookings/{waiting['id']}/claim"), 422, "InvalidValue")
    assert PYTHON.search(advice_of(body)) is None, body
    assert body["detail"] == (
        "this API has no payment gateway, which a claim pays through: the host must configure"
        " one; a waitlist offer of a free session is confirmed with"
        " POST /bookings/{booking_id}/confirm"
    )
    assert '"manual"' not in advice_of(body)
    assert body["expected"] == "a payment provider the host configures"
    confirmed = client.post(f"/v1/bookings/{waiting['id']}/confirm")  # the advice, followed
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "CONFIRMED")


def test_an_ended_paid_bookings_cancel_names_the_refund_route(
    paid_client: TestClient, clock: ManualClock
) -> None:
    session_id = slot(paid_client)
    made = paid_client.post(
        f"/v1/sessions/{session_id}/paid-bookings",
        json={"participant": "student:ann", "manual": True, "confirm": True},
    )
    assert made.status_code == 201, made.text
    checkout = made.json()
    marked = paid_client.post(
        "/v1/payments/mark-paid", json={"payment_ids": [checkout["payment"]["id"]]}
    )
    assert marked.status_code == 200, marked.text
    clock.set(NOW + timedelta(days=3))
    body = problem(
        paid_client.post(f"/v1/bookings/{checkout['booking']['id']}/cancel"),
        409,
        "CancelRefused",
    )
    assert PYTHON.search(advice_of(body)) is None, body
    assert "a goodwill refund is POST /payments/{payment_id}/refunds" in body["detail"]
    assert body["reason"] in body["detail"]
    assert (body["rule"], body["booking_id"]) == ("ended", checkout["booking"]["id"])


def test_a_key_refused_names_the_idempotency_key_header(client: TestClient) -> None:
    # The detail named the Python keyword, idempotency_key, of a header the client sent.
    url = f"/v1/sessions/{slot(client)}/bookings"
    for key, detail in (
        ("   ", "Idempotency-Key must hold more than blanks, got '   '"),
        ("k" * 256, "Idempotency-Key is 256 characters long; at most 255 are allowed"),
    ):
        answer = client.post(
            url, json={"participant": "student:ann"}, headers={"Idempotency-Key": key}
        )
        body = problem(answer, 422, "InvalidValue")
        assert body["detail"] == detail
        assert PYTHON.search(advice_of(body)) is None, body


def test_a_limit_passed_is_named_as_the_apis_not_as_a_field_of_limits(
    client: TestClient,
) -> None:
    answer = client.get(
        "/v1/agenda",
        params={
            "resource": "tutor:tina",
            "start": "2026-03-02T00:00:00Z",
            "end": "2046-03-02T00:00:00Z",
        },
    )
    body = problem(answer, 422, "LimitExceeded")
    assert PYTHON.search(advice_of(body)) is None, body
    # Durations in seconds, in the detail as in the members beside it (never "7305 days, 0:00:00").
    assert (
        ": 631,152,000 seconds is more than the API's limit on window allows (316,224,000 seconds);"
        in body["detail"]
    )
    assert body["detail"].endswith("or ask the host to raise the limit")
    assert (body["name"], body["value"], body["maximum"]) == ("window", 7305 * 86400, 3660 * 86400)
    buffer = problem_body(
        errors.LimitExceeded(
            "window", timedelta(days=7), timedelta(hours=36), what="the series' window.buffer"
        )
    )
    assert buffer["detail"].startswith(
        "the series' window.buffer: 604,800 seconds is more than the API's limit on window"
        " allows (129,600 seconds); "
    )
    assert (buffer["value"], buffer["maximum"]) == (604_800, 129_600)
    expansion = problem_body(errors.ExpansionLimitExceeded("FREQ=SECONDLY", 100_000))
    assert expansion["detail"].endswith(
        "ask for a smaller window, or ask the host to raise the API's limit on candidates"
    )


@pytest.mark.parametrize(
    ("delta", "told"),
    [
        (timedelta(days=7), "604,800 seconds"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(0), "0 seconds"),
        # A fraction rounded up, as the member beside it is (an integer): towards the later.
        (timedelta(seconds=90, microseconds=500_000), "91 seconds"),
        (timedelta(microseconds=1), "1 second"),
        (-timedelta(seconds=1, microseconds=250_000), "-1 second"),
    ],
)
def test_a_duration_is_told_in_seconds(delta: timedelta, told: str) -> None:
    assert in_seconds(delta) == told


@pytest.mark.parametrize(
    ("delta", "member"),
    [
        (timedelta(hours=1), 3600),
        (timedelta(0), 0),
        (timedelta(seconds=90, microseconds=500_000), 91),
        (timedelta(microseconds=1), 1),
        (-timedelta(seconds=1, microseconds=250_000), -1),
    ],
)
def test_a_problem_carries_a_duration_as_whole_seconds(delta: timedelta, member: int) -> None:
    # It was total_seconds(), a float (3600.0) where a client reads an integer of seconds.
    body = problem_body(errors.LimitExceeded("window", delta, timedelta(0)))
    assert (body["value"], type(body["value"]), body["maximum"]) == (member, int, 0)
    assert body["detail"].startswith(f"window: {in_seconds(delta)} is more than")
    assert json.loads(json.dumps(body))["value"] == member


# -- naive instants in query parameters ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parameter", "others"),
    [
        ("/v1/sessions", "start_from", {}),
        ("/v1/sessions", "start_to", {}),
        ("/v1/agenda", "start", {"resource": "tutor:tina", "end": "2026-03-09T08:00:00Z"}),
        ("/v1/agenda", "end", {"resource": "tutor:tina", "start": "2026-03-02T08:00:00Z"}),
        ("/v1/bookable", "end", {"start": "2026-03-02T08:00:00+00:00"}),
        ("/v1/payments", "start_to", {}),
        ("/v1/participants/student:ann/bookings", "start", {}),
        ("/v1/sessions/{id}/attendance", "as_of", {}),
    ],
)
def test_a_naive_instant_in_a_query_asks_for_a_utc_offset_naming_the_parameter(
    client: TestClient, path: str, parameter: str, others: dict[str, str]
) -> None:
    url = path.replace("{id}", slot(client)) if "{id}" in path else path
    answer = client.get(url, params={**others, parameter: "2026-03-02T10:00"})
    body = problem(answer, 422, "NaiveDatetime")
    assert PYTHON.search(advice_of(body)) is None, body
    assert (body["name"], body["value"]) == (parameter, "2026-03-02T10:00:00")
    assert body["detail"].startswith(f"{parameter} must have a UTC offset"), body["detail"]
    assert "2026-03-02T10:00:00+01:00, or Z for UTC" in body["detail"]
    assert body["expected"] == "an ISO 8601 date-time with a UTC offset"


def test_text_that_is_no_instant_in_a_query_names_the_parameter_and_the_form(
    client: TestClient,
) -> None:
    body = problem(
        client.get("/v1/sessions", params={"start_from": "tomorrow"}), 422, "NotADatetime"
    )
    assert (body["name"], body["value"]) == ("start_from", "tomorrow")
    assert "ISO 8601 with a UTC offset" in body["detail"]
    assert "2026-03-02T10:00:00+01:00, or Z for UTC" in body["detail"]


def test_an_offsets_plus_sent_unencoded_in_a_query_is_told_to_be_sent_as_2b(
    client: TestClient,
) -> None:
    # "?start_from=2026-03-02T10:00:00+01:00" typed as the docs show it: the + reads as a
    # space, and the problem only said to send the UTC offset the client had sent.
    answer = client.get("/v1/sessions?start_from=2026-03-02T10:00:00+01:00")
    body = problem(answer, 422, "NotADatetime")
    assert (body["name"], body["value"]) == ("start_from", "2026-03-02T10:00:00 01:00")
    assert "send the offset's + as %2B" in body["detail"], body["detail"]
    other = client.get("/v1/sessions", params={"start_from": "2026-03-02T10:00:00 "})
    assert "%2B" not in problem(other, 422, "NotADatetime")["detail"]


def test_an_aware_instant_in_a_query_is_read_as_sent(client: TestClient) -> None:
    for sent in ("2026-03-02T10:00:00+01:00", "2026-03-02T09:00:00Z"):
        answer = client.get("/v1/sessions", params={"start_from": sent})
        assert answer.status_code == 200, answer.text


# -- the one mapping, held to every message the core can send -----------------------------


def _messages() -> list[tuple[str, int, str]]:
    """Every piece of text in the reachable core that is not a docstring, with where it is."""
    found = []
    for part in REACHABLE:
        for path in sorted((CORE / part).rglob("*.py") if part[-3:] != ".py" else [CORE / part]):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {
                id(node.value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            }
            found += [
                (str(path.relative_to(CORE)), node.lineno, node.value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
            ]
    return found


def test_every_python_spelling_of_advice_in_the_core_has_the_apis() -> None:
    messages = _messages()
    assert len(messages) > 1000  # the walk found the core
    left = sorted(
        f"{where}:{line}: {in_api_terms(text)!r}"
        for where, line, text in messages
        if PYTHON.search(text) and PYTHON.search(in_api_terms(text))
    )
    assert left == [], "give these spellings their API terms in _advice.API_TERMS"


def test_every_route_the_advice_names_is_one_of_the_routers(kit: SessionKit) -> None:
    document = make_app(lambda: kit).openapi()
    served = {
        f"{method.upper()} {path.removeprefix('/v1')}"
        for path, item in document["paths"].items()
        for method in item
    }
    named = {
        match
        for terms in API_TERMS.values()
        for match in re.findall(r"(?:GET|POST|PUT|PATCH|DELETE) /[^\s,;)]*", terms)
    }
    assert named, "the advice names routes"
    assert named <= served, named - served


def test_the_detail_and_advice_fields_change_and_the_structured_fields_stay() -> None:
    naive = datetime(2026, 3, 2, 10, 0)  # the naive value refused
    body = problem_body(errors.NaiveDatetime(naive, name="start"))
    assert body["detail"] == (
        "start must have a UTC offset, got '2026-03-02T10:00:00'; "
        "send it with one (e.g. 2026-03-02T10:00:00+01:00, or Z for UTC)"
    )
    assert (body["name"], body["value"], body["expected"]) == (
        "start",
        "2026-03-02T10:00:00",
        "an ISO 8601 date-time with a UTC offset",
    )
    refused = errors.BookingRefused(
        "payment", "session 's1' is priced: book it with kit.payments.book", allows_at=None
    )
    body = problem_body(refused)
    assert body["reason"] == (
        "session 's1' is priced: book it with "
        "POST /sessions/{session_id}/paid-bookings or POST /paid-bookings"
    )
    assert body["reason"] in body["detail"]
    assert (body["rule"], body["allows_at"]) == ("payment", None)
    # What the client sent comes back as it was sent, Python-looking or not.
    sent = errors.InvalidValue("bad metadata", value="manual=True", expected="a mapping")
    assert problem_body(sent)["value"] == "manual=True"


@pytest.mark.parametrize(("operation", "status", "done"), [
    ("ensure_room", "READY", "the host opens it once the provider is back"),
    ("close_room", "CANCELLED", "the host closes it once the provider is back"),
])  # fmt: skip
def test_a_failed_room_call_after_a_status_change_is_advised_in_api_terms(
    operation: str, status: str, done: str
) -> None:
    # The test above reads only constants: the f-string's ensure_room call went out as Python.
    error = errors.MeetingRoomsError(
        operation, tenant="acme", session_id="s1", status=status, cause=ConnectionError("down")
    )
    verb = "open" if operation == "ensure_room" else "close"
    assert problem_body(error)["detail"] == (
        f"session 's1' of tenant 'acme' entered {status} (stored), but the meeting provider "
        f"failed to {verb} its room: ConnectionError('down'); {done}"
    )


def test_only_whole_python_spellings_are_rewritten() -> None:
    assert in_api_terms("this kit has no payment gateway") == "this API has no payment gateway"
    assert in_api_terms("a class in this kitchen") == "a class in this kitchen"
    assert in_api_terms("kit.payments.booking") == "kit.payments.booking"
    # A call the API has no words for stays whole: half of it in JSON would read as neither.
    assert in_api_terms("Caller(tenant, actor=...)") == "Caller(tenant, actor=...)"
    assert in_api_terms("approve it with start=...") == 'approve it with "start": ...'


# -- advice only staff may follow, given to staff alone ----------------------------------

ANN = {"X-Actor": "ann", "X-Roles": "participant,attendee", "X-Participant": "student:ann"}
"""A caller that is not staff, acting for its own participant."""
STAFF_ONLY = re.compile(r'"manual"|"confirm": true|/refunds|/refund-retries|mark-paid')
"""What the API's advice names that only staff may send: a manual payment, a confirmed paid
seat, a refund, a refund sent again, a payment marked paid."""


def test_a_priced_seat_booked_by_a_participant_is_not_advised_a_manual_payment(
    paid_client: TestClient,
) -> None:
    # It advised '"manual": true, "confirm": true', which paid-bookings refuses (403) to it.
    session_id = slot(paid_client)
    body = problem(
        paid_client.post(
            f"/v1/sessions/{session_id}/bookings", json={"participant": "student:ann"}, headers=ANN
        ),
        402,
        "PaymentRequired",
    )
    assert STAFF_ONLY.search(advice_of(body)) is None, body
    assert body["detail"] == (
        f"session {session_id!r} is priced: a seat in it is taken by paying, so book it with "
        "POST /sessions/{session_id}/paid-bookings or POST /paid-bookings; "
        "POST /sessions/{session_id}/bookings or POST /bookings only joins its waitlist"
    )
    followed = paid_client.post(  # the advice, followed
        f"/v1/sessions/{session_id}/paid-bookings",
        json={"participant": "student:ann"},
        headers=ANN,
    )
    assert followed.status_code == 201, followed.text


def test_a_kit_without_a_provider_advises_a_participant_no_manual_payment(
    client: TestClient,
) -> None:
    session_id = slot(client)
    url = f"/v1/sessions/{session_id}/paid-bookings"
    body = problem(
        client.post(url, json={"participant": "student:ann"}, headers=ANN), 422, "InvalidValue"
    )
    assert body["detail"] == "this API has no payment gateway: the host must configure its gateway"
    assert body["expected"] == "a payment provider the host configures"
    refused = client.post(url, json={"participant": "student:ann", "manual": True}, headers=ANN)
    problem(refused, 403, "RoleNotGranted")  # what the advice no longer tells it to do


def test_an_ended_paid_booking_cancelled_by_its_participant_names_no_refund_route(
    paid_client: TestClient, clock: ManualClock
) -> None:
    session_id = slot(paid_client)
    made = paid_client.post(
        f"/v1/sessions/{session_id}/paid-bookings",
        json={"participant": "student:ann", "manual": True, "confirm": True},
    ).json()
    paid = paid_client.post("/v1/payments/mark-paid", json={"payment_ids": [made["payment"]["id"]]})
    assert paid.status_code == 200, paid.text
    clock.set(NOW + timedelta(days=3))
    cancel = f"/v1/bookings/{made['booking']['id']}/cancel"
    body = problem(paid_client.post(cancel, headers=ANN), 409, "CancelRefused")
    assert STAFF_ONLY.search(advice_of(body)) is None, body
    assert body["detail"].endswith(
        "its refund was decided with the session, a goodwill refund is staff's to give [rule ended]"
    )
    assert body["reason"] in body["detail"]
    staff = problem(paid_client.post(cancel), 409, "CancelRefused")  # staff: the route
    assert "a goodwill refund is POST /payments/{payment_id}/refunds" in staff["detail"]


def test_no_message_of_the_core_advises_a_caller_not_staff_what_only_staff_may_do() -> None:
    staff_advice = [
        (where, line, text)
        for where, line, text in _messages()
        # SessionKit(...) refusing its gateway's name: raised to the host, never by a route.
        if where != "services/_app_checks.py" and STAFF_ONLY.search(in_api_terms(text))
    ]
    assert len(staff_advice) >= 4  # the walk found them
    left = sorted(
        f"{where}:{line}: {in_api_terms(text, staff=False)!r}"
        for where, line, text in staff_advice
        if STAFF_ONLY.search(in_api_terms(text, staff=False))
    )
    assert left == [], "give these their words for a caller not staff in _advice.STAFF_ONLY"


def test_the_apps_installed_handlers_advise_as_the_routers_do(kit: SessionKit) -> None:
    # An app's handlers answer a route's error before the router can: the same advice.
    app = make_app(lambda: kit)
    install_problem_handlers(app)
    with TestClient(app) as client:
        url = f"/v1/sessions/{slot(client)}/paid-bookings"
        staff = client.post(url, json={"participant": "student:ann"})
        theirs = client.post(url, json={"participant": "student:ann"}, headers=ANN)
    assert problem(staff, 422, "InvalidValue")["detail"].endswith('or "manual": true')
    assert '"manual"' not in problem(theirs, 422, "InvalidValue")["detail"]
