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

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.lifecycle import PRESETS, LifecycleRegistry
from sessionkit.limits import Limits, check_limits
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    Pricing,
    PricingFor,
    RefundPolicy,
    RulesFor,
)
from sessionkit.ports import Clock, FactProvider, LinkChecker, PaymentGateway, UnitOfWorkFactory
from sessionkit.services._context import Context
from sessionkit.services.attendance import AttendanceCommands, AttendancePolicy
from sessionkit.services.bookings import BookingCommands
from sessionkit.services.commands import SessionCommands
from sessionkit.services.jobs import advance_due
from sessionkit.services.payments import DueReport, PaymentCommands
from sessionkit.services.queries import SessionQueries
from sessionkit.services.reports import AdvanceReport, ExpiryReport, TopUpReport
from sessionkit.services.reschedules import RescheduleCommands, RescheduleReport
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
    For paid bookings: ``gateway`` is the payment provider, ``pricing`` a
    :class:`~sessionkit.policies.Pricing` for every session or a function
    picking one per session (``None``: free), ``refunds`` the
    :class:`~sessionkit.policies.RefundPolicy` cancelled paid bookings follow.
    ``notice`` is the :class:`~sessionkit.policies.NoticePolicy` (notice by
    role and action, reschedule requests) :attr:`reschedules` enforce.
    ``attendance`` is the :class:`~sessionkit.services.attendance.AttendancePolicy`
    (thresholds, the transition a first join fires) :attr:`attendance` applies.
    ``attempts`` is how many times in all a command runs when the database
    aborts it to break a deadlock (a ``retryable``
    :class:`~sessionkit.errors.TransientConflict`): the aborted attempt wrote
    nothing and published no event; after the last one the error is raised.

    The use cases are grouped: :attr:`sessions` (single-session commands),
    :attr:`series` (generation, schedule changes, closing), :attr:`queries`,
    :attr:`bookings` (seats, holds, waitlists), :attr:`payments` (paid
    bookings, provider events, refunds) and :attr:`attendance` (presence,
    teacher overrides). :meth:`top_up`, :meth:`advance_due`,
    :meth:`expire_holds` and :meth:`run_payment_calls` are the jobs a host schedules.
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
        gateway: PaymentGateway | None = None,
        pricing: Pricing | PricingFor | None = None,
        refunds: RefundPolicy | None = None,
        notice: NoticePolicy | None = None,
        attempts: int = 3,
        limits: Limits | None = None,
        attendance: AttendancePolicy | None = None,
    ) -> None:
        if isinstance(attempts, bool) or not isinstance(attempts, int):
            raise WrongType(attempts, name="attempts", expected="an int")
        if attempts < 1:
            raise InvalidValue(
                f"attempts must be at least 1, got {attempts}", value=attempts, expected=">= 1"
            )
        self.context = Context(
            uow=uow,
            clock=clock,
            links=links,
            lifecycles=lifecycles,
            ids=ids,
            facts=facts,
            booking_rules=BookingRules() if booking_rules is None else booking_rules,
            gateway=gateway,
            pricing=pricing,
            refunds=RefundPolicy() if refunds is None else refunds,
            notice=NoticePolicy() if notice is None else notice,
            attempts=attempts,
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
        self.payments = PaymentCommands(self.context, self.bookings)
        """Book and pay, apply provider events, refunds, manual payments, payment reads."""
        self.reschedules = RescheduleCommands(self.context)
        """Request, approve, decline, withdraw reschedules; auto-approval; what a role may do."""
        self.attendance = AttendanceCommands(self.context, attendance)
        """Record presence (the first join starts a session), override, read attendance."""

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

    def approve_reschedules(
        self, tenant: str | None = None, *, now: datetime | None = None, limit: int = 500
    ) -> RescheduleReport:
        """Answer by silence the reschedule requests past their deadline; see :meth:`RescheduleCommands.approve_due`."""  # noqa: E501
        return self.reschedules.approve_due(tenant, now=now, limit=limit)

    def run_payment_calls(
        self, tenant: str | None = None, *, now: datetime | None = None, limit: int = 100
    ) -> DueReport:
        """Make the payment provider calls still due; see :meth:`PaymentCommands.run_due`."""
        return self.payments.run_due(tenant, now=now, limit=limit)
