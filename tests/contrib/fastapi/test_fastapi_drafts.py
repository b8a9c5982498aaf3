"""``POST /bookings`` and ``POST /paid-bookings``: a session created by booking it.

Staff draft any session as asked; a caller that is not staff only under the
router's ``drafts`` check, here :func:`within_availability` over a
consultant's open hours (weekdays 09:00-17:00 in Berlin), which makes the
host's session of the caller's time and resources. A refused draft writes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import time, timedelta
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.availability import Availability
from sessionkit.contrib.fastapi import sessionkit_router, within_availability
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model import ResourceRef
from sessionkit.model.query import SessionQuery
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from .conftest import NOW, caller

CARA = "consultant:cara"
OPEN = Availability.weekly(
    {day: [(time(9), time(17))] for day in ("MO", "TU", "WE", "TH", "FR")}, tz="Europe/Berlin"
)
CLIENT = {"X-Roles": "attendee"}
"""A public booking page's caller: no staff role, no participant of its own."""


def hours_of(tenant: str, resource: ResourceRef) -> Availability | None:
    return OPEN if (tenant, str(resource)) == ("acme", CARA) else None


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


# Tuesday 3 March 2026, 10:00-11:00 in Berlin (09:00 UTC): inside Cara's hours.
INSIDE = {"start": at(25), "end": at(26), "resources": [CARA]}
CHECK = within_availability(
    hours_of, lifecycle="lms", capacity=1, title="Consultation", metadata={"kind": "public"}
)


def body(session: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"participant": "client:dora", "session": session, **extra}


@contextmanager
def drafting_app(kit: SessionKit) -> Iterator[TestClient]:
    """A client of an app whose router lets a caller that is not staff draft, by :data:`CHECK`."""
    with _drafting_app_of(lambda: kit) as client:
        yield client


@contextmanager
def _drafting_app_of(kit: Callable[[], SessionKit]) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(sessionkit_router(kit=kit, caller=caller, drafts=CHECK), prefix="/v1")
    with TestClient(app) as client:
        yield client


class _Served:
    """The kit the module's shared drafting app serves: the test's own."""

    kit: SessionKit | None = None

    @classmethod
    def get(cls) -> SessionKit:
        assert cls.kit is not None, "the drafting fixtures set it"
        return cls.kit


@pytest.fixture(scope="module")
def _shared_drafting() -> Iterator[TestClient]:
    # One app for the module: building one per test was most of the module's 29 s on CI.
    with _drafting_app_of(_Served.get) as client:
        yield client


@pytest.fixture
def drafting(kit: SessionKit, _shared_drafting: TestClient) -> Iterator[TestClient]:
    _Served.kit = kit
    yield _shared_drafting
    _Served.kit = None


@pytest.fixture
def paid_drafting(paid_kit: SessionKit, _shared_drafting: TestClient) -> Iterator[TestClient]:
    _Served.kit = paid_kit
    yield _shared_drafting
    _Served.kit = None


def stored(kit: SessionKit) -> list[tuple[str, str]]:
    """Every session's (start, resources) in the kit."""
    found = kit.queries.list("acme", SessionQuery()).items
    return [(s.start.isoformat(), ",".join(str(r) for r in s.resources)) for s in found]


def test_a_client_books_a_new_session_in_the_consultants_hours(
    drafting: TestClient, kit: SessionKit
) -> None:
    made = drafting.post("/v1/bookings", json=body(INSIDE), headers=CLIENT)
    assert made.status_code == 201, made.text
    booking = made.json()
    assert (booking["participant"], booking["status"]) == ("client:dora", "HELD")
    assert booking["session_start"] == "2026-03-03T09:00:00Z"
    session = kit.queries.get("acme", booking["session_id"])
    assert [str(r) for r in session.resources] == [CARA]
    # The host's session, of the caller's time and resources, in the consultant's zone.
    assert (session.lifecycle, session.capacity, session.title, session.tz) == (
        "lms",
        1,
        "Consultation",
        "Europe/Berlin",
    )
    assert session.metadata["kind"] == "public"
    assert [b.id for b in kit.bookings.for_session("acme", session.id)] == [booking["id"]]


