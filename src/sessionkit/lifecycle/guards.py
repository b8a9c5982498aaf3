"""Guards and conditions: the rules that decide whether a transition may happen.

A *guard* is asked before a transition fires, by hand or by the clock. It
receives the session, the instant, the actor and the actor's role, and answers
with a :class:`Verdict`: yes, or no with a reason a person can act on.

A *condition* is the simpler predicate a timed transition consults before it
fires on its own (``MISSED`` 30 minutes after start, *if nobody attended*).
No person is acting, so it sees the value and a
:class:`~sessionkit.lifecycle.TransitionContext`: the instant and the *facts*
the caller passed (attendance, say), read with ``context.fact(name)``.

>>> from datetime import UTC, datetime, timedelta
>>> from types import SimpleNamespace
>>> from sessionkit import TimeSpan
>>> span = TimeSpan(datetime(2026, 3, 2, 17, tzinfo=UTC), datetime(2026, 3, 2, 18, tzinfo=UTC))
>>> lesson = SimpleNamespace(span=span, capacity=1)
>>> refused = has_started(lesson, now=span.start - timedelta(minutes=1), actor=None, role=None)
>>> refused
Verdict(allowed=False, reason='the session has not started yet (it starts at 2026-03-02T17:00...)',
        allows_at=datetime.datetime(2026, 3, 2, 17, 0, tzinfo=datetime.timezone.utc))
>>> refused.allows_at == span.start  # waiting ends it: from then on it allows
True
>>> bool(individual_only(lesson, now=span.start, actor=None, role=None))
True
>>> roles("coach")(lesson, now=span.start, actor="u1", role="student").reason
"role 'student' may not do this; allowed roles: coach"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol, TypeAlias, cast

import attrs
from typing_extensions import override

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import iterator_of
from sessionkit.lifecycle._checks import check_callable, check_text
from sessionkit.lifecycle.context import TransitionContext
from sessionkit.zones import check_aware

__all__ = [
    "Condition",
    "Guard",
    "Verdict",
    "guard_roles",
    "has_started",
    "individual_only",
    "nobody_attended",
    "roles",
    "when",
]


def _allows_at(verdict: Verdict, _attribute: object, value: datetime | None) -> None:
    if value is None:
        return
    check_aware(value, "Verdict.allows_at")
    if verdict.allowed:
        raise InvalidValue(
            f"an allowing Verdict has no allows_at, got {value.isoformat()}; it is when a "
            "refusal ends: Verdict.no(reason, allows_at=...)",
            value=value,
            expected="None for an allowing verdict",
        )


@attrs.frozen
class Verdict:
    """A guard's answer: ``allowed`` or not, and the ``reason`` (required when refusing).

    ``allows_at`` is, for a refusal that waiting ends (``has_started``'s,
    before the start), the instant from which the guard allows; ``None`` when
    waiting alone does not help (a role, a capacity). A verdict is truthy
    exactly when it allows.
    """

    allowed: bool
    reason: str = ""
    allows_at: datetime | None = attrs.field(default=None, kw_only=True, validator=_allows_at)

    @classmethod
    def yes(cls, reason: str = "") -> Verdict:
        """Return an allowing verdict."""
        return cls(True, reason)

    @classmethod
    def no(cls, reason: str, *, allows_at: datetime | None = None) -> Verdict:
        """Return a refusing verdict; ``reason`` tells the person what stands in the way.

        ``allows_at``: the aware instant from which the guard allows, if waiting ends it.
        """
        return cls(False, reason, allows_at=allows_at)

    def __bool__(self) -> bool:
        return self.allowed


class Guard(Protocol):
    """Decides whether a transition may fire for ``session`` at ``now``.

    ``actor`` is whoever asked (an id or a user object, ``None`` for the clock)
    and ``role`` their role (``"coach"``, ``"student"``, ... or ``None``).
    Guards must not have side effects: they are also asked by
    :meth:`~sessionkit.lifecycle.Lifecycle.allowed` and
    :meth:`~sessionkit.lifecycle.Lifecycle.next_due` just to look.
    """

    def __call__(
        self, session: Any, /, *, now: datetime, actor: object, role: str | None
    ) -> Verdict:
        """Return a :class:`Verdict`; a refusal must carry a reason."""
        ...


Condition: TypeAlias = Callable[[Any, TransitionContext], bool]
"""``condition(value, context) -> bool``: must be true for the clock to fire a timed transition.

