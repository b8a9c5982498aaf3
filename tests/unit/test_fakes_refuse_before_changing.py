"""The shipped fakes refuse what their provider refuses, and a refused call changes nothing.

``FakeGateway.capture`` captures an authorized intent only, as a provider does (Stripe
captures a PaymentIntent in ``requires_capture`` only): it turned a pending, failed or
cancelled intent into a succeeded one. And a ``clock`` answering a naive datetime (or no
datetime) was found out only once an intent was marked paid or a room closed, leaving the
change half made; the time is read and checked before anything changes now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.errors import (
    InvalidValue,
    NaiveDatetime,
    NotADatetime,
    PaymentGatewayError,
    SessionKitError,
    WrongType,
)
from sessionkit.model.attendance import JOIN, LEAVE
from sessionkit.model.booking import CANCELLED, HELD
from sessionkit.model.money import Money
from sessionkit.model.payment import AUTHORIZED, FAILED, PaymentEvent
from sessionkit.model.session import ResourceRef
from sessionkit.policies import BookingRules, Rate
from sessionkit.ports import IntentStatus
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
EUR60 = Money.of(60, "EUR")
ANA = ResourceRef("student", "ana")
BEN = ResourceRef("student", "ben")
_NAIVE = datetime(2026, 3, 2, 9, 30)  # naive on purpose: a bad clock's answer
_UNCHANGED_MESSAGE = r"^instant must be"  # the error each event raised, as before
_BAD_TIMES: list[tuple[object, type[SessionKitError]]] = [
    (_NAIVE, NaiveDatetime),
    ("09:30", NotADatetime),
]


class Clock:
    """A clock callable whose answer a test sets, a bad one included."""

    def __init__(self) -> None:
        self.answer: object = NOW

    def __call__(self) -> datetime:
        return self.answer  # type: ignore[return-value]  # a bad answer is the point


def _events(gateway: FakeGateway) -> list[tuple[str, str | None, str]]:
    return [(e.type, e.intent_ref, e.event_id) for e in gateway.drain()]


# -- FakeGateway.capture: an authorized intent only -------------------------------------------


def _intent_in(gateway: FakeGateway, status: IntentStatus) -> str:
    """Return the ref of a new intent brought to ``status`` the way a test would; events drained."""
    ref = gateway.create_intent(amount=EUR60, idempotency_key=f"c-{status}", metadata={}).ref
    if status == "succeeded":
        gateway.pay(ref)
    elif status == "failed":
        gateway.decline(ref, "card_declined")
    elif status == "canceled":
        gateway.cancel(ref, idempotency_key=f"x-{status}")
    elif status == "authorized":
        gateway.authorize(ref)
    gateway.drain()
    return ref


@pytest.mark.parametrize("status", ["pending", "failed", "canceled", "succeeded"])
def test_capturing_an_intent_not_authorized_is_refused_and_changes_nothing(
    status: IntentStatus,
) -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    ref = _intent_in(gateway, status)
    before = (gateway.intents[ref].status, gateway.intents[ref].reason)
    kept = gateway.collected("EUR")
    with pytest.raises(ValueError, match=f"cannot capture a {status} intent"):
        gateway.capture(ref, idempotency_key="capture-1")
    assert (gateway.intents[ref].status, gateway.intents[ref].reason) == before
    assert gateway.intents[ref].status == status
    assert gateway.drain() == []
    assert gateway.collected("EUR") == kept


def test_capturing_an_authorized_intent_succeeds_once_and_a_replay_answers_the_same() -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    ref = _intent_in(gateway, "authorized")
    first = gateway.capture(ref, idempotency_key="capture-1")
    assert (first.ref, first.status) == (ref, "succeeded")
    assert [(e.type, e.intent_ref) for e in gateway.drain()] == [("succeeded", ref)]
    # The same key again is the provider's first answer, and captures nothing more.
    assert gateway.capture(ref, idempotency_key="capture-1") == first
    assert gateway.drain() == []
    # Another key asks again for an intent captured already: a provider refuses it.
    with pytest.raises(ValueError, match="cannot capture a succeeded intent"):
        gateway.capture(ref, idempotency_key="capture-2")
    assert gateway.intents[ref].status == "succeeded"
    assert gateway.drain() == []
    assert gateway.collected("EUR") == EUR60


def test_a_refused_call_is_its_keys_answer_and_a_retry_under_the_key_is_refused_again() -> None:
    # Stripe keeps the answer of a call it ran, a refusal too, and replays it for the key:
    # the fake ran a refused capture again once the intent was authorized.
    gateway = FakeGateway(clock=lambda: NOW)
    ref = _intent_in(gateway, "pending")
    with pytest.raises(ValueError, match="cannot capture a pending intent") as first:
        gateway.capture(ref, idempotency_key="capture-1")
    gateway.authorize(ref)
    gateway.drain()
    with pytest.raises(ValueError, match="cannot capture a pending intent") as again:
        gateway.capture(ref, idempotency_key="capture-1")
    assert str(again.value) == str(first.value)
    assert gateway.intents[ref].status == "authorized"
    assert gateway.drain() == []
    assert gateway.calls[-2:] == [("capture", "capture-1"), ("capture", "capture-1")]
    # A new key is a new call, which the provider runs.
    assert gateway.capture(ref, idempotency_key="capture-2").status == "succeeded"
    assert gateway.collected("EUR") == EUR60


def test_a_call_that_never_reached_the_provider_binds_no_answer() -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    ref = _intent_in(gateway, "authorized")
    gateway.fail_next()
    with pytest.raises(PaymentGatewayError):
        gateway.capture(ref, idempotency_key="capture-1")
    assert gateway.capture(ref, idempotency_key="capture-1").status == "succeeded"


def test_capturing_an_unknown_intent_is_a_key_error_as_for_the_other_calls() -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    with pytest.raises(KeyError):
        gateway.capture("pi_nowhere", idempotency_key="capture-1")
    with pytest.raises(KeyError):
        gateway.cancel("pi_nowhere", idempotency_key="cancel-1")
    assert gateway.intents == {}
    assert gateway.drain() == []


def test_a_capture_the_provider_refuses_leaves_the_payment_due_not_paid() -> None:
    # The bank held the money and sessionkit decided to capture, but the provider was down;
    # the authorization then failed there. The late capture must not charge a failed intent:
    # it is refused (reported, left due) and the provider's failure closes the payment.
    gateway = FakeGateway(clock=lambda: NOW)
    h = Harness.in_memory(
        NOW,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
        booking_rules=BookingRules(hold_for=timedelta(minutes=15)),
    )
    lesson = h.kit.sessions.create_extra(
        "acme",
        actor="tina",
        title="Maths",
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, hours=1),
        resources=["tutor:tina"],
        lifecycle="marketplace",
        capacity=1,
    )
    checkout = h.kit.payments.book("acme", lesson.id, "student:ann", actor="ann")
    ref = checkout.payment.intent_ref or ""
    gateway.authorize(ref)
    gateway.fail_next()  # the capture sessionkit makes after applying the event fails
    for event in gateway.drain():
        assert h.kit.payments.apply("acme", event).outcome == "applied"
    payment = h.kit.payments.get("acme", checkout.payment.id)
    assert (payment.status, payment.due) == (AUTHORIZED, "capture")
    gateway.decline(ref, "authorization_expired")
    report = h.kit.run_payment_calls()
    assert [(t, p) for t, p, _error in report.failed] == [("acme", checkout.payment.id)]
    assert gateway.intents[ref].status == "failed"
    assert gateway.collected("EUR") == Money.of(0, "EUR")
    payment = h.kit.payments.get("acme", checkout.payment.id)
    assert (payment.status, payment.due) == (AUTHORIZED, "capture")
    assert h.kit.bookings.get("acme", checkout.booking.id).status == HELD
    [failed] = gateway.drain()
    assert (failed.type, failed.reason) == ("failed", "authorization_expired")
    assert h.kit.payments.apply("acme", failed).outcome == "applied"
    payment = h.kit.payments.get("acme", checkout.payment.id)
    assert (payment.status, payment.due) == (FAILED, None)
    assert h.kit.bookings.get("acme", checkout.booking.id).status == CANCELLED


# -- FakeGateway: a bad clock is refused before anything changes ----------------------------


def _pay(gateway: FakeGateway, ref: str) -> None:
    gateway.pay(ref)


def _authorize(gateway: FakeGateway, ref: str) -> None:
    gateway.authorize(ref)


def _decline(gateway: FakeGateway, ref: str) -> None:
    gateway.decline(ref, "card_declined")


def _cancel(gateway: FakeGateway, ref: str) -> None:
    gateway.cancel(ref, idempotency_key="cancel-1")


def _capture(gateway: FakeGateway, ref: str) -> None:
    gateway.capture(ref, idempotency_key="capture-1")


def _refund(gateway: FakeGateway, ref: str) -> None:
    gateway.refund(ref, Money.of(25, "EUR"), idempotency_key="refund-1")


_CALLS: list[tuple[Callable[[FakeGateway, str], None], IntentStatus, str, IntentStatus]] = [
    # the call, the intent's status before it, the event it queues, the status after it
    (_pay, "pending", "succeeded", "succeeded"),
    (_authorize, "pending", "authorized", "authorized"),
    (_decline, "pending", "failed", "failed"),
    (_cancel, "pending", "canceled", "canceled"),
    (_capture, "authorized", "succeeded", "succeeded"),
    (_refund, "succeeded", "refunded", "succeeded"),
]


@pytest.mark.parametrize(("bad", "error"), _BAD_TIMES, ids=["naive", "not-a-datetime"])
@pytest.mark.parametrize(
    ("call", "start", "announced", "after"), _CALLS, ids=[c[0].__name__[1:] for c in _CALLS]
)
def test_a_gateway_call_with_a_bad_clock_changes_nothing(
    call: Callable[[FakeGateway, str], None],
    start: IntentStatus,
    announced: str,
    after: IntentStatus,
    bad: object,
    error: type[SessionKitError],
) -> None:
    clock = Clock()
    gateway = FakeGateway(clock=clock)
    ref = _intent_in(gateway, start)
    before = (gateway.intents[ref].status, gateway.intents[ref].refunded)
    clock.answer = bad
    with pytest.raises(error, match=_UNCHANGED_MESSAGE):
        call(gateway, ref)
    assert (gateway.intents[ref].status, gateway.intents[ref].refunded) == before
    assert gateway.drain() == []
    # Nothing was half made: with the clock mended, the same call goes through, and its
    # event takes the next id, as if the refused call had never been made.
    taken = {"pending": 1, "authorized": 2, "succeeded": 2}[start]
    clock.answer = NOW
    call(gateway, ref)
    assert gateway.intents[ref].status == after
    assert _events(gateway) == [(announced, ref, f"evt_{taken + 1}")]


@pytest.mark.parametrize(("bad", "error"), _BAD_TIMES, ids=["naive", "not-a-datetime"])
def test_an_instant_intent_with_a_bad_clock_is_not_made(
    bad: object, error: type[SessionKitError]
) -> None:
    clock = Clock()
    gateway = FakeGateway(clock=clock, instant=True)
    clock.answer = bad
    with pytest.raises(error, match=_UNCHANGED_MESSAGE):
        gateway.create_intent(amount=EUR60, idempotency_key="k1", metadata={"payment_id": "p1"})
    assert gateway.intents == {}
    assert gateway.drain() == []
    assert gateway.collected("EUR") == Money.of(0, "EUR")
    # The retry (same key) makes the one intent, with the ids a first call would have had.
    clock.answer = NOW
    intent = gateway.create_intent(
        amount=EUR60, idempotency_key="k1", metadata={"payment_id": "p1"}
    )
    assert (intent.ref, intent.status) == ("pi_1", "succeeded")
    assert list(gateway.intents) == ["pi_1"]
    assert _events(gateway) == [("succeeded", "pi_1", "evt_2")]


def test_a_pending_intent_needs_no_clock_and_a_bad_one_does_not_stop_it() -> None:
    # Only a change the provider announces reads the clock, as before.
    clock = Clock()
    clock.answer = _NAIVE
    gateway = FakeGateway(clock=clock)
    intent = gateway.create_intent(amount=EUR60, idempotency_key="k1", metadata={})
    assert intent.status == "pending"
    gateway.decline_next()
    declined = gateway.create_intent(amount=EUR60, idempotency_key="k2", metadata={})
    assert (declined.status, declined.reason) == ("failed", "card_declined")
    assert gateway.drain() == []


def test_a_refund_with_a_bad_clock_gives_nothing_back_and_the_receipt_id_is_kept() -> None:
    clock = Clock()
    gateway = FakeGateway(clock=clock)
    ref = _intent_in(gateway, "succeeded")
    clock.answer = _NAIVE
    with pytest.raises(NaiveDatetime):
        gateway.refund(ref, Money.of(25, "EUR"), idempotency_key="refund-1")
    assert gateway.intents[ref].refunded == Decimal(0)
    assert gateway.collected("EUR") == EUR60
    clock.answer = NOW
    receipt = gateway.refund(ref, Money.of(25, "EUR"), idempotency_key="refund-1")
    assert receipt.ref == "re_4"  # pi_1, evt_2 (paid), evt_3 (refunded), re_4
    [event] = gateway.drain()
    assert (event.type, event.amount, event.occurred_at) == ("refunded", Money.of(25, "EUR"), NOW)
    assert isinstance(event, PaymentEvent)
    assert gateway.collected("EUR") == Money.of(35, "EUR")


# -- FakeMeetingRooms.close_room: a bad clock is refused before the room closes ---------------


def _rooms(clock: Clock) -> FakeMeetingRooms:
    rooms = FakeMeetingRooms(clock=clock)
    rooms.ensure_room(tenant="acme", session_id="s1", span=TimeSpan(NOW, NOW + timedelta(hours=1)))
    return rooms


@pytest.mark.parametrize(("bad", "error"), _BAD_TIMES, ids=["naive", "not-a-datetime"])
def test_closing_a_room_with_a_bad_clock_leaves_it_open_with_everyone_inside(
    bad: object, error: type[SessionKitError]
) -> None:
    clock = Clock()
    rooms = _rooms(clock)
    rooms.join("acme", "s1", ANA, at=NOW)
    rooms.join("acme", "s1", BEN, at=NOW + timedelta(minutes=1))
    clock.answer = bad
    with pytest.raises(error, match=_UNCHANGED_MESSAGE):
        rooms.close_room(tenant="acme", session_id="s1")
    assert rooms.is_open("acme", "s1")
    assert rooms.inside("acme", "s1") == frozenset({ANA, BEN})
    # With the clock mended the close is whole: both leave, numbered on from the joins.
    later = NOW + timedelta(minutes=40)
    clock.answer = later
    rooms.close_room(tenant="acme", session_id="s1")
    assert not rooms.is_open("acme", "s1")
    assert rooms.inside("acme", "s1") == frozenset()
    assert [(e.event_id, str(e.participant), e.action, e.at) for e in rooms.drain()] == [
        ("ev1", "student:ana", JOIN, NOW),
        ("ev2", "student:ben", JOIN, NOW + timedelta(minutes=1)),
        ("ev3", "student:ana", LEAVE, later),
        ("ev4", "student:ben", LEAVE, later),
    ]


@pytest.mark.parametrize(("bad", "error"), _BAD_TIMES, ids=["naive", "not-a-datetime"])
def test_closing_an_empty_room_with_a_bad_clock_is_refused_too(
    bad: object, error: type[SessionKitError]
) -> None:
    # The clock is checked whenever it is read, not only when a leave carries its time.
    clock = Clock()
    rooms = _rooms(clock)
    clock.answer = bad
    with pytest.raises(error, match=_UNCHANGED_MESSAGE):
        rooms.close_room(tenant="acme", session_id="s1")
    assert rooms.is_open("acme", "s1")
    assert rooms.drain() == []


def test_a_close_at_a_given_instant_does_not_read_a_bad_clock() -> None:
    clock = Clock()
    rooms = _rooms(clock)
    rooms.join("acme", "s1", ANA, at=NOW)
    clock.answer = _NAIVE
    rooms.close_room(tenant="acme", session_id="s1", at=NOW + timedelta(minutes=30))
    assert not rooms.is_open("acme", "s1")
    assert [(e.action, e.at) for e in rooms.drain()] == [
        (JOIN, NOW),
        (LEAVE, NOW + timedelta(minutes=30)),
    ]


def test_a_close_at_an_instant_no_event_takes_leaves_the_room_open() -> None:
    # An aware ``at`` outside the instants a presence event takes closed the room, then
    # failed building the leave: the leaves are built before the room changes now.
    rooms = _rooms(Clock())
    rooms.join("acme", "s1", ANA, at=NOW)
    far = datetime(1, 1, 2, tzinfo=UTC)
    with pytest.raises(InvalidValue):
        rooms.close_room(tenant="acme", session_id="s1", at=far)
    assert rooms.is_open("acme", "s1")
    assert rooms.inside("acme", "s1") == frozenset({ANA})
    assert [e.action for e in rooms.drain()] == [JOIN]


def test_a_close_of_an_empty_room_at_an_instant_no_event_takes_leaves_it_open() -> None:
    # With nobody inside no leave was built, so the far ``at`` went unchecked and the room
    # closed; with someone inside, or from the clock, the same instant was refused.
    rooms = _rooms(Clock())
    far = datetime(9500, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidValue, match=r"^at 9500-01-01T00:00:00\+00:00 is outside"):
        rooms.close_room(tenant="acme", session_id="s1", at=far)
    assert rooms.is_open("acme", "s1")
    rooms.close_room(tenant="acme", session_id="s1", at=NOW + timedelta(hours=1))
    assert not rooms.is_open("acme", "s1")
    assert rooms.drain() == []


@pytest.mark.parametrize("flags", [{"duplicate": "no"}, {"shuffle": 1}, {"duplicate": None}])
def test_the_gateways_drain_refuses_a_flag_that_is_no_bool_and_takes_nothing(
    flags: dict[str, object],
) -> None:
    # A truthy "no" duplicated every event all the same, and the events were gone.
    gateway = FakeGateway()
    ref = gateway.create_intent(amount=EUR60, idempotency_key="c-1", metadata={}).ref
    gateway.pay(ref)
    queued = list(gateway.outbox)
    with pytest.raises(WrongType, match=r"FakeGateway\.drain\((duplicate|shuffle)\)"):
        gateway.drain(**flags)  # type: ignore[arg-type]  # the bad value under test
    assert queued
    assert gateway.drain() == queued
