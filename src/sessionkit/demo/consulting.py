"""``python -m sessionkit demo consulting``: the Naksha consulting platform (seed 003), rebuilt.

**Consultants are tenants.** The seed scopes every query by ``consultantId``;
here each consultant is a tenant of one kit, so her clients, sessions and
payments cannot be read, changed or counted through another's (an id of
another tenant is simply not found). She is also the busy resource of her
sessions, so two of them never overlap.

**Clients are participants.** A client is the participant reference
``client:<email>``, the email trimmed and lower-cased: the seed's unique
``(email, consultantId)`` is that reference within the consultant's tenant,
so booking twice, or typing ``Asha.Rao@Example.com``, never makes a second
client. sessionkit keeps no client table (a host's CRM would); name and
phone travel in the metadata of the client's bookings, and a client "is
created" by her first booking.

**Sessions and payment status.** A consultation is a session of the
``consulting`` preset (PENDING -> CONFIRMED -> COMPLETED, or CANCELLED,
NO_SHOW) with one seat, whose booking carries the payment; the seed's
``paymentStatus`` is that payment's status (``kit.payments``), listed and
filtered beside the session's. A session is priced at the consultant's
hourly rate (:class:`~sessionkit.policies.Rate`), or at the fee the
consultant typed when she created it by hand (a ``fee`` own field,
:class:`~sessionkit.policies.FixedPrice`). Public bookings pay by card
through the provider (here the shipped fake); sessions the consultant
creates are paid outside it and marked paid (``manual=True``).

Every write is keyed (the showcase form's request id names both the
session, as an own field, and the booking's idempotency key), so running
the demo again on the same database finds what it made and writes nothing
twice. :mod:`sessionkit.demo.consulting_story` replays the seed's workflows
on this platform and prints the dashboard.

This module keeps the wiring, the reads and the booking flows; the
consultants and the platform's rules and pricing (:data:`CONSULTANTS`,
:data:`RULES`, :data:`REFUNDS`, :data:`NOTICE`, :func:`price`,
:func:`client_ref`) are kept in ``_consulting_platform`` beside it, by the
style's size limit, and exported from here under this name.
"""

from __future__ import annotations

# The imports written ``name as name`` are exported: SHOWCASE_NOTICE, a public name of this
# module before the split that __all__ does not list; time and Money, not used here, are
# where the moved Consultant's type hints resolve (its __module__ is this one).
import itertools
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from datetime import time as time
from decimal import Decimal
from functools import partial

import attrs

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.availability import free_slots
from sessionkit.demo._common import resume_provider
from sessionkit.demo._consulting_platform import (
    CONSULTANTS,
    NOTICE,
    REFUNDS,
    RULES,
    Consultant,
    client_ref,
    price,
)
from sessionkit.demo._consulting_platform import SHOWCASE_NOTICE as SHOWCASE_NOTICE
from sessionkit.errors import BookingRefused, PaymentDeclined
from sessionkit.model.booking import Booking
from sessionkit.model.money import Money as Money
from sessionkit.model.payment import Payment
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import BOOKINGS, PAYMENTS, UnitOfWorkFactory
from sessionkit.services import SessionDraft, SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = [
    "CONSULTANTS",
    "DEFAULT_DB",
    "DEMO_NOW",
    "NOTICE",
    "REFUNDS",
    "RULES",
    "Booked",
    "Consultant",
    "Consulting",
    "Request",
    "book_public",
    "build_consulting",
    "client_ref",
    "confirm_paid",
    "create_manual",
    "deliver",
    "find_request",
    "pay",
    "price",
    "require_payments",
    "showcase",
]

DEFAULT_DB = "sqlite:///sessionkit-consulting.sqlite3"
"""Where the consulting demo keeps its data unless ``--db`` says otherwise."""

DEMO_NOW = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
"""The demo's "now": Monday 2 March 2026, 10:00 in Kolkata."""


@attrs.frozen
class Consulting:
    """The wired kit, its hand-driven clock and the (fake) card provider."""

    kit: SessionKit
    clock: ManualClock
    gateway: FakeGateway


def require_payments(uow: UnitOfWorkFactory) -> None:
    """Raise ``UnsupportedKind`` now if the store cannot keep bookings and payments."""
    with uow() as unit:
        unit.repository(BOOKINGS)
        unit.repository(PAYMENTS)


