"""The composition root: :class:`SessionKit` wires storage, clock, link checker and lifecycles.

Nothing in the services reaches for ``datetime.now()`` or a global; everything
they need arrives here once::

    store = InMemoryStore(publisher=my_bus)
    kit = SessionKit(uow=store.unit_of_work, clock=my_clock)
    series, report = kit.series.create("acme", actor="u1", title="Chemistry A", items=[...])

Events go to the publisher the store (its unit of work) was given, after each commit.

This module owns :class:`SessionKit` (its services and its tick); the checks
of its arguments when it is built are in :mod:`sessionkit.services._app_checks`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, shown
from sessionkit.lifecycle import PRESETS, LifecycleRegistry
from sessionkit.limits import Limits, check_limits
from sessionkit.model.session import Session
from sessionkit.model.text import check_flag
from sessionkit.model.usage import SessionCodes
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    PaymentRetries,
    Pricing,
    PricingFor,
    RefundPolicy,
    RulesFor,
)
from sessionkit.ports import (
    Clock,
    FactProvider,
    LinkChecker,
    MeetingRooms,
    PaymentGateway,
    UnitOfWorkFactory,
    quick_bookings,
)
from sessionkit.services._app_checks import (
    check_codes,
    check_gateway_name,
    check_parts,
    check_session_fields,
    check_timer_fields,
    check_when_emptied,
)
from sessionkit.services._context import Context
from sessionkit.services._ids import IdSource
from sessionkit.services._reschedule_steps import answer_overdue
from sessionkit.services.analytics import Analytics
from sessionkit.services.attendance import AttendanceCommands, AttendancePolicy
from sessionkit.services.bookings import BookingCommands
from sessionkit.services.commands import SessionCommands
from sessionkit.services.jobs import advance_due
from sessionkit.services.journal import JournalQueries
from sessionkit.services.payments import DueReport, PaymentCommands
from sessionkit.services.queries import SessionQueries
from sessionkit.services.reports import AdvanceReport, ExpiryReport, TopUpReport
from sessionkit.services.reschedules import RescheduleCommands, RescheduleReport
from sessionkit.services.series import SeriesCommands
from sessionkit.services.tick import TICK_KINDS, TickReport, due_tenants, tick
from sessionkit.services.usage import UsageCommands

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
    ``codes`` (optional) numbers new sessions per tenant
    (:class:`~sessionkit.model.usage.SessionCodes`, or a function picking
    them per session, ``None`` for none): see :attr:`usage`.
    For paid bookings: ``gateway`` is the payment provider (named anything
    but ``"manual"``, the host's own payments: ``InvalidValue``), ``pricing`` a
    :class:`~sessionkit.policies.Pricing` for every session or a function
    picking one per session (``None``: free), ``refunds`` the
    :class:`~sessionkit.policies.RefundPolicy` cancelled paid bookings follow,
    ``payment_retries`` the :class:`~sessionkit.policies.PaymentRetries`
    a provider call that failed waits by before :meth:`run_payment_calls`
    tries it again (default: 1 minute, doubling to 1 hour).
    ``notice`` is the :class:`~sessionkit.policies.NoticePolicy` (notice by
    role and action, reschedule requests) :attr:`reschedules` enforce.
    ``attendance`` is the :class:`~sessionkit.services.attendance.AttendancePolicy`
    (thresholds, the transition a first join fires, who is expected, the
    join rules) :attr:`attendance` applies; ``rooms`` (optional) is the
    :class:`~sessionkit.ports.MeetingRooms` provider whose join credentials
    ``kit.attendance.join_credential`` issues.
    ``attempts`` is how many times in all a command runs when the database
    aborts it to break a deadlock (a ``retryable``
    :class:`~sessionkit.errors.TransientConflict`): the aborted attempt wrote
    nothing and published no event; after the last one the error is raised.
    ``journal=True`` keeps a journal: every unit of work writes an entry per
    domain event before it commits (an audit trail of who changed what, when
    and why, committed with the change), read with :attr:`journal`.

    The use cases are grouped: :attr:`sessions` (single-session commands),
    :attr:`series` (generation, schedule changes, closing), :attr:`queries`,
    :attr:`bookings` (seats, holds, waitlists), :attr:`payments` (paid
    bookings, provider events, refunds), :attr:`reschedules` (requests and
    what an actor may do now), :attr:`attendance` (presence, teacher
    overrides, outcomes, join credentials), :attr:`usage` (subscriptions and
    the usage ledger), :attr:`analytics` (figures the store computes) and
    :attr:`journal` (histories of sessions and records).
    :meth:`top_up`, :meth:`advance_due`, :meth:`expire_holds` and
    :meth:`run_payment_calls` are the jobs a host schedules; :meth:`tick`
    runs all but the payment calls at once, for many workers.

    A part of the wrong kind (a ``clock`` without ``now()``, ``facts`` that is
    not a fact provider, ...) is ``WrongType`` naming it when the kit is made.
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
        codes: SessionCodes | Callable[[Session], SessionCodes | None] | None = None,
        attendance: AttendancePolicy | None = None,
        rooms: MeetingRooms | None = None,
        journal: bool = False,
        payment_retries: PaymentRetries | None = None,
    ) -> None:
        attempts = check_int(attempts, name="attempts", expected="an int")
        if attempts < 1:
            raise InvalidValue(
                f"attempts must be at least 1, got {shown(attempts)}",
                value=attempts,
                expected=">= 1",
            )
        check_parts(
            {
                "uow": uow,
                "clock": clock,
                "links": links,
                "lifecycles": lifecycles,
                "ids": ids,
                "facts": facts,
                "booking_rules": booking_rules,
                "gateway": gateway,
                "pricing": pricing,
                "refunds": refunds,
                "payment_retries": payment_retries,
                "notice": notice,
                "rooms": rooms,
            }
        )
        check_gateway_name(gateway)
        check_timer_fields(lifecycles)
        check_session_fields(lifecycles)
        check_when_emptied(booking_rules, lifecycles)
        attendance = AttendancePolicy() if attendance is None else attendance
        if not isinstance(attendance, AttendancePolicy):
            raise WrongType(attendance, name="attendance", expected="an AttendancePolicy or None")
        self.context = Context(
            uow=uow,
            clock=clock,
            links=links,
            lifecycles=lifecycles,
            ids=IdSource(ids),
            facts=facts,
            booking_rules=BookingRules() if booking_rules is None else booking_rules,
            gateway=gateway,
            pricing=pricing,
            refunds=RefundPolicy() if refunds is None else refunds,
            notice=NoticePolicy() if notice is None else notice,
            attempts=attempts,
            limits=check_limits(limits),
            codes=check_codes(codes),
            thresholds=attendance.thresholds,
            join_transition=attendance.join_transition,
            journal=bool(check_flag(journal, "journal")),
            answer_overdue=answer_overdue,
            quick=quick_bookings(uow),
        )
        self.sessions = SessionCommands(self.context)
        """Create extra sessions, update, delete, cancel, fire and advance."""
        self.series = SeriesCommands(self.context)
        """Create series, materialise, top up, change schedules, close."""
        self.queries = SessionQueries(self.context)
        """Get, list (filtered pages) and agendas."""
        self.bookings = BookingCommands(self.context)
        """Book, confirm, cancel, expire holds; bookings by session or participant; free seats."""
        self.payments = PaymentCommands(self.context, self.bookings, payment_retries)
        """Book and pay, apply provider events, refunds, manual payments, payment reads."""
        self.reschedules = RescheduleCommands(self.context)
        """Request, approve, decline, withdraw reschedules; auto-approval; what a role may do."""
        self.analytics = Analytics(self.context, attendance)
        """Counts, rates, revenue, progress and client statistics, computed by the store."""
        self.journal = JournalQueries(self.context)
        """Histories of sessions and records (with ``journal=True``: an entry per change)."""
        self.usage = UsageCommands(self.context)
        """Subscriptions, balances, credits counted once per session, corrections, makeups."""
        self.attendance = AttendanceCommands(self.context, attendance, rooms)
        """Record presence (the first join starts a session), override, read attendance, outcomes and join credentials."""  # noqa: E501

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
        """Expire run-out holds, offers and waitlists; see :meth:`BookingCommands.expire_due`."""
        return self.bookings.expire_due(tenant, now=now, limit=limit)

    def approve_reschedules(
        self, tenant: str | None = None, *, now: datetime | None = None, limit: int = 500
    ) -> RescheduleReport:
        """Answer by silence the reschedule requests past their deadline; see :meth:`RescheduleCommands.approve_due`."""  # noqa: E501
        return self.reschedules.approve_due(tenant, now=now, limit=limit)

    def run_payment_calls(
        self,
        tenant: str | None = None,
        *,
        now: datetime | None = None,
        limit: int = 100,
        should_stop: Callable[[], bool] | None = None,
    ) -> DueReport:
        """Make the payment provider calls still due; see :meth:`PaymentCommands.run_due`.

        ``should_stop``, asked before each provider call, ends the run there
        (``report.stopped``), as ``tick``'s ends a tick.
        """
        return self.payments.run_due(tenant, now=now, limit=limit, should_stop=should_stop)

    def tick(
        self,
        tenant: str | None = None,
        *,
        now: datetime | None = None,
        batch: int = 200,
        kinds: Iterable[str] = TICK_KINDS,
        actor: str | None = None,
        progress: Callable[[TickReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> TickReport:
        """Do all due work of ``tenant`` (every tenant for ``None``) in claimed batches; a report.

        Top-ups, reschedule auto-approvals, timed transitions and hold expiry
        (``kinds`` picks some), ``batch`` items per unit of work, each claimed so
        that workers ticking at once never do an item twice; ``progress`` gets
        the report so far after each batch; ``should_stop``, asked before each
        batch, ends the tick there (``report.more``: tick again). See
        :mod:`sessionkit.services.tick`.
        """
        return tick(
            self.context,
            series=self.series,
            reschedules=self.reschedules,
            tenant=tenant,
            now=now,
            batch=batch,
            kinds=kinds,
            actor=actor,
            progress=progress,
            should_stop=should_stop,
        )

    def due_tenants(self, *, now: datetime | None = None, limit: int = 10_000) -> list[str]:
        """Return, sorted, the tenants with work due by ``now``; a fan-out ticks one job each.

        See :func:`sessionkit.services.tick.due_tenants`.
        """
        return due_tenants(self.context, now=now, limit=limit)
