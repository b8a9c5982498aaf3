"""What every service shares: the unit-of-work factory, the clock, the link checker, lifecycles.

Private to the services package; :class:`~sessionkit.services.app.SessionKit`
builds one and hands it to each service.
"""

from __future__ import annotations

import contextlib
import functools
import random
import time as _time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import localcontext
from typing import Concatenate, ParamSpec, Protocol, TypeVar

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    Duplicate,
    DuplicateSession,
    InvalidValue,
    SessionConflict,
    TransientConflict,
    UnsupportedKind,
    WrongType,
)
from sessionkit.errors._base import check_int, shown
from sessionkit.lifecycle import Lifecycle, LifecycleRegistry
from sessionkit.limits import DEFAULT_LIMITS, Limits
from sessionkit.model.attendance import AttendanceThresholds
from sessionkit.model.events import DomainEvent
from sessionkit.model.money import DECIMALS
from sessionkit.model.session import Session
from sessionkit.model.usage import MAKEUP_FIELD, SessionCodes
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    Pricing,
    PricingFor,
    RefundPolicy,
    Refusal,
    RulesFor,
)
from sessionkit.ports import (
    ATTENDANCE_OVERRIDES,
    BOOKINGS,
    JOURNAL,
    PAYMENTS,
    PRESENCE,
    RESCHEDULES,
    USAGE,
    BookingRepository,
    Clock,
    FactProvider,
    Kind,
    LinkChecker,
    PaymentGateway,
    PaymentRepository,
    SeriesRepository,
    SessionRepository,
    UnitOfWork,
    UnitOfWorkFactory,
)
from sessionkit.services._journal_entries import journal_entries
from sessionkit.zones import check_instant

__all__ = ["Context", "Tx", "check_version", "retried"]

RepoT = TypeVar("RepoT")
P = ParamSpec("P")
R = TypeVar("R")

_COMMITS: ContextVar[int] = ContextVar("sessionkit_commits", default=0)
"""How many units of work :meth:`Context.transaction` committed in this context, ever.

The count :meth:`Context.retrying` compares before and after a command: a
command of several units is not run again once any of them committed, even
one before the unit that raised. Whether an error was raised once its own
unit committed is :func:`raised_after_commit`.
"""
_GAVE_UP = "_sessionkit_gave_up"
"""Set on a conflict a retry gave up on, so that no outer command retries it."""
_CALLERS = "_sessionkit_callers_version"
"""Set on a ``ConcurrentModification`` for a stale version the caller gave: never retried."""
_BACKOFF = 0.01
"""Seconds: the first retry waits up to this long (at random), each later one twice as long."""


def check_record_version(record_id: object, version: int, expected_version: int | None) -> None:
    """Raise ``ConcurrentModification`` if the caller's ``expected_version`` is not ``version``.

    ``expected_version`` ``None`` checks nothing. Running the command again
    would read the same record, so this error is never retried (unlike a
    record a concurrent writer moved on between a command's read and its
    write).
    """
    expected = check_version(expected_version)
    if expected is not None and expected != version:
        error = ConcurrentModification(record_id, expected, version)
        setattr(error, _CALLERS, True)
        raise error


_AFTER_COMMIT = "_sessionkit_raised_after_commit"
"""The attribute :meth:`Context.transaction` sets on an error raised once its unit committed."""


def mark(error: BaseException, name: str, value: object) -> None:
    """Set attribute ``name`` of ``error`` to ``value``, whatever the error's class.

    An exception always has a ``__dict__`` (``BaseException`` gives it one), but a
    frozen class (attrs' ``frozen``, a frozen dataclass: a host's handler may raise
    one) refuses ``setattr``: the mark was lost, or the refusal replaced the error.
    """
    with contextlib.suppress(AttributeError, TypeError):  # never in the way of the error
        object.__setattr__(error, name, value)


def raised_after_commit(error: BaseException) -> bool:
    """Whether ``error`` was raised once its unit of work had committed.

    The publisher's error (an event handler's) as the unit closed, or an
    after-commit hook's (the provider calls the commit left due, see
    :attr:`Context.after_commit`): the unit's work stands. A command that
    runs several units (a job's items) can tell it from a refusal this way,
    where comparing the count of committed units cannot tell it from a
    refusal raised after an earlier unit of the same item committed. An error instance
    raised again, out of a unit that did not commit, loses the mark.
    """
    return getattr(error, _AFTER_COMMIT, False) is True