@pytest.mark.parametrize(
    ("session", "reason"),
    [
        ({**INSIDE, "start": at(33), "end": at(34)}, "not available"),  # 18:00 in Berlin
        ({**INSIDE, "start": at(31.5), "end": at(32.5)}, "not available"),  # runs past 17:00
        ({**INSIDE, "resources": ["consultant:carl"]}, "not available"),  # no hours at all
        ({**INSIDE, "resources": None}, "must name whom it books"),
        ({**INSIDE, "resources": [CARA, "room:r1"]}, "not available"),
    ],
)
def test_a_client_s_draft_outside_the_hours_is_refused_and_nothing_is_written(
    drafting: TestClient, kit: SessionKit, session: dict[str, Any], reason: str
) -> None:
    refused = drafting.post("/v1/bookings", json=body(session), headers=CLIENT)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert (problem["error"], problem["rule"]) == ("BookingRefused", "availability")
    assert reason in problem["detail"]
    assert stored(kit) == []


@pytest.mark.parametrize(
    "field",
    [
        {"lifecycle": "lms"},
        {"capacity": 40},
        {"title": "Free webinar"},
        {"tz": "UTC"},
        {"metadata": {"kind": "intro"}},
        {"series_id": "s1"},
    ],
)
def test_a_client_sets_only_the_time_and_resources_of_a_drafted_session(
    drafting: TestClient, kit: SessionKit, field: dict[str, Any]
) -> None:
    # What a host's price, seats and lifecycle are read from is the host's to say.
    refused = drafting.post("/v1/bookings", json=body({**INSIDE, **field}), headers=CLIENT)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["error"] == "InvalidValue"
    assert f"session.{next(iter(field))}" in problem["detail"]
    assert stored(kit) == []


def test_an_hour_whose_held_draft_ran_out_is_free_again_after_the_tick(
    clock: ManualClock,
) -> None:
    # A session made for its one booking is cancelled when that booking ends
    # (``when_emptied="cancel"``), so a visitor who never pays holds the hour only
    # until the tick expires the hold.
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=BookingRules(when_emptied="cancel", hold_for=timedelta(minutes=15)),
    )
    with drafting_app(kit) as client:
        first = client.post("/v1/bookings", json=body(INSIDE), headers=CLIENT)
        assert first.status_code == 201, first.text
        second = {**body(INSIDE), "participant": "client:eve"}
        assert client.post("/v1/bookings", json=second, headers=CLIENT).status_code == 409
        clock.advance(timedelta(minutes=15))
        kit.tick()
        assert kit.queries.get("acme", first.json()["session_id"]).status == "CANCELED"
        again = client.post("/v1/bookings", json=second, headers=CLIENT)
        assert again.status_code == 201, again.text


def test_staff_draft_any_session_and_a_router_without_a_check_refuses_everyone_else(
    client: TestClient, kit: SessionKit
) -> None:
    evening = {"start": at(33), "end": at(34), "resources": ["consultant:carl"], "lifecycle": "lms"}
    for route in ("/v1/bookings", "/v1/paid-bookings"):
        refused = client.post(route, json=body(INSIDE), headers=CLIENT)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "RoleNotGranted"
        assert refused.json()["needs_for"] == '"session" (a new session)', refused.json()
        assert refused.json()["detail"].startswith(
            'the caller may not ask for "session" (a new session): that takes acting as'
        )
        # With another part only staff may send, one 403 names both (not one, then the other).
        both = client.post(route, json=body(INSIDE, confirm=True), headers=CLIENT)
        assert both.json()["needs_for"] == '"confirm": true and "session" (a new session)'
    assert stored(kit) == []
    # A router with a drafts check lets the session through: only hold_minutes is named.
    with drafting_app(kit) as drafting:
        held = drafting.post("/v1/bookings", json=body(INSIDE, hold_minutes=5), headers=CLIENT)
        assert (held.status_code, held.json()["needs_for"]) == (403, "hold_minutes"), held.text
    made = client.post("/v1/bookings", json=body(evening, confirm=True))
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "CONFIRMED"
    assert stored(kit) == [("2026-03-03T17:00:00+00:00", "consultant:carl")]


