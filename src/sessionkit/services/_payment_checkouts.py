"""Paid bookings: hold seats and open their payment, claim a waitlist offer's, check out.

Private to the services. A paid booking is HELD with a PENDING payment in
one unit of work; the provider's intent is asked for once that unit has
committed, and what the browser needs to pay comes back in a
:class:`Checkout`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from sessionkit.errors import (
    InvalidTransition,
    InvalidValue,
    PaymentDeclined,
    PaymentGatewayError,
    WrongType,
)
from sessionkit.errors._base import shown
from sessionkit.model.booking import (
    BOOKING_LIFECYCLE,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    OFFERED,
    WAITLISTED,
    Booking,
)
from sessionkit.model.money import Money
from sessionkit.model.payment import FAILED, MANUAL, PENDING, Payment, PaymentChanged
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import check_actor, check_flag, check_tenant
from sessionkit.policies import Pricing
from sessionkit.services._context import Context, Tx
from sessionkit.services._money import store_payment, unpriced
from sessionkit.services._payment_calls import create_intent, gateway_of, record_intent
from sessionkit.services._seats import as_judged, refuse_run_out, settle
from sessionkit.services.booking_requests import RACES, lost_to_replay
from sessionkit.services.bookings import (
    BookingCommands,
    BookingRequest,
    booking_args,
    locked_booking,
)
from sessionkit.services.drafts import SessionDraft

__all__ = ["Checkout", "CheckoutCommands"]


@attrs.frozen(kw_only=True)
class Checkout:
    """What a paid booking gave: the booking, its payment, what the browser needs to pay.

    ``client_secret`` is the provider's (``None`` for a manual payment, or
    when the provider was down: retry with the same idempotency key).
    A booking queued on the waitlist has a PENDING payment with no intent:
    it is paid when offered a seat (:meth:`PaymentCommands.claim`).
    """

    booking: Booking
    payment: Payment
    client_secret: str | None = None


class CheckoutCommands:
    """The paid bookings of :class:`~sessionkit.services.payments.PaymentCommands`."""

    _ctx: Context
    _bookings: BookingCommands

    def book(
        self,
        tenant: str,
        session_id: str | SessionDraft,
        participant: ResourceRef | str,
        *,
        actor: str | None,
        seats: int = 1,
        role: str = "attendee",
        acting_role: str | None = None,
        hold_for: timedelta | None = None,
        waitlist: bool = False,
        idempotency_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        manual: bool = False,
        confirm: bool = False,
        now: datetime | None = None,
    ) -> Checkout:
        """Hold seats and open their payment at the session's price; return the checkout.

        The booking is HELD (as :meth:`BookingCommands.book` holds it) with a
        PENDING payment of the price the kit's pricing gives now, in one unit
        of work; then the provider is asked for an intent. Its success (by
        :meth:`apply`) confirms the booking. ``manual=True`` takes the money
        outside sessionkit (:meth:`mark_paid`); no provider is called.
        ``manual=True, confirm=True`` confirms the booking at once and leaves
        its payment PENDING until :meth:`mark_paid` (cash at the session, an
        invoice paid after it): a hold would run out first. It is the one way
        a priced booking is confirmed unpaid, for money the host vouches for.
        With ``waitlist=True`` a full session queues the booking with a
        PENDING payment and no intent, until a seat is offered (then
        :meth:`claim` asks the provider). ``session_id`` may be a
        :class:`~sessionkit.services.SessionDraft`, created and booked with
        its payment in the one unit of work (see :meth:`BookingCommands.book`).

        Raises what ``book`` raises, ``InvalidValue`` for a session the
        pricing leaves free (or ``confirm`` without ``manual``),
        ``PaymentDeclined`` when the provider declines at once (the seats are
        released) and ``PaymentGatewayError`` when it cannot be reached (the
        booking stays held: retry with the same ``idempotency_key``; without one
        the message says to cancel it and book again, with a key).
        """
        check_tenant(tenant)
        check_actor(actor)
        if check_flag(confirm, "confirm") and not check_flag(manual, "manual"):
            raise InvalidValue(
                "only a manual payment's booking is confirmed at once; a provider's payment "
                "confirms its booking when it succeeds",
                value=confirm,
                expected="confirm=False, or manual=True",
            )
        request = BookingRequest.of(
            session_id=session_id,
            participant=participant,
            seats=seats,
            role=role,
            acting_role=acting_role,
            confirm=confirm,
            waitlist=waitlist,
            hold_for=hold_for,
            idempotency_key=idempotency_key,
            metadata=metadata,
            manual=manual,
        )
        if not check_flag(manual, "manual"):
            gateway_of(self._ctx)
        # The hold's unit runs again when the database aborted it in a race, or a concurrent
        # writer moved a record on (see Context.retrying): it asks the provider nothing, and
        # the intent is asked for once, after it committed.
        run = self._ctx.retrying
        try:
            booking, payment = run(self._hold, tenant, request, actor, manual, now)
        except RACES as taken:
            if not lost_to_replay(request, taken):
                raise
            booking, payment = run(self._hold, tenant, request, actor, manual, now)  # the winner's
        try:
            return self._checkout(booking, payment, now)
        except PaymentGatewayError as error:
            if request.key is not None:
                raise  # the same request again is the retry, and safe
            drafted = booking.session_id if isinstance(session_id, SessionDraft) else None
            raise PaymentGatewayError.held(error, booking.id, drafted=drafted) from error

    def _hold(
        self,
        tenant: str,
        request: BookingRequest,
        actor: str | None,
        manual: bool,
        now: datetime | None,
    ) -> tuple[Booking, Payment]:
        with self._ctx.transaction(now) as tx:
            booking, made = self._bookings.book_in(tx, tenant, request, actor, paying=True)
            payment = tx.payments.for_booking(tenant, booking.id)
            if payment is None:
                if made is None:
                    raise InvalidValue(
                        f"idempotency key {shown(request.key)} made booking {shown(booking.id)} "
                        "without "
                        "a payment (kit.bookings.book); use a new key for a paid booking",
                        value=request.key,
                        expected="a key kit.bookings.book has not used",
                    )
                # A queued booking's payment waits too: its intent is made when a seat is
                # offered and claimed (the price is fixed now, as for any booking).
                payment = self._open(
                    tx,
                    booking,
                    made.id,
                    actor=actor,
                    manual=manual,
                    waiting=booking.status == WAITLISTED,
                )
        return booking, payment

    def claim(
        self, tenant: str, booking_id: str, *, actor: str | None, now: datetime | None = None
    ) -> Checkout:
        """Open the payment of a waitlist offer (an OFFERED booking); return the checkout.

        The offer's claim window is the hold; its payment's success confirms
        it. A second call returns the same payment, while the booking is
        offered and once the payment confirmed it. Raises ``BookingNotFound``,
        ``HoldExpired`` for an offer that ran out (whether or not the expiry
        job has run), ``InvalidTransition`` for a booking that is not offered
        (held by :meth:`book`, or cancelled since a claim, whatever its
        payment), and what :meth:`book` raises about the provider. A waitlist
        place whose turn came when an offer ahead of it ran out is offered
        first, whether or not the expiry job has run.
        """
        booking_args(tenant, booking_id, actor)
        gateway_of(self._ctx)
        # Run again after a lost race, as the hold of book is: the provider is asked after.
        booking, payment = self._ctx.retrying(self._claim, tenant, booking_id, actor, now)
        return self._checkout(booking, payment, now)

    def _claim(
        self, tenant: str, booking_id: str, actor: str | None, now: datetime | None
    ) -> tuple[Booking, Payment]:
        with self._ctx.transaction(now) as tx:
            booking, session = locked_booking(tx, tenant, booking_id)
            if booking.status == WAITLISTED:
                # An offer ahead of it may have run out with no job run since: the
                # session is settled first, as confirm settles it, and may offer it now.
                settled = settle(self._ctx, tx, session, actor=actor)
                if settled.offered:
                    booking = tx.bookings.get(tenant, booking_id)
            payment = tx.payments.for_booking(tenant, booking.id)
            # A claim made and paid is answered again (a retried request); anything else
            # that is not an offer, paid for or not, is no offer to claim: a booking held
            # by kit.payments.book, or one cancelled or refunded since.
            claimed = (
                booking.status == CONFIRMED
                and booking.position is not None  # it came from the waitlist
                and payment is not None
            )
            if not claimed:
                refuse_run_out(booking, tx.now, running=(OFFERED,))
                if booking.status != OFFERED:
                    # As it is now: a hold that ran out is EXPIRED, job or no job, and
                    # what it still allows is what an EXPIRED booking allows (nothing).
                    now_is = as_judged(booking, tx.now)
                    allowed = BOOKING_LIFECYCLE.allowed(now_is, now=tx.now)
                    if now_is.status in (WAITLISTED, CANCELLED):  # told what to do instead
                        raise InvalidTransition.not_confirmable(
                            booking.id,
                            now_is.status,
                            position=now_is.position,
                            allowed=allowed,
                            transition="claim",
                        )
                    raise InvalidTransition(
                        session_id=booking.id,
                        status=now_is.status,
                        transition="claim",
                        allowed=allowed,
                        subject="booking",
                    )
            waiting = (
                payment is not None
                and payment.status == PENDING
                and payment.due is None
                and payment.intent_ref is None
                and payment.provider != MANUAL
            )
            if payment is None:
                payment = self._open(tx, booking, session.id, actor=actor, manual=False)
            elif waiting:
                opened = attrs.evolve(payment, due="create")
                payment = store_payment(tx, payment, opened, None, actor=actor)
        return booking, payment

    def _open(
        self,
        tx: Tx,
        booking: Booking,
        session_id: str,
        *,
        actor: str | None,
        manual: bool,
        waiting: bool = False,
    ) -> Payment:
        ctx = self._ctx
        session = tx.sessions.get(booking.tenant, session_id)
        pricing = ctx.price_of(session)
        if pricing is None:
            raise unpriced(session.id)
        payment = Payment(
            id=ctx.ids(),
            tenant=booking.tenant,
            booking_id=booking.id,
            session_id=session.id,
            participant=booking.participant,
            session_start=session.start,
            amount=_price(pricing, session, booking.seats),
            provider=MANUAL if manual else gateway_of(self._ctx).name,
            due=None if manual or waiting else "create",
            created_at=tx.now,
            created_by=actor,
        )
        tx.payments.add(payment)
        tx.collect([PaymentChanged(tenant=booking.tenant, actor=actor, at=tx.now, payment=payment)])
        return payment

    def _checkout(self, booking: Booking, payment: Payment, now: datetime | None) -> Checkout:
        """Make the intent (if due) now, outside any unit of work; return the checkout.

        A replay of a checkout whose intent is still open asks the provider
        for it again under the same key (which returns the first intent, by
        the port's contract) only for its ``client_secret``: a client whose
        first answer was lost can still pay while the hold lasts (at the
        command's ``now``). A replay after the hold ran out asks the provider
        nothing, whether or not the first call made the intent: money paid
        now would only come back as late money.
        """
        ran_out = booking.status_at(self._ctx.at(now, "now")) == EXPIRED
        if payment.due != "create" or ran_out:
            if not _awaits_paying(payment) or ran_out:
                return Checkout(booking=booking, payment=payment)
            known = create_intent(self._ctx, payment)
            secret = known.client_secret if known.ref == payment.intent_ref else None
            return Checkout(booking=booking, payment=payment, client_secret=secret)
        intent = create_intent(self._ctx, payment)
        stored, booking = record_intent(self._ctx, payment, intent)
        if stored.status == FAILED:
            raise PaymentDeclined(stored.id, reason=intent.reason)
        return Checkout(booking=booking, payment=stored, client_secret=intent.client_secret)


def _price(pricing: Pricing, session: Session, seats: int) -> Money:
    """Return what ``pricing`` asks for ``seats`` of ``session``, rounded to the minor unit.

    A :class:`~sessionkit.policies.Pricing` answers whole minor units, as the
    kit's own do; a host's own that answers finer (33.335 EUR) had its payment
    booked at that while the provider was asked for 33.34, and one under a
    minor unit (0.004 EUR) opened an intent for 0.00 EUR. The price is fixed
    as every amount sent to a provider is: rounded half up. What is no
    ``Money`` is the pricing's mistake (``WrongType`` naming it), and a price
    that rounds to nothing is refused (``InvalidValue``), as a ``Rate``'s is.
    """
    name = f"pricing.price(session {shown(session.id)}, seats={seats})"
    price = pricing.price(session, seats)
    if not isinstance(price, Money):
        raise WrongType(price, name=name, expected="Money")
    fixed = price.rounded()
    if not fixed.is_positive:
        raise InvalidValue(
            f"{name} is {price}, which rounds to {fixed}: a booking's price is at least one "
            f"minor unit of {price.currency}",
            value=price,
            expected=f"an amount of at least one minor unit of {price.currency}",
        )
    return fixed


def _awaits_paying(payment: Payment) -> bool:
    """Whether the payment's intent was made and the browser may still pay it."""
    return (
        payment.status == PENDING
        and payment.due is None
        and payment.intent_ref is not None
        and payment.provider != MANUAL
    )
