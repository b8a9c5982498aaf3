"""Errors of money and payments: currencies, refunds, the gateway, missing payments."""

from __future__ import annotations

from decimal import Decimal

from sessionkit.errors._base import InvalidValue, SessionKitError, shown
from sessionkit.errors._storage import Duplicate, NotFound


class UnknownCurrency(InvalidValue):
    """Not an ISO 4217 currency code with a minor unit (``"EUR"``, ``"JPY"``, ``"BHD"``)."""

    def __init__(self, value: object) -> None:
        super().__init__(
            f"{shown(value)} is not an ISO 4217 currency code with a minor unit (e.g. 'EUR', "
            "'USD')",
            value=value,
            expected="an ISO 4217 code such as 'EUR'",
        )


class CurrencyMismatch(SessionKitError, ValueError):
    """Money of two currencies met in one sum or comparison; ``left`` and ``right`` name them."""

    def __init__(self, left: str, right: str, *, operation: str = "combine") -> None:
        super().__init__(f"cannot {operation} {left} with {right}: convert one first")
        self.left = left
        self.right = right
        self.operation = operation


class PaymentNotFound(NotFound):
    """No payment with that id (or for that booking, or that provider reference) for the tenant."""

    def __init__(self, payment_id: object, tenant: object) -> None:
        super().__init__("payment", payment_id, tenant)
        self.payment_id = payment_id


class DuplicatePayment(Duplicate):
    """A payment with that id, for that booking, or with that provider reference already exists."""


class RefundExceedsPayment(SessionKitError, ValueError):
    """A refund of more than is left of the payment: ``paid``, ``refunded`` so far, ``asked``."""

    def __init__(
        self, payment_id: str, *, paid: Decimal, refunded: Decimal, asked: Decimal, currency: str
    ) -> None:
        left = paid - refunded
        super().__init__(
            f"payment {shown(payment_id)} has {left} {currency} left to refund "
            f"({paid} paid, {refunded} refunded); {asked} asked for"
        )
        self.payment_id = payment_id
        self.paid = paid
        self.refunded = refunded
        self.asked = asked
        self.currency = currency
        self.remaining = left


class PaymentDeclined(SessionKitError, ValueError):
    """The payment provider declined the payment; ``reason`` is its word for why, if it gave one.

    The booking it was for has been released (its seats are free again).
    """

    def __init__(self, payment_id: str, *, reason: str | None = None) -> None:
        super().__init__(
            f"payment {shown(payment_id)} was declined" + (f": {reason}" if reason else "")
        )
        self.payment_id = payment_id
        self.reason = reason


class PaymentGatewayError(SessionKitError, ConnectionError):
    """The payment provider could not be reached or failed; the call is safe to retry.

    Every call sessionkit makes carries an idempotency key it derives from the
    payment and the operation, so a retry never charges or refunds twice.
    ``operation`` names the call, ``payment_id`` the payment. A paid booking
    asked for without an idempotency key is the exception (:meth:`held`): its
    booking stays held, and the same request again is refused; ``booking_id``
    names that booking (None otherwise), the one to cancel.
    """

    def __init__(
        self,
        operation: str,
        payment_id: str,
        *,
        detail: str = "",
        advice: str = "it is safe to retry",
        booking_id: str | None = None,
    ) -> None:
        super().__init__(
            f"the payment provider failed to {operation} payment {shown(payment_id)}"
            + (f": {detail}" if detail else "")
            + f"; {advice}"
        )
        self.operation = operation
        self.payment_id = payment_id
        self.detail = detail
        self.booking_id = booking_id

    @classmethod
    def held(
        cls, error: PaymentGatewayError, booking_id: str, *, drafted: str | None = None
    ) -> PaymentGatewayError:
        """``error`` of a paid booking asked for without an idempotency key.

        The booking stays held, so the same request again is refused
        (``AlreadyBooked``) until the hold runs out: it is cancelled and booked
        again, with a key this time, whose retry returns the same booking.
        ``drafted`` is the id of the session a ``SessionDraft`` made and stored:
        the same draft again would make another session (refused
        ``SessionConflict`` where it holds a resource), so that session is the
        one to book again.
        """
        held = f"booking {shown(booking_id)} stays held"
        if drafted is None:
            advice = (
                f"{held}, and booked without an idempotency_key the same request again is "
                f"refused (AlreadyBooked) while the hold lasts: cancel booking {shown(booking_id)} "
                "and book again with an idempotency_key, which makes a retry safe"
            )
        else:
            advice = (
                f"{held}, on session {shown(drafted)} its draft stored, and the same request "
                f"again drafts another session: cancel booking {shown(booking_id)} and book "
                f"session {shown(drafted)} with an idempotency_key, which makes a retry safe"
            )
        return cls(
            error.operation,
            error.payment_id,
            detail=error.detail,
            advice=advice,
            booking_id=booking_id,
        )


_PAYING = (
    "a seat in it is taken by paying, so book it with kit.payments.book "
    "(manual=True, confirm=True for money the host collects itself)"
)
"""How a seat of a priced session is taken, as :class:`PaymentRequired` advises it."""