def test_a_taken_hour_is_a_conflict_whose_sessions_only_staff_see(
    drafting: TestClient, kit: SessionKit
) -> None:
    first = drafting.post("/v1/bookings", json=body(INSIDE), headers=CLIENT)
    assert first.status_code == 201, first.text
    overlapping = {**INSIDE, "start": at(25.5), "end": at(26.5)}
    taken = drafting.post(
        "/v1/bookings", json={**body(overlapping), "participant": "client:eve"}, headers=CLIENT
    )
    assert taken.status_code == 409, taken.text
    problem = taken.json()
    assert problem["error"] == "SessionConflict"
    assert (problem["session"], problem["conflicts"]) == (None, [])  # another client's session
    as_staff = drafting.post(
        "/v1/bookings",
        json={**body({**overlapping, "lifecycle": "lms"}), "participant": "client:eve"},
    )
    assert as_staff.status_code == 409, as_staff.text
    seen = as_staff.json()
    assert [c["id"] for c in seen["conflicts"]] == [first.json()["session_id"]]
    assert seen["session"]["id"] is None  # never stored
    assert len(stored(kit)) == 1


def test_a_replayed_draft_booking_returns_the_first_and_makes_one_session(
    drafting: TestClient, kit: SessionKit
) -> None:
    key = {**CLIENT, "Idempotency-Key": "page-17"}
    first = drafting.post("/v1/bookings", json=body(INSIDE), headers=key)
    again = drafting.post("/v1/bookings", json=body(INSIDE), headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert len(stored(kit)) == 1
    other = drafting.post(
        "/v1/bookings", json=body({**INSIDE, "start": at(27), "end": at(28)}), headers=key
    )
    assert other.status_code == 422, other.text
    assert other.json()["error"] == "IdempotencyKeyReused"
    # The page's caller is no participant: the key's first booking is not its to know.
    assert (other.json()["record_id"], other.json()["booking_id"]) == (None, None)
    assert first.json()["id"] not in other.text
    staff = drafting.post(
        "/v1/bookings",
        json=body({**INSIDE, "start": at(27), "end": at(28)}),
        headers={"Idempotency-Key": "page-17"},
    )
    assert staff.json()["booking_id"] == first.json()["id"]


def test_a_client_pays_for_a_new_session_in_the_consultants_hours(
    paid_drafting: TestClient, paid_kit: SessionKit
) -> None:
    made = paid_drafting.post(
        "/v1/paid-bookings", json=body({**INSIDE, "end": at(26.5)}), headers=CLIENT
    )
    assert made.status_code == 201, made.text
    checkout = made.json()
    assert checkout["next_action"] == "pay"
    assert (checkout["payment"]["amount"], checkout["payment"]["currency"]) == ("60.00", "EUR")
    assert len(stored(paid_kit)) == 1
    refused = paid_drafting.post(
        "/v1/paid-bookings", json=body({**INSIDE, "start": at(33), "end": at(34)}), headers=CLIENT
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "availability"
    taken = paid_drafting.post(
        "/v1/paid-bookings", json={**body(INSIDE), "participant": "client:eve"}, headers=CLIENT
    )
    assert taken.status_code == 409, taken.text
    assert (taken.json()["session"], taken.json()["conflicts"]) == (None, [])
    assert len(stored(paid_kit)) == 1
    assert len(paid_kit.payments.list("acme")) == 1


def test_a_priced_draft_booked_without_paying_names_no_session(
    paid_drafting: TestClient, paid_kit: SessionKit
) -> None:
    refused = paid_drafting.post("/v1/bookings", json=body(INSIDE), headers=CLIENT)
    assert refused.status_code == 402, refused.text
    problem = refused.json()
    # The drafted session went with the refusal: no id that would lead nowhere.
    assert (problem["session_id"], problem["payment_status"]) == (None, "missing")
    assert problem["detail"].startswith("the drafted session is priced")
    assert stored(paid_kit) == []


def test_the_router_refuses_a_drafts_check_that_is_not_callable(kit: SessionKit) -> None:
    with pytest.raises(WrongType, match="drafts"):
        sessionkit_router(kit=lambda: kit, caller=caller, drafts="yes")  # type: ignore[arg-type]  # the bad value tested
    with pytest.raises(WrongType, match="availability_of"):
        within_availability(OPEN, lifecycle="lms")  # type: ignore[arg-type]  # the bad value tested
    with pytest.raises(InvalidValue, match="capacity"):
        within_availability(hours_of, lifecycle="lms", capacity=0)


def test_a_drafts_check_answering_no_session_is_a_host_error(kit: SessionKit) -> None:
    app = FastAPI()
    app.include_router(
        sessionkit_router(kit=lambda: kit, caller=caller, drafts=lambda *_: None)  # type: ignore[arg-type]  # the bad check tested
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        answered = client.post("/bookings", json=body(INSIDE), headers=CLIENT)
    assert answered.status_code == 500
    assert stored(kit) == []


LONG = {
    "a metadata text of 2,001 characters": ({"metadata": {"note": "x" * 2001}}, ["metadata"]),
    "51 metadata fields": ({"metadata": {f"k{i}": i for i in range(51)}}, ["metadata"]),
    "a metadata name of 65 characters": ({"metadata": {"k" * 65: 1}}, ["metadata", "k" * 65]),
    "a participant of 256 characters": ({"participant": "client:" + "d" * 249}, ["participant"]),
    "a role of 65 characters": ({"acting_role": "r" * 65}, ["acting_role"]),
    "a session title of 256 characters": ({"title": "t" * 256}, ["session", "title"]),
    "101 resources": ({"resources": [f"room:r{i}" for i in range(101)]}, ["session", "resources"]),
    "a session metadata text of 2,001": (
        {"metadata": {"note": "x" * 2001}, "in": "session"},
        ["session", "metadata"],
    ),
}


@pytest.mark.parametrize(("sent", "loc"), LONG.values(), ids=LONG.keys())
def test_a_public_draft_past_a_length_cap_is_a_422_naming_the_field_and_writes_nothing(
    drafting: TestClient, kit: SessionKit, sent: dict[str, Any], loc: list[str]
) -> None:
    # A public booking page took a booking's metadata up to the core's 64 KiB (a novel in
    # one field), and the rest only as far as the core's own checks, undeclared.
    sent = dict(sent)
    session_fields = {"title", "resources"} | ({"metadata"} if sent.pop("in", None) else set())
    asked = body(
        {**INSIDE, **{k: v for k, v in sent.items() if k in session_fields}},
        **{k: v for k, v in sent.items() if k not in session_fields},
    )
    refused = drafting.post("/v1/bookings", json=asked, headers=CLIENT)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["error"] == "RequestValidationError"
    assert [e["loc"][1:][: len(loc)] for e in problem["errors"]] == [loc]
    assert stored(kit) == []


def test_a_public_draft_at_the_length_caps_is_booked(drafting: TestClient, kit: SessionKit) -> None:
    metadata = {f"{'k' * 62}{i:02}": "x" * 2000 for i in range(25)}  # 50 KB: within 64 KiB
    made = drafting.post("/v1/bookings", json=body(INSIDE, metadata=metadata), headers=CLIENT)
    assert made.status_code == 201, made.text
    assert made.json()["metadata"] == metadata
    drafting.post(f"/v1/bookings/{made.json()['id']}/cancel", headers=CLIENT)
    many = {f"k{i}": i for i in range(50)}
    again = drafting.post(
        "/v1/bookings",
        json=body(
            {**INSIDE, "start": at(27), "end": at(28)},
            participant="client:" + "e" * 248,
            metadata=many,
        ),
        headers=CLIENT,
    )
    assert again.status_code == 201, again.text
    assert len(again.json()["participant"]) == 255
