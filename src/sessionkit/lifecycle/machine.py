"""The lifecycle machine: statuses, transitions, timers, and firing them on immutable sessions.

A :class:`Lifecycle` is declared as data and checked when built. It never holds
a session: :meth:`~Lifecycle.fire` and :meth:`~Lifecycle.advance` take a
session value and return a new one (made with :func:`attrs.evolve`) together
with the :class:`StatusChanged` events that describe what happened.

This module owns the :class:`Lifecycle` class and its public methods; the work
behind them lives in private modules: ``_validate`` checks a definition,
``_tables`` looks names up, ``_firing`` decides whether a transition may fire
and makes the step, ``_clock`` finds the next timed step, ``_diagram`` draws it,
and ``_machine_checks`` finds the statuses that need facts and checks a role.

The package docstring (:mod:`sessionkit.lifecycle`) walks through a small example.
"""

from __future__ import annotations

# Lifecycle.__init__'s hints resolve here: attrs copies to_statuses' and to_transitions'
# ``Iterable[...]`` into the __init__ it makes for this module.
from collections.abc import Iterable as Iterable
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import attrs

from sessionkit.errors import LifecycleNotApplicable, WrongType
from sessionkit.lifecycle._checks import check_text
from sessionkit.lifecycle._clock import Facts, next_step
from sessionkit.lifecycle._diagram import mermaid
from sessionkit.lifecycle._firing import allowed_names, apply_step, checked, verdict
from sessionkit.lifecycle._machine_checks import _check_role, _fact_statuses
from sessionkit.lifecycle._tables import Tables
from sessionkit.lifecycle._validate import (
    reachable,
    to_description,
    to_statuses,
    to_transitions,
    validate,
)
from sessionkit.lifecycle._values import SessionLike, SessionT, check_facts, utc
from sessionkit.lifecycle.definition import (
    ANY,
    Anchor,
    SpanAnchor,
    Status,
    StatusChanged,
    Timer,
    Transition,
)
from sessionkit.lifecycle.guards import Guard, Verdict

__all__ = [
    "ANY",
    "Anchor",
    "Lifecycle",
    "SessionLike",
    "SpanAnchor",
    "Status",
    "StatusChanged",
    "Timer",
    "Transition",
]


