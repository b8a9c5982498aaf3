"""The schedule's owner (staff) and the participant a caller is: who may do what over HTTP.

A caller holding one of the router's ``staff_roles`` runs the schedule; any
other caller is refused (403 ``RoleNotGranted``) every route acting as the
owner, and, when the host names its participant, everything of another
participant's (403 ``ParticipantNotGranted``). A refusal writes nothing: each
test compares the stored state before and after, read from the kit itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import DEFAULT_STAFF_ROLES, sessionkit_router
from sessionkit.contrib.fastapi.payment_schemas import PaymentEventIn
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.lifecycle import PRESETS, roles
from sessionkit.model.session import Session
from sessionkit.policies import Pricing
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

from .conftest import HOURLY, RULES, _Current, problem

T = "acme"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
STAFF_NEEDED = "admin, host or provider"
"""How a ``RoleNotGranted`` names the default staff roles."""

DAN = {"X-Actor": "dan", "X-Roles": "student", "X-Participant": "student:dan"}
CAI = {"X-Actor": "cai", "X-Roles": "student", "X-Participant": "student:cai"}
TINA = {"X-Actor": "tina", "X-Roles": "tutor,provider", "X-Participant": "tutor:tina"}
"""A tutor: ``provider`` is a staff role, so she runs the schedule."""
DESK = {"X-Actor": "desk", "X-Roles": "admin,student", "X-Participant": "staff:desk"}
"""The front desk: staff, and it books students in the role ``student`` (so it holds it)."""
NOBODY = {"X-Roles": ""}
"""A caller with no actor, no roles and no participant."""


def iso(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def priced(session: Session) -> Pricing | None:
    """Sessions titled "Paid" cost :data:`HOURLY`; the others are free."""
    return HOURLY if session.title == "Paid" else None


class World:
    """Sessions, bookings, payments, a reschedule request, a series and an override.

    ``p``: a paid session where cai holds a paid, confirmed booking (and a
    pending request to move it) and eve a manual, unpaid one; ``f``: a free
    session where dan holds a seat and cai has an attendance override; ``e``:
    an empty session; ``w``: a weekly series.
    """

    def __init__(self, client: TestClient, kit: SessionKit, gateway: FakeGateway) -> None:
        self.client, self.kit, self.gateway = client, kit, gateway
        self.p = self.session(72, "Paid")
        self.f = self.session(96, "Free")
        self.e = self.session(120, "Empty")
        cai = self.ok(
            client.post(
                f"/v1/sessions/{self.p}/paid-bookings",
                json={"participant": "student:cai", "role": "student"},
                headers=CAI,
            )
        )
        self.cai_booking, self.cai_payment = cai["booking"]["id"], cai["payment"]["id"]
        gateway.pay(cai["payment"]["intent_ref"])
        for event in gateway.drain():  # the provider's webhook, posted by staff here
            self.ok(
                client.post(
                    "/v1/payments/events", json=PaymentEventIn.of(event).model_dump(mode="json")
                )
            )
        eve = self.ok(
            client.post(
                f"/v1/sessions/{self.p}/paid-bookings",
                json={"participant": "student:eve", "role": "student", "manual": True},
                headers=DESK,
            )
        )
        self.manual_payment = eve["payment"]["id"]
        dan = self.ok(
            client.post(
                f"/v1/sessions/{self.f}/bookings",
                json={"participant": "student:dan", "role": "student"},
                headers=DAN,
            )
        )
        self.dan_booking = dan["id"]
        request = self.ok(
            client.post(
                f"/v1/sessions/{self.p}/reschedules",
                json={"role": "student", "reason": "I have an exam that morning"},
                headers=CAI,
            )
        )
        self.request = request["id"]
        self.w = self.ok(client.post("/v1/series", json=SERIES))["id"]
        self.ok(
            client.put(
                f"/v1/sessions/{self.f}/attendance/student:cai",
                json={"status": "absent"},  # before the start: only "absent" is reported
                headers=TINA,
            )
        )

    def session(self, hours: float, title: str) -> str:
        body = {"start": iso(hours), "end": iso(hours + 1), "lifecycle": "lms", "capacity": 3}
        made: str = self.ok(self.client.post("/v1/sessions", json={**body, "title": title}))["id"]
        return made

    @staticmethod
    def ok(response: Any) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    def url(self, path: str) -> str:
        ids = {
            "p": self.p,
            "f": self.f,
            "e": self.e,
            "w": self.w,
            "paid": self.cai_payment,
            "manual": self.manual_payment,
            "cai": self.cai_booking,
            "dan": self.dan_booking,
            "r": self.request,
        }
        return "/v1" + path.format(**ids)

    def body(self, body: Any) -> Any:
        """``body`` with its ``{e}``-style ids filled in (in lists of ids)."""
        if isinstance(body, dict):
            return {k: self.body(v) for k, v in body.items()}
        if isinstance(body, list):
            return [self.body(v) for v in body]
        if isinstance(body, str) and body.startswith("{"):
            return self.url(body).removeprefix("/v1")
        return body

    def stored(self) -> list[Any]:
        """Everything stored, read from the kit (not through the routes under test)."""
        kit = self.kit
        sessions = kit.queries.list(T).items
        return [
            sessions,
            [kit.bookings.for_session(T, s.id) for s in sessions],
            kit.payments.list(T),
            [kit.attendance.for_session(T, s.id) for s in sessions],
            [kit.reschedules.for_session(T, s.id) for s in sessions],
            kit.queries.get_series(T, self.w),
            list(self.gateway.calls),
        ]


SERIES = {
    "title": "Weekly",
    "lifecycle": "lms",
    "items": [
        {
            "id": "mo",
            "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
            "start": "2026-03-09T18:00:00",
            "tz": "Europe/Berlin",
            "duration_minutes": 60,
            "resources": ["teacher:kim"],
        }
    ],
}


@pytest.fixture
def world_kit(clock: ManualClock, gateway: FakeGateway) -> SessionKit:
    return SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        gateway=gateway,
        pricing=priced,
    )


@pytest.fixture
def world(
    world_kit: SessionKit, gateway: FakeGateway, shared_client: TestClient
) -> Iterator[World]:
    _Current.kit = world_kit  # the shared app serves this test's kit
    yield World(shared_client, world_kit, gateway)
    _Current.kit = None


def presence(session: str) -> dict[str, Any]:
    event = {
        "provider": "meet",
        "event_id": "evt_1",
        "session_id": session,
        "participant": "student:dan",
        "action": "join",
        "at": iso(0),  # heard now: a provider posts what has happened
    }
    return {"events": [event]}


PAYMENT_EVENT = {
    "provider": "fake",
    "event_id": "evt_forged",
    "type": "succeeded",
    "occurred_at": NOW.isoformat(),
    "payment_id": "{manual}",
}

STAFF_ONLY: list[tuple[str, str, Any, int]] = [
    ("post", "/sessions", {"start": iso(200), "end": iso(201), "lifecycle": "lms"}, 201),
    ("patch", "/sessions/{e}", {"title": "Mine now"}, 200),
    ("delete", "/sessions/{e}", None, 200),
    ("post", "/sessions/{e}/cancel", {"reason": "I say so"}, 200),
    ("post", "/sessions/{e}/transitions/cancel", None, 200),
    ("post", "/sessions/transitions", {"session_ids": ["{e}"], "transition": "cancel"}, 200),
    ("post", "/series", {**SERIES, "title": "Another"}, 201),
    ("post", "/series/{w}/close", None, 200),
    ("post", "/payments/{paid}/refunds", {"amount": "40.00", "currency": "EUR"}, 200),
    ("post", "/payments/mark-paid", {"payment_ids": ["{manual}"]}, 200),
    (
        "post",
        "/sessions/{p}/paid-bookings",
        {"participant": "student:dan", "role": "student", "manual": True, "confirm": True},
        201,
    ),
    (
        "post",
        "/sessions/{p}/paid-bookings",
        {"participant": "student:dan", "role": "student", "manual": True},
        201,
    ),
    (
        "post",
        "/sessions/{e}/bookings",
        {"participant": "student:dan", "role": "student", "confirm": True},
        201,
    ),
    # A hold longer than the rules' keeps every paying student out (a year, say).
    (
        "post",
        "/sessions/{p}/paid-bookings",
        {"participant": "student:dan", "role": "student", "hold_minutes": 527040},
        201,
    ),
    (
        "post",
        "/sessions/{e}/bookings",
        {"participant": "student:dan", "role": "student", "hold_minutes": 527040},
        201,
    ),
    ("put", "/sessions/{f}/attendance/student:dan", {"status": "absent", "minutes": 0}, 200),
    ("delete", "/sessions/{f}/attendance/student:cai", None, 200),
    # The provider webhooks, in a router given no ``webhook=`` dependency. A manual payment is
    # no provider's: the event is of no payment here (yet), answered 503 for a redelivery.
    ("post", "/payments/events", PAYMENT_EVENT, 503),
    ("post", "/presence-events", presence("{f}"), 200),
]
CASES = [
    pytest.param(who, *case, id=f"{name}-{case[0]} {case[1]} {'+'.join(flags)}")
    for case in STAFF_ONLY
    for flags in [[k for k in ("manual", "confirm", "hold_minutes") if (case[2] or {}).get(k)]]
    for name, who in (("student", DAN), ("anonymous", NOBODY))
    # A caller holding no role books nothing in any role: the gates below are not reached.
    if who is DAN or "participant" not in (case[2] or {})
]


@pytest.mark.parametrize(("who", "method", "path", "body", "status"), CASES)
def test_only_staff_acts_as_the_schedules_owner_and_a_refusal_writes_nothing(
    world: World, who: dict[str, str], method: str, path: str, body: Any, status: int
) -> None:
    before = world.stored()
    refused = world.client.request(method, world.url(path), json=world.body(body), headers=who)
    found = problem(refused, 403, "RoleNotGranted")
    assert (found["role"], found["granted"]) == (
        STAFF_NEEDED,
        sorted(r for r in who["X-Roles"].split(",") if r),
    )
    # What in the request takes the staff roles, in the body's own terms; the route itself: None.
    flags = {
        "manual": '"manual": true',
        "confirm": '"confirm": true',
        "hold_minutes": "hold_minutes",
    }
    named = [said for key, said in flags.items() if isinstance(body, dict) and body.get(key)]
    assert found["needs_for"] == (" and ".join(named) or None), found
    assert world.stored() == before
    done = world.client.request(method, world.url(path), json=world.body(body), headers=DESK)
    assert done.status_code == status, done.text  # staff is let through


def test_a_named_role_passes_only_where_the_lifecycle_guards_by_role(
    world: World, clock: ManualClock, gateway: FakeGateway
) -> None:
    # The lms lifecycle guards no transition by role: naming a granted role does not make a
    # student the schedule's owner (a student cancelled a tutor's slot by naming "student",
    # and everyone in it was refunded).
    teacher = {"X-Actor": "kim", "X-Roles": "teacher"}
    url = world.url("/sessions/{e}/cancel")
    before = world.stored()
    for body in ({"reason": "ill"}, {"reason": "ill", "role": "teacher"}):
        refused = problem(world.client.post(url, json=body, headers=teacher), 403, "RoleNotGranted")
        assert (refused["role"], refused["granted"]) == (STAFF_NEEDED, ["teacher"])
        # A role named and held: what takes staff is this transition in it (none named: the route).
        named = "role" in body
        said = 'the transition \'cancel\' with "role": "teacher"'
        assert refused["needs_for"] == (said if named else None), refused
        assert refused["detail"].startswith(
            f"the caller may not ask for {said}: that takes acting as"
            if named
            else "the caller may not act as"
        ), refused
    fired = world.client.post(
        world.url("/sessions/{e}/transitions/start"), json={"role": "teacher"}, headers=teacher
    )
    started = problem(fired, 403, "RoleNotGranted")
    assert started["needs_for"] == 'the transition \'start\' with "role": "teacher"', started
    many = world.client.post(
        world.url("/sessions/transitions"),
        json={"session_ids": [world.e], "transition": "start"},
        headers=teacher,
    )
    assert problem(many, 403, "RoleNotGranted")["needs_for"] is None  # no role named
    assert world.stored() == before
    # A lifecycle whose cancel is guarded by role lets that role cancel, and no other.
    guarded = PRESETS.get("lms").replace_transition("cancel", guards=[roles("teacher")])
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        gateway=gateway,
        lifecycles=PRESETS.with_lifecycle(guarded),
    )
    lesson = kit.sessions.create_extra(
        "acme",
        actor="desk",
        start=NOW + timedelta(days=3),
        end=NOW + timedelta(days=3, hours=1),
        lifecycle="lms",
    )
    from fastapi import FastAPI

    from .conftest import caller

    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=caller), prefix="/v1")
    student = {"X-Actor": "sam", "X-Roles": "student,teacher"}
    with TestClient(app) as client:
        cancel = f"/v1/sessions/{lesson.id}/cancel"
        as_student = client.post(cancel, json={"role": "student"}, headers=student)
        refused = problem(as_student, 403, "RoleNotGranted")
        assert refused["needs_for"] == 'the transition \'cancel\' with "role": "student"'
        bulk = {"session_ids": [lesson.id], "transition": "cancel", "role": "student"}
        many = client.post("/v1/sessions/transitions", json=bulk, headers=student)
        assert problem(many, 403, "RoleNotGranted")["needs_for"] == refused["needs_for"]
        as_teacher = client.post(cancel, json={"role": "teacher"}, headers=teacher)
        assert (as_teacher.status_code, as_teacher.json()["status"]) == (200, "CANCELED")


def test_the_routers_staff_roles_are_the_hosts_to_name(
    world_kit: SessionKit, gateway: FakeGateway
) -> None:
    from fastapi import FastAPI

    from .conftest import caller

    app = FastAPI()
    app.include_router(
        sessionkit_router(kit=lambda: world_kit, caller=caller, staff_roles=["tutor"]), prefix="/v1"
    )
    body = {"start": iso(200), "end": iso(201), "lifecycle": "lms"}
    with TestClient(app) as client:
        as_provider = client.post("/v1/sessions", json=body, headers={"X-Roles": "provider"})
        assert problem(as_provider, 403, "RoleNotGranted")["role"] == "tutor"
        as_tutor = client.post("/v1/sessions", json=body, headers={"X-Roles": "tutor"})
        assert as_tutor.status_code == 201, as_tutor.text
    assert {"host", "provider", "admin"} == DEFAULT_STAFF_ROLES
    with pytest.raises(WrongType):
        sessionkit_router(kit=lambda: world_kit, caller=caller, staff_roles="admin")
    with pytest.raises(InvalidValue):
        sessionkit_router(kit=lambda: world_kit, caller=caller, staff_roles={""})


# -- a participant's own -----------------------------------------------------------------

THEIRS: list[tuple[str, str, Any, str | None]] = [
    # A stored record's participant is not named: the caller learns nothing of whose it is.
    ("post", "/bookings/{cai}/cancel", {"role": "student"}, None),
    ("post", "/bookings/{cai}/cancel-and-refund", {"role": "student"}, None),
    ("post", "/bookings/{cai}/confirm", None, None),
    ("post", "/bookings/{cai}/claim", None, None),
    (
        "post",
        "/sessions/{f}/bookings",
        {"participant": "student:cai", "role": "student"},
        "student:cai",
    ),
    (
        "post",
        "/sessions/{p}/paid-bookings",
        {"participant": "student:cai", "role": "student"},
        "student:cai",
    ),
    ("get", "/bookings/{cai}", None, None),
    ("get", "/bookings/{cai}/payments", None, None),
    ("get", "/payments/{paid}", None, None),
    ("get", "/participants/student:cai/bookings", None, "student:cai"),
    ("get", "/payments?participant=student:cai", None, "student:cai"),
    ("get", "/payments", None, None),
    ("get", "/sessions/{p}/bookings", None, None),
    ("get", "/sessions/{p}/payments", None, None),
    # dan holds no booking of cai's session: he may not ask to move it, nor answer for it.
    ("post", "/sessions/{p}/reschedules", {"role": "student", "reason": "a clash"}, None),
    ("post", "/reschedules/{r}/decline", {"role": "student"}, None),
    ("post", "/reschedules/{r}/approve", {"role": "student"}, None),
    ("post", "/reschedules/{r}/withdraw", {"role": "student"}, None),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "whose"), THEIRS, ids=[f"{m} {p}" for m, p, _, _ in THEIRS]
)
def test_a_participant_is_refused_another_participants_records(
    world: World, method: str, path: str, body: Any, whose: str | None
) -> None:
    before = world.stored()
    refused = world.client.request(method, world.url(path), json=body, headers=DAN)
    found = problem(refused, 403, "ParticipantNotGranted")
    assert (found["participant"], found["granted"]) == (whose, "student:dan")
    assert found["asked"]
    assert "staff role" in found["detail"]
    assert world.stored() == before
    # A caller the host names no participant for acts for none, but may book for anyone (a
    # public booking form: the host vouches for who books).
    nobody = {"X-Actor": "dan", "X-Roles": "student"}
    anonymous = world.client.request(method, world.url(path), json=body, headers=nobody)
    if path.endswith("bookings") and method == "post":
        # Past the check: /sessions/{f} is free and booked, cai holds /sessions/{p} already.
        assert anonymous.status_code == 201 or anonymous.json()["error"] == "AlreadyBooked", (
            anonymous.text
        )
    else:
        found = problem(anonymous, 403, "ParticipantNotGranted")
        assert found["granted"] is None
        assert "Caller.participant" in found["detail"]
    # Staff acts for anyone.
    answered = world.client.request(method, world.url(path), json=body, headers=DESK)
    assert answered.status_code != 403, answered.text


def test_a_participant_acts_on_and_reads_its_own_and_only_its_own(world: World) -> None:
    c = world.client
    mine, theirs = world.url("/bookings/{dan}"), world.url("/bookings/{cai}")
    assert c.get(mine, headers=DAN).json()["participant"] == "student:dan"
    problem(c.get(theirs, headers=DAN), 403, "ParticipantNotGranted")
    listed = c.get("/v1/participants/student:dan/bookings", headers=DAN).json()["items"]
    assert [b["id"] for b in listed] == [world.dan_booking]
    problem(
        c.get("/v1/participants/student:dan/bookings", headers=CAI), 403, "ParticipantNotGranted"
    )
    paid = c.get("/v1/payments", params={"participant": "student:cai"}, headers=CAI).json()
    assert [p["id"] for p in paid["items"]] == [world.cai_payment]
    assert c.get(world.url("/payments/{paid}"), headers=CAI).status_code == 200
    problem(c.get(world.url("/payments/{paid}"), headers=DAN), 403, "ParticipantNotGranted")
    # cai holds a confirmed booking of the paid session: his request stood; he withdraws it.
    withdrawn = c.post(
        world.url("/reschedules/{r}/withdraw"), json={"role": "student"}, headers=CAI
    )
    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "WITHDRAWN")
    done = c.post(world.url("/bookings/{dan}/cancel"), json={"role": "student"}, headers=DAN)
    assert (done.status_code, done.json()["status"]) == (200, "CANCELLED")


def test_participant_not_granted_does_not_name_whose_the_record_is(world: World) -> None:
    # It named the booking's participant to anyone holding its id.
    refused = world.client.get(world.url("/bookings/{cai}"), headers=DAN)
    found = problem(refused, 403, "ParticipantNotGranted")
    assert found["asked"] == f"booking {world.cai_booking!r}"
    assert (found["participant"], found["granted"]) == (None, "student:dan")
    assert found["detail"] == (
        f"booking {world.cai_booking!r} is not for the caller's participant 'student:dan'; "
        "acting for another participant takes a staff role"
    )
    assert "cai" not in refused.text.replace(world.cai_booking, "")
    assert found["type"] == "urn:sessionkit:problem:participant-not-granted"


def test_a_caller_of_many_roles_is_staff_when_one_of_them_is(world: World) -> None:
    url, body = world.url("/payments/mark-paid"), {"payment_ids": [world.manual_payment]}
    problem(world.client.post(url, json=body, headers=DAN), 403, "RoleNotGranted")
    done = world.client.post(url, json=body, headers={**DAN, "X-Roles": "student,host"})
    assert done.status_code == 200, done.text
    assert [p["status"] for p in done.json()] == ["PAID"]


def test_a_form_booking_for_someone_booked_learns_only_that_they_are(world: World) -> None:
    # It was told the booking's id and status: another's booking, which a form sharing the
    # maker's actor could then confirm.
    c = world.client
    made = world.ok(c.post(f"/v1/sessions/{world.e}/bookings", json={"participant": "student:fay"}))
    form = {"X-Actor": "kiosk", "X-Roles": "participant,attendee"}
    again = c.post(
        f"/v1/sessions/{world.e}/bookings", json={"participant": "student:fay"}, headers=form
    )
    found = problem(again, 409, "AlreadyBooked")
    assert (found["participant"], found["booking_id"], found["booking_status"]) == (
        "student:fay",
        None,
        None,
    )
    assert made["id"] not in again.text
    fay = {"X-Roles": "participant,attendee", "X-Participant": "student:fay"}
    own = c.post(
        f"/v1/sessions/{world.e}/bookings", json={"participant": "student:fay"}, headers=fay
    )
    assert problem(own, 409, "AlreadyBooked")["booking_id"] == made["id"]  # her own
    desk = c.post(f"/v1/sessions/{world.e}/bookings", json={"participant": "student:fay"})
    assert problem(desk, 409, "AlreadyBooked")["booking_id"] == made["id"]  # staff


@pytest.mark.parametrize(("route", "session"), [("bookings", "e"), ("paid-bookings", "p")])
def test_a_reused_idempotency_key_names_the_first_booking_to_its_own_people_only(
    world: World, route: str, session: str
) -> None:
    # Keys are the tenant's: a caller reusing one (a public form, another participant) was
    # told the id of the booking it first made, someone else's. Staff and that booking's
    # participant are told it still; anyone else only that the key is taken.
    c, url = world.client, world.url(f"/sessions/{{{session}}}/{route}")
    key = {"Idempotency-Key": f"order-{route}"}
    asked = {"participant": "student:dan", "role": "student"}
    first = world.ok(c.post(url, json=asked, headers={**DAN, **key}))
    first_id = first["id"] if route == "bookings" else first["booking"]["id"]
    form = {"X-Actor": "kiosk", "X-Roles": "participant,attendee"}
    others = [
        (form, {"participant": "student:fay"}),
        (CAI, {"participant": "student:cai", "role": "student"}),
    ]
    for headers, body in others:
        reused = c.post(url, json=body, headers={**headers, **key})
        found = problem(reused, 422, "IdempotencyKeyReused")
        assert (found["key"], found["kind"], found["record_id"], found["booking_id"]) == (
            f"order-{route}",
            "booking",
            None,
            None,
        )
        assert found["detail"] == (
            f"idempotency key 'order-{route}' already made a booking with another request; "
            "use a new key for a new request"
        )
        assert first_id not in reused.text
    own = c.post(url, json={**asked, "seats": 2}, headers={**DAN, **key})
    assert problem(own, 422, "IdempotencyKeyReused")["booking_id"] == first_id  # his own
    desk = c.post(url, json={"participant": "student:fay"}, headers=key)
    assert problem(desk, 422, "IdempotencyKeyReused")["booking_id"] == first_id  # staff


def test_a_public_form_confirms_the_bookings_it_made_and_touches_no_other(world: World) -> None:
    # The form's caller is no participant: it books for whoever fills it in and completes
    # that hold; another caller of its kind, and every read, is refused.
    c = world.client
    form = {"X-Actor": "web-form", "X-Roles": "participant,attendee"}
    other = {"X-Actor": "kiosk", "X-Roles": "participant,attendee"}
    held = world.ok(
        c.post(
            f"/v1/sessions/{world.e}/bookings", json={"participant": "student:fay"}, headers=form
        )
    )
    assert held["status"] == "HELD"
    url = f"/v1/bookings/{held['id']}"
    assert (
        problem(c.post(f"{url}/confirm", headers=other), 403, "ParticipantNotGranted")["granted"]
        is None
    )
    problem(c.get(url, headers=form), 403, "ParticipantNotGranted")
    problem(c.post(f"{url}/cancel", headers=form), 403, "ParticipantNotGranted")
    confirmed = c.post(f"{url}/confirm", headers=form)
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "CONFIRMED")
    problem(
        c.post(world.url("/bookings/{dan}/confirm"), headers=form), 403, "ParticipantNotGranted"
    )