class PaymentRequired(SessionKitError, ValueError):
    """A booking of a priced session is confirmed by its payment's success, not by hand.

    ``booking_id`` and ``payment_id`` name the booking and its payment, ``status``
    the payment's status (``"missing"`` without one: ``payment_id`` is then
    ``None`` and ``session_id`` names the priced session). A seat of a priced
    session asked for without paying (:meth:`at_once`: held or confirmed by
    ``kit.bookings.book``) has neither yet: both are ``None`` and
    ``session_id`` names the priced session, or is ``None`` for a session the
    command drafted (a :class:`~sessionkit.services.SessionDraft`), which the
    refusal left unstored; ``reason`` then says what the caller can do instead
    (pay with ``kit.payments.book``; after ``confirm=True``, join the waitlist
    without it too, but for a drafted session, new, or one whose rules keep no
    waitlist: neither has one to join), ``None`` for a booking that has its seats. ``confirm``:
    the seat was asked for confirmed at once, refused before the session's
    room or waitlist is looked at; ``waitlist``: asked for with
    ``waitlist=True`` and the session had room, so the booking would have
    taken seats rather than queued. Both are the message's and the reason's
    alone, not fields.
    """

    # A PaymentRequired pickled before this field existed (a job queue's) reads it as None.
    reason: str | None = None

    def __init__(
        self,
        booking_id: str | None,
        payment_id: str | None,
        status: str,
        *,
        session_id: str | None = None,
        waitlist: bool = False,
        confirm: bool = False,
        queues: bool = True,
    ) -> None:
        which = "the drafted session" if session_id is None else f"session {shown(session_id)}"
        reason = None
        if booking_id is None and (session_id is None or not queues):
            # A drafted session is new: it has room and nobody waits for it, so there is no
            # waitlist of it to join (waitlist=True would take seats too), nor is there of one
            # whose rules keep none (CapacityExceeded when full): paying is the way.
            reason = _PAYING
            room = (
                " and has room for the seats asked for, so waitlist=True would take them, not queue"
                if waitlist and not confirm
                else ""
            )
            message = f"{which} is priced{room}: {reason}"
        elif booking_id is None and confirm:
            # Refused before the waitlist is looked at: the way to it is advice too (without
            # confirm=True a full session queues the request; one with room is paid for).
            even = ", even with waitlist=True," if waitlist else ""
            reason = (
                f"{_PAYING}; kit.bookings.book confirms none at once{even} and joins its "
                "waitlist with waitlist=True and confirm=False (it queues only when the "
                "session has no room for the seats)"
            )
            message = f"{which} is priced: {reason}"
        elif booking_id is None and waitlist:
            # Joining the waitlist is what was asked; the room it has would seat it instead.
            reason = (
                f"{_PAYING}; kit.bookings.book joins its waitlist only when it has no room for them"
            )
            message = (
                f"{which} is priced and has room for the seats asked for, so waitlist=True "
                f"would take them, not queue: {reason}"
            )
        elif booking_id is None:
            reason = f"{_PAYING}; kit.bookings.book only joins its waitlist"
            message = f"{which} is priced: {reason}"
        elif payment_id is None:
            message = (
                f"booking {shown(booking_id)} of priced session {shown(session_id)} has no "
                "payment, which would confirm it: a waitlist offer is claimed with "
                "kit.payments.claim; any other seat of it is taken with kit.payments.book"
            )
        else:
            message = (
                f"booking {shown(booking_id)} is confirmed by its payment {shown(payment_id)}, "
                f"which is {status}, not PAID"
            )
        super().__init__(message)
        self.booking_id = booking_id
        self.payment_id = payment_id
        self.status = status
        self.session_id = session_id
        self.reason = reason

    @classmethod
    def at_once(
        cls,
        session_id: str | None,
        *,
        waitlist: bool = False,
        confirm: bool = False,
        queues: bool = True,
    ) -> PaymentRequired:
        """The error for a seat of priced ``session_id`` asked for without paying.

        ``None`` for a session drafted by the refused command: it was never stored.
        ``confirm``: the request asked for the seat confirmed at once (its
        ``waitlist`` is then whether it asked to join the waitlist too); else
        ``waitlist``: the request asked to join the waitlist, and the session
        had room, so it would have taken seats. ``queues``: the session's booking
        rules keep a waitlist (``BookingRules.waitlist``); else paying is the only
        advice, as for a drafted session.
        """
        return cls(
            None,
            None,
            "missing",
            session_id=session_id,
            waitlist=waitlist,
            confirm=confirm,
            queues=queues,
        )


class RefundKeyReused(SessionKitError, ValueError):
    """A refund's idempotency key came back with another payment or amount than its first refund.

    The refund sibling of ``IdempotencyKeyReused``: ``key`` is the key,
    ``payment_id``, ``amount`` and ``currency`` what this request asked
    (``Decimal("10.00")``, ``"EUR"``), ``first_payment_id``, ``first_amount``
    and ``first_currency`` what the key refunded first. Nothing was refunded
    this time.
    """

    def __init__(
        self,
        key: str,
        *,
        payment_id: str,
        amount: Decimal,
        currency: str,
        first_payment_id: str | None,
        first_amount: Decimal,
        first_currency: str,
    ) -> None:
        super().__init__(
            f"idempotency key {shown(key)} already refunded {first_amount} {first_currency} of "
            f"payment {shown(first_payment_id)}; this request asks {amount} {currency} of "
            f"payment {shown(payment_id)}: use a new key for a new refund"
        )
        self.key = key
        self.payment_id = payment_id
        self.amount = amount
        self.currency = currency
        self.first_payment_id = first_payment_id
        self.first_amount = first_amount
        self.first_currency = first_currency