def runs_again(error: BaseException) -> bool:
    """Whether a command's own loop for version races may run its unit again after ``error``.

    Not for a database's refusal (``TransientConflict``: :meth:`Context.retrying`'s
    to run again, or the host's to roll back in a joined unit), a conflict a
    retry gave up on, or an error raised once the unit committed (an event
    handler's): that unit's work stands, and run again it would write twice
    and the error would be lost.
    """
    return not (
        isinstance(error, TransientConflict)
        or getattr(error, _GAVE_UP, False)
        or raised_after_commit(error)
    )


def run_races(run: Callable[[], R], attempts: int, *, duplicate: str | None = None) -> R:
    """Return ``run()``, run again while a racing writer stored first, up to ``attempts`` times.

    A race is a ``ConcurrentModification`` (a record moved on between the
    read and the write) or, with ``duplicate``, a ``Duplicate`` of that kind
    (a racing first record of it). Only errors :func:`runs_again` allows: a
    ``TransientConflict`` is left to :meth:`Context.retrying` around this
    (run again up to ``attempts`` times when ``retryable``, never in a joined
    unit), and an error raised once the unit committed stands. A conflict
    lost ``attempts`` times is raised marked given up, so no outer retry runs
    the count again.
    """
    for attempt in range(1, attempts + 1):
        try:
            return run()
        except Duplicate as taken:
            if taken.kind != duplicate or attempt == attempts or not runs_again(taken):
                raise
        except ConcurrentModification as error:
            if not runs_again(error):
                raise
            if attempt == attempts:
                error.attempts = attempt
                mark(error, _GAVE_UP, True)  # lost them all: not run again from the top
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def raise_late(
    late: list[Exception],
    job: str,
    report: object,
    unit: str,
    *,
    summary: str | None = None,
    details: Iterable[str] = (),
    attribute: str | None = None,
) -> None:
    """Raise the first of ``late``, errors raised once a unit of ``job`` committed, if any.

    A job of one unit of work per ``unit`` (a session, a batch) goes on past
    such an error (the publisher's, as the unit closed): its work stands. The
    error raised at the end notes the job's ``report`` (its ``summary`` when
    given, else its repr), then ``details``, then the later errors; with
    ``attribute``, it carries ``report`` as that attribute too.
    """
    if not late:
        return
    first = late[0]
    shown_report = repr(report) if summary is None else summary
    first.add_note(f"{job} committed its work: {shown_report}")
    for detail in details:
        first.add_note(detail)
    for other in late[1:]:
        first.add_note(f"after another {unit} committed: {other!r}")
    if attribute is not None:
        mark(first, attribute, report)  # any exception type, a frozen one too
    raise first


def check_version(value: object) -> int | None:
    """Return ``expected_version`` if it is ``None`` or a positive integer, else raise."""
    if value is None:
        return None
    value = check_int(value, name="expected_version", expected="None or an integer >= 1")
    if value < 1:
        raise InvalidValue(
            f"expected_version must be >= 1, got {shown(value)}", value=value, expected=">= 1"
        )
    return value


