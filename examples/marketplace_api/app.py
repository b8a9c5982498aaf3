"""The tutoring marketplace (``sessionkit.demo.marketplace``) as an HTTP API on FastAPI.

Run it from the repository's root::

    python -m pip install -e '.[fastapi,sqlalchemy]' uvicorn
    uvicorn examples.marketplace_api.app:app

and open http://127.0.0.1:8000/docs. The data lives in
``sessionkit-marketplace-api.sqlite3`` unless ``SESSIONKIT_DB_URL`` names another
database (``postgresql+psycopg://user@host/db``, or ``memory``). On start-up the
schema is migrated and the tutors' weekly slots are published (or topped up).

The caller is the ``X-Actor`` header: this example has no authentication, and
one tenant. A real host derives the :class:`Caller` from its own login.
Bookings are free here (seats confirmed by hand or by ``confirm: true``); the
paid flow of the demo needs a payment provider's checkout and webhooks.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, Header, Request
from sqlalchemy import create_engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade
from sessionkit.contrib.fastapi import Caller, sessionkit_router
from sessionkit.demo.marketplace import OFFERS, RULES, TENANT, publish
from sessionkit.errors import SeriesNotFound
from sessionkit.ports import Clock, UnitOfWorkFactory
from sessionkit.services import SessionKit

DEFAULT_DB = "sqlite:///sessionkit-marketplace-api.sqlite3"


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def open_store(url: str) -> UnitOfWorkFactory:
    """A unit-of-work factory for ``url`` (``memory`` or a migrated SQLAlchemy database)."""
    if url == "memory":
        return InMemoryStore().unit_of_work
    engine = create_engine(url)
    upgrade(engine)
    return SqlAlchemyStore(engine).unit_of_work


def build_kit(uow: UnitOfWorkFactory, clock: Clock) -> SessionKit:
    """Wire the marketplace's kit and publish the tutors' offers not stored yet."""
    kit = SessionKit(uow=uow, clock=clock, booking_rules=RULES)
    for offer in OFFERS:
        try:
            kit.queries.get_series(TENANT, offer.id)
        except SeriesNotFound:
            publish(kit, offer)
    kit.top_up(TENANT, actor="marketplace-api")
    return kit


def the_kit(request: Request) -> SessionKit:
    """The dependency the router asks for the kit: the one built at start-up."""
    kit: SessionKit = request.app.state.kit
    return kit


def the_caller(
    x_actor: Annotated[str | None, Header(description="Who is acting (no auth here)")] = None,
) -> Caller:
    """The dependency the router asks who is calling: the one tenant, the X-Actor header."""
    return Caller(TENANT, actor=x_actor)


def create_app(db_url: str | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Return the marketplace API; the store is opened (and migrated) when the app starts."""
    url = db_url or os.environ.get("SESSIONKIT_DB_URL") or DEFAULT_DB
    time_source: Clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.kit = build_kit(open_store(url), time_source)
        yield

    app = FastAPI(
        title="Tutoring marketplace",
        summary="Tutors' weekly slots, seats, holds and waitlists over sessionkit.",
        version="1",
        lifespan=lifespan,
    )
    app.include_router(sessionkit_router(kit=the_kit, caller=the_caller), prefix="/v1")
    return app


app = create_app()
