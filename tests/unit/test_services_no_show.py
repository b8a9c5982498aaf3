"""A session entering a no-show status refunds its paid bookings by the refund policy, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.errors import CancelRefused, InvalidValue
from sessionkit.lifecycles import coaching, consulting
from sessionkit.model.booking import CANCELLED, CONFIRMED
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, PARTIALLY_REFUNDED, PaymentChanged
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import FixedPrice, RefundPolicy
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
PRICE = Money.of("60", "EUR")


def strategy(h: Harness) -> Session:
    """Priya's one-hour consulting session for one client, a day from now."""
    start = NOW + timedelta(days=1)
    return h.kit.sessions.create_extra(
        T,
        actor="priya",
        start=start,
        end=start + timedelta(hours=1),
        resources=[ResourceRef("consultant", "priya")],
        lifecycle="consulting",
        capacity=1,
        title="Strategy",
    )


def paid_session(
    refunds: RefundPolicy, price: Money = PRICE
) -> tuple[Harness, str, str, FakeGateway]:
    """A consulting session with one confirmed, paid booking: (harness, session, payment, gw)."""
    holder: list[Harness] = []
    gateway = FakeGateway(clock=lambda: holder[0].clock.now(), instant=True)
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        gateway=gateway,
        pricing=lambda _session: FixedPrice(price),
        refunds=refunds,
    )
    holder.append(h)
    session = strategy(h)
    checkout = h.kit.payments.book(T, session.id, "client:rohan", actor="rohan", role="client")
    for event in gateway.drain():
        h.kit.payments.apply(T, event)
    h.kit.sessions.fire(T, session.id, "confirm", actor="priya")
    assert checkout.payment is not None
    return h, session.id, checkout.payment.id, gateway


def test_by_default_a_no_show_keeps_the_whole_payment() -> None:
    h, session_id, payment_id, gateway = paid_session(RefundPolicy())
    h.clock.set(NOW + timedelta(days=1, hours=1))
    h.kit.sessions.fire(T, session_id, "no_show", actor="priya")
    payment = h.kit.payments.get(T, payment_id)
    assert (payment.status, payment.refunded, payment.due) == (PAID, Decimal(0), None)
    assert [c for c in gateway.calls if c[0] == "refund"] == []


def test_a_no_show_refunds_its_share_less_the_fee_exactly_once() -> None:
    policy = RefundPolicy(no_show_percent=50, no_show_fee=Money.of("5", "EUR"))
    h, session_id, payment_id, gateway = paid_session(policy)
    later = NOW + timedelta(days=1, hours=1)
    h.clock.set(later)
    h.kit.sessions.fire(T, session_id, "no_show", actor="priya")
    for event in gateway.drain():
        h.kit.payments.apply(T, event, now=later)
    payment = h.kit.payments.get(T, payment_id)
    assert (payment.status, payment.refunded, payment.kept) == (
        PARTIALLY_REFUNDED,
        Decimal("25.00"),
        Money.of("35.00", "EUR"),
    )
    refunds = [e.refund for e in h.events.events if isinstance(e, PaymentChanged) and e.refund]
    assert refunds == [Money.of("25.00", "EUR")]
    # NO_SHOW is terminal: firing again is refused and refunds nothing more.
    with pytest.raises(Exception):  # noqa: B017, PT011  # the lifecycle's own refusal
        h.kit.sessions.fire(T, session_id, "no_show", actor="priya")
    assert h.kit.payments.get(T, payment_id).refunded == Decimal("25.00")


def test_a_no_show_in_another_currency_than_the_fee_keeps_its_own_fee() -> None:
    # A no_show_fee in EUR made firing "no_show" on a USD session raise CurrencyMismatch (the
    # tick failed on it too). A fee is kept per currency: the USD one here.
    fees = (Money.of("5", "EUR"), Money.of("4", "USD"))
    h, session_id, payment_id, gateway = paid_session(
        RefundPolicy(no_show_percent=50, no_show_fee=fees), price=Money.of("60", "USD")
    )
    later = NOW + timedelta(days=1, hours=1)
    h.clock.set(later)
    h.kit.sessions.fire(T, session_id, "no_show", actor="priya")
    for event in gateway.drain():
        h.kit.payments.apply(T, event, now=later)
    payment = h.kit.payments.get(T, payment_id)
    assert (payment.status, payment.refunded, payment.kept) == (
        PARTIALLY_REFUNDED,
        Decimal("26.00"),
        Money.of("34.00", "USD"),
    )


def test_the_presets_flag_their_no_show_statuses() -> None:
    assert consulting.no_show_statuses == frozenset({"NO_SHOW"})
    assert coaching.no_show_statuses == frozenset({"MISSED"})


def test_bad_no_show_terms_are_refused() -> None:
    with pytest.raises(InvalidValue):
        RefundPolicy(no_show_percent=101)
    with pytest.raises(InvalidValue):
        RefundPolicy(no_show_fee=Money.zero("EUR"))
    policy = RefundPolicy(no_show_percent=10, no_show_fee=Money.of(50, "EUR"))
    assert policy.no_show_refund(PRICE) == Money.zero("EUR")


