"""The composition root: :class:`SessionKit` wires storage, clock, link checker and lifecycles.

Nothing in the services reaches for ``datetime.now()`` or a global; everything
they need arrives here once::

    store = InMemoryStore(publisher=my_bus)
    kit = SessionKit(uow=store.unit_of_work, clock=my_clock)
    series, report = kit.series.create("acme", actor="u1", title="Chemistry A", items=[...])

Events go to the publisher the store (its unit of work) was given, after each commit.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import attrs

from sessionkit.errors import InvalidLifecycle, InvalidValue, WrongType
from sessionkit.errors._base import check_int, shown
from sessionkit.lifecycle import PRESETS, LifecycleRegistry
from sessionkit.limits import Limits, check_limits
from sessionkit.model.payment import MANUAL, Payment, check_provider_name
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
)
from sessionkit.services._context import Context
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


def _check_codes(
    codes: object,
) -> SessionCodes | Callable[[Session], SessionCodes | None] | None:
    if codes is None or isinstance(codes, SessionCodes) or callable(codes):
        return codes
    raise WrongType(codes, name="codes", expected="SessionCodes, a function of a session, or None")


def _has(value: object, *methods: str) -> bool:
    return all(callable(getattr(value, method, None)) for method in methods)


def _is_clock(clock: object) -> bool:
    """Whether ``clock`` has a ``now()`` to call as it is.

    Not a datetime (or its class), whose ``now()`` is the machine's naive
    time; a class only with a static or class-method ``now`` (``SystemClock``
    without its ``()`` has an instance method, which fails when called).
    """
    if isinstance(clock, datetime) or clock is datetime:
        return False
    if isinstance(clock, type):
        return isinstance(inspect.getattr_static(clock, "now", None), staticmethod | classmethod)
    return _has(clock, "now")


def _check_parts(parts: dict[str, object]) -> None:
    """Refuse a kit's part of the wrong kind (``WrongType`` naming it) before anything runs.

    Found only at a command or a tick, a wrong part failed with Python's own
    ``AttributeError`` or ``TypeError`` there, naming neither the argument
    nor its value, at every tick, in every tenant.
    """
    expected = {
        "uow": ("a unit-of-work factory (a store's unit_of_work)", callable(parts["uow"])),
        "clock": (
            "a Clock (an object with now(), such as SystemClock())",
            _is_clock(parts["clock"]),
        ),
        "links": (
            "a LinkChecker (with blocking_links) or None",
            _has(parts["links"], "blocking_links"),
        ),
        "lifecycles": (
            "a LifecycleRegistry (PRESETS, or PRESETS.with_lifecycle(...))",
            isinstance(parts["lifecycles"], LifecycleRegistry),
        ),
        "ids": ("a function returning a new id", callable(parts["ids"])),
        "facts": ("a FactProvider (with facts_for) or None", _has(parts["facts"], "facts_for")),
        "booking_rules": (
            "BookingRules, a function of a session returning them, or None",
            isinstance(parts["booking_rules"], BookingRules) or callable(parts["booking_rules"]),
        ),
        "gateway": (
            "a PaymentGateway (create_intent, capture, cancel, refund) or None",
            _has(parts["gateway"], "create_intent", "capture", "cancel", "refund"),
        ),
        "pricing": (
            "a Pricing (with price), a function of a session returning one, or None",
            _has(parts["pricing"], "price") or callable(parts["pricing"]),
        ),
        "refunds": ("a RefundPolicy or None", isinstance(parts["refunds"], RefundPolicy)),
        "payment_retries": (
            "a PaymentRetries or None",
            isinstance(parts["payment_retries"], PaymentRetries),
        ),
        "notice": ("a NoticePolicy or None", isinstance(parts["notice"], NoticePolicy)),
        "rooms": (
            "a MeetingRooms (ensure_room, issue_credential, close_room) or None",
            _has(parts["rooms"], "ensure_room", "issue_credential", "close_room"),
        ),
    }
    for name, (wanted, fits) in expected.items():
        value = parts[name]
        if not fits and not (value is None and name not in _REQUIRED):
            raise WrongType(value, name=name, expected=wanted)


def _check_gateway_name(gateway: object) -> None:
    """Refuse a gateway named ``"manual"``: the name marks payments no provider is asked about.

    Its payments were taken for the host's own (cash, invoice): its events
    were applied, but refunds were recorded as made without a call, and no
    intent was ever captured or cancelled. A name with ``:`` is refused too
    (:func:`~sessionkit.model.payment.check_provider_name`): every one of its
    events would be.
    """
    name = getattr(gateway, "name", None)
    if isinstance(name, str):
        check_provider_name(name, "the gateway's name")
    if name == MANUAL:
        raise InvalidValue(
            f"the gateway is named {shown(name)}, the provider name of payments "
            "the host collects itself (kit.payments.book(manual=True)); give it another name",
            value=name,
            expected=f"a provider name other than {MANUAL!r}, such as 'stripe'",
        )


def _check_when_emptied(rules: object, lifecycles: LifecycleRegistry) -> None:
    """Refuse rules whose ``when_emptied`` no lifecycle of the kit has: a typo, never fired.

    One set of rules for every session is judged here, once; rules picked per
    session (a function) cannot be before a session picks them.
    """
    if not isinstance(rules, BookingRules) or rules.when_emptied is None:
        return
    name = rules.when_emptied
    names = {t.name for lifecycle in lifecycles for t in lifecycles.get(lifecycle).transitions}
    if name not in names:
        raise InvalidValue(
            f"BookingRules.when_emptied {shown(name)} is no transition of any lifecycle of "
            f"the kit ({', '.join(sorted(lifecycles))}); it would never be fired",
            value=name,
            expected="a transition of the kit's lifecycles, such as 'cancel'",
        )


_TIMED_SUBJECTS: dict[str, type] = {"session": Session, "payment": Payment}
"""The values the kit's lifecycles drive, by subject: their timers count from fields of these."""