@attrs.frozen
class Tx:
    """One command's open unit of work and the one instant the whole command runs at.

    Every row the command writes is stamped with :attr:`now`, every event
    carries it, and every rule is judged at it: a caller that passes ``now``
    gets exactly that instant throughout, never the clock's.
    """

    uow: UnitOfWork
    now: datetime
    refunds: RefundPolicy = attrs.field(factory=RefundPolicy)
    """How cancelled paid bookings are refunded (the kit's policy)."""
    thresholds: AttendanceThresholds = attrs.field(factory=AttendanceThresholds)
    """When attendance counts as absent (the kit's attendance policy): per-participant no-shows."""
    calls: list[tuple[str, str]] = attrs.field(factory=list)
    """``(tenant, payment_id)`` of payments with a provider call due once this unit commits."""
    journal: list[DomainEvent] | None = None
    """The unit's events so far, for the journal entries it writes before it commits
    (``None``: the kit keeps no journal)."""

    @property
    def sessions(self) -> SessionRepository:
        """The unit's session repository."""
        return self.uow.sessions

    @property
    def series(self) -> SeriesRepository:
        """The unit's series repository."""
        return self.uow.series

    @property
    def bookings(self) -> BookingRepository:
        """The unit's booking repository."""
        return self.uow.repository(BOOKINGS)

    def bookings_or_none(self) -> BookingRepository | None:
        """The unit's booking repository, or ``None`` for a store that keeps no bookings."""
        return self.repository_or_none(BOOKINGS)

    @property
    def payments(self) -> PaymentRepository:
        """The unit's payment repository."""
        return self.uow.repository(PAYMENTS)

    def payments_or_none(self) -> PaymentRepository | None:
        """The unit's payment repository, or ``None`` for a store that keeps no payments."""
        return self.repository_or_none(PAYMENTS)

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """The unit's repository for ``kind``."""
        return self.uow.repository(kind)

    def repository_or_none(self, kind: Kind[RepoT]) -> RepoT | None:
        """The unit's repository for ``kind``, or ``None`` for a store that keeps none."""
        try:
            return self.uow.repository(kind)
        except UnsupportedKind:
            return None

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish once the unit of work committed and closed."""
        if self.journal is not None:
            events = list(events)
            self.journal.extend(events)
        self.uow.collect(events)

    def rollback(self) -> None:
        """Undo the unit's writes so far, with their events, journal entries and provider calls.

        What a read-only command calls once it has its answer: the unit of
        work alone would drop the events but keep :attr:`journal`, which the
        commit that closes the unit then writes (entries of changes undone).
        """
        self.uow.rollback()
        if self.journal is not None:
            self.journal.clear()
        self.calls.clear()


@attrs.frozen
class Context:
    """The collaborators of every service, wired once by the composition root."""

    uow: UnitOfWorkFactory
    clock: Clock
    links: LinkChecker | None
    lifecycles: LifecycleRegistry
    ids: Callable[[], str]
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
    answer_overdue: Callable[[Context, Tx, Session], Session] | None = None
    """Answer a session's reschedule request by silence if its deadline passed; return the
    session as it is then (moved, when approved). Set by the kit (the reschedules module
    builds on the status steps, so they are handed it): a status advance or a hand-fired
    transition judges the session where ``kit.reschedules.options`` says it is."""

    def price_of(self, session: Session) -> Pricing | None:
        """Return the pricing of ``session``, or ``None`` when it is free.

        A pricing function that returns anything but a ``Pricing`` or ``None``
        is the host's mistake: ``WrongType`` names what it returned.
        """
        pricing = self.pricing
        if pricing is None or isinstance(pricing, Pricing):
            return pricing
        found = pricing(session)
        if found is not None and not isinstance(found, Pricing):
            raise WrongType(
                found, name=f"pricing(session {shown(session.id)})", expected="a Pricing or None"
            )
        return found

    def rules_for(self, session: Session) -> BookingRules:
        """Return the booking rules that apply to ``session``.

        A rules function that returns anything but ``BookingRules`` is the
        host's mistake: ``WrongType`` names what it returned.
        """
        rules = self.booking_rules
        if isinstance(rules, BookingRules):
            return rules
        found = rules(session)
        if not isinstance(found, BookingRules):
            raise WrongType(
                found, name=f"booking_rules(session {shown(session.id)})", expected="BookingRules"
            )
        return found

    def check_capacity(self, session: Session, rules: BookingRules | None = None) -> None:
        """Raise ``InvalidValue`` when ``session`` has more seats than its rules' ``max_capacity``.

        Run when a session is published (created or generated), so a provider
        learns it then, not when the first participant is refused. ``rules``:
        the session's rules when the caller has them already (else asked).
        """
        limit = (self.rules_for(session) if rules is None else rules).max_capacity
        if limit is not None and session.capacity > limit:
            raise InvalidValue(
                f"capacity={session.capacity} is above the {limit} seats the booking rules "
                f"allow for session {shown(session.title)} at {session.start.isoformat()}",
                value=session.capacity,
                expected=f"1..{limit}",
            )

    def check_publishing(
        self, session: Session, now: datetime, rules: BookingRules | None = None
    ) -> None:
        """Raise ``BookingRefused`` when its rules' ``publish_in_horizon`` refuse ``session``.

        Run when a session is published one by one (created as an extra, or
        moved), not for a series' sessions. ``rules`` as for :meth:`check_capacity`.
        """
        found = self.rules_for(session) if rules is None else rules
        refusal = found.publishing_refusal(session.start, now)
        if refusal is not None:
            raise refusal.error()

    def new_time_refusal(
        self, session: Session, new_start: datetime, now: datetime
    ) -> Refusal | None:
        """Return why ``session`` may not be moved to ``new_start`` at ``now``, or ``None``.

        The notice's ``min_lead`` for a new time, then the session's booking
        rules' ``publish_in_horizon`` (a moved session is published anew, as
        ``update`` checks): a reschedule's proposed or approved time.
        """
        refusal = self.notice.new_time_refusal(new_start, now)
        if refusal is None:
            refusal = self.rules_for(session).publishing_refusal(new_start, now)
        return refusal

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
                        and not getattr(error, _CALLERS, False)
                        and getattr(uow, "joined", None) is False
                    ):
                        error.retryable = True
                    raise
                committed = True
                _COMMITS.set(_COMMITS.get() + 1)
        except BaseException as error:
            if not committed:
                if raised_after_commit(error):  # raised again: this time its unit undid its work
                    mark(error, _AFTER_COMMIT, False)
                raise
            # Raised once the unit committed (the publisher's error, when the unit closed):
            # the commit stands, so the provider calls it left due (a cancel's refund) are
            # still made before the error reaches the caller.
            mark(error, _AFTER_COMMIT, True)
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
            mark(error, _AFTER_COMMIT, True)
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

    def retrying(self, command: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Return ``command(*args, **kwargs)``, run again if it lost a race.

        A :class:`~sessionkit.errors.ConcurrentModification` that is
        ``retryable`` (the database aborted the transaction in a race, or a
        concurrent writer moved a record on between the command's read and
        its write; the store owned the whole transaction, and rolled it back),
        or a ``retryable`` :class:`~sessionkit.errors.SessionConflict` or
        ``DuplicateSession`` (a series command met a session stored after its
        read), runs the command
        again, up to :attr:`attempts` runs in all, after a short random pause;
        so does nothing else. Never once a unit of work of the command has
        committed: running it again would repeat that unit. The events of an
        attempt that did not commit were never published.
        """
        # A one-shot iterator (a generator of ids, of resources) is read again by each attempt:
        # read once, a second attempt saw no items, and did nothing or stored none.
        again = [_Replayable(a) if isinstance(a, Iterator) else a for a in args]
        named = {k: _Replayable(v) if isinstance(v, Iterator) else v for k, v in kwargs.items()}
        attempt = 1
        while True:
            committed = _COMMITS.get()
            try:
                return command(*again, **named)  # type: ignore[arg-type]  # P's, iterators replayable
            except (ConcurrentModification, SessionConflict, DuplicateSession) as error:
                if getattr(error, _GAVE_UP, False):
                    raise  # an inner command's: its attempts are the count
                error.attempts = attempt
                if not error.retryable or _COMMITS.get() != committed or attempt >= self.attempts:
                    setattr(error, _GAVE_UP, True)
                    raise
            _time.sleep(random.uniform(0, _BACKOFF * 2 ** (attempt - 1)))  # noqa: S311  # jitter, not a secret
            attempt += 1

    def retrying_races(
        self, run: Callable[[], R], attempts: int, *, duplicate: str | None = None
    ) -> R:
        """Return ``run()`` under :func:`run_races` (its own races) inside :meth:`retrying`.

        A racing writer's first record or move runs it again up to ``attempts``
        times; a database's refusal (``TransientConflict``) is raised at once by
        the inner loop and run again by :meth:`retrying` when ``retryable``,
        never in a joined unit, and never :attr:`attempts` times over the races'
        count. An error raised once the unit committed (an event handler's) is
        raised, its work standing.
        """
        return self.retrying(run_races, run, attempts, duplicate=duplicate)

    def lifecycle(self, name: str) -> Lifecycle:
        """Return the lifecycle called ``name`` (``UnknownLifecycle`` if there is none)."""
        return self.lifecycles.get(name)

    def session_lifecycle(self, name: str) -> Lifecycle:
        """Return the lifecycle ``name`` for new sessions; refuse one meant for something else.

        Raises ``UnknownLifecycle``, or ``LifecycleNotApplicable`` for a lifecycle
        whose subject is not ``"session"`` (``consulting_payment`` drives a payment).
        """
        machine = self.lifecycles.get(name)
        machine.check_subject("session")
        return machine

    def facts_for(self, tx: Tx, sessions: Sequence[Session]) -> Mapping[str, Mapping[str, object]]:
        """Return the facts timed conditions read (attendance, the host's), by session id.

        Only sessions whose lifecycle may ask a condition or guard on the way
        forward from their status (:attr:`~sessionkit.lifecycle.Lifecycle.fact_statuses`)
        are asked about; the others need none, and get none.
        """
        if self.facts is None or not sessions:
            return {}
        asked = [s for s in sessions if s.status in self.lifecycle(s.lifecycle).fact_statuses]
        return self.facts.facts_for(asked, tx.uow) if asked else {}

    def blocking_links(self, tx: Tx, sessions: Sequence[Session]) -> Mapping[str, str]:
        """Return ``{session_id: reason}`` for ``sessions`` with dependents.

        Dependents: the host's links, bookings, reschedule requests,
        attendance overrides, presence records, usage entries (a credit
        charged to the session or used by it, which only the session can
        give back) and a makeup's mark (its own field ``makeup_of``: the
        cancelled session it replaces names it in ``made_up_by``, and deleted
        it would make up nothing while that one stays made up). The link checker reads
        through the command's own unit of work, so it sees the command's
        writes so far and never opens a second one. A session with any of
        them (of any status) is never deleted or moved by regeneration.
        """
        if not sessions:
            return {}
        found: dict[str, str] = {}
        if self.links is not None:
            found.update(self.links.blocking_links(sessions, tx.uow))
        for session in sessions:
            replaces = session.metadata.get(MAKEUP_FIELD)
            if isinstance(replaces, str) and replaces:
                found.setdefault(session.id, f"the makeup of session {shown(replaces)}")
        by_tenant: dict[str, list[str]] = {}
        for session in sessions:
            by_tenant.setdefault(session.tenant, []).append(session.id)
        bookings = tx.bookings_or_none()
        requests = tx.repository_or_none(RESCHEDULES)
        overrides = tx.repository_or_none(ATTENDANCE_OVERRIDES)
        presence = tx.repository_or_none(PRESENCE)
        usage = tx.repository_or_none(USAGE)
        for tenant, ids in by_tenant.items():
            if bookings is not None:
                for session_id, count in bookings.counts(tenant, ids).items():
                    found.setdefault(session_id, f"{count} booking(s)")
            if requests is not None:
                for session_id, count in requests.counts(tenant, ids).items():
                    found.setdefault(session_id, f"{count} reschedule request(s)")
            # Attendance kept ahead (an excused absence) or heard: the session's record.
            if overrides is not None:
                kept = Counter(o.session_id for o in overrides.for_sessions(tenant, ids))
                for session_id, count in kept.items():
                    found.setdefault(session_id, f"{count} attendance override(s)")
            if presence is not None:
                heard = Counter(p.session_id for p in presence.for_sessions(tenant, ids))
                for session_id, count in heard.items():
                    found.setdefault(session_id, f"{count} presence record(s)")
            if usage is not None:
                for session_id, count in usage.counts(tenant, ids).items():
                    found.setdefault(
                        session_id, f"{count} usage entr{'y' if count == 1 else 'ies'}"
                    )
        return found


