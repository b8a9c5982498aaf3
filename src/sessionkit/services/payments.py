"""Payment commands: book and pay, apply the provider's events, refunds, due provider calls.

A paid booking is HELD until its payment succeeds; success confirms it,
failure or the hold's expiry releases the seats and cancels the provider's
intent, and money that comes in for a booking already released is refunded
at once. Provider calls are made outside every unit of work, with
idempotency keys derived from the payment and the operation; what a command
decided and the provider has not confirmed is recorded on the payment
(``due``), made once the unit commits and, if the provider fails then, by
:meth:`PaymentCommands.run_due`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    Duplicate,
    DuplicateBooking,
    InvalidValue,
    PaymentDeclined,
    PaymentNotFound,
    RefundExceedsPayment,
    RefundKeyReused,
    SessionKitError,
    WrongType,
)
from sessionkit.model.booking import (
    BOOKING_LIFECYCLE,
    CONFIRMED,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
    participant_ref,
)
from sessionkit.model.booking_events import booking_event
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    FAILED,
    MANUAL,
    OPEN_PAYMENT_STATUSES,
    PAID,
    PAID_STATUSES,
    PARTIALLY_REFUNDED,
    PAYMENT_LIFECYCLE,
    PENDING,
    Payment,
    PaymentChanged,
    PaymentEvent,
    ReceivedEvent,
)
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.session import ResourceRef
from sessionkit.model.text import (
    MAX_REF_LENGTH,
    check_actor,
    check_flag,
    check_id,
    check_ids,
    check_names,
    check_tenant,
    check_text,
)
from sessionkit.ports import PAYMENT_EVENTS, Intent, PaymentGateway
from sessionkit.services._context import Context, Tx
from sessionkit.services._money import give_back, refunded_to, store_payment
from sessionkit.services._seats import settle, store_booking_change
from sessionkit.services.booking_queries import continuation
from sessionkit.services.bookings import (
    BookingCommands,
    BookingRequest,
    booking_args,
    check_batch,
    check_key,
)
from sessionkit.zones import check_instant

__all__ = ["Applied", "Checkout", "DueReport", "PaymentCommands"]

_CLAIM_TRIES = 5
"""How often a runner re-reads a payment whose refund claim another runner changed first."""


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


@attrs.frozen(kw_only=True)
class Applied:
    """What applying one provider event did.

    ``outcome``: ``"applied"``, ``"duplicate"`` (seen before; nothing
    changed), ``"stale"`` (the payment had moved past it), ``"unknown"`` (no
    such payment here).
    """

    outcome: Literal["applied", "duplicate", "stale", "unknown"]
    payment: Payment | None = None


@attrs.frozen(kw_only=True)
class DueReport:
    """What one run of :meth:`PaymentCommands.run_due` did: calls made, failed, and whether more."""

    done: int = 0
    failed: tuple[tuple[str, str, SessionKitError], ...] = ()
    more: bool = False


class PaymentCommands:
    """Paid bookings, provider events, refunds and reads of payments (``kit.payments``)."""

    def __init__(self, ctx: Context, bookings: BookingCommands) -> None:
        self._ctx = ctx
        self._bookings = bookings
        ctx.after_commit.append(self._after_commit)

    # -- booking and paying ---------------------------------------------------------

    def book(
        self,
        tenant: str,
        session_id: str,
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
        :meth:`claim` asks the provider).

        Raises what ``book`` raises, ``InvalidValue`` for a session the
        pricing leaves free (or ``confirm`` without ``manual``),
        ``PaymentDeclined`` when the provider declines at once (the seats are
        released) and ``PaymentGatewayError`` when it cannot be reached (the
        booking stays held: retry with the same ``idempotency_key``).
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
        )
        if not check_flag(manual, "manual"):
            self._gateway()
        try:
            booking, payment = self._hold(tenant, request, actor, manual, now)
        except DuplicateBooking as taken:
            if request.key is None or taken.key != "idempotency":
                raise
            booking, payment = self._hold(tenant, request, actor, manual, now)  # replay the winner
        return self._checkout(booking, payment)

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
                        f"idempotency key {request.key!r} made booking {booking.id!r} without "
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
        it. A second call returns the same payment. Raises
        ``BookingNotFound``, ``InvalidValue`` for a booking that is not
        offered, and what :meth:`book` raises about the provider.
        """
        booking_args(tenant, booking_id, actor)
        self._gateway()
        with self._ctx.transaction(now) as tx:
            booking = tx.bookings.get(tenant, booking_id)
            payment = tx.payments.for_booking(tenant, booking.id)
            waiting = (
                payment is not None
                and payment.status == PENDING
                and payment.due is None
                and payment.intent_ref is None
                and payment.provider != MANUAL
            )
            if payment is None or waiting:
                if booking.status != OFFERED:
                    raise InvalidValue(
                        f"booking {booking.id!r} is {booking.status}; only an OFFERED one is "
                        "claimed",
                        value=booking.status,
                        expected=OFFERED,
                    )
                session = tx.bookings.lock_session(tenant, booking.session_id)
                if payment is None:
                    payment = self._open(tx, booking, session.id, actor=actor, manual=False)
                else:
                    opened = attrs.evolve(payment, due="create")
                    payment = store_payment(tx, payment, opened, None, actor=actor)
        return self._checkout(booking, payment)

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
            raise InvalidValue(
                f"session {session.id!r} has no price; book it with kit.bookings.book",
                value=session.id,
                expected="a session the kit's pricing prices",
            )
        payment = Payment(
            id=ctx.ids(),
            tenant=booking.tenant,
            booking_id=booking.id,
            session_id=session.id,
            participant=booking.participant,
            session_start=session.start,
            amount=pricing.price(session, booking.seats),
            provider=MANUAL if manual else self._gateway().name,
            due=None if manual or waiting else "create",
            created_at=tx.now,
            created_by=actor,
        )
        tx.payments.add(payment)
        tx.collect([PaymentChanged(tenant=booking.tenant, actor=actor, at=tx.now, payment=payment)])
        return payment

    def _checkout(self, booking: Booking, payment: Payment) -> Checkout:
        """Make the intent (if due) now, outside any unit of work; return the checkout."""
        if payment.due != "create":
            return Checkout(booking=booking, payment=payment)
        intent = self._create(payment)
        stored, booking = self._record_intent(payment, intent)
        if stored.status == FAILED:
            raise PaymentDeclined(stored.id, reason=intent.reason)
        return Checkout(booking=booking, payment=stored, client_secret=intent.client_secret)

    # -- what the provider says -----------------------------------------------------

    def apply(self, tenant: str, event: PaymentEvent, *, now: datetime | None = None) -> Applied:
        """Apply one provider event (verified by the app), once; return what it did.

        Deduplicated by the provider's event id (a receipt is stored with the
        effect, in one unit of work) and tolerant of order: an event the
        payment has moved past is ``"stale"`` and changes nothing; a refund
        heard before the success counts both. ``"succeeded"`` confirms the
        booking while it holds, else refunds the money at once.
        """
        check_tenant(tenant)
        if not isinstance(event, PaymentEvent):
            raise WrongType(event, name="event", expected="a PaymentEvent")
        try:
            return self._apply(tenant, event, now)
        except Duplicate as taken:
            if taken.kind != PAYMENT_EVENTS.name:
                raise
            return Applied(outcome="duplicate")  # the same event, applied at the same time

    def _apply(self, tenant: str, event: PaymentEvent, now: datetime | None) -> Applied:
        ctx = self._ctx
        with ctx.transaction(now) as tx:
            receipts = tx.repository(PAYMENT_EVENTS)
            if receipts.get_many(tenant, [event.key]):
                return Applied(outcome="duplicate")
            payment = self._find(tx, tenant, event)
            if payment is None:
                self._receipt(tx, tenant, event, None, "unknown")
                return Applied(outcome="unknown")
            booking = tx.bookings.get(tenant, payment.booking_id)
            tx.bookings.lock_session(tenant, booking.session_id)  # sessions before payments
            payment = tx.payments.get(tenant, payment.id)
            if payment.intent_ref is None and event.intent_ref is not None:
                payment = store_payment(
                    tx,
                    payment,
                    attrs.evolve(
                        payment,
                        intent_ref=event.intent_ref,
                        due=None if payment.due == "create" else payment.due,
                    ),
                    None,
                    actor=None,
                )
            after = self._react(tx, payment, event)
            outcome: Literal["applied", "stale"] = "stale" if after is payment else "applied"
            self._receipt(tx, tenant, event, payment.id, outcome)
        return Applied(outcome=outcome, payment=after)

    def _react(self, tx: Tx, payment: Payment, event: PaymentEvent) -> Payment:
        ctx, reason = self._ctx, event.reason
        if event.type == "succeeded":
            return succeed(ctx, tx, payment, actor=None)
        if event.type == "failed":
            return fail(ctx, tx, payment, "fail", actor=None, reason=reason or "declined")
        if event.type == "canceled":
            return fail(ctx, tx, payment, "cancel", actor=None, reason=reason or "canceled")
        if event.type == "authorized":
            return authorized(tx, payment, actor=None)
        total = payment.amount.amount if event.amount is None else event.amount.amount
        if event.amount is not None and event.amount.currency != payment.currency:
            raise InvalidValue(
                f"a refund event in {event.amount.currency} for a {payment.currency} payment",
                value=event.amount,
                expected=payment.currency,
            )
        if payment.status not in PAID_STATUSES:
            payment = succeed(ctx, tx, payment, actor=None)  # refunded: it must have been paid
        moved, change = refunded_to(payment, total, tx, actor=None)
        sending = payment.refund_sending
        if sending and total >= payment.refunded + sending:
            # The provider's total covers the refund call under way (its webhook outran its
            # answer): count that call now, so its runner finds it recorded, not adds it again.
            moved = attrs.evolve(moved, refunds=payment.refunds + 1, refund_sending=Decimal(0))
        if moved is payment:
            return payment
        return store_payment(tx, payment, moved, change, actor=None, reason="refunded")

    @staticmethod
    def _find(tx: Tx, tenant: str, event: PaymentEvent) -> Payment | None:
        if event.payment_id is not None:
            found = tx.payments.get_many(tenant, [event.payment_id])
            if found:
                return found[0]
        if event.intent_ref is not None:
            return tx.payments.by_intent(tenant, event.provider, event.intent_ref)
        return None

    @staticmethod
    def _receipt(
        tx: Tx, tenant: str, event: PaymentEvent, payment_id: str | None, outcome: str
    ) -> None:
        tx.repository(PAYMENT_EVENTS).add(
            ReceivedEvent(
                id=event.key,
                tenant=tenant,
                payment_id=payment_id,
                type=event.type,
                outcome=outcome,
                received_at=tx.now,
            )
        )

    # -- refunds and manual payments ------------------------------------------------

    def cancel(
        self,
        tenant: str,
        booking_id: str,
        *,
        actor: str | None,
        role: str = "participant",
        reason: str | None = None,
        now: datetime | None = None,
    ) -> Payment | None:
        """Cancel a booking and settle its payment by ``role``; return the payment (or ``None``).

        The same as ``kit.bookings.cancel`` (which does the same to payments),
        returning the payment: its ``refund_due`` or ``refunded`` say what
        goes back.
        """
        self._bookings.cancel(tenant, booking_id, actor=actor, role=role, reason=reason, now=now)
        with self._ctx.transaction(now) as tx:
            return tx.payments.for_booking(tenant, booking_id)

    def refund(
        self,
        tenant: str,
        payment_id: str,
        amount: Money,
        *,
        actor: str | None,
        reason: str | None = None,
        idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> Payment:
        """Give ``amount`` of a paid payment back (a goodwill refund); return the payment.

        The provider is asked at once; if it fails, the refund stays due
        (``refund_due``) for :meth:`run_due`.

        With ``idempotency_key``, a receipt of the key (unique in the
        database, beside the provider events' receipts) is stored in the
        refund's own unit of work: the same key for the same payment and
        amount again returns the payment as it stands and refunds nothing
        more, even when two retries race; the same key with another payment or
        amount raises ``RefundKeyReused``. A refused refund stores no receipt.

        Raises ``RefundExceedsPayment`` above what is left, ``CurrencyMismatch``
        for another currency, ``PaymentNotFound``; nothing is written then.
        """
        check_tenant(tenant)
        check_id(payment_id, "payment_id")
        check_actor(actor)
        check_text(reason, "reason", limit=MAX_REF_LENGTH, optional=True)
        key = check_key(idempotency_key)
        if not isinstance(amount, Money):
            raise WrongType(amount, name="amount", expected="Money above zero")
        if not amount.is_positive:
            raise InvalidValue(
                f"a refund is Money above zero, got {amount!r}", value=amount, expected="Money > 0"
            )
        try:
            self._refund(tenant, payment_id, amount, actor, reason, key, now)
        except Duplicate as taken:
            if key is None or taken.kind != PAYMENT_EVENTS.name:
                raise
            # A retry with the same key committed its receipt first: run again to replay it.
            self._refund(tenant, payment_id, amount, actor, reason, key, now)
        return self.get(tenant, payment_id)  # as it stands after the provider's answer

    def _refund(
        self,
        tenant: str,
        payment_id: str,
        amount: Money,
        actor: str | None,
        reason: str | None,
        key: str | None,
        now: datetime | None,
    ) -> None:
        with self._ctx.transaction(now) as tx:
            if key is not None and _replayed(tx, tenant, payment_id, amount, key):
                return  # this key refunded this payment once already
            payment = tx.payments.get(tenant, payment_id)
            if payment.status not in (PAID, PARTIALLY_REFUNDED) or amount > payment.refundable:
                raise RefundExceedsPayment(
                    payment.id,
                    paid=payment.received.amount,
                    refunded=payment.refunded + payment.refund_due,
                    asked=amount.amount,
                    currency=payment.currency,
                )
            if key is not None:
                # Before the refund: of two requests racing with one key, the second waits
                # on the receipt's primary key and fails as a duplicate, before the payment.
                tx.repository(PAYMENT_EVENTS).add(
                    ReceivedEvent(
                        id=_receipt_id(key),
                        tenant=tenant,
                        payment_id=payment_id,
                        type="refund",
                        outcome=str(amount.rounded()),
                        received_at=tx.now,
                    )
                )
            give_back(tx, payment, amount.rounded(), actor=actor, reason=reason)

    def mark_paid(
        self,
        tenant: str,
        payment_ids: Iterable[str],
        *,
        actor: str | None,
        now: datetime | None = None,
    ) -> list[Payment]:
        """Record manual payments as paid (cash, invoice), all or none; return them in order.

        Each booking is confirmed as a provider's success would. Raises
        ``PaymentNotFound`` or ``InvalidValue`` (a payment that is not a
        pending manual one) and changes nothing then.
        """
        check_tenant(tenant)
        check_actor(actor)
        ids = check_ids(payment_ids, "payment_ids", most=MAX_LIMIT)
        ctx = self._ctx
        with ctx.transaction(now) as tx:
            found = {p.id: p for p in tx.payments.get_many(tenant, ids)}
            for payment_id in ids:
                if payment_id not in found:
                    raise PaymentNotFound(payment_id, tenant)
                payment = found[payment_id]
                if payment.provider != MANUAL or payment.status not in OPEN_PAYMENT_STATUSES:
                    raise InvalidValue(
                        f"payment {payment.id!r} is a {payment.status} {payment.provider} "
                        "payment; only pending manual ones are marked paid",
                        value=payment.id,
                        expected="a PENDING manual payment",
                    )
            bookings = {p.booking_id: tx.bookings.get(tenant, p.booking_id) for p in found.values()}
            for session_id in sorted({b.session_id for b in bookings.values()}):
                tx.bookings.lock_session(tenant, session_id)
            return [succeed(ctx, tx, tx.payments.get(tenant, i), actor=actor) for i in ids]

    # -- provider calls -------------------------------------------------------------

    def run_due(
        self, tenant: str | None = None, *, limit: int = 100, now: datetime | None = None
    ) -> DueReport:
        """Make the provider calls that are due (intents, captures, cancels, refunds); a report.

        Idempotent (every call carries its derived key) and batched: at most
        ``limit`` payments per run (run again while ``report.more``). A
        provider failure, or a runner that changed the payment first, is
        reported and the call left due for the next run.
        """
        if tenant is not None:
            check_tenant(tenant)
        check_batch(limit, "limit", MAX_LIMIT)
        with self._ctx.transaction(now) as tx:
            due = tx.payments.with_due(tenant, limit=limit)
        done = 0
        failed: list[tuple[str, str, SessionKitError]] = []
        for payment in due:
            try:
                self._perform(payment.tenant, payment.id)
            except PaymentDeclined:
                pass  # an answer, recorded: the call is done
            except SessionKitError as error:  # the provider failed, or a racing runner won
                failed.append((payment.tenant, payment.id, error))
                continue
            done += 1
        return DueReport(done=done, failed=tuple(failed), more=len(due) >= limit)

    def _after_commit(self, calls: list[tuple[str, str]]) -> None:
        """Make the calls a committed command left due; a failure waits for :meth:`run_due`."""
        if self._ctx.gateway is None:
            return
        for tenant, payment_id in dict.fromkeys(calls):
            try:
                self._perform(tenant, payment_id)
            except SessionKitError:
                continue  # still due: the command committed, so it does not fail now

    def _perform(self, tenant: str, payment_id: str) -> Payment:
        with self._ctx.transaction() as tx:
            payment = tx.payments.get(tenant, payment_id)
        if payment.due is None or payment.provider == MANUAL:
            return payment
        gateway = self._gateway()
        ref = payment.intent_ref
        if payment.due == "create" or ref is None:
            intent = self._create(payment)
            stored, _ = self._record_intent(payment, intent)
            if stored.due is None or stored.due == "create":
                return stored
            payment, ref = stored, intent.ref
        if payment.due == "refund":
            claimed = self._claim_refund(payment)
            if claimed.due != "refund" or not claimed.refund_sending:
                return claimed
            amount = Money.of(claimed.refund_sending, claimed.currency).rounded()
            key = claimed.gateway_key("refund", claimed.refunds + 1)
            gateway.refund(claimed.intent_ref or ref, amount, idempotency_key=key)
            return self._record_refund(claimed, amount)
        if payment.due == "capture":
            intent = gateway.capture(ref, idempotency_key=payment.gateway_key("capture"))
        else:
            intent = gateway.cancel(ref, idempotency_key=payment.gateway_key("cancel"))
        return self._record_intent(payment, intent)[0]

    def _create(self, payment: Payment) -> Intent:
        return self._gateway().create_intent(
            amount=payment.amount.rounded(),
            idempotency_key=payment.gateway_key("create"),
            metadata={
                "payment_id": payment.id,
                "booking_id": payment.booking_id,
                "tenant": payment.tenant,
            },
        )

    def _record_intent(self, seen: Payment, intent: Intent) -> tuple[Payment, Booking]:
        """Store what the provider said of the payment's intent; return it and its booking."""
        ctx = self._ctx
        with ctx.transaction() as tx:
            booking = tx.bookings.get(seen.tenant, seen.booking_id)
            tx.bookings.lock_session(seen.tenant, booking.session_id)
            payment = tx.payments.get(seen.tenant, seen.id)
            if payment.intent_ref is None:
                due = None if payment.due == "create" else payment.due
                payment = store_payment(
                    tx,
                    payment,
                    attrs.evolve(payment, intent_ref=intent.ref, due=due),
                    None,
                    actor=None,
                )
            elif payment.due in ("capture", "cancel") and payment.due == _done_by(intent):
                payment = store_payment(
                    tx, payment, attrs.evolve(payment, due=None), None, actor=None
                )
            if intent.status == "succeeded":
                payment = succeed(ctx, tx, payment, actor=None)
            elif intent.status == "failed":
                payment = fail(ctx, tx, payment, "fail", actor=None, reason=intent.reason)
            elif intent.status == "canceled":
                payment = fail(ctx, tx, payment, "cancel", actor=None, reason="canceled")
            elif intent.status == "authorized":
                payment = authorized(tx, payment, actor=None)
            booking = tx.bookings.get(seen.tenant, seen.booking_id)
        return payment, booking

    def _claim_refund(self, seen: Payment) -> Payment:
        """Fix the amount of refund call ``refunds + 1`` before it is made; return the payment.

        The claim (``refund_sending``) is written in a unit of work of its own
        and committed before the provider is asked. A claim already there (a
        crashed run's, a racing runner's) is kept, so the call is sent again
        with the same amount under the same key; a refund decided meanwhile
        waits in ``refund_due`` for the next call. Of runners claiming at once
        one writes; the others read its claim.
        """
        conflict: ConcurrentModification | None = None
        for _ in range(_CLAIM_TRIES):
            with self._ctx.transaction() as tx:
                payment = tx.payments.get(seen.tenant, seen.id)
                if payment.due != "refund" or payment.refund_sending or not payment.refund_due:
                    return payment
                # Not store_payment: a claim is bookkeeping (no event, no call queued), and
                # updated_at stays the decision's, which is what run_due orders by.
                claim = attrs.evolve(payment, refund_sending=payment.refund_due)
                try:
                    return tx.payments.update(claim, expected_version=payment.version)
                except ConcurrentModification as error:
                    conflict = error
        assert conflict is not None
        raise conflict

    def _record_refund(self, claimed: Payment, amount: Money) -> Payment:
        """Record refund call ``claimed.refunds + 1`` as done (``amount`` went back); return it."""
        with self._ctx.transaction() as tx:
            payment = tx.payments.get(claimed.tenant, claimed.id)
            if payment.refunds != claimed.refunds:
                return payment  # recorded already: by a racing runner, or by the provider's event
            counted = attrs.evolve(payment, refunds=payment.refunds + 1, refund_sending=Decimal(0))
            moved, change = refunded_to(counted, payment.refunded + amount.amount, tx, actor=None)
            return store_payment(tx, payment, moved, change, actor=None, reason="refunded")

    def _gateway(self) -> PaymentGateway:
        gateway = self._ctx.gateway
        if gateway is None:
            raise InvalidValue(
                "this kit has no payment gateway: pass SessionKit(gateway=...), or manual=True",
                value=None,
                expected="a PaymentGateway",
            )
        return gateway

    # -- reads ----------------------------------------------------------------------

    def get(self, tenant: str, payment_id: str) -> Payment:
        """Return the payment; ``PaymentNotFound`` otherwise."""
        check_tenant(tenant)
        check_id(payment_id, "payment_id")
        with self._ctx.transaction() as tx:
            return tx.payments.get(tenant, payment_id)

    def for_booking(self, tenant: str, booking_id: str) -> Payment | None:
        """Return the booking's payment, or ``None`` for a booking without one."""
        check_tenant(tenant)
        check_id(booking_id, "booking_id")
        with self._ctx.transaction() as tx:
            return tx.payments.for_booking(tenant, booking_id)

    def list(
        self,
        tenant: str,
        *,
        statuses: Iterable[str] | None = None,
        participant: ResourceRef | str | None = None,
        session_ids: Iterable[str] | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[Payment]:
        """Return the tenant's payments by session start then id, filtered at the database.

        ``after=(last.session_start, last.id)`` continues a page.
        """
        check_tenant(tenant)
        ref = None if participant is None else participant_ref(participant)
        wanted = None if statuses is None else list(check_names(statuses, "statuses"))
        ids = (
            None
            if session_ids is None
            else sorted(check_ids(session_ids, "session_ids", most=MAX_LIMIT))
        )
        lo = None if start_from is None else check_instant(start_from, "start_from")
        hi = None if start_to is None else check_instant(start_to, "start_to")
        position = None if after is None else continuation(after)
        check_batch(limit, "limit", MAX_LIMIT)
        with self._ctx.transaction() as tx:
            return tx.payments.query(
                tenant,
                statuses=wanted,
                participant=ref,
                session_ids=ids,
                start_from=lo,
                start_to=hi,
                after=position,
                limit=limit,
            )


_REFUND_RECEIPT = "sessionkit-refund:"
"""The receipts of refund keys share the provider events' store (``PAYMENT_EVENTS``) under
this prefix, where a provider event's receipt is ``provider:event_id``; no provider is
called ``sessionkit-refund``."""


def _receipt_id(key: str) -> str:
    """Return the id of refund key ``key``'s receipt: a digest, since keys outgrow ids."""
    return _REFUND_RECEIPT + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _replayed(tx: Tx, tenant: str, payment_id: str, amount: Money, key: str) -> bool:
    """Whether refund key ``key`` refunded ``amount`` of the payment already.

    Raises ``RefundKeyReused`` when its receipt names another payment or amount.
    """
    found = tx.repository(PAYMENT_EVENTS).get_many(tenant, [_receipt_id(key)])
    if not found:
        return False
    first, asked = found[0], str(amount.rounded())
    if (first.payment_id, first.outcome) != (payment_id, asked):
        raise RefundKeyReused(
            key,
            payment_id=payment_id,
            amount=asked,
            first_payment_id=first.payment_id,
            first_amount=first.outcome,
        )
    return True


def _done_by(intent: Intent) -> str | None:
    return {"succeeded": "capture", "canceled": "cancel"}.get(intent.status)


# -- the provider's answers, inside a unit of work ---------------------------------------


def succeed(ctx: Context, tx: Tx, payment: Payment, *, actor: str | None) -> Payment:
    """The money came in: mark ``payment`` PAID and confirm its booking, or refund it all.

    The booking is confirmed only while it still holds its seats (held or
    offered, not run out, at the command's instant); money for a booking that
    expired or was cancelled is refunded at once, never kept over capacity.
    Call with the booking's session locked.
    """
    if payment.status in PAID_STATUSES:
        return payment
    paid, change = PAYMENT_LIFECYCLE.fire(payment, "succeed", now=tx.now, actor=actor)
    paid = attrs.evolve(paid, due=None, failure=None)
    booking = tx.bookings.get(payment.tenant, payment.booking_id)
    if booking.status in (HELD, OFFERED) and not booking.expired_at(tx.now):
        confirmed, booked = BOOKING_LIFECYCLE.fire(booking, "confirm", now=tx.now, actor=actor)
        stamped = attrs.evolve(confirmed, hold_expires_at=None, updated_at=tx.now, updated_by=actor)
        stored = tx.bookings.update(stamped, expected_version=booking.version)
        tx.collect([booking_event(stored, booked, tenant=stored.tenant, actor=actor)])
        return store_payment(tx, payment, paid, change, actor=actor)
    if booking.status == CONFIRMED:
        return store_payment(tx, payment, paid, change, actor=actor)
    late = "paid after the booking was released"
    store_payment(tx, payment, paid, change, actor=actor, reason=late)
    if booking.expired_at(tx.now):  # mark it EXPIRED and offer its seats on
        settle(ctx, tx, tx.bookings.lock_session(booking.tenant, booking.session_id), actor=None)
    now_paid = tx.payments.get(payment.tenant, payment.id)
    return give_back(tx, now_paid, now_paid.refundable, actor=actor, reason=late)


def fail(
    ctx: Context,
    tx: Tx,
    payment: Payment,
    transition: Literal["fail", "cancel"],
    *,
    actor: str | None,
    reason: str | None,
) -> Payment:
    """The payment will not come in: close it and release its booking's seats.

    Call with the booking's session locked; the freed seats go to the waitlist.
    """
    if payment.status not in OPEN_PAYMENT_STATUSES:
        return payment
    closed, change = PAYMENT_LIFECYCLE.fire(
        payment, transition, now=tx.now, actor=actor, reason=reason
    )
    closed = attrs.evolve(closed, due=None, failure=reason)
    stored = store_payment(tx, payment, closed, change, actor=actor, reason=reason)
    booking = tx.bookings.get(payment.tenant, payment.booking_id)
    if booking.status in (HELD, OFFERED):
        session = tx.bookings.lock_session(booking.tenant, booking.session_id)
        if not booking.expired_at(tx.now):
            why = "payment failed" if transition == "fail" else "payment cancelled"
            why += f": {reason}" if reason else ""
            cancelled, moved = BOOKING_LIFECYCLE.fire(
                booking, "cancel", now=tx.now, actor=actor, reason=why
            )
            store_booking_change(tx, booking, cancelled, [moved], actor=actor, reason=why)
        settle(ctx, tx, session, actor=actor)
    return stored


def authorized(tx: Tx, payment: Payment, *, actor: str | None) -> Payment:
    """The provider holds the money: capture it while the booking holds, else cancel it."""
    if payment.status != PENDING:
        return payment
    held, change = PAYMENT_LIFECYCLE.fire(payment, "authorize", now=tx.now, actor=actor)
    booking = tx.bookings.get(payment.tenant, payment.booking_id)
    keep = booking.status in (HELD, OFFERED) and not booking.expired_at(tx.now)
    held = attrs.evolve(held, due="capture" if keep else "cancel")
    return store_payment(tx, payment, held, change, actor=actor)