``context`` is a :class:`~sessionkit.lifecycle.TransitionContext`; read the
facts the caller knows with ``context.fact(name)``, which raises
:class:`~sessionkit.errors.MissingFact` rather than guess when one is absent.
"""


@attrs.frozen
class _PredicateGuard(Guard):
    predicate: Callable[[Any, datetime], bool]
    reason: str | Callable[[Any, datetime], str]
    label: str
    allows_at: Callable[[Any, datetime], datetime | None] | None = None

    @override
    def __call__(
        self, session: Any, /, *, now: datetime, actor: object, role: str | None
    ) -> Verdict:
        if self.predicate(session, now):
            return Verdict.yes()
        reason = self.reason if isinstance(self.reason, str) else self.reason(session, now)
        allows_at = None if self.allows_at is None else self.allows_at(session, now)
        return Verdict.no(reason, allows_at=allows_at)

    @override
    def __repr__(self) -> str:
        return f"<guard {self.label}>"


@attrs.frozen
class _RoleGuard(Guard):
    allowed: frozenset[str]
    label: str

    @override
    def __call__(
        self, session: Any, /, *, now: datetime, actor: object, role: str | None
    ) -> Verdict:
        if role in self.allowed:
            return Verdict.yes()
        allowed = ", ".join(sorted(self.allowed))
        if role is None:
            return Verdict.no(f"a role is required; allowed roles: {allowed}")
        return Verdict.no(f"role {role!r} may not do this; allowed roles: {allowed}")

    @override
    def __repr__(self) -> str:
        return f"<guard {self.label}>"


def when(
    predicate: Callable[[Any, datetime], bool],
    *,
    reason: str | Callable[[Any, datetime], str],
    label: str,
) -> Guard:
    """Build a guard from ``predicate(session, now) -> bool``.

    ``reason`` (a text, or a function of the session and ``now`` returning one)
    explains a refusal; ``label`` names the guard in diagrams.

    >>> from datetime import UTC, datetime
    >>> weekday = when(lambda s, now: now.weekday() < 5, reason="not on weekends", label="weekday")
    >>> weekday(None, now=datetime(2026, 3, 7, tzinfo=UTC), actor=None, role=None)
    Verdict(allowed=False, reason='not on weekends', allows_at=None)
    """
    # Checked here, as a Transition checks its guards: the guard is first asked on a fire.
    check_callable(predicate, "when(predicate)", "a callable predicate(session, now) -> bool")
    if not isinstance(reason, str):
        check_callable(reason, "when(reason)", "a str or a callable reason(session, now) -> str")
    check_text(label, "when(label)")
    return _PredicateGuard(predicate, reason, label)


def roles(*allowed: str) -> Guard:
    """Build a guard that allows only actors whose ``role`` is one of ``allowed``.

    A missing role (``None``) is refused too, so the clock cannot pass it. Each
    role is a separate argument: ``roles("coach", "admin")``, not a list. At
    least one role is needed: ``roles()`` would refuse everyone.
    """
    if not allowed:
        raise InvalidValue(
            "roles() names no role, so its guard would refuse every actor; name the roles it"
            ' lets through, e.g. roles("coach", "admin")',
            value=allowed,
            expected="one or more role names",
        )
    for index, role in enumerate(allowed):
        check_text(role, f"roles()[{index}]", "a role name (str)")
    return _RoleGuard(frozenset(allowed), "role in " + "/".join(sorted(allowed)))


def guard_roles(guards: Iterable[Guard]) -> frozenset[str] | None:
    """Return the roles ``guards`` let through (:func:`roles` guards), ``None`` without any.

    ``None`` means the guards judge no role: any caller may pass them as far
    as roles go. With several role guards, only the roles all allow.
    """
    found: frozenset[str] | None = None
    for guard in iterator_of(guards, name="guards", expected="an iterable of guards"):
        if isinstance(guard, _RoleGuard):
            found = guard.allowed if found is None else found & guard.allowed
    return found


def _started(session: Any, now: datetime) -> bool:
    return bool(now >= session.span.start)


def _not_started_reason(session: Any, _now: datetime) -> str:
    return f"the session has not started yet (it starts at {session.span.start.isoformat()})"


def _start(session: Any, _now: datetime) -> datetime:
    return cast("datetime", session.span.start)


has_started: Guard = _PredicateGuard(_started, _not_started_reason, "started", allows_at=_start)
"""Allows once ``now`` has reached the session's start (coaching: "session must be in the past").

Its refusal's ``allows_at`` is that start.
"""


def _is_individual(session: Any, _now: datetime) -> bool:
    return getattr(session, "capacity", None) == 1


individual_only: Guard = when(
    _is_individual,
    reason="only individual sessions (capacity 1) can do this; group sessions cannot",
    label="individual",
)
"""Allows only sessions whose ``capacity`` attribute is 1 (one teacher, one student)."""


def nobody_attended(_value: Any, context: TransitionContext) -> bool:
    """Return whether nobody attended: the "no attendance" condition, read from the facts.

    Reads the ``attended`` fact (truthy: someone came; a count works too). The
    value itself is not consulted: sessionkit's ``Session`` holds no
    attendance, so the host, which does, passes
    ``facts={"attended": ...}`` to :meth:`~sessionkit.lifecycle.Lifecycle.advance`.
    Without it the condition raises :class:`~sessionkit.errors.MissingFact`
    naming ``"attended"``: it never guesses that nobody came.
    """
    if not isinstance(context, TransitionContext):
        raise WrongType(context, name="context", expected="a TransitionContext")
    return not context.fact("attended")
