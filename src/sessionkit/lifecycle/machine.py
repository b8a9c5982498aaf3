"""The lifecycle machine: statuses, transitions, timers, and firing them on immutable sessions.

A :class:`Lifecycle` is declared as data and checked when built. It never holds
a session: :meth:`~Lifecycle.fire` and :meth:`~Lifecycle.advance` take a
session value and return a new one (made with :func:`attrs.evolve`) together
with the :class:`StatusChanged` events that describe what happened.

>>> from datetime import UTC, datetime, timedelta
>>> import attrs
>>> from sessionkit import TimeSpan
>>> @attrs.frozen
... class Lesson:
...     id: str
...     span: TimeSpan
...     status: str = "SCHEDULED"
>>> door = Lifecycle(
...     "door",
...     statuses=[Status("SCHEDULED", initial=True), Status("OPEN"), Status("DONE", terminal=True)],
...     transitions=[
...         Transition("open", "SCHEDULED", "OPEN", timer=Timer.before_start(timedelta(minutes=5))),
...         Transition("close", "OPEN", "DONE"),
...     ],
... )
>>> start = datetime(2026, 3, 2, 17, tzinfo=UTC)
>>> lesson = Lesson("l1", TimeSpan.from_start(start, timedelta(hours=1)))
>>> door.next_due(lesson)
datetime.datetime(2026, 3, 2, 16, 55, tzinfo=datetime.timezone.utc)
>>> lesson, events = door.advance(lesson, start)
>>> lesson.status, [e.transition for e in events]
('OPEN', ['open'])
>>> lesson, event = door.fire(lesson, "close", now=start + timedelta(hours=1), actor="t1")
>>> event.from_status, event.to_status, event.actor
('OPEN', 'DONE', 't1')
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

import attrs

from sessionkit.errors import (
    InvalidTransition,
    NotASession,
    TransitionRefused,
    UnknownStatus,
    UnknownTransitionName,
)
from sessionkit.lifecycle._validate import validate
from sessionkit.lifecycle.definition import (
    ANY,
    Anchor,
    Status,
    StatusChanged,
    Timer,
    Transition,
)
from sessionkit.lifecycle.guards import Guard, Verdict
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware

__all__ = [
    "ANY",
    "Anchor",
    "Lifecycle",
    "SessionLike",
    "Status",
    "StatusChanged",
    "Timer",
    "Transition",
]


class SessionLike(Protocol):
    """What the machine needs of a session: an ``id`` and a ``span``.

    The status itself lives in the field the lifecycle names (``status`` by
    default, ``payment_status`` for :data:`~sessionkit.lifecycles.consulting_payment`).
    The value must be an attrs instance (or a dataclass) so the machine can
    make a changed copy.
    """

    @property
    def id(self) -> object:
        """The session's identity, copied into events and errors."""
        ...

    @property
    def span(self) -> TimeSpan:
        """When the session takes place; timers count from its start or end."""
        ...


SessionT = TypeVar("SessionT", bound=SessionLike)


def _to_statuses(value: Iterable[Status]) -> tuple[Status, ...]:
    return tuple(value)


def _to_transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    return tuple(value)


def _replace(session: Any, field: str, value: str) -> Any:
    if attrs.has(type(session)):
        return attrs.evolve(session, **{field: value})
    return dataclasses.replace(session, **{field: value})


def _check_session(session: object, field: str) -> None:
    kind = type(session)
    if not (
        attrs.has(kind) or (dataclasses.is_dataclass(session) and not isinstance(session, type))
    ):
        raise NotASession(
            f"a lifecycle works on attrs (or dataclass) values, got {kind.__name__}",
            value=session,
            expected="an attrs instance with id, span and a status field",
        )
    if not hasattr(session, field):
        raise NotASession(
            f"{kind.__name__} has no {field!r} field for this lifecycle to change",
            value=session,
            expected=f"a {field!r} field",
        )


# Mermaid ends a transition label at ":" and ";" and reads "<" as HTML; a lambda
# condition is labelled "<lambda>". Its entity codes keep such labels intact.
_MERMAID_ESCAPES = str.maketrans({":": "#58;", ";": "#59;", "<": "#lt;", ">": "#gt;"})


def _mermaid_text(text: str) -> str:
    return text.translate(_MERMAID_ESCAPES)