def build_consulting(
    now: datetime = DEMO_NOW,
    *,
    uow: UnitOfWorkFactory | None = None,
    ids: Callable[[], str] | None = None,
) -> Consulting:
    """Wire the platform over ``uow`` (a fresh in-memory store for ``None``) at ``now``."""
    factory = InMemoryStore().unit_of_work if uow is None else uow
    require_payments(factory)
    provider_ids: Callable[[], str] | None = None
    if uow is not None:  # a database outlives this run: ids no earlier run gave
        provider_ids = lambda: uuid.uuid4().hex  # noqa: E731  # one line, as for ids below
    if ids is None:
        counter = (f"c{n:04d}" for n in itertools.count(1))
        ids = (lambda: next(counter)) if uow is None else (lambda: uuid.uuid4().hex)
    clock = ManualClock(now)
    gateway = FakeGateway("card", clock=clock.now, ids=provider_ids)
    kit = SessionKit(
        uow=factory,
        clock=clock,
        ids=ids,
        booking_rules=RULES,
        gateway=gateway,
        pricing=price,
        refunds=REFUNDS,
        notice=NOTICE,
    )
    if uow is not None:  # what a stopped earlier run left to finish
        resume_provider(kit, gateway, [who.tenant for who in CONSULTANTS])
    return Consulting(kit=kit, clock=clock, gateway=gateway)


# -- reads ---------------------------------------------------------------------------------


def find_request(c: Consulting, tenant: str, key: str) -> Session | None:
    """Return the session a showcase or dashboard request made, or ``None``."""
    found = c.kit.queries.list(tenant, SessionQuery(fields={"request": key}, limit=1)).items
    return found[0] if found else None


def showcase(c: Consulting, who: Consultant, *, minutes: int = 60, days: int = 7) -> list[TimeSpan]:
    """Return the free times of ``minutes`` on ``who``'s showcase over the next ``days`` days.

    Her weekly hours less her busy sessions, on the hour, from a day ahead
    (a cancelled session frees its time at once).
    """
    now = c.clock.now()
    end = now + timedelta(days=days)
    sessions = c.kit.queries.agenda(who.tenant, who.ref, start=now - timedelta(days=1), end=end)
    return free_slots(
        who.availability,
        [s.span for s in sessions if s.busy],
        window=(now, end),
        duration=timedelta(minutes=minutes),
        step=timedelta(hours=1),
        min_notice=SHOWCASE_NOTICE,
        now=now,
    )


# -- writes --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Request:
    """A session asked for on the showcase (by the client) or the dashboard (by the consultant).

    ``key`` is the form's request id (a rerun finds what it made); ``fee``, a
    price the consultant set by hand (else the hourly rate applies).
    """

    key: str
    who: Consultant
    email: str
    name: str
    start: datetime
    minutes: int = 60
    phone: str | None = None
    kind: str = "PERSONAL"
    platform: str = "ZOOM"
    fee: Decimal | None = None


@attrs.frozen(kw_only=True)
class Booked:
    """What a request made: the session, the client's booking and its payment."""

    session: Session
    booking: Booking
    payment: Payment
    new_client: bool = False
    client_secret: str | None = None


def _draft(request: Request) -> SessionDraft:
    """The session a request asks for, made in the unit of work that books it."""
    own: dict[str, str] = {
        "request": request.key,
        "type": request.kind,
        "platform": request.platform,
        "client": client_ref(request.email).id,
    }
    if request.fee is not None:
        own["fee"] = str(request.fee)
    return SessionDraft(
        start=request.start,
        end=request.start + timedelta(minutes=request.minutes),
        title=f"{request.kind.title()} consultation with {request.name}",
        resources=[request.who.ref],
        tz=request.who.zone,
        lifecycle="consulting",
        capacity=1,
        metadata=own,
    )


def _contact(request: Request) -> Mapping[str, str]:
    contact = {"name": request.name}
    if request.phone is not None:
        contact["phone"] = request.phone
    return contact