class _Service(Protocol):
    _ctx: Context


S = TypeVar("S", bound=_Service)


class _Replayable:
    """A command's one-shot iterator argument, iterable again from its first item.

    Read lazily, as the iterator would be (a check stopping at its bound reads
    no further), and kept, so an attempt run again after a lost race reads the
    same items as the first.
    """

    __slots__ = ("_read", "_source")

    def __init__(self, source: Iterator[object]) -> None:
        self._source = source
        self._read: list[object] = []

    def __iter__(self) -> Iterator[object]:
        index = 0
        while True:
            if index == len(self._read):
                try:
                    self._read.append(next(self._source))
                except StopIteration:
                    return
            yield self._read[index]
            index += 1


def retried(command: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Make a service method run again when the database aborted it in a race (see ``retrying``)."""

    @functools.wraps(command)
    def run(service: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return service._ctx.retrying(command, service, *args, **kwargs)

    return run


def check_free(tx: Tx, session: Session) -> None:
    """Raise ``SessionConflict`` if busy ``session`` overlaps another busy session of a resource."""
    if not session.busy or not session.resources:
        return
    blockers = tx.sessions.busy_overlapping(
        session.tenant, resources=session.resources, span=session.span, exclude_ids=(session.id,)
    )
    if blockers:
        first = blockers[0]
        shared = sorted(set(first.resources) & set(session.resources))
        who = ", ".join(str(r) for r in shared) or "a resource"
        raise SessionConflict(
            f"{who} is busy from {first.start.isoformat()} to {first.end.isoformat()} "
            f"with {shown(first.title)} ({first.id}); {len(blockers)} session(s) in the way",
            session=session,
            conflicts=blockers,
        )
