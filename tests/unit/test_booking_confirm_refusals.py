"""What ``kit.bookings.confirm`` says of a booking a participant cannot confirm now.

A waitlist place, a cancelled booking or a waitlist place that ran out is
refused with an ``InvalidTransition`` as before, whose message and ``reason``
say what the participant can do, not the lifecycle's own transitions
(``offer``, ``lapse``) that no caller makes by confirming.
"""

from __future__ import annotations

import pickle

import pytest

from sessionkit.errors import HoldExpired, InvalidTransition
from sessionkit.model.booking import CONFIRMED, OFFERED
from sessionkit.model.money import Money
from sessionkit.policies import Rate
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

from ._bookings_support import ANA, BEN, CAI, NOW, RULES, T, harness, slot


def test_a_waitlist_place_is_told_it_is_confirmed_once_a_seat_is_offered() -> None:
    h = harness()
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor="ana", confirm=True)
    h.kit.bookings.book(T, s.id, BEN, actor="ben", waitlist=True)
    cai = h.kit.bookings.book(T, s.id, CAI, actor="cai", waitlist=True)
    with pytest.raises(InvalidTransition) as caught:
        h.kit.bookings.confirm(T, cai.id, actor="cai")
    error = caught.value
    assert str(error) == (
        f"cannot 'confirm' booking {cai.id!r} in status 'WAITLISTED': it is waitlisted at "
        "position 2 and can be confirmed once a seat is offered to it"
    )
    assert (error.subject, error.subject_id, error.status, error.transition) == (
        "booking",
        cai.id,
        "WAITLISTED",
        "confirm",
    )
    assert error.reason == (
        "it is waitlisted at position 2 and can be confirmed once a seat is offered to it"
    )
    assert error.allowed == ("offer", "lapse", "cancel")  # the lifecycle's, as before
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.reason) == (str(error), error.reason)


def test_a_cancelled_booking_and_a_waitlist_place_that_ran_out_are_told_so() -> None:
    h = harness()
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor="ana", confirm=True)
    ben = h.kit.bookings.book(T, s.id, BEN, actor="ben", waitlist=True)
    cai = h.kit.bookings.book(T, s.id, CAI, actor="cai", waitlist=True)
    h.kit.bookings.cancel(T, cai.id, actor="cai")
    with pytest.raises(InvalidTransition) as cancelled:
        h.kit.bookings.confirm(T, cai.id, actor="cai")
    assert str(cancelled.value) == (
        f"cannot 'confirm' booking {cai.id!r} in status 'CANCELLED': it was cancelled and takes "
        "no seat any more; book the session again"
    )
    assert (cancelled.value.status, cancelled.value.allowed) == ("CANCELLED", ())
    h.clock.set(s.start)  # ben's place runs out as the session starts, no job run
    with pytest.raises(InvalidTransition) as lapsed:
        h.kit.bookings.confirm(T, ben.id, actor="ben")
    assert str(lapsed.value) == (
        f"cannot 'confirm' booking {ben.id!r} in status 'EXPIRED': its waitlist place ran out, "
        "no seat offered to it before its session started or closed"
    )
    assert lapsed.value.status == "EXPIRED"


def test_an_offer_is_confirmed_and_a_hold_that_ran_out_is_still_hold_expired() -> None:
    h = harness()
    s = slot(h, capacity=1)
    ana = h.kit.bookings.book(T, s.id, ANA, actor="ana")
    ben = h.kit.bookings.book(T, s.id, BEN, actor="ben", waitlist=True)
    h.clock.advance(RULES.hold_for)
    with pytest.raises(HoldExpired):
        h.kit.bookings.confirm(T, ana.id, actor="ana")
    h.kit.expire_holds(T)
    assert h.kit.bookings.get(T, ben.id).status == OFFERED
    assert h.kit.bookings.confirm(T, ben.id, actor="ben").status == CONFIRMED


def test_a_waitlist_place_of_a_priced_session_is_told_so_not_asked_to_pay() -> None:
    # Paying would not confirm it: the refusal that helps is the waitlist's (it said
    # PaymentRequired, "missing", as if a payment were what it lacked).
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        booking_rules=RULES,
        gateway=FakeGateway(clock=lambda: h.clock.now()),
        pricing=lambda _session: Rate(Money.of(40, "EUR")),
    )
    s = slot(h, capacity=1)
    h.kit.payments.book(T, s.id, ANA, actor="ana")
    ben = h.kit.bookings.book(T, s.id, BEN, actor="ben", waitlist=True)
    with pytest.raises(InvalidTransition) as caught:
        h.kit.bookings.confirm(T, ben.id, actor="ben")
    assert caught.value.status == "WAITLISTED"
    assert caught.value.reason == (
        "it is waitlisted at position 1 and can be confirmed once a seat is offered to it"
    )


def test_claiming_a_waitlist_place_or_a_cancelled_one_is_told_what_to_do() -> None:
    # kit.payments.claim (an offer's payment) said "allowed now: offer, lapse, cancel".
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        booking_rules=RULES,
        gateway=FakeGateway(clock=lambda: h.clock.now()),
        pricing=lambda _session: Rate(Money.of(40, "EUR")),
    )
    s = slot(h, capacity=1)
    h.kit.payments.book(T, s.id, ANA, actor="ana")
    ben = h.kit.bookings.book(T, s.id, BEN, actor="ben", waitlist=True)
    with pytest.raises(InvalidTransition) as waiting:
        h.kit.payments.claim(T, ben.id, actor="ben")
    assert str(waiting.value) == (
        f"cannot 'claim' booking {ben.id!r} in status 'WAITLISTED': it is waitlisted at "
        "position 1 and can be claimed once a seat is offered to it"
    )
    assert (waiting.value.transition, waiting.value.allowed) == (
        "claim",
        ("offer", "lapse", "cancel"),
    )
    h.kit.bookings.cancel(T, ben.id, actor="ben")
    with pytest.raises(InvalidTransition) as cancelled:
        h.kit.payments.claim(T, ben.id, actor="ben")
    assert (
        cancelled.value.reason
        == "it was cancelled and takes no seat any more; book the session again"
    )


def test_other_transitions_still_name_what_is_allowed_now() -> None:
    error = InvalidTransition(
        session_id="s1", status="CONDUCTING", transition="start", allowed=["finish", "cancel"]
    )
    assert error.reason is None
    assert str(error) == (
        "cannot 'start' session 's1' in status 'CONDUCTING'; allowed now: finish, cancel"
    )
