"""The tutoring marketplace (``sessionkit.demo.marketplace``) as an HTTP API on FastAPI.

Run it from the repository's root::

    python -m pip install -e '.[fastapi,sqlalchemy]' uvicorn
    uvicorn examples.marketplace_api.app:app

and open http://127.0.0.1:8000/docs. The data lives in
``sessionkit-marketplace-api.sqlite3`` unless ``SESSIONKIT_DB_URL`` names another
database (``postgresql+psycopg://user@host/db``, or ``memory``). On start-up the
schema is migrated and the tutors' weekly slots are published (or topped up).

The caller is the ``X-Actor`` header: this example has no authentication, and
one tenant. A real host derives the :class:`Caller` from its own login. The
roles the caller may act in are the example's (fake) login's to grant, never
the request's to claim: a tutor (``X-Actor: tina`` or ``omar``) acts as
``tutor`` and ``provider`` (a provider's cancel refunds in full; ``provider``
is a staff role, so a tutor runs the schedule: sessions, series, goodwill
refunds, manual payments, attendance) and gives the seats it books for
students by hand the role ``student`` (a booking takes only a role its maker
holds), anyone else as a ``student``, and no one
as ``host`` or ``admin``. A role not granted is a 403 ``RoleNotGranted``
problem. The login also says who the caller is (``Caller.participant``): a
student ``ann`` is ``student:ann`` and acts on her own bookings and payments
only (another's is a 403 ``ParticipantNotGranted``); a tutor is ``tutor:tina``.

Slots are paid: a student books with ``POST /v1/sessions/{id}/paid-bookings``
at the tutor's hourly rate, the seat is held for 15 minutes, and the payment
provider's webhook (``POST /v1/payments/events``) confirms it. The provider
here is sessionkit's fake (:class:`~sessionkit.testing.payments.FakeGateway`,
kept in ``app.state.gateway``): ``POST /fake-provider/intents/{ref}/pay`` plays
the student paying in the provider's page and delivers the provider's events
to the webhook route. The webhook routes (payment and presence events) take
only a request carrying the app's secret in ``X-Provider-Secret``
(``SESSIONKIT_WEBHOOK_SECRET``, else one made at start-up, in
``app.state.webhook_secret``): anyone else is a 401, for a caller that could
post the provider's ``succeeded`` would confirm a seat unpaid. A real host
wires its provider's SDK as a ``PaymentGateway`` and verifies the webhook's
signature in the ``webhook`` dependency instead. The fake provider lives in
the process: serve the example with one worker (another worker, or a restart,
has never heard of the intents made before it).

The time-driven work (holds running out and their seats offered down the
waitlist, reschedule requests answered by silence, the tutors' rolling window
of slots topped up, sessions' timed statuses) is ``kit.tick()``, which the app
runs every ``SESSIONKIT_TICK_SECONDS`` (default 60; ``0``: never) in the
background, with the provider calls left due (``kit.run_payment_calls()``)
and the students' reminders a day ahead (``due_reminders``, logged here).
A host with a job engine runs the same from there instead (docs/jobs.md).
"""

import asyncio
import hmac
import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException, Request
from sqlalchemy import create_engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade
from sessionkit.contrib.fastapi import (
    Caller,
    install_problem_handlers,
    problem_responses,
    sessionkit_router,
)
from sessionkit.contrib.fastapi.payment_schemas import AppliedOut, applied_out
from sessionkit.demo.marketplace import (
    ATTENDANCE,
    OFFERS,
    RULES,
    TENANT,
    due_reminders,
    price,
    publish,
)
from sessionkit.errors import DuplicateSeries, SeriesNotFound
from sessionkit.ports import Clock, SystemClock, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.payments import FakeGateway

DEFAULT_DB = "sqlite:///sessionkit-marketplace-api.sqlite3"

LOG = logging.getLogger("marketplace_api")


def open_store(url: str) -> UnitOfWorkFactory:
    """A unit-of-work factory for ``url`` (``memory`` or a migrated SQLAlchemy database)."""
    if url == "memory":
        return InMemoryStore().unit_of_work
    engine = create_engine(url)
    upgrade(engine)
    return SqlAlchemyStore(engine).unit_of_work


def build_kit(uow: UnitOfWorkFactory, clock: Clock, gateway: FakeGateway) -> SessionKit:
    """Wire the marketplace's paid kit and publish the tutors' offers not stored yet.

    Processes starting at once on a fresh database (workers of a host whose
    provider is a real one, shared) may all find an offer missing: the first to
    publish it wins, and the others take their ``DuplicateSeries`` as the offer
    published. A series the top-up cannot refill (a database refusing writes)
    is logged as a warning: the app still serves what is stored, and the
    background tick tries the top-up again.
    """
    kit = SessionKit(
        uow=uow,
        clock=clock,
        booking_rules=RULES,
        attendance=ATTENDANCE,
        gateway=gateway,
        pricing=price,
    )
    for offer in OFFERS:
        try:
            kit.queries.get_series(TENANT, offer.id)
        except SeriesNotFound:
            with suppress(DuplicateSeries):  # another worker published it since the check
                publish(kit, offer)
    topped = kit.top_up(TENANT, actor="marketplace-api")
    for failure in topped.failed:  # reported, not raised: one series must not stop the rest
        LOG.warning("start-up top-up: series %s failed: %s", failure.series_id, failure.error)
    return kit