@attrs.frozen(repr=False)
class Lifecycle:
    """A validated status machine for sessions (or any other aggregate: see ``subject``).

    Build one from :class:`Status` and :class:`Transition` values; an unsound
    definition raises :class:`~sessionkit.errors.InvalidLifecycle` whose
    ``problem`` is one of ``invalid_name``, ``no_statuses``, ``duplicate_status``,
    ``no_initial``, ``several_initial``, ``duplicate_transition``, ``no_sources``,
    ``unknown_status``, ``transition_from_terminal``, ``dead_end``, ``unreachable``,
    ``timed_cycle``, ``timer_never_fires`` (a timed transition whose guard refuses
    the clock every time: :func:`~sessionkit.lifecycle.roles`, or ``has_started``
    on a timer due before the start), ``invalid_subject``, ``invalid_field``,
    ``terminal_entry``, ``cancelled_entry`` or ``cancelled_no_show`` (a status
    flagged both ``cancelled`` and ``no_show``). A part of the wrong type (a guard
    that cannot be called, a timer that is no :class:`Timer`, a single string
    where a collection belongs) raises :class:`~sessionkit.errors.WrongType`
    naming the field, when built.

    ``field`` names the attribute holding the status. ``subject`` names the
    kind of aggregate the lifecycle drives (``"session"``, ``"payment"``, ...;
    see :meth:`check_subject`). ``scheduled`` is the status a value that has a
    time enters when created (:attr:`entry_status`; the initial status if not given).
    """

    name: str
    statuses: tuple[Status, ...] = attrs.field(converter=to_statuses)
    transitions: tuple[Transition, ...] = attrs.field(converter=to_transitions)
    field: str = attrs.field(default="status", kw_only=True)
    subject: str = attrs.field(default="session", kw_only=True)
    scheduled: str | None = attrs.field(default=None, kw_only=True)
    description: str = attrs.field(default="", kw_only=True, eq=False, converter=to_description)
    _tables: Tables = attrs.field(init=False, repr=False, eq=False)
    _fact_statuses: frozenset[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        transitions = validate(
            self.name,
            self.statuses,
            self.transitions,
            any_source=ANY,
            subject=self.subject,
            scheduled=self.scheduled,
            field=self.field,
        )
        tables = Tables.build(self.name, self.statuses, transitions)
        if self.scheduled is not None:
            object.__setattr__(self, "scheduled", tables.status_by_name[self.scheduled].name)
        object.__setattr__(self, "transitions", transitions)
        object.__setattr__(self, "_tables", tables)
        object.__setattr__(self, "_fact_statuses", _fact_statuses(transitions))

    def __repr__(self) -> str:
        statuses = ", ".join(str(s.name) for s in self.statuses)
        return f"<Lifecycle {self.name!r}: {statuses}; {len(self.transitions)} transitions>"

    # -- reading the definition -------------------------------------------------

    @property
    def initial(self) -> str:
        """The status new values start in (those without a time: see :attr:`entry_status`)."""
        return next(status.name for status in self.statuses if status.initial)

    @property
    def entry_status(self) -> str:
        """The status a value that has a time enters when created: ``scheduled``, else initial.

        Academy sessions start UNSCHEDULED when they have no time yet, but a
        session generated from a schedule has one, so it enters SCHEDULED.
        """
        return self.initial if self.scheduled is None else self.scheduled

    def check_subject(self, subject: str) -> None:
        """Raise ``LifecycleNotApplicable`` unless this lifecycle drives ``subject`` values.

        Services call it up front (``check_subject("session")``) so that, say,
        ``consulting_payment`` is refused for a series instead of accepted and stuck.
        """
        if not isinstance(subject, str):
            raise WrongType(subject, name="subject", expected="a kind of value (str)")
        if subject != self.subject:
            raise LifecycleNotApplicable(
                lifecycle=self.name, subject=self.subject, expected=subject, field=self.field
            )

    def status(self, name: str) -> Status:
        """Return the :class:`Status` called ``name``; raise ``InvalidValue`` if there is none."""
        return self._tables.status(name)

    def transition(self, name: str) -> Transition:
        """Return the :class:`Transition` called ``name``; raise ``InvalidValue`` if none."""
        return self._tables.transition(name)

    def transitions_from(self, status: str) -> tuple[Transition, ...]:
        """Return the transitions leaving ``status``, in declaration order."""
        self.status(status)
        return self._tables.leaving[status]

    def reachable_from(self, status: str) -> frozenset[str]:
        """Return ``status`` and every status some path of transitions leads to from it."""
        self.status(status)
        return frozenset(reachable(status, tuple(self._tables.transition_by_name.values())))

    def _names(self, flag: str) -> frozenset[str]:
        return frozenset(s.name for s in self.statuses if getattr(s, flag))

    @property
    def terminal_statuses(self) -> frozenset[str]:
        """Statuses nothing leaves."""
        return self._names("terminal")

    @property
    def busy_statuses(self) -> frozenset[str]:
        """Statuses in which a session occupies its resources (for conflict checks)."""
        return self._names("busy")

    @property
    def editable_statuses(self) -> frozenset[str]:
        """Statuses in which a session may still be moved or retitled."""
        return self._names("editable")

    @property
    def usage_statuses(self) -> frozenset[str]:
        """Statuses that consume a subscription credit."""
        return self._names("counts_usage")

    @property
    def no_show_statuses(self) -> frozenset[str]:
        """Statuses whose entry says the participants did not come (``NO_SHOW``, ``MISSED``)."""
        return self._names("no_show")

    @property
    def fact_statuses(self) -> frozenset[str]:
        """Statuses from which advancing may ask a condition or guard, so may need facts.

        Those a timed transition with a condition or guards leaves, and those
        from which timed transitions lead to one (a session advanced from
        SCHEDULED past READY to ABSENT in one call needs READY's facts). A
        store is asked for facts only for sessions in these statuses.
        """
        return self._fact_statuses

    @property
    def cancelled_statuses(self) -> frozenset[str]:
        """Statuses whose entry is a cancellation (``CANCELLED``, ``CANCELED``, ...)."""
        return self._names("cancelled")

    # -- asking -------------------------------------------------------------------

    def _current(self, session: object) -> str:
        return self._tables.current(session, self.field)

    def allowed(
        self,
        session: SessionLike,
        *,
        now: datetime,
        actor: object = None,
        role: str | None = None,
    ) -> tuple[str, ...]:
        """Return the names of the transitions ``actor`` could fire now (guards asked)."""
        at = utc(now)
        _check_role(role)
        current = self._current(session)
        return allowed_names(self._tables.leaving[current], session, at, actor, role)

    def _named(self, name: object) -> Transition | None:
        if not isinstance(name, str):
            raise WrongType(name, name="transition", expected="a transition name (str)")
        return self._tables.transition_by_name.get(name)

    def can(
        self,
        session: SessionLike,
        name: str,
        *,
        now: datetime,
        actor: object = None,
        role: str | None = None,
    ) -> Verdict:
        """Return whether :meth:`fire` would succeed, as a :class:`Verdict` with the reason.

        A refusal's ``allows_at`` is that of the ``TransitionRefused`` :meth:`fire` raises.
        """
        at = utc(now)
        _check_role(role)
        current = self._current(session)
        transition = self._named(name)
        leaving = self._tables.leaving[current]
        return verdict(transition, name, session, current, leaving, at, actor, role)

    # -- changing -----------------------------------------------------------------

    def _apply(
        self,
        session: SessionT,
        current: str,
        transition: Transition,
        *,
        at: datetime,
        actor: object,
        role: str | None,
        reason: str | None,
        timed: bool,
    ) -> tuple[SessionT, StatusChanged]:
        return apply_step(
            session,
            lifecycle=self.name,
            field=self.field,
            transition=transition,
            current=current,
            target=self._tables.status_by_name[transition.target].name,
            at=at,
            actor=actor,
            role=role,
            reason=reason,
            timed=timed,
        )

    def fire(
        self,
        session: SessionT,
        name: str,
        *,
        now: datetime,
        actor: object = None,
        role: str | None = None,
        reason: str | None = None,
    ) -> tuple[SessionT, StatusChanged]:
        """Fire transition ``name``: return the changed session and its event.

        ``session`` is not changed. Raises
        :class:`~sessionkit.errors.InvalidTransition` (with the transitions
        allowed now) if ``name`` does not leave the current status, and
        :class:`~sessionkit.errors.TransitionRefused` with the guard's reason if
        a guard says no (and its ``allows_at``, when waiting alone ends the
        refusal: ``has_started``'s, the start). A naive ``now`` raises
        :class:`~sessionkit.errors.NaiveDatetime`; a ``role`` or ``reason`` that is
        no text (nor ``None``) raises :class:`~sessionkit.errors.WrongType`.
        """
        at = utc(now)
        _check_role(role)
        if reason is not None:
            check_text(reason, "reason", "a reason (str) or None")
        current = self._current(session)
        transition = checked(
            self._named(name),
            name,
            session,
            current,
            self._tables.leaving[current],
            at,
            actor,
            role,
            self.subject,
        )
        return self._apply(
            session, current, transition, at=at, actor=actor, role=role, reason=reason, timed=False
        )

    def _next_step(
        self, session: SessionLike, limit: datetime | None, facts: Facts | None
    ) -> tuple[Transition, datetime] | None:
        leaving = self._tables.leaving[self._current(session)]
        return next_step(self.name, leaving, session, limit, facts)

    def next_due(
        self,
        session: SessionLike,
        *,
        facts: Facts | None = None,
        by: datetime | None = None,
    ) -> datetime | None:
        """Return when the next timed transition from the current status falls due (UTC).

        Only timed transitions whose condition and guards pass (asked as of
        their due instant) count; ``None`` means the clock will never move
        this value. The instant may be in the past: call :meth:`advance`.
        ``facts`` are handed to the conditions (see :meth:`advance`); a
        condition needing a fact not given raises
        :class:`~sessionkit.errors.MissingFact`. With ``by``, only the
        transitions due by then count and only their conditions are asked:
        "is anything due now?" needs no fact of a timer still to come.
        """
        step = self._next_step(session, None if by is None else utc(by, "by"), check_facts(facts))
        return None if step is None else step[1]

    def advance(
        self, session: SessionT, now: datetime, *, facts: Facts | None = None
    ) -> tuple[SessionT, tuple[StatusChanged, ...]]:
        """Apply every timed transition due by ``now``, earliest first; return value and events.

        Catches up: a value whose whole time passed unseen walks through
        every due step in one call. Idempotent: calling again with the same
        ``now`` changes nothing, and stepping the clock in several calls gives
        the same value and events as one call. Each event's ``at`` is when
        its step fell due (never earlier than the step before).

        ``facts`` (e.g. ``{"attended": True}``) are what the caller knows that
        the value does not hold; each due timer's condition reads them from its
        :class:`~sessionkit.lifecycle.TransitionContext`. A due condition that
        needs a fact not given raises :class:`~sessionkit.errors.MissingFact`
        (and nothing changes): it is never taken as true or false.
        """
        limit = utc(now)
        facts = check_facts(facts)
        events: list[StatusChanged] = []
        floor: datetime | None = None
        while (step := self._next_step(session, limit, facts)) is not None:
            transition, due = step
            at = due if floor is None else max(due, floor)
            assert transition.timer is not None
            session, event = self._apply(
                session,
                self._current(session),
                transition,
                at=at,
                actor=None,
                role=None,
                reason=f"timed: {transition.timer.describe()}",
                timed=True,
            )
            events.append(event)
            floor = at
        return session, tuple(events)

    # -- deriving -----------------------------------------------------------------

    def replace_transition(
        self,
        name: str,
        *,
        guards: Sequence[Guard] | None = None,
        timer: Timer | Literal["keep"] | None = "keep",
        description: str | None = None,
        max_notes: int | Literal["keep"] | None = "keep",
    ) -> Lifecycle:
        """Return a copy with transition ``name`` given new guards, timer, description, notes bound.

        ``timer=None`` makes the transition manual only; ``max_notes=None``
        leaves its notes to sessionkit's own bound. The copy is validated again,
        and the new parts are checked as :class:`Transition` checks them (a single
        string for ``guards`` is refused, not read as letters).
        """
        old = self.transition(name)
        new = attrs.evolve(
            old,
            guards=old.guards if guards is None else guards,
            timer=old.timer if isinstance(timer, str) and timer == "keep" else timer,
            description=old.description if description is None else description,
            max_notes=old.max_notes
            if isinstance(max_notes, str) and max_notes == "keep"
            else max_notes,
        )
        transitions = tuple(new if t.name == name else t for t in self.transitions)
        return attrs.evolve(self, transitions=transitions)

    def to_mermaid(self) -> str:
        """Return a Mermaid ``stateDiagram-v2`` of the lifecycle (timers and guards as labels)."""
        return mermaid(self.initial, self.entry_status, self.transitions, self.statuses)
