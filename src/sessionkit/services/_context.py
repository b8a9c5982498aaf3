"""What every service shares: the unit-of-work factory, the clock, the link checker, lifecycles.

Private to the services package; :class:`~sessionkit.services.app.SessionKit`
builds one :class:`Context` and hands it to each service. This module owns the
context's settings, its instant (``now``, ``at``) and :meth:`Context.transaction`
(with what runs once a unit committed). The rest lives in modules of its own and
is exported from here under the same names: :class:`Tx`
(:mod:`~sessionkit.services._context_tx`); running a command again after a lost
race, the marks on its errors and the version checks
(:mod:`~sessionkit.services._context_retry`); the pricing, booking rules and
lifecycles of a session (:mod:`~sessionkit.services._context_rules`); and the
facts, dependents and conflicts a unit of work finds
(:mod:`~sessionkit.services._context_links`). Those modules' methods of
:class:`Context` are attributes of its class body, so calling one costs what
calling a method defined here does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import localcontext

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSession,
    SessionConflict,
    TransientConflict,
)
from sessionkit.lifecycle import LifecycleRegistry
from sessionkit.limits import DEFAULT_LIMITS, Limits
from sessionkit.model.attendance import AttendanceThresholds
from sessionkit.model.money import DECIMALS
from sessionkit.model.session import Session
from sessionkit.model.usage import SessionCodes
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    Pricing,
    PricingFor,
    RefundPolicy,
    RulesFor,
)
from sessionkit.ports import (
    JOURNAL,
    Clock,
    FactProvider,
    LinkChecker,
    PaymentGateway,
    QuickBookings,
    UnitOfWork,
    UnitOfWorkFactory,
)
from sessionkit.services import _context_links, _context_retry, _context_rules
from sessionkit.services._context_links import check_free
from sessionkit.services._context_retry import (
    AFTER_COMMIT,
    CALLERS,
    COMMITS,
    check_record_version,
    check_version,
    mark,
    raise_late,
    raised_after_commit,
    retried,
)
from sessionkit.services._context_tx import Tx
from sessionkit.services._ids import IdSource
from sessionkit.services._journal_entries import journal_entries
from sessionkit.zones import check_instant

__all__ = [
    "Context",
    "Tx",
    "check_free",
    "check_record_version",
    "check_version",
    "mark",
    "raise_late",
    "raised_after_commit",
    "retried",
]


@attrs.frozen
class Context:
    """The collaborators of every service, wired once by the composition root."""

    uow: UnitOfWorkFactory
    clock: Clock
    links: LinkChecker | None
    lifecycles: LifecycleRegistry
    ids: IdSource
    """The kit's id source: ``ids()`` draws one, an id given back (``ids.give_back``) first."""
    facts: FactProvider | None = None
    booking_rules: BookingRules | RulesFor = attrs.field(factory=BookingRules)
    limits: Limits = DEFAULT_LIMITS
    gateway: PaymentGateway | None = None
    pricing: Pricing | PricingFor | None = None
    refunds: RefundPolicy = attrs.field(factory=RefundPolicy)
    notice: NoticePolicy = attrs.field(factory=NoticePolicy)
    """Notice by role and action, and how reschedule requests behave."""
    after_commit: list[Callable[[list[tuple[str, str]]], None]] = attrs.field(factory=list)
    """Run with a unit's :attr:`Tx.calls` once it committed (the payment calls)."""
    attempts: int = 3
    """How many times in all a command runs when the database aborts it in a race."""
    codes: SessionCodes | Callable[[Session], SessionCodes | None] | None = None
    """How new sessions are coded (``None``: not at all); a function picks per session."""
    thresholds: AttendanceThresholds = attrs.field(factory=AttendanceThresholds)
    """The attendance thresholds of the kit's attendance policy."""
    join_transition: str | None = "start"
    """The attendance policy's join transition: what a first join fires (``None``: nothing)."""
    journal: bool = False
    """Whether each unit of work writes a journal entry per event before it commits."""
    quick: QuickBookings | None = None
    """The store's one-transaction way to take a plain booking, if ``uow`` is such a store's
    ``unit_of_work`` (:func:`~sessionkit.ports.quick_bookings`); ``kit.bookings.book`` tries it
    first, unless the kit journals (the journal is written in the unit of work)."""
    answer_overdue: Callable[[Context, Tx, Session], Session] | None = None
    """Answer a session's reschedule request by silence if its deadline passed; return the
    session as it is then (moved, when approved). Set by the kit (the reschedules module
    builds on the status steps, so they are handed it): a status advance or a hand-fired
    transition judges the session where ``kit.reschedules.options`` says it is."""

    # Methods defined in modules of their own (see the module docstring): a function
    # that is a class attribute is a method, bound and called as one defined here.
    price_of = _context_rules.price_of
    rules_for = _context_rules.rules_for
    check_capacity = _context_rules.check_capacity
    check_publishing = _context_rules.check_publishing
    new_time_refusal = _context_rules.new_time_refusal
    lifecycle = _context_rules.lifecycle
    session_lifecycle = _context_rules.session_lifecycle
    facts_for = _context_links.facts_for
    blocking_links = _context_links.blocking_links
    retrying = _context_retry.retrying
    retrying_races = _context_retry.retrying_races

    def now(self) -> datetime:
        """Return the clock's instant in UTC (a naive clock value is an error)."""
        return check_instant(self.clock.now(), "clock.now()")

    def at(self, value: datetime | None, name: str) -> datetime:
        """Return ``value`` in UTC, or now when it is ``None``.

        ``value`` must lie in the instants the services schedule at
        (:func:`~sessionkit.zones.check_instant`).
        """
        if value is None:
            return self.now()
        return check_instant(value, name)

    @contextmanager
    def transaction(
        self, now: datetime | None = None, *, name: str = "now", planned: bool = False
    ) -> Iterator[Tx]:
        """Open a unit of work for one command; commit it if the block finishes, else roll back.

        ``now`` (default: the clock) is checked once and is the command's
        instant throughout (:class:`Tx`). Events collected in the block are
        published after the unit of work closed. A record moved on between
        the block's read and its write makes the command retryable (see
        :meth:`retrying`); with ``planned`` (the block skips what its read
        found busy or generated, as generating a series does) so does a
        ``SessionConflict``, or a ``DuplicateSession`` of a series' occurrence,
        which only a concurrent writer's session can cause then.
        """
        at = self.at(now, name)
        committed = False
        try:
            with self.uow() as uow:
                tx = Tx(
                    uow,
                    at,
                    refunds=self.refunds,
                    thresholds=self.thresholds,
                    journal=[] if self.journal else None,
                )
                try:
                    # Money's sums and shares in Python's default decimal context, whatever
                    # the app set on its thread (see DECIMALS); the app's own publisher and
                    # hooks, called once the unit closes, run in the app's again.
                    with localcontext(DECIMALS):
                        yield tx
                    if tx.journal:
                        uow.repository(JOURNAL).add_many(journal_entries(tx.journal))
                    uow.commit()
                except (ConcurrentModification, SessionConflict, DuplicateSession) as error:
                    # A record moved on between this unit's read and its write (or, planned,
                    # a resource or an occurrence taken): running the command again reads it
                    # afresh, if the unit was the whole transaction (an adapter that cannot
                    # say so never runs again).
                    raced = isinstance(error, ConcurrentModification) or (
                        planned and (isinstance(error, SessionConflict) or error.key != "id")
                    )
                    if (
                        raced
                        and not isinstance(error, TransientConflict)  # the adapter said already
                        and not getattr(error, CALLERS, False)
                        and getattr(uow, "joined", None) is False
                    ):
                        error.retryable = True
                    raise
                committed = True
                COMMITS.set(COMMITS.get() + 1)
        except BaseException as error:
            if not committed:
                if raised_after_commit(error):  # raised again: this time its unit undid its work
                    mark(error, AFTER_COMMIT, False)
                raise
            # Raised once the unit committed (the publisher's error, when the unit closed):
            # the commit stands, so the provider calls it left due (a cancel's refund) are
            # still made before the error reaches the caller.
            mark(error, AFTER_COMMIT, True)
            self._committed(uow, tx.calls)
            raise
        self._committed(uow, tx.calls)

    def _committed(self, uow: UnitOfWork, calls: list[tuple[str, str]]) -> None:
        """Run the after-commit hooks with the provider ``calls`` a committed unit left due.

        Their error is raised after the commit, so it is marked as such
        (:func:`raised_after_commit`), as the publisher's is.
        """
        if not calls:
            return
        try:
            self.when_durable(uow, functools.partial(self._after_commit, list(calls)))
        except BaseException as error:
            mark(error, AFTER_COMMIT, True)
            raise

    def _after_commit(self, calls: list[tuple[str, str]]) -> None:
        for hook in self.after_commit:
            hook(calls)

    def when_durable(self, uow: UnitOfWork, action: Callable[[], object]) -> None:
        """Run ``action`` once the closed ``uow``'s writes are durable.

        Now, when the unit's commit was the real one; when the host's
        transaction it joined commits, and never after its rollback, when it
        joined one (see ``UnitOfWorkBase.defer_to_host``).
        """
        defer = getattr(uow, "defer_to_host", None)
        if defer is None or not defer(action):
            action()
