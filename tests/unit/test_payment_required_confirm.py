"""``confirm=True`` on a priced session says what to do instead: pay, or join the waitlist.

``kit.bookings.book(..., confirm=True, waitlist=True)`` on a priced session is
refused before the waitlist is looked at, with the message of a seat asked
for without paying: "kit.bookings.book only joins its waitlist", though the
caller had asked to join it. The refusal now says that no seat of it is
confirmed at once and how its waitlist is joined (``waitlist=True`` without
``confirm=True``), in its message and in its ``reason``.
"""

from __future__ import annotations

import pickle
from datetime import timedelta

import pytest

from sessionkit.errors import CapacityExceeded, PaymentRequired
from sessionkit.errors._base import _rebuilt
from sessionkit.model.booking import HELD, WAITLISTED
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, Rate
from sessionkit.services import SessionDraft
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

from ._priced_support import NOW, TUTOR, T, priced_harness, slot

PAY = (
    "a seat in it is taken by paying, so book it with kit.payments.book "
    "(manual=True, confirm=True for money the host collects itself); "
)


@pytest.fixture
def h() -> Harness:
    return priced_harness()


def test_confirm_with_waitlist_on_a_full_priced_session_names_the_waitlist_without_confirm(
    h: Harness,
) -> None:
    s = slot(h, capacity=1)
    h.kit.payments.book(T, s.id, "student:ben", actor="ben")
    with pytest.raises(PaymentRequired) as refused:
        h.kit.bookings.book(T, s.id, "student:ann", actor="ann", confirm=True, waitlist=True)
    error = refused.value
    reason = (
        f"{PAY}kit.bookings.book confirms none at once, even with waitlist=True, and joins its "
        "waitlist with waitlist=True and confirm=False (it queues only when the session has no "
        "room for the seats)"
    )
    assert str(error) == f"session {s.id!r} is priced: {reason}"
    assert (error.booking_id, error.payment_id, error.status, error.session_id) == (
        None,
        None,
        "missing",
        s.id,
    )
    assert error.reason == reason
    # The advice, followed: without confirm=True, the full session queues it.
    queued = h.kit.bookings.book(T, s.id, "student:ann", actor="ann", waitlist=True)
    assert (queued.status, queued.position) == (WAITLISTED, 1)


def test_confirm_alone_on_a_priced_session_names_both_ways_too(h: Harness) -> None:
    s = slot(h, capacity=2)
    with pytest.raises(PaymentRequired) as refused:
        h.kit.bookings.book(T, s.id, "student:ann", actor="ann", confirm=True)
    assert str(refused.value) == (
        f"session {s.id!r} is priced: {PAY}kit.bookings.book confirms none at once and joins "
        "its waitlist with waitlist=True and confirm=False (it queues only when the session has "
        "no room for the seats)"
    )
    assert h.kit.bookings.for_session(T, s.id) == []  # nothing written
    # The advice, followed: the paid path takes the seat, held until its payment succeeds.
    assert h.kit.payments.book(T, s.id, "student:ann", actor="ann").booking.status == HELD


def test_a_seat_asked_for_without_confirm_keeps_its_message_and_gives_its_reason() -> None:
    held = PaymentRequired.at_once("s1")
    assert str(held) == f"session 's1' is priced: {held.reason}"
    assert held.reason == f"{PAY}kit.bookings.book only joins its waitlist"
    assert PaymentRequired("b1", "p1", "PENDING").reason is None  # a booking with its seats


def test_a_payment_required_pickled_before_reason_was_a_field_reads_it_as_none() -> None:
    # A job queue may keep a pickle across the upgrade that added reason: its state has
    # none, and reading it raised AttributeError where a booking's refusal reads None.
    error = PaymentRequired.at_once("s1")
    state = {k: v for k, v in vars(error).items() if k != "reason"}
    before = _rebuilt(PaymentRequired, error.args, state)
    assert isinstance(before, PaymentRequired)
    assert (before.reason, before.session_id, before.status) == (None, "s1", "missing")
    assert str(before) == str(error)
    assert pickle.loads(pickle.dumps(error)).reason == error.reason  # a new one keeps it


@pytest.mark.parametrize(
    ("confirm", "waitlist"),
    [(True, False), (True, True), (False, False), (False, True)],
    ids=["confirm", "confirm-waitlist", "held", "waitlist"],
)
def test_a_priced_draft_is_advised_to_pay_alone(h: Harness, confirm: bool, waitlist: bool) -> None:
    # A drafted session is new: it has room and nobody waits for it. The advice to join its
    # waitlist with waitlist=True and confirm=False, followed, was refused again (it had room).
    start = NOW + timedelta(days=3)
    draft = SessionDraft(
        start=start, end=start + timedelta(hours=1), resources=[TUTOR], lifecycle="marketplace"
    )
    with pytest.raises(PaymentRequired) as refused:
        h.kit.bookings.book(
            T, draft, "student:ann", actor="ann", confirm=confirm, waitlist=waitlist
        )
    error = refused.value
    assert error.reason == PAY.removesuffix("; ")
    assert error.session_id is None
    assert str(error).startswith("the drafted session is priced")
    assert str(error).endswith(f": {error.reason}")
    # The advice, followed: the paid path books the draft, held until its payment succeeds.
    assert h.kit.payments.book(T, draft, "student:ann", actor="ann").booking.status == HELD


@pytest.mark.parametrize(
    ("confirm", "waitlist"),
    [(True, False), (True, True), (False, False), (False, True)],
    ids=["confirm", "confirm-waitlist", "held", "waitlist"],
)
def test_a_priced_session_whose_rules_keep_no_waitlist_is_advised_to_pay_alone(
    confirm: bool, waitlist: bool
) -> None:
    # BookingRules keep no waitlist by default: the advice to join it (waitlist=True and
    # confirm=False), or that kit.bookings.book only joins it, led to CapacityExceeded.
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        booking_rules=BookingRules(),
        gateway=FakeGateway(clock=lambda: NOW),
        pricing=lambda _session: Rate(Money.of(40, "EUR")),
    )
    s = slot(h, capacity=2)
    with pytest.raises(PaymentRequired) as refused:
        h.kit.bookings.book(T, s.id, "student:ann", actor="ann", confirm=confirm, waitlist=waitlist)
    error = refused.value
    assert error.reason == PAY.removesuffix("; ")
    assert str(error).startswith(f"session {s.id!r} is priced")
    assert str(error).endswith(f": {error.reason}")
    # The advice, followed: the paid path takes the seat, held until its payment succeeds.
    assert h.kit.payments.book(T, s.id, "student:ann", actor="ann").booking.status == HELD
    h.kit.payments.book(T, s.id, "student:ben", actor="ben")
    with pytest.raises(CapacityExceeded):  # where the old advice led, the session full
        h.kit.bookings.book(T, s.id, "student:cy", actor="cy", waitlist=True)
