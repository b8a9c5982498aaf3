"""The composition root: :class:`SessionKit` wires storage, clock, link checker and lifecycles.

Nothing in the services reaches for ``datetime.now()`` or a global; everything
they need arrives here once::

    store = InMemoryStore(publisher=my_bus)
    kit = SessionKit(uow=store.unit_of_work, clock=my_clock)
    series, report = kit.series.create("acme", actor="u1", title="Chemistry A", items=[...])

Events go to the publisher the store (its unit of work) was given, after each commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sessionkit.lifecycle import PRESETS, LifecycleRegistry
from sessionkit.limits import Limits, check_limits
from sessionkit.policies import BookingRules, RulesFor
from sessionkit.ports import Clock, FactProvider, LinkChecker, UnitOfWorkFactory
from sessionkit.services._context import Context
from sessionkit.services.bookings import BookingCommands
from sessionkit.services.commands import SessionCommands
from sessionkit.services.jobs import advance_due
from sessionkit.services.queries import SessionQueries
from sessionkit.services.reports import AdvanceReport, ExpiryReport, TopUpReport
from sessionkit.services.series import SeriesCommands

__all__ = ["SessionKit"]


def new_id() -> str:
    """Return a fresh random id (a UUID4 as 32 hex digits)."""
    return uuid.uuid4().hex


class SessionKit:
    """All of sessionkit's use cases over one store, clock and set of lifecycles.

    ``uow`` makes a unit of work per call (``store.unit_of_work``); ``clock``
    says what time it is; ``links`` (optional) tells which sessions have
    dependents that forbid deleting or moving them; ``lifecycles`` resolves the
    lifecycle names of series and sessions; ``ids`` makes new ids; ``facts``
    (optional) gives the facts timed conditions read, such as attendance;
    ``booking_rules`` are the :class:`~sessionkit.policies.BookingRules` of
    every session, or a function picking them per session (by kind, provider);
    ``limits`` bound the work of one call (:class:`~sessionkit.limits.Limits`;
    default: ``Limits()``), and past one a call raises ``LimitExceeded``.

    The use cases are grouped: :attr:`sessions` (single-session commands),
    :attr:`series` (generation, schedule changes, closing), :attr:`queries`
    and :attr:`bookings` (seats, holds, waitlists). :meth:`top_up`,
    :meth:`advance_due` and :meth:`expire_holds` are the jobs a host schedules.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        links: LinkChecker | None = None,
        lifecycles: LifecycleRegistry = PRESETS,
        ids: Callable[[], str] = new_id,
        facts: FactProvider | None = None,
        booking_rules: BookingRules | RulesFor | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.context = Context(
            uow=uow,
            clock=clock,
            links=links,
            lifecycles=lifecycles,
            ids=ids,
            facts=facts,
            booking_rules=BookingRules() if booking_rules is None else booking_rules,
            limits=check_limits(limits),
        )
        self.sessions = SessionCommands(self.context)
        """Create extra sessions, update, delete, cancel, fire and advance."""
        self.series = SeriesCommands(self.context)
        """Create series, materialise, top up, change schedules, close."""
        self.queries = SessionQueries(self.context)
        """Get, list (filtered pages) and agendas."""
        self.bookings = BookingCommands(self.context)
        """Book, confirm, cancel, expire holds; bookings by session or participant; free seats."""

    def top_up(
        self, tenant: str | None = None, *, actor: str | None = None, now: datetime | None = None
    ) -> TopUpReport:
        """Run the rolling-window job for ``tenant`` (all tenants for ``None``); see :meth:`SeriesCommands.top_up`."""  # noqa: E501
        return self.series.top_up(tenant, actor=actor, now=now)

    def advance_due(
        self, tenant: str, *, actor: str | None = None, now: datetime | None = None
    ) -> AdvanceReport:
        """Advance the tenant's sessions whose timed transitions fell due by ``now`` (default: the clock)."""  # noqa: E501
        return advance_due(self.context, tenant, actor=actor, now=self.context.at(now, "now"))

    def expire_holds(
        self, tenant: str | None = None, *, now: datetime | None = None, limit: int = 500
    ) -> ExpiryReport:
        """Expire run-out holds and offers, passing seats to waitlists; see :meth:`BookingCommands.expire_due`."""  # noqa: E501
        return self.bookings.expire_due(tenant, now=now, limit=limit)