async def ticking(kit: SessionKit, every: float) -> None:
    """Run the kit's due work every ``every`` seconds until cancelled; log what fails."""
    while True:
        await asyncio.sleep(every)
        try:  # what was due stays due: the next round tries again
            report = await asyncio.to_thread(kit.tick, actor="marketplace-api")
            for failure in report.failed:
                LOG.warning("tick: %s %s failed: %s", failure.kind, failure.item_id, failure.error)
        except Exception:
            LOG.exception("the background tick failed")
        try:
            await asyncio.to_thread(kit.run_payment_calls)
        except Exception:
            LOG.exception("the background payment calls failed")
        try:  # a real host emails these; each paid seat comes once, a day ahead
            for slot, who in await asyncio.to_thread(due_reminders, kit):
                LOG.info("reminder to %s: %s starts %s", who, slot.title, slot.start.isoformat())
        except Exception:
            LOG.exception("the background reminders failed")


def the_kit(request: Request) -> SessionKit:
    """The dependency the router asks for the kit: the one built at start-up."""
    kit: SessionKit = request.app.state.kit
    return kit


TUTORS = frozenset(offer.tutor.id for offer in OFFERS)
"""The actors the fake login knows as tutors; every other named actor is a student."""
TUTOR_ROLES = frozenset({"tutor", "provider", "student"})
"""A tutor's roles: ``student`` too, the role of the students' seats a tutor books by hand."""
STUDENT_ROLES = frozenset({"student"})


def the_caller(
    x_actor: Annotated[str | None, Header(description="Who is acting (no auth here)")] = None,
) -> Caller:
    """The dependency the router asks who is calling: the one tenant, the X-Actor header.

    The fake login grants the roles and says which participant the caller is:
    a real host reads both from its own accounts. A caller without an actor
    acts in no role (it may read the schedule and what the host lets anyone
    read; it books and changes nothing).
    """
    if x_actor is None:
        return Caller(TENANT, roles=frozenset())
    if x_actor in TUTORS:
        return Caller(TENANT, actor=x_actor, roles=TUTOR_ROLES, participant=f"tutor:{x_actor}")
    return Caller(TENANT, actor=x_actor, roles=STUDENT_ROLES, participant=f"student:{x_actor}")


SECRET_HEADER = "X-Provider-Secret"  # noqa: S105  # the header's name, not a secret
"""The header the provider's webhook requests carry the app's secret in."""


def the_provider(
    request: Request,
    x_provider_secret: Annotated[
        str | None, Header(description="The app's webhook secret: the provider's proof")
    ] = None,
) -> Caller:
    """The dependency of the provider's webhooks: the tenant's caller, for the provider only.

    A real host verifies its provider's signature here. The fake provider
    signs nothing, so the example takes the app's secret
    (``app.state.webhook_secret``) in :data:`SECRET_HEADER` instead. Without
    it, a 401 (``HTTPException``, answered as a problem) before anything is
    read or written: a student who could post ``succeeded`` would confirm her
    own seat unpaid, and ``canceled`` would free another student's.
    """
    expected: str = request.app.state.webhook_secret
    given = x_provider_secret or ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            401,
            f"a provider's event carries the app's secret in {SECRET_HEADER}",
            headers={"WWW-Authenticate": f'Secret header="{SECRET_HEADER}"'},  # RFC 9110 11.6.1
        )
    return Caller(TENANT)


def fake_provider_ids(url: str) -> Callable[[], str] | None:
    """Provider ids no earlier run gave, for a database that outlives the app (else 1, 2, ...)."""
    return None if url == "memory" else (lambda: uuid.uuid4().hex)


def create_app(
    db_url: str | None = None, *, clock: Clock | None = None, webhook_secret: str | None = None
) -> FastAPI:
    """Return the marketplace API; the store is opened (and migrated) when the app starts.

    ``webhook_secret`` is what the provider's webhook requests carry
    (:func:`the_provider`): default ``SESSIONKIT_WEBHOOK_SECRET``, else a
    random one, kept in ``app.state.webhook_secret``.
    """
    url = db_url or os.environ.get("SESSIONKIT_DB_URL") or DEFAULT_DB
    time_source: Clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = FakeGateway(clock=time_source.now, ids=fake_provider_ids(url))
        app.state.gateway = gateway
        app.state.kit = build_kit(open_store(url), time_source, gateway)
        every = float(os.environ.get("SESSIONKIT_TICK_SECONDS", "60"))
        task = asyncio.create_task(ticking(app.state.kit, every)) if every > 0 else None
        yield
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="Tutoring marketplace",
        summary="Tutors' weekly slots: paid seats, holds, waitlists, reschedules over sessionkit.",
        version="1",
        lifespan=lifespan,
    )
    app.state.webhook_secret = (
        webhook_secret or os.environ.get("SESSIONKIT_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
    )
    app.include_router(
        sessionkit_router(kit=the_kit, caller=the_caller, webhook=the_provider), prefix="/v1"
    )
    # Unknown paths and the app's own routes answer problem+json too, as the router's do.
    install_problem_handlers(app)

    @app.post(
        "/fake-provider/intents/{intent_ref}/pay",
        response_model=list[AppliedOut],
        tags=["fake provider"],
        summary="Play the student paying at the (fake) provider; its webhook events are applied",
        responses=problem_responses(404, 422),
    )
    def pay(request: Request, intent_ref: str) -> list[AppliedOut]:
        gateway: FakeGateway = request.app.state.gateway
        kit: SessionKit = request.app.state.kit
        if intent_ref not in gateway.intents:
            raise HTTPException(404, f"the fake provider has no intent {intent_ref!r}")
        gateway.pay(intent_ref)
        return [applied_out(kit.payments.apply(TENANT, event)) for event in gateway.drain()]

    return app


app = create_app()