def _check_timer_fields(lifecycles: LifecycleRegistry) -> None:
    """Refuse a timer counting from a field the lifecycle's values lack: a typo, never due.

    Found only at a tick otherwise, where every session of the lifecycle failed
    (``NotASession`` in ``TickReport.failed``), in every tenant, at every tick.
    A field anchor must be a datetime field of the value (``Session`` or
    ``Payment``) or a property of it; ``"start"``, ``"end"`` and a callable
    anchor are not asked, nor a lifecycle of another subject.
    """
    for name in lifecycles:
        lifecycle = lifecycles.get(name)
        kind = _TIMED_SUBJECTS.get(lifecycle.subject)
        if kind is None:
            continue
        fields = attrs.fields_dict(kind)
        instants = sorted(f for f, a in fields.items() if "datetime" in str(a.type))
        for transition in lifecycle.transitions:
            timer = transition.timer
            if timer is None or not isinstance(timer.anchor, str) or timer.span_anchored:
                continue
            anchor = timer.anchor
            if anchor in instants or isinstance(getattr(kind, anchor, None), property):
                continue
            raise InvalidLifecycle(
                f"lifecycle {shown(name)}: the timer of transition {shown(transition.name)} "
                f"counts from {shown(anchor)}, which is no datetime field of a "
                f"{kind.__name__}; it counts from 'start', 'end' or one of "
                f"{', '.join(instants)}",
                problem="invalid_anchor",
                subject=(transition.name, anchor),
            )


def _check_session_fields(lifecycles: LifecycleRegistry) -> None:
    """Refuse a session lifecycle driving another field than ``status``: it never could.

    A kit's sessions keep their status in ``Session.status``, which every
    command and the tick read; a lifecycle of subject ``"session"`` declared with
    ``field="state"`` was taken, its sessions made, and then every fire and every
    tick of them failed with ``NotASession``.
    """
    for name in lifecycles:
        lifecycle = lifecycles.get(name)
        if lifecycle.subject == "session" and lifecycle.field != "status":
            raise InvalidLifecycle(
                f"lifecycle {shown(name)} drives sessions but changes their "
                f"{shown(lifecycle.field)} field; a kit's sessions keep their status in "
                "'status' (leave field= out)",
                problem="invalid_field",
                subject=lifecycle.field,
            )


_REQUIRED = frozenset({"uow", "clock", "lifecycles", "ids"})
"""The parts a kit cannot do without (``None`` is refused for them)."""


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
        _check_parts(
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
        _check_gateway_name(gateway)
        _check_timer_fields(lifecycles)
        _check_session_fields(lifecycles)
        _check_when_emptied(booking_rules, lifecycles)
        attendance = AttendancePolicy() if attendance is None else attendance
        if not isinstance(attendance, AttendancePolicy):
            raise WrongType(attendance, name="attendance", expected="an AttendancePolicy or None")
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
            codes=_check_codes(codes),
            thresholds=attendance.thresholds,
            join_transition=attendance.join_transition,
            journal=bool(check_flag(journal, "journal")),
            answer_overdue=answer_overdue,
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
        self, tenant: str | None = None, *, now: datetime | None = None, limit: int = 100
    ) -> DueReport:
        """Make the payment provider calls still due; see :meth:`PaymentCommands.run_due`."""
        return self.payments.run_due(tenant, now=now, limit=limit)

    def tick(
        self,
        tenant: str | None = None,
        *,
        now: datetime | None = None,
        batch: int = 200,
        kinds: Iterable[str] = TICK_KINDS,
        actor: str | None = None,
        progress: Callable[[TickReport], None] | None = None,
    ) -> TickReport:
        """Do all due work of ``tenant`` (every tenant for ``None``) in claimed batches; a report.

        Top-ups, reschedule auto-approvals, timed transitions and hold expiry
        (``kinds`` picks some), ``batch`` items per unit of work, each claimed so
        that workers ticking at once never do an item twice; ``progress`` gets
        the report so far after each batch. See :mod:`sessionkit.services.tick`.
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
        )

    def due_tenants(self, *, now: datetime | None = None, limit: int = 10_000) -> list[str]:
        """Return, sorted, the tenants with work due by ``now``; a fan-out ticks one job each.

        See :func:`sessionkit.services.tick.due_tenants`.
        """
        return due_tenants(self.context, now=now, limit=limit)