def book_public(c: Consulting, request: Request) -> Booked:
    """A client books on the consultant's showcase and is sent to pay by card.

    Makes the session (PENDING) and the client's held booking with its
    payment; the client is new to the consultant if she never booked her
    before. A card declined at once ends the booking, and so cancels the
    session (``RULES.when_emptied``): its time is free again. Run again, it
    returns what the first run made.

    The showcase's form sends any time it is given, so the time is held to
    what the showcase offers: inside the consultant's weekly hours (else
    ``BookingRefused``, rule ``"outside_hours"``), at least
    :data:`SHOWCASE_NOTICE` ahead (the kit's :data:`NOTICE`: ``BookingRefused``,
    rule ``"notice"``) and free (``SessionConflict``); nothing is written then.
    """
    tenant, ref = request.who.tenant, client_ref(request.email)
    asked = TimeSpan.from_start(request.start, timedelta(minutes=request.minutes))
    if not request.who.availability.covers(asked):
        zone = get_zone(request.who.zone)
        start, end = asked.start.astimezone(zone), asked.end.astimezone(zone)
        raise BookingRefused(
            "outside_hours",
            f"{request.who.name} takes consultations on {'/'.join(request.who.days)} "
            f"{', '.join(f'{a:%H:%M}-{b:%H:%M}' for a, b in request.who.hours)} "
            f"({request.who.zone}); {start:%a %d %b %H:%M}-{end:%H:%M} is outside them",
        )
    new_client = not c.kit.bookings.for_participant(tenant, ref, limit=1)
    send = partial(
        c.kit.payments.book,
        tenant,
        _draft(request),
        ref,
        actor=str(ref),
        role="client",
        idempotency_key=request.key,
        metadata=_contact(request),
    )
    try:
        checkout = send()
    except PaymentDeclined:
        # The same request again replays the stored booking and its FAILED payment.
        checkout = send()
    booking, payment = checkout.booking, checkout.payment
    session = c.kit.queries.get(tenant, booking.session_id)  # cancelled with a declined booking
    return Booked(
        session=session,
        booking=booking,
        payment=payment,
        new_client=new_client,
        client_secret=checkout.client_secret,
    )


def create_manual(c: Consulting, request: Request) -> Booked:
    """The consultant adds a session for a new or existing client, paid outside sessionkit.

    The session is CONFIRMED at once and so is the client's booking; the
    payment stays PENDING until the consultant marks it paid.
    """
    tenant, ref = request.who.tenant, client_ref(request.email)
    actor = request.who.slug
    new_client = not c.kit.bookings.for_participant(tenant, ref, limit=1)
    checkout = c.kit.payments.book(
        tenant,
        _draft(request),
        ref,
        actor=actor,
        role="client",
        idempotency_key=request.key,
        acting_role="consultant",  # no notice: she books her own time for her client
        metadata=_contact(request),
        manual=True,
        confirm=True,
    )
    session = c.kit.queries.get(tenant, checkout.booking.session_id)
    if session.status == "PENDING":
        session = c.kit.sessions.fire(tenant, session.id, "confirm", actor=actor)
    return Booked(
        session=session, booking=checkout.booking, payment=checkout.payment, new_client=new_client
    )


def deliver(c: Consulting) -> int:
    """Apply the provider's queued events (the webhook); return how many changed something."""
    applied = 0
    for event in c.gateway.drain():
        intent = c.gateway.intents[event.intent_ref or ""]
        tenant = intent.metadata["tenant"]
        applied += c.kit.payments.apply(tenant, event).outcome == "applied"
    return applied


def pay(c: Consulting, booked: Booked) -> Booked:
    """The client completes the card payment; the provider's events are applied."""
    tenant, ref = booked.session.tenant, booked.payment.intent_ref
    # A rerun's fresh fake does not know an earlier run's intents; those were settled then.
    if booked.payment.status == "PENDING" and ref is not None and ref in c.gateway.intents:
        c.gateway.pay(ref)
        deliver(c)
    return attrs.evolve(
        booked,
        booking=c.kit.bookings.get(tenant, booked.booking.id),
        payment=c.kit.payments.get(tenant, booked.payment.id),
    )


def confirm_paid(c: Consulting, who: Consultant) -> list[Session]:
    """Confirm, all at once, the consultant's PENDING sessions whose payment came in."""
    paid = {p.session_id for p in c.kit.payments.each(who.tenant, statuses=("PAID",))}
    pending = c.kit.queries.each(who.tenant, SessionQuery(statuses=("PENDING",)))
    ids = [s.id for s in pending if s.id in paid]
    return c.kit.sessions.fire_many(who.tenant, ids, "confirm", actor=who.slug)


# Show (and pickle) what moved to the platform's module under this public path, as before.
_moved: object
for _moved in (Consultant, client_ref, price):
    _moved.__module__ = __name__
del _moved