@pytest.mark.parametrize("when", [timedelta(minutes=30), timedelta(hours=2)])
def test_a_no_show_then_a_cancel_refunds_nothing_more(when: timedelta) -> None:
    # The no-show decided the refund (50 % less 5); a cancel afterwards used to be refunded
    # again by the late tier, giving back more than the no-show rule allows.
    policy = RefundPolicy(no_show_percent=50, no_show_fee=Money.of("5", "EUR"), late_percent=50)
    h, session_id, payment_id, _ = paid_session(policy)
    start = NOW + timedelta(days=1)
    h.clock.set(start + timedelta(minutes=20))
    h.kit.sessions.fire(T, session_id, "no_show", actor="priya")
    (booking,) = h.kit.bookings.for_session(T, session_id)
    with pytest.raises(CancelRefused) as refused:
        h.kit.bookings.cancel(T, booking.id, actor="rohan", role="client", now=start + when)
    assert (refused.value.rule, refused.value.booking_id) == ("ended", booking.id)
    assert h.kit.bookings.get(T, booking.id).status == CONFIRMED
    payment = h.kit.payments.get(T, payment_id)
    assert payment.refunded + payment.refund_due == Decimal("25.00")


def test_a_booking_of_a_held_session_is_not_cancelled_and_refunded_afterwards() -> None:
    h, session_id, payment_id, _ = paid_session(RefundPolicy(late_percent=50))
    start = NOW + timedelta(days=1)
    h.clock.set(start + timedelta(hours=1))
    h.kit.sessions.fire(T, session_id, "complete", actor="priya")
    (booking,) = h.kit.bookings.for_session(T, session_id)
    for role in ("client", "provider"):
        with pytest.raises(CancelRefused, match="is over"):
            h.kit.bookings.cancel(
                T, booking.id, actor="x", role=role, now=start + timedelta(days=2)
            )
    payment = h.kit.payments.get(T, payment_id)
    assert (payment.status, payment.refunded, payment.refund_due) == (PAID, Decimal(0), Decimal(0))


def test_a_participant_may_still_cancel_late_while_the_session_runs() -> None:
    h, session_id, payment_id, _ = paid_session(RefundPolicy(late_percent=50))
    start = NOW + timedelta(days=1)
    (booking,) = h.kit.bookings.for_session(T, session_id)
    h.kit.bookings.cancel(
        T, booking.id, actor="rohan", role="client", now=start + timedelta(minutes=5)
    )
    assert h.kit.bookings.get(T, booking.id).status == CANCELLED
    payment = h.kit.payments.get(T, payment_id)
    assert payment.refunded + payment.refund_due == Decimal("30.00")


def test_an_unpaid_invoice_is_written_off_after_the_session() -> None:
    # Only a paid booking of a session that is over stands: an invoice never paid is cancelled
    # with its booking, as before, but by the host's side only: the client who had the session
    # cannot cancel their own invoice away.
    gateway = FakeGateway(clock=lambda: NOW, instant=True)
    h = Harness.in_memory(
        NOW, id_prefix="x", gateway=gateway, pricing=lambda _session: FixedPrice(PRICE)
    )
    session = strategy(h)
    invoice = h.kit.payments.book(
        T, session.id, "client:rohan", actor="priya", role="client", manual=True, confirm=True
    )
    h.clock.set(session.start + timedelta(days=40))
    for role in ("client", "participant"):
        with pytest.raises(CancelRefused) as refused:
            h.kit.bookings.cancel(T, invoice.booking.id, actor="rohan", role=role)
        assert (refused.value.rule, refused.value.booking_id) == ("ended", invoice.booking.id)
        assert repr(role) in str(refused.value)
    assert h.kit.bookings.get(T, invoice.booking.id).status == CONFIRMED
    h.kit.bookings.cancel(T, invoice.booking.id, actor="admin", role="admin", reason="written off")
    assert h.kit.bookings.get(T, invoice.booking.id).status == CANCELLED
    assert invoice.payment is not None
    assert h.kit.payments.get(T, invoice.payment.id).status == "CANCELLED"


def test_a_no_show_corrected_then_cancelled_refunds_no_more_than_the_larger_share() -> None:
    # The no-show gave back 25 (50 % less 5). Corrected back to CONFIRMED while the session
    # still runs, a late cancel's share (50 %, 30) counts what the no-show gave: 5 more, not 30.
    policy = RefundPolicy(no_show_percent=50, no_show_fee=Money.of("5", "EUR"), late_percent=50)
    h, session_id, payment_id, _ = paid_session(policy)
    start = NOW + timedelta(days=1)
    h.clock.set(start + timedelta(minutes=20))
    h.kit.sessions.fire(T, session_id, "no_show", actor="priya")
    assert h.kit.payments.get(T, payment_id).refunded == Decimal("25.00")
    h.kit.usage.correct(T, session_id, "CONFIRMED", actor="admin", reason="he was there")
    (booking,) = h.kit.bookings.for_session(T, session_id)
    h.clock.set(start + timedelta(minutes=30))
    h.kit.bookings.cancel(T, booking.id, actor="rohan", role="client")
    payment = h.kit.payments.get(T, payment_id)
    assert (payment.refunded + payment.refund_due, payment.status) == (
        Decimal("30.00"),
        PARTIALLY_REFUNDED,
    )
