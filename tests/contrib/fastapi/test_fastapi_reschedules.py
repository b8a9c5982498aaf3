"""Reschedule requests and a role's options through httpx (in memory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.money import Money
from sessionkit.model.session import Session
from sessionkit.policies import NoticePolicy, NoticeRule, Pricing, RefundPolicy, RefundTier
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from .conftest import RULES, ClientFor

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PROBLEM = "application/problem+json"
STUDENT = {"X-Actor": "ann", "X-Roles": "student", "X-Participant": "student:ann"}
TEACHER = {"X-Actor": "tina", "X-Roles": "teacher", "X-Participant": "teacher:tina"}
REASON = "I have an exam that morning"


def iso(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def slot(client: TestClient, hours: float = 72) -> str:
    body = {
        "start": iso(hours),
        "end": iso(hours + 1),
        "lifecycle": "lms",
        "resources": ["teacher:tina", "student:ann"],  # a lesson of the two: each may ask
    }
    made = client.post("/v1/sessions", json=body)
    assert made.status_code == 201, made.text
    session_id: str = made.json()["id"]
    return session_id


def ask(client: TestClient, session_id: str, **body: Any) -> Any:
    return client.post(
        f"/v1/sessions/{session_id}/reschedules",
        json={"role": "student", "reason": REASON, **body},
        headers=STUDENT,
    )


def refusal(response: Any, rule: str) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["error"], body["rule"]) == ("RescheduleRefused", rule)
    assert body["type"] == "urn:sessionkit:problem:reschedule-refused"
    return body


def test_a_request_is_approved_by_the_other_side_and_moves_the_session(
    client: TestClient,
) -> None:
    session_id = slot(client)
    asked = ask(client, session_id, proposed_start=iso(96))
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["status"], request["role"], request["requested_by"]) == (
        "PENDING",
        "student",
        "ann",
    )
    assert (request["proposed_start"], request["deadline"]) == (iso(96), iso(24))
    assert client.get(f"/v1/reschedules/{request['id']}").json() == request

    url = f"/v1/reschedules/{request['id']}/approve"
    own = client.post(url, json={"role": "student"}, headers=STUDENT)
    assert refusal(own, "own_request")["request_id"] == request["id"]

    approved = client.post(url, json={"role": "teacher", "start": iso(100)}, headers=TEACHER)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["new_start"]) == ("APPROVED", iso(100))
    assert approved.json()["decided_by"] == "tina"
    session = client.get(f"/v1/sessions/{session_id}").json()
    assert (session["start"], session["end"]) == (iso(100), iso(101))

    again = client.post(url, json={"role": "teacher"}, headers=TEACHER)
    refusal(again, "not_pending")
    history = client.get(f"/v1/sessions/{session_id}/reschedules").json()
    assert [r["status"] for r in history] == ["APPROVED"]


def test_one_pending_request_per_session_says_when_it_is_answered(client: TestClient) -> None:
    session_id = slot(client)
    first = ask(client, session_id).json()
    second = ask(client, session_id, proposed_start=iso(90))
    body = refusal(second, "one_pending")
    assert body["request_id"] == first["id"]
    assert datetime.fromisoformat(body["allows_at"]) == NOW + timedelta(hours=24)

    options = client.get(
        f"/v1/sessions/{session_id}/options", params={"role": "student"}, headers=STUDENT
    ).json()
    assert options["pending"]["id"] == first["id"]
    assert options["reschedule"]["rule"] == "one_pending"
    assert options["reschedule_until"] is None


def test_a_request_without_a_time_is_approved_with_one(client: TestClient) -> None:
    session_id = slot(client)
    request = ask(client, session_id).json()
    assert request["proposed_start"] is None
    url = f"/v1/reschedules/{request['id']}/approve"
    refusal(client.post(url, json={"role": "teacher"}, headers=TEACHER), "no_time")
    soon = client.post(url, json={"role": "teacher", "start": iso(0.5)}, headers=TEACHER)
    refusal(soon, "min_lead")
    done = client.post(url, json={"role": "teacher", "start": iso(80)}, headers=TEACHER)
    assert done.json()["status"] == "APPROVED"


def test_decline_and_withdraw(client: TestClient) -> None:
    first, second = slot(client, 72), slot(client, 120)
    declined = ask(client, first).json()
    url = f"/v1/reschedules/{declined['id']}/decline"
    done = client.post(url, json={"role": "teacher"}, headers=TEACHER)
    assert (done.json()["status"], done.json()["decided_role"]) == ("DECLINED", "teacher")
    assert client.get(f"/v1/sessions/{first}").json()["start"] == iso(72)

    mine = ask(client, second).json()
    url = f"/v1/reschedules/{mine['id']}/withdraw"
    theirs = client.post(url, json={"role": "teacher"}, headers=TEACHER)
    refusal(theirs, "not_requester")
    withdrawn = client.post(url, json={"role": "student"}, headers=STUDENT)
    assert withdrawn.json()["status"] == "WITHDRAWN"


def test_bad_requests_are_problems(client: TestClient) -> None:
    session_id = slot(client)
    refusal(ask(client, session_id, reason="soon"), "reason_length")
    past = ask(client, session_id, proposed_start=iso(0.25))
    refusal(past, "min_lead")
    anonymous = client.post(
        f"/v1/sessions/{session_id}/reschedules",
        json={"role": "student", "reason": REASON},
        headers={"X-Roles": "student"},
    )
    assert anonymous.status_code == 422
    assert anonymous.json()["error"] == "InvalidValue"
    assert anonymous.json()["expected"] == "Caller(tenant, actor=...)"
    missing = client.get("/v1/reschedules/nope")
    assert (missing.status_code, missing.json()["error"]) == (404, "RescheduleNotFound")
    unknown = client.get("/v1/sessions/nope/reschedules")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "SessionNotFound")
    naive = ask(client, session_id, proposed_start="2026-03-06T08:00:00")
    assert naive.json()["error"] == "RequestValidationError"


def test_a_notice_rule_refuses_and_the_options_say_until_when(
    client_for: ClientFor, clock: ManualClock
) -> None:
    notice = NoticePolicy(rules=(NoticeRule("request_reschedule", {"student"}, timedelta(days=2)),))
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, booking_rules=RULES, notice=notice
    )
    client = client_for(kit)
    near, far = slot(client, 30), slot(client, 96)
    body = refusal(ask(client, near), "notice")
    assert body["allows_at"] is None  # notice only shrinks: waiting never allows it

    options = client.get(
        f"/v1/sessions/{far}/options", params={"role": "student"}, headers=STUDENT
    ).json()
    assert options["reschedule"] is None
    assert options["reschedule_until"] == iso(96 - 48)
    assert (options["refund_percent"], options["cancel"]) == ("100", None)
    assert options["cancel_tiers"] == [
        {"percent": "100", "until": iso(96), "fee": None, "fee_unknown": None}
    ]
    host = client.get(
        f"/v1/sessions/{near}/options", params={"role": "host"}, headers={"X-Roles": "host"}
    ).json()
    assert (host["reschedule"], host["reschedule_until"]) == (None, None)


def _no_price(session: Session) -> Pricing:
    raise LookupError(f"no price for {session.id}")


def test_a_tier_whose_fee_the_pricing_could_not_tell_says_so_not_free(
    client_for: ClientFor, clock: ManualClock
) -> None:
    # The response dropped CancelTier.fee_unknown: a tier keeping a fee the kit's pricing could
    # not price read "fee": null, as if a cancel then were free. It now says the fee is unknown.
    refunds = RefundPolicy(
        tiers=(
            RefundTier(timedelta(hours=48), 100),
            RefundTier(timedelta(hours=24), 100, fee=Money.of("10", "EUR")),
        )
    )
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        refunds=refunds,
        pricing=_no_price,
    )
    client = client_for(kit)
    session_id = slot(client, 72)
    answer = client.get(
        f"/v1/sessions/{session_id}/options", params={"role": "student"}, headers=STUDENT
    )
    assert answer.status_code == 200, answer.text
    why = (
        f"the kit's pricing raised LookupError for session '{session_id}'"
        f": 'no price for {session_id}'"
    )
    assert answer.json()["cancel_tiers"] == [
        {"percent": "100", "until": iso(72 - 48), "fee": None, "fee_unknown": None},
        {"percent": "100", "until": iso(72 - 24), "fee": None, "fee_unknown": why},
    ]


def test_a_session_s_requests_are_read_by_its_own_people_only(client: TestClient) -> None:
    # Who asked and why ("an exam that morning") were open to any caller, an anonymous one
    # included. Staff, the session's resources and its booked participants read them.
    session_id = slot(client)
    asked = ask(client, session_id)
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    booked = client.post(
        f"/v1/sessions/{session_id}/bookings", json={"participant": "student:bo", "confirm": True}
    )
    assert booked.status_code == 201, booked.text
    urls = (f"/v1/sessions/{session_id}/reschedules", f"/v1/reschedules/{request_id}")
    bo = {"X-Roles": "student", "X-Participant": "student:bo"}
    for headers in ({}, STUDENT, TEACHER, bo):
        for url in urls:
            answer = client.get(url, headers=headers)
            assert answer.status_code == 200, (headers, url, answer.text)
    stranger = {"X-Roles": "student", "X-Participant": "student:cy"}
    for headers in (stranger, {"X-Roles": "attendee"}):
        for url in urls:
            refused = client.get(url, headers=headers)
            assert refused.status_code == 403, (headers, url, refused.text)
            assert refused.json()["error"] == "ParticipantNotGranted"
            assert REASON not in refused.text


def test_a_session_s_options_show_its_pending_request_to_its_own_people_only(
    client: TestClient,
) -> None:
    # The options' ``pending`` showed who asked and why to any caller holding the role.
    session_id = slot(client)
    asked = ask(client, session_id)
    assert asked.status_code == 201, asked.text
    request_id, deadline = asked.json()["id"], asked.json()["deadline"]
    url = f"/v1/sessions/{session_id}/options"
    mine = client.get(url, params={"role": "student"}, headers=STUDENT).json()
    assert mine["pending"]["reason"] == REASON
    assert request_id in mine["reschedule"]["reason"]
    assert datetime.fromisoformat(mine["reschedule"]["allows_at"]) == NOW + timedelta(hours=24)
    stranger = {"X-Roles": "student", "X-Participant": "student:cy"}
    for headers in (stranger, {"X-Roles": "student"}):
        theirs = client.get(url, params={"role": "student"}, headers=headers)
        assert theirs.status_code == 200, theirs.text
        assert theirs.json()["pending"] is None
        # The one_pending refusal still says one waits, but named the request and its deadline.
        assert theirs.json()["reschedule"] == {
            "rule": "one_pending",
            "reason": f"session {session_id!r} already has a pending reschedule request",
            "allows_at": None,
        }
        assert REASON not in theirs.text
        assert request_id not in theirs.text
        assert deadline.removesuffix("Z") not in theirs.text


@pytest.mark.parametrize("capacity", [1, 3])
def test_a_participant_reads_the_teachers_request_whole(client: TestClient, capacity: int) -> None:
    # The teacher asks the students to move the lesson: they are the ones to answer, so they
    # read who asked and why, in a 1-to-1 lesson and in a group one alike (a rule that hid a
    # fellow participant's request, tried and withdrawn, hid these from them too).
    body = {"start": iso(72), "end": iso(73), "lifecycle": "lms", "capacity": capacity}
    session_id = client.post("/v1/sessions", json={**body, "resources": ["teacher:tina"]})
    session_id = session_id.json()["id"]
    booked = client.post(
        f"/v1/sessions/{session_id}/bookings", json={"participant": "student:ann", "confirm": True}
    )
    assert booked.status_code == 201, booked.text
    asked = client.post(
        f"/v1/sessions/{session_id}/reschedules",
        json={"role": "teacher", "reason": "I am ill with the flu"},
        headers=TEACHER,
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    whole = ("tina", "I am ill with the flu")
    for read in (
        client.get(f"/v1/reschedules/{request_id}", headers=STUDENT).json(),
        client.get(f"/v1/sessions/{session_id}/reschedules", headers=STUDENT).json()[0],
        client.get(
            f"/v1/sessions/{session_id}/options", params={"role": "student"}, headers=STUDENT
        ).json()["pending"],
    ):
        assert (read["requested_by"], read["reason"]) == whole
    declined = client.post(
        f"/v1/reschedules/{request_id}/decline", json={"role": "student"}, headers=STUDENT
    )
    assert declined.status_code == 200, declined.text
    answer = declined.json()
    assert (answer["requested_by"], answer["reason"], answer["decided_by"]) == (*whole, "ann")


LONG_ANSWERS = {
    "RescheduleCreate: a role of 65": ("", {"role": "s" * 65}, ["role"]),
    "RescheduleCreate: a reason of 2,001": ("", {"reason": "x" * 2001}, ["reason"]),
    "RescheduleApprove: a role of 65": ("/approve", {"role": "t" * 65}, ["role"]),
    "RescheduleAnswer: a role of 65": ("/decline", {"role": "t" * 65}, ["role"]),
}


@pytest.mark.parametrize(("to", "sent", "loc"), LONG_ANSWERS.values(), ids=LONG_ANSWERS.keys())
def test_a_reschedule_body_past_a_length_cap_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, to: str, sent: dict[str, Any], loc: list[str | int]
) -> None:
    # A request's reason and every role were taken as far as the core's own checks,
    # undeclared, where the session and booking bodies cap theirs.
    session_id = slot(client)
    pending = ask(client, session_id).json()
    other = slot(client, 96)  # a new request goes here: none pending yet
    urls = [f"/v1/sessions/{s}/reschedules" for s in (session_id, other)]
    urls += [f"/v1/sessions/{s}" for s in (session_id, other)]
    before = [client.get(url, headers=STUDENT).json() for url in urls]
    if to:
        url = f"/v1/reschedules/{pending['id']}{to}"
        refused = client.post(url, json=sent, headers=TEACHER)
    else:
        refused = ask(client, other, **sent)
    assert refused.status_code == 422, refused.text
    got = refused.json()
    assert got["error"] == "RequestValidationError"
    assert [e["loc"][1:][: len(loc)] for e in got["errors"]] == [loc]
    assert [client.get(url, headers=STUDENT).json() for url in urls] == before


def test_a_reschedule_at_the_length_caps_is_asked_and_answered(
    client_for: ClientFor, clock: ManualClock
) -> None:
    notice = NoticePolicy(reason_length=(10, 2000))  # the longest a policy may allow
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, booking_rules=RULES, notice=notice
    )
    client = client_for(kit)
    asking, answering = "s" * 64, "t" * 64
    student = {**STUDENT, "X-Roles": asking}
    teacher = {**TEACHER, "X-Roles": answering}
    sent = {"role": asking, "reason": "x" * 2000}
    one, two = slot(client), slot(client, 96)
    asked = client.post(f"/v1/sessions/{one}/reschedules", json=sent, headers=student)
    assert asked.status_code == 201, asked.text
    assert (asked.json()["role"], asked.json()["reason"]) == (asking, "x" * 2000)
    url = f"/v1/reschedules/{asked.json()['id']}/"
    declined = client.post(url + "decline", json={"role": answering}, headers=teacher)
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["decided_role"]) == ("DECLINED", answering)
    again = client.post(f"/v1/sessions/{two}/reschedules", json=sent, headers=student).json()
    url = f"/v1/reschedules/{again['id']}/"
    to = {"role": answering, "start": iso(100)}
    approved = client.post(url + "approve", json=to, headers=teacher)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_role"]) == ("APPROVED", answering)
