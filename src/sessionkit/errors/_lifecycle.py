"""Errors of lifecycle definitions, transitions and the facts their timers need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sessionkit.errors._base import SessionKitError, shown


class LifecycleError(SessionKitError, ValueError):
    """Base for lifecycle definition and transition errors."""


class InvalidLifecycle(LifecycleError):
    """A lifecycle definition that is not sound (unknown status, unreachable status, ...)."""

    def __init__(self, message: str, *, problem: str = "", subject: object = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.subject = subject


class InvalidTransition(LifecycleError):
    """The transition asked for is not allowed from the value's current status.

    ``subject`` says what the value is (``"session"``, ``"booking"``: the
    lifecycle's subject) and ``subject_id`` its id; ``session_id`` is the same
    id, whatever the subject (a booking's id for a booking), kept for the
    sessions it was first named for. ``allowed`` are the transitions of the
    lifecycle allowed now, the system's own included. ``reason``, when set
    (:meth:`not_confirmable`), says in the caller's terms why the transition is
    not theirs to make now, and the message says it instead of ``allowed``.
    """

    # An InvalidTransition pickled before this field existed (a job queue's) reads it as None.
    reason: str | None = None

    def __init__(
        self,
        *,
        session_id: object,
        status: str,
        transition: str,
        allowed: Sequence[str],
        subject: str = "session",
        reason: str | None = None,
    ) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        why = f"; allowed now: {allowed_text}" if reason is None else f": {reason}"
        super().__init__(
            f"cannot {shown(transition)} {subject} {shown(session_id)} in status {shown(status)}"
            f"{why}"
        )
        self.subject = subject
        self.subject_id = session_id
        self.session_id = session_id
        self.status = status
        self.transition = transition
        self.allowed = tuple(allowed)
        self.reason = reason

    @classmethod
    def not_confirmable(
        cls,
        booking_id: str,
        status: str,
        *,
        position: int | None,
        allowed: Sequence[str],
        transition: str = "confirm",
    ) -> InvalidTransition:
        """Return the refusal to confirm a booking in ``status``: waitlisted, cancelled, expired.

        Its ``reason`` says what the participant can do: a waitlist place
        (at ``position``) is confirmed once a seat is offered to it; a
        cancelled booking or a waitlist place that ran out takes no seat any more.
        ``allowed`` stays the lifecycle's (the system's ``offer`` and ``lapse``
        included), for callers that read it. ``transition``: the command
        refused (``"claim"``: an offer's payment, ``kit.payments.claim``).
        """
        if status == "WAITLISTED":
            at = "" if position is None else f" at position {position}"
            reason = f"it is waitlisted{at} and can be {transition}ed once a seat is offered to it"
        elif status == "CANCELLED":
            reason = "it was cancelled and takes no seat any more; book the session again"
        elif status == "EXPIRED":
            reason = (
                "its waitlist place ran out, no seat offered to it before its session started "
                "or closed"
            )
        else:
            reason = None
        return cls(
            session_id=booking_id,
            status=status,
            transition=transition,
            allowed=allowed,
            subject="booking",
            reason=reason,
        )


class TransitionRefused(LifecycleError):
    """A guard refused the transition; ``reason`` says why.

    ``allows_at`` is when the transition would be allowed by waiting alone (the
    session's start, for ``has_started``), from the refusing guard's
    :class:`~sessionkit.lifecycle.Verdict`; ``None`` when waiting alone does
    not help (a role, a capacity, another guard or a timed step of the
    lifecycle standing in the way by then). ``subject``, ``subject_id`` and
    ``session_id``: as for :class:`InvalidTransition`.
    """

    def __init__(
        self,
        *,
        session_id: object,
        status: str,
        transition: str,
        reason: str,
        guard: Any = None,
        subject: str = "session",
        allows_at: datetime | None = None,
    ) -> None:
        super().__init__(
            f"cannot {shown(transition)} {subject} {shown(session_id)} in status {shown(status)}: "
            f"{reason}"
        )
        self.subject = subject
        self.subject_id = session_id
        self.session_id = session_id
        self.status = status
        self.transition = transition
        self.reason = reason
        self.guard = guard
        self.allows_at = allows_at


class LifecycleNotApplicable(LifecycleError):
    """The lifecycle drives another kind of value (``subject``) than the one asked for.

    ``lifecycle`` is its name, ``subject`` what it is for (``"payment"``),
    ``expected`` the kind the caller needs (``"session"``) and ``field`` the
    attribute the lifecycle changes.
    """

    def __init__(self, *, lifecycle: str, subject: str, expected: str, field: str = "") -> None:
        drives = f", driving their {shown(field)} field" if field else ""
        super().__init__(
            f"lifecycle {shown(lifecycle)} is for {subject} values{drives}, not for {expected} "
            f"values; choose a lifecycle whose subject is {shown(expected)}"
        )
        self.lifecycle = lifecycle
        self.subject = subject
        self.expected = expected
        self.field = field


class MissingFact(SessionKitError, LookupError):
    """A timed transition's condition needs a fact the caller did not pass in ``facts=``.

    ``fact`` is the fact's name, ``lifecycle`` and ``transition`` say whose
    condition asked, and ``value_id`` is the id of the value being advanced.
    """

    def __init__(self, *, fact: str, lifecycle: str, transition: str, value_id: object) -> None:
        super().__init__(
            f"the condition of {shown(lifecycle)} transition {shown(transition)} needs the fact "
            f"{shown(fact)} "
            f"for {shown(value_id)}; pass it, e.g. facts={{{shown(fact)}: ...}}, to advance() or "
            "next_due() "
            "(a SessionKit asks its facts= provider: attendance_facts() reads stored attendance)"
        )
        self.fact = fact
        self.lifecycle = lifecycle
        self.transition = transition
        self.value_id = value_id


class UnknownLifecycle(SessionKitError, LookupError):
    """No lifecycle is registered under the name asked for."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown lifecycle {shown(name)}; known: {', '.join(sorted(known))}")
        self.name = name
        self.known = tuple(known)