def _utc(now: datetime) -> datetime:
    return check_aware(now, "now").astimezone(UTC)


@attrs.frozen(repr=False)
class Lifecycle:
    """A validated status machine for sessions.

    Build one from :class:`Status` and :class:`Transition` values; an unsound
    definition raises :class:`~sessionkit.errors.InvalidLifecycle` whose
    ``problem`` is one of ``invalid_name``, ``no_statuses``, ``duplicate_status``,
    ``no_initial``, ``several_initial``, ``duplicate_transition``, ``no_sources``,
    ``unknown_status``, ``transition_from_terminal``, ``dead_end``, ``unreachable``
    or ``timed_cycle``. ``field`` names the session attribute holding the status.
    """

    name: str
    statuses: tuple[Status, ...] = attrs.field(converter=_to_statuses)
    transitions: tuple[Transition, ...] = attrs.field(converter=_to_transitions)
    field: str = attrs.field(default="status", kw_only=True)
    description: str = attrs.field(default="", kw_only=True, eq=False, converter=inspect.cleandoc)
    _status_by_name: dict[str, Status] = attrs.field(init=False, repr=False, eq=False)
    _transition_by_name: dict[str, Transition] = attrs.field(init=False, repr=False, eq=False)
    _leaving: dict[str, tuple[Transition, ...]] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        transitions = validate(self.name, self.statuses, self.transitions, any_source=ANY)
        by_name = {status.name: status for status in self.statuses}
        leaving = {name: tuple(t for t in transitions if name in t.sources) for name in by_name}
        object.__setattr__(self, "transitions", transitions)
        object.__setattr__(self, "_status_by_name", by_name)
        object.__setattr__(self, "_transition_by_name", {t.name: t for t in transitions})
        object.__setattr__(self, "_leaving", leaving)

    def __repr__(self) -> str:
        statuses = ", ".join(str(s.name) for s in self.statuses)
        return f"<Lifecycle {self.name!r}: {statuses}; {len(self.transitions)} transitions>"

    # -- reading the definition -------------------------------------------------

    @property
    def initial(self) -> str:
        """The status new sessions start in."""
        return next(status.name for status in self.statuses if status.initial)

    def status(self, name: str) -> Status:
        """Return the :class:`Status` called ``name``; raise ``InvalidValue`` if there is none."""
        try:
            return self._status_by_name[name]
        except KeyError:
            raise self._unknown_status(name) from None

    def transition(self, name: str) -> Transition:
        """Return the :class:`Transition` called ``name``; raise ``InvalidValue`` if none."""
        try:
            return self._transition_by_name[name]
        except KeyError:
            raise UnknownTransitionName(
                f"lifecycle {self.name!r} has no transition {name!r}",
                value=name,
                expected=", ".join(self._transition_by_name),
            ) from None

    def transitions_from(self, status: str) -> tuple[Transition, ...]:
        """Return the transitions leaving ``status``, in declaration order."""
        self.status(status)
        return self._leaving[status]

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

    def _unknown_status(self, name: object) -> UnknownStatus:
        return UnknownStatus(
            f"{name!r} is not a status of lifecycle {self.name!r}",
            value=name,
            expected=", ".join(self._status_by_name),
        )

    # -- asking -------------------------------------------------------------------

    def _current(self, session: object) -> str:
        _check_session(session, self.field)
        value = getattr(session, self.field)
        if value not in self._status_by_name:
            raise self._unknown_status(value)
        return self._status_by_name[value].name

    @staticmethod
    def _refusal(
        transition: Transition, session: object, now: datetime, actor: object, role: str | None
    ) -> tuple[Guard, Verdict] | None:
        for guard in transition.guards:
            verdict = guard(session, now=now, actor=actor, role=role)
            if not verdict:
                return guard, verdict
        return None

    def allowed(
        self,
        session: SessionLike,
        *,
        now: datetime,
        actor: object = None,
        role: str | None = None,
    ) -> tuple[str, ...]:
        """Return the names of the transitions ``actor`` could fire now (guards asked)."""
        at = _utc(now)
        current = self._current(session)
        return tuple(
            t.name
            for t in self._leaving[current]
            if self._refusal(t, session, at, actor, role) is None
        )

    def can(
        self,
        session: SessionLike,
        name: str,
        *,
        now: datetime,
        actor: object = None,
        role: str | None = None,
    ) -> Verdict:
        """Return whether :meth:`fire` would succeed, as a :class:`Verdict` with the reason."""
        at = _utc(now)
        current = self._current(session)
        transition = self._transition_by_name.get(name)
        if transition is None or current not in transition.sources:
            return Verdict.no(f"{name!r} is not possible from {current!r}")
        refusal = self._refusal(transition, session, at, actor, role)
        return Verdict.yes() if refusal is None else refusal[1]

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
        target = self._status_by_name[transition.target].name
        changed: SessionT = _replace(session, self.field, target)
        event = StatusChanged(
            session_id=session.id,
            lifecycle=self.name,
            transition=transition.name,
            from_status=current,
            to_status=target,
            at=at,
            actor=actor,
            role=role,
            reason=reason,
            timed=timed,
        )
        return changed, event

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
        a guard says no. A naive ``now`` raises
        :class:`~sessionkit.errors.NaiveDatetime`.
        """
        at = _utc(now)
        current = self._current(session)
        transition = self._transition_by_name.get(name)
        if transition is None or current not in transition.sources:
            raise InvalidTransition(
                session_id=session.id,
                status=current,
                transition=name,
                allowed=self.allowed(session, now=at, actor=actor, role=role),
            )
        refusal = self._refusal(transition, session, at, actor, role)
        if refusal is not None:
            guard, verdict = refusal
            raise TransitionRefused(
                session_id=session.id,
                status=current,
                transition=name,
                reason=verdict.reason,
                guard=guard,
            )
        return self._apply(
            session, current, transition, at=at, actor=actor, role=role, reason=reason, timed=False
        )

    def _next_step(
        self, session: SessionLike, limit: datetime | None
    ) -> tuple[Transition, datetime] | None:
        current = self._current(session)
        best: tuple[Transition, datetime] | None = None
        for transition in self._leaving[current]:
            timer = transition.timer
            if timer is None:
                continue
            due = timer.due(session.span)
            if limit is not None and due > limit:
                continue
            if best is not None and due >= best[1]:
                continue
            if not timer.holds(session):
                continue
            if self._refusal(transition, session, due, None, None) is not None:
                continue
            best = (transition, due)
        return best

    def next_due(self, session: SessionLike) -> datetime | None:
        """Return when the next timed transition from the current status falls due (UTC).

        Only timed transitions whose condition and guards pass (asked as of
        their due instant) count; ``None`` means the clock will never move
        this session. The instant may be in the past: call :meth:`advance`.
        """
        step = self._next_step(session, None)
        return None if step is None else step[1]

    def advance(
        self, session: SessionT, now: datetime
    ) -> tuple[SessionT, tuple[StatusChanged, ...]]:
        """Apply every timed transition due by ``now``, earliest first; return session and events.

        Catches up: a session whose whole time passed unseen walks through
        every due step in one call. Idempotent: calling again with the same
        ``now`` changes nothing, and stepping the clock in several calls gives
        the same session and events as one call. Each event's ``at`` is when
        its step fell due (never earlier than the step before).
        """
        limit = _utc(now)
        events: list[StatusChanged] = []
        floor: datetime | None = None
        while (step := self._next_step(session, limit)) is not None:
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
    ) -> Lifecycle:
        """Return a copy with transition ``name`` given new guards, timer or description.

        ``timer=None`` makes the transition manual only. The copy is validated again.
        """
        old = self.transition(name)
        new = attrs.evolve(
            old,
            guards=old.guards if guards is None else tuple(guards),
            timer=old.timer if isinstance(timer, str) else timer,
            description=old.description if description is None else description,
        )
        transitions = tuple(new if t.name == name else t for t in self.transitions)
        return attrs.evolve(self, transitions=transitions)

    def to_mermaid(self) -> str:
        """Return a Mermaid ``stateDiagram-v2`` of the lifecycle (timers and guards as labels)."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        lines.extend(
            f"    {source} --> {t.target}: {_mermaid_text(t.label())}"
            for t in self.transitions
            for source in t.sources
        )
        lines.extend(f"    {s.name} --> [*]" for s in self.statuses if s.terminal)
        return "\n".join(lines)
