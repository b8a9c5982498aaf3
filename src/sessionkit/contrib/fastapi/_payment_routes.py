"""The routes of paid bookings, payments, refunds and the provider's webhook.

Added to the router by :func:`add_payment_routes`. Provider calls (an intent,
a refund) are made by the service outside its unit of work, after it
committed; the response says where the payment stands then. A provider event is heard
after it happens, so one whose ``occurred_at`` is later than the kit's clock allows (its
now plus the router's ``payment_event_skew``) is refused, and nothing of it applied. One
whose payment is not known here yet (``unknown``) is answered 503 with ``Retry-After``,
so that the provider delivers it again (see :data:`UNKNOWN_EVENT_RETRIED_FOR`).
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
from typing import Annotated, Any

from fastapi import Query, Response

from sessionkit.contrib._http_status import UNKNOWN_EVENT_RETRIED_FOR, UNKNOWN_EVENT_RETRY_AFTER
from sessionkit.contrib.fastapi import payment_schemas as ps
from sessionkit.contrib.fastapi import schemas as s
from sessionkit.contrib.fastapi._common import (
    ACTING,
    READ_AS,
    WRITE,
    Caller,
    Cursor,
    IdempotencyKey,
    MaybeInstant,
    Names,
    booked,
    cancelling,
    heard_by,
    instant,
    participant_named,
    status_names,
)
from sessionkit.contrib.fastapi._routing import Hook, Kit, Routes, Who
from sessionkit.contrib.fastapi.paging import read_start_cursor
from sessionkit.contrib.fastapi.problems import problem_responses
from sessionkit.errors import InvalidValue
from sessionkit.model.payment import PAYMENT_LIFECYCLE
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.text import check_ids
from sessionkit.services import SessionKit

__all__ = ["UNKNOWN_EVENT_RETRIED_FOR", "UNKNOWN_EVENT_RETRY_AFTER", "add_payment_routes"]

PAYMENT_STATUSES = frozenset(str(x.name) for x in PAYMENT_LIFECYCLE.statuses)
"""The statuses a payment can have: what ``GET /payments?status=`` may name."""

PAYING = (402, *WRITE)
"""A command that may call the provider: declined (402), or the provider down (502, in WRITE)."""

_UNKNOWN_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {
        **problem_responses(503)[503],
        "model": ps.AppliedOut,  # application/json, beside the storage's problem+json
        "description": (
            "Storage unavailable (a problem); or, outcome unknown (an AppliedOut), the event's"
            " payment is not known here yet: send it again (Retry-After)"
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before sending the request again",
                "schema": {"type": "integer"},
            }
        },
    }
}


def add_payment_routes(routes: Routes) -> None:
    """Add the routes of payments to ``routes`` (see :func:`sessionkit_router`)."""
    payments = routes.tagged("payments")
    access = routes.access

    # -- booking and paying ----------------------------------------------------------

    @payments.post(
        "/sessions/{session_id}/paid-bookings",
        ps.CheckoutOut,
        (403, *PAYING),
        "Book seats and open their payment at the session's price",
        status_code=201,
    )
    def book_paid(
        app: Kit,
        who: Who,
        session_id: str,
        body: ps.PaidBookingCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> ps.CheckoutOut:
        return _book_paid(app, who, body, idempotency_key, session_id=session_id)

    @payments.post(
        "/paid-bookings",
        ps.CheckoutOut,
        (403, *PAYING),
        "Create a session, book seats of it and open their payment, in one unit of work",
        status_code=201,
    )
    def book_new_paid(
        app: Kit,
        who: Who,
        body: ps.DraftPaidBookingCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> ps.CheckoutOut:
        return _book_paid(app, who, body, idempotency_key, asked=body.session)

    def _book_paid(
        app: SessionKit,
        who: Caller,
        body: ps.PaidBookingCreate,
        idempotency_key: str | None,
        *,
        session_id: str | None = None,
        asked: s.SessionCreate | None = None,
    ) -> ps.CheckoutOut:
        how = booked(who, body, idempotency_key)
        access.staff_if(
            who,
            manual=body.manual,
            confirm=body.confirm,
            hold=body.hold_minutes is not None,
            drafted=asked is not None,
        )
        access.own(who, body.participant, asked="a new booking", new=True)
        with access.booking(app, who, body.participant):
            checkout = app.payments.book(
                who.tenant,
                access.target(app, who, session_id, asked),
                body.participant,
                manual=body.manual,
                confirm=body.confirm,
                **how,
            )
        return ps.checkout_out(checkout, now=app.context.now())

    @payments.post(
        "/bookings/{booking_id}/claim",
        ps.CheckoutOut,
        (403, *PAYING),
        "Open the payment of a waitlist offer (the same payment when called again)",
    )
    def claim(app: Kit, who: Who, booking_id: str) -> ps.CheckoutOut:
        access.own_booking(app, who, booking_id, made=True)
        if app.context.gateway is None:
            raise _unclaimable()
        claimed = app.payments.claim(who.tenant, booking_id, actor=who.actor)
        return ps.checkout_out(claimed, now=app.context.now())

    @payments.post(
        "/bookings/{booking_id}/cancel-and-refund",
        ps.CancelledPaidOut,
        ACTING,
        "Cancel a booking, or some of its seats, as a role; refunded as the refund policy says",
    )
    def cancel_and_refund(
        app: Kit, who: Who, booking_id: str, body: s.BookingSeatsCancel | None = None
    ) -> ps.CancelledPaidOut:
        how = cancelling(who, body)
        access.own_booking(app, who, booking_id)
        payment = app.payments.cancel(who.tenant, booking_id, **how)
        return ps.CancelledPaidOut(
            booking=s.booking_out(app.bookings.get(who.tenant, booking_id)),
            payment=None if payment is None else ps.payment_out(payment),
        )

    # -- reads -----------------------------------------------------------------------

    @payments.get(
        "/payments",
        ps.PaymentPage,
        READ_AS,
        "The tenant's payments by session start (keyset pages)",
    )
    def list_payments(
        app: Kit,
        who: Who,
        status: Names = None,
        participant: Annotated[str | None, Query(examples=["student:ann"])] = None,
        session_id: Names = None,
        start_from: MaybeInstant = None,
        start_to: MaybeInstant = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT - 1)] = 50,
        cursor: Cursor = None,
    ) -> ps.PaymentPage:
        participant = participant_named(participant)
        if participant is None:
            access.everyone(who, asked="the payment list")
        else:
            access.own(who, participant, asked="a participant's payment list")
        return _page(
            app,
            who.tenant,
            statuses=status,
            participant=participant,
            session_ids=session_id,
            start_from=start_from,
            start_to=start_to,
            limit=limit,
            cursor=cursor,
        )

    @payments.get(
        "/sessions/{session_id}/payments",
        ps.PaymentPage,
        READ_AS,
        "A session's payments (keyset pages)",
    )
    def session_payments(
        app: Kit,
        who: Who,
        session_id: str,
        status: Names = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT - 1)] = 50,
        cursor: Cursor = None,
    ) -> ps.PaymentPage:
        access.everyone(who, asked="a session's payment list")
        app.queries.get(who.tenant, session_id, actor=who.actor)  # 404 for an unknown session
        return _page(
            app, who.tenant, statuses=status, session_ids=[session_id], limit=limit, cursor=cursor
        )

    @payments.get(
        "/bookings/{booking_id}/payments",
        list[ps.PaymentOut],
        READ_AS,
        "A booking's payment, if it has one (a list of none or one)",
    )
    def booking_payments(app: Kit, who: Who, booking_id: str) -> list[ps.PaymentOut]:
        booking = access.own_booking(app, who, booking_id)  # 404 for an unknown booking
        found = app.payments.for_booking(who.tenant, booking.id)
        return [] if found is None else [ps.payment_out(found)]

    @payments.get("/payments/{payment_id}", ps.PaymentOut, READ_AS, "Get a payment")
    def get_payment(app: Kit, who: Who, payment_id: str) -> ps.PaymentOut:
        found = app.payments.get(who.tenant, payment_id)
        access.own(who, found.participant, asked=f"payment {found.id!r}", stored=True)
        return ps.payment_out(found)

    # -- refunds and manual payments -------------------------------------------------

    @payments.post(
        "/payments/{payment_id}/refunds",
        ps.PaymentOut,
        (502, *ACTING),
        "Give part or all of a paid payment back (a goodwill refund), once per key",
    )
    def refund(
        app: Kit,
        who: Who,
        payment_id: str,
        body: ps.RefundCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> ps.PaymentOut:
        access.staff(who)
        done = app.payments.refund(
            who.tenant,
            payment_id,
            body.to_money(),
            actor=who.actor,
            reason=body.reason,
            idempotency_key=idempotency_key,
        )
        return ps.payment_out(done)

    @payments.post(
        "/payments/{payment_id}/refund-retries",
        ps.PaymentOut,
        (502, *ACTING),
        "Send again a refund the provider answered failed, in a fresh call",
    )
    def retry_refund(app: Kit, who: Who, payment_id: str) -> ps.PaymentOut:
        access.staff(who)
        return ps.payment_out(app.payments.retry_refund(who.tenant, payment_id, actor=who.actor))

    @payments.post(
        "/payments/mark-paid",
        list[ps.PaymentOut],
        ACTING,
        "Record manual payments as paid (cash, invoice), all or none",
    )
    def mark_paid(app: Kit, who: Who, body: ps.MarkPaid) -> list[ps.PaymentOut]:
        access.staff(who)
        paid = app.payments.mark_paid(who.tenant, body.payment_ids, actor=who.actor)
        return [ps.payment_out(p) for p in paid]

    # -- the provider's webhook ------------------------------------------------------

    @payments.post(
        "/payments/events",
        ps.AppliedOut,
        (*routes.hook_problems, *WRITE),
        "Apply one payment provider event, once per provider and event id",
        responses=_UNKNOWN_RESPONSES,
    )
    def payment_event(
        app: Kit, hook: Hook, body: ps.PaymentEventIn, response: Response
    ) -> ps.AppliedOut:
        now = app.context.now()  # one now: the one checked is the one applied at
        skew = routes.payment_event_skew
        heard_by(body.occurred_at, "occurred_at", now=now, skew=skew, what="a payment event")
        applied = app.payments.apply(hook.tenant, body.to_event(), now=now)
        if applied.outcome == "unknown" and now - body.occurred_at < UNKNOWN_EVENT_RETRIED_FOR:
            # No receipt was kept: the provider's redelivery, once the payment is stored, is
            # applied; a 200 would end its retries (duplicate, stale, applied: all 200).
            response.status_code = 503
            response.headers["Retry-After"] = str(UNKNOWN_EVENT_RETRY_AFTER)
        return ps.applied_out(applied)


def _unclaimable() -> InvalidValue:
    """The refusal of a claim by a kit without a payment gateway, with the claim's own advice.

    The services' (``gateway_of``) ends "or manual=True", which ``kit.payments.book``
    takes and a claim does not: a client told to send ``"manual": true`` here could not.
    An offer of a free session is confirmed instead, which is what a client can do.
    """
    return InvalidValue(
        "this API has no payment gateway, which a claim pays through: the host must configure"
        " one; a waitlist offer of a free session is confirmed with"
        " POST /bookings/{booking_id}/confirm",
        value=None,
        expected="a payment provider the host configures",
    )


def _page(
    app: SessionKit,
    tenant: str,
    *,
    statuses: list[str] | None,
    participant: str | None = None,
    session_ids: list[str] | None = None,
    start_from: str | None = None,
    start_to: str | None = None,
    limit: int,
    cursor: str | None,
) -> ps.PaymentPage:
    """Read one page of the tenant's payments (one row more tells whether a next page exists)."""
    found = app.payments.list(
        tenant,
        statuses=status_names(statuses, PAYMENT_STATUSES, of="payment"),
        participant=participant,
        # Checked as the service checks them, but named as the query parameter the client sent.
        session_ids=None
        if session_ids is None
        else check_ids(session_ids, "session_id", most=MAX_LIMIT),
        start_from=instant(start_from, "start_from"),
        start_to=instant(start_to, "start_to"),
        after=None if cursor is None else read_start_cursor(cursor),
        limit=limit + 1,
    )
    return ps.PaymentPage.read(found, limit, ps.payment_out)
