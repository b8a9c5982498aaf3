"""Firing one transition: whether it may fire now, the error when it may not, and the step.

:func:`allowed_names` and :func:`verdict` answer without raising;
:func:`checked` raises what a caller acts on (:class:`~sessionkit.errors.InvalidTransition`
with the transitions allowed now, or :class:`~sessionkit.errors.TransitionRefused`
with the refusing guard's reason and, if waiting alone ends it, when it allows);
:func:`apply_step` makes the changed copy of the value and the
:class:`~sessionkit.lifecycle.StatusChanged` event that records it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from sessionkit.errors import InvalidTransition, InvalidValue, TransitionRefused, WrongType
from sessionkit.lifecycle._clock import first_refusal
from sessionkit.lifecycle._values import SessionLike, SessionT, replace_status
from sessionkit.lifecycle.definition import StatusChanged, Transition
from sessionkit.lifecycle.guards import Verdict

__all__ = ["allowed_names", "apply_step", "checked", "verdict", "waited"]


def allowed_names(
    leaving: Iterable[Transition], value: object, at: datetime, actor: object, role: str | None
) -> tuple[str, ...]:
    """Return the names of the ``leaving`` transitions no guard refuses, in order."""
    return tuple(t.name for t in leaving if first_refusal(t, value, at, actor, role) is None)


def _moves_by(leaving: Iterable[Transition], value: object, at: datetime) -> bool:
    """Return whether a timed transition of ``leaving`` may move ``value`` on by ``at``."""
    for step in leaving:
        if step.timer is None:
            continue
        try:
            if step.timer.due(value) <= at:
                return True
        except (InvalidValue, WrongType):  # no instant to tell by: waiting is no promise
            return True
    return False


def waited(
    refused: Verdict,
    transition: Transition,
    value: object,
    leaving: Iterable[Transition],
    actor: object,
    role: str | None,
) -> Verdict:
    """Return ``refused`` with its ``allows_at`` only if waiting until then alone ends it.

    It is dropped (``None``) when, at ``allows_at``, a guard of ``transition``
    still refuses (a role beside ``has_started``), or when a timed transition
    leaving the status (``leaving``) falls due by then: the clock may have
    moved the value on, so the transition may be refused another way.
    """
    at = refused.allows_at
    if at is None:
        return refused
    if _moves_by(leaving, value, at) or first_refusal(transition, value, at, actor, role):
        return attrs.evolve(refused, allows_at=None)
    return refused


def verdict(
    transition: Transition | None,
    name: str,
    value: object,
    current: str,
    leaving: Iterable[Transition],
    at: datetime,
    actor: object,
    role: str | None,
) -> Verdict:
    """Return whether ``transition`` (looked up as ``name``) may fire from ``current`` now.

    A refusal's ``allows_at`` is kept only where waiting alone ends it (:func:`waited`).
    """
    if transition is None or current not in transition.sources:
        return Verdict.no(f"{name!r} is not possible from {current!r}")
    refusal = first_refusal(transition, value, at, actor, role)
    if refusal is None:
        return Verdict.yes()
    return waited(refusal[1], transition, value, leaving, actor, role)


def checked(
    transition: Transition | None,
    name: str,
    value: SessionLike,
    current: str,
    leaving: Iterable[Transition],
    at: datetime,
    actor: object,
    role: str | None,
    subject: str = "session",
) -> Transition:
    """Return ``transition`` if it may fire from ``current`` now; raise why not otherwise.

    ``leaving`` are the transitions from ``current``; those allowed now go into
    the :class:`~sessionkit.errors.InvalidTransition` raised when ``name``
    is not one of them.
    """
    if transition is None or current not in transition.sources:
        raise InvalidTransition(
            session_id=value.id,
            status=current,
            transition=name,
            allowed=allowed_names(leaving, value, at, actor, role),
            subject=subject,
        )
    refusal = first_refusal(transition, value, at, actor, role)
    if refusal is not None:
        guard, refused = refusal
        raise TransitionRefused(
            session_id=value.id,
            status=current,
            transition=name,
            reason=refused.reason,
            guard=guard,
            subject=subject,
            allows_at=waited(refused, transition, value, leaving, actor, role).allows_at,
        )
    return transition


def apply_step(
    value: SessionT,
    *,
    lifecycle: str,
    field: str,
    transition: Transition,
    current: str,
    target: str,
    at: datetime,
    actor: object,
    role: str | None,
    reason: str | None,
    timed: bool,
) -> tuple[SessionT, StatusChanged]:
    """Return a copy of ``value`` with ``field`` set to ``target``, and the event recording it."""
    changed: SessionT = replace_status(value, field, target)
    event = StatusChanged(
        session_id=value.id,
        lifecycle=lifecycle,
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
