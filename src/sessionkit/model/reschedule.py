"""Reschedule requests: one side asks to move a session, the other answers, silence approves.

:data:`RESCHEDULE_LIFECYCLE` is an ordinary :class:`~sessionkit.lifecycle.Lifecycle`
whose subject is ``"reschedule"``; a request is built in ``NEW`` (never
stored) and enters by ``request``::

    NEW -[request]-> PENDING -[approve]-> APPROVED
    PENDING -[decline]-> DECLINED
    PENDING -[withdraw]-> WITHDRAWN
    PENDING -[auto_approve, timed: deadline, with a proposed time]-> AUTO_APPROVED
    PENDING -[expire, timed: deadline, without one]-> EXPIRED

A request without a proposed time cannot move the session by itself, so
silence lets it expire. :attr:`RescheduleRequest.pending_session_id` is the
session's id while the request is pending and ``None`` after: the unique key
that keeps one pending request per session, in every adapter.

>>> from datetime import UTC, datetime, timedelta
>>> at = datetime(2026, 3, 2, 9, tzinfo=UTC)
>>> asked = RescheduleRequest.new(id="r1", tenant="acme", session_id="s1", role="student",
...     requested_by="ana", reason="I have an exam that morning", session_start=at + timedelta(days=3),
...     proposed_start=at + timedelta(days=4), deadline=at + timedelta(hours=24), created_at=at)
>>> pending, _ = RESCHEDULE_LIFECYCLE.fire(asked, "request", now=at)
>>> pending.status, pending.pending_session_id
('PENDING', 's1')
>>> done, events = RESCHEDULE_LIFECYCLE.advance(pending, at + timedelta(hours=24))
>>> done.status, done.pending_session_id, [e.transition for e in events]
('AUTO_APPROVED', None, ['auto_approve'])
"""  # noqa: E501

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.lifecycle import (
    Lifecycle,
    Status,
    StatusChanged,
    Timer,
    Transition,
    TransitionContext,
)
from sessionkit.model.events import DomainEvent
from sessionkit.model.html import html_of
from sessionkit.model.records import RESCHEDULE, Schema
from sessionkit.model.session import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    check_identity,
    check_lengths,
)
from sessionkit.zones import check_aware

__all__ = [
    "APPROVED",
    "AUTO_APPROVED",
    "DECLINED",
    "EXPIRED",
    "MAX_REASON_LENGTH",
    "MOVED_STATUSES",
    "NEW",
    "PENDING",
    "RESCHEDULE_LIFECYCLE",
    "WITHDRAWN",
    "RescheduleRequest",
    "RescheduleStatusChanged",
]

NEW = "NEW"
"""A request being made: the status it is built in, never stored."""
PENDING = "PENDING"
"""Waiting for the other side's answer until ``deadline``."""
APPROVED = "APPROVED"
"""Approved by the other side (or the host); the session moved."""
DECLINED = "DECLINED"
"""Declined by the other side (or the host); the session stays."""
AUTO_APPROVED = "AUTO_APPROVED"
"""Nobody answered by the deadline; the session moved to the proposed time."""
WITHDRAWN = "WITHDRAWN"
"""Withdrawn by the requester before an answer."""
EXPIRED = "EXPIRED"
"""Nobody answered by the deadline and no proposed time could be applied."""

MOVED_STATUSES = frozenset({APPROVED, AUTO_APPROVED})
"""Statuses of requests that moved their session (what ``max_reschedules`` counts)."""

MAX_REASON_LENGTH = 2000
"""Longest reason storage keeps (a policy's own bound is usually lower: 500)."""


def _has_proposal(value: Any, _context: TransitionContext) -> bool:
    return getattr(value, "proposed_start", None) is not None


def _has_no_proposal(value: Any, _context: TransitionContext) -> bool:
    return getattr(value, "proposed_start", None) is None


RESCHEDULE_LIFECYCLE = Lifecycle(
    "reschedule",
    statuses=[
        Status(NEW, initial=True),
        Status(PENDING),
        Status(APPROVED, terminal=True),
        Status(DECLINED, terminal=True),
        Status(AUTO_APPROVED, terminal=True),
        Status(WITHDRAWN, terminal=True, cancelled=True),
        Status(EXPIRED, terminal=True),
    ],
    transitions=[
        Transition("request", NEW, PENDING),
        Transition("approve", PENDING, APPROVED),
        Transition("decline", PENDING, DECLINED),
        Transition("withdraw", PENDING, WITHDRAWN),
        Transition(
            "auto_approve",
            PENDING,
            AUTO_APPROVED,
            timer=Timer.after("deadline", condition=_has_proposal),
        ),
        Transition(
            "expire", PENDING, EXPIRED, timer=Timer.after("deadline", condition=_has_no_proposal)
        ),
    ],
    subject="reschedule",
    description="""Reschedule requests (issue 13; the coaching seed).

    - A student or a coach asks to move a session, with a reason and maybe a
      new time; the other side has until the deadline to answer.
    - Silence approves a request with a proposed time (AUTO_APPROVED) and
      lets one without a time EXPIRE.
    - The requester may WITHDRAW a pending request.
    """,
)
"""The lifecycle of every reschedule request (subject ``"reschedule"``)."""


def _instant(value: datetime) -> datetime:
    return check_aware(value, "instant").astimezone(UTC)


def _optional(value: datetime | None) -> datetime | None:
    return None if value is None else _instant(value)


@attrs.frozen(slots=True, kw_only=True)
class RescheduleRequest:
    """A request to move ``session_id``, by ``requested_by`` acting as ``role``.

    ``reason`` says why; ``proposed_start`` is the new start asked for (the
    duration is kept), or ``None`` to leave it to the answer;
    ``session_start`` is the start the request was made against; ``deadline``
    is when silence answers. ``decided_by`` / ``decided_role`` say who
    answered, ``new_start`` where the session went.
    """

    __record_schema__: ClassVar[Schema] = RESCHEDULE
    _repr_html_ = html_of

    id: str
    tenant: str
    session_id: str
    role: str
    requested_by: str
    reason: str
    session_start: datetime = attrs.field(converter=_instant)
    proposed_start: datetime | None = attrs.field(default=None, converter=_optional)
    deadline: datetime = attrs.field(converter=_instant)
    status: str = NEW
    decided_by: str | None = None
    decided_role: str | None = None
    new_start: datetime | None = attrs.field(default=None, converter=_optional)
    created_at: datetime = attrs.field(converter=_instant)
    updated_at: datetime | None = attrs.field(default=None, converter=_optional)
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        check_lengths(
            self,
            session_id=MAX_ID_LENGTH,
            role=MAX_NAME_LENGTH,
            requested_by=MAX_REF_LENGTH,
            reason=MAX_REASON_LENGTH,
            status=MAX_NAME_LENGTH,
            decided_by=MAX_REF_LENGTH,
            decided_role=MAX_NAME_LENGTH,
        )
        for name in ("role", "requested_by", "reason"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidValue(
                    f"a reschedule request's {name} must be a non-empty string, got {shown(value)}",
                    value=value,
                    expected="a non-empty string",
                )

    @classmethod
    def new(
        cls,
        *,
        id: str,  # the record's id, as everywhere
        tenant: str,
        session_id: str,
        role: str,
        requested_by: str,
        reason: str,
        session_start: datetime,
        deadline: datetime,
        created_at: datetime,
        proposed_start: datetime | None = None,
    ) -> RescheduleRequest:
        """Return a request in status ``NEW``: fire ``request`` to enter it."""
        return cls(
            id=id,
            tenant=tenant,
            session_id=session_id,
            role=role,
            requested_by=requested_by,
            reason=reason,
            session_start=session_start,
            proposed_start=proposed_start,
            deadline=deadline,
            created_at=created_at,
        )

    @property
    def pending(self) -> bool:
        """Whether the request still waits for an answer."""
        return self.status == PENDING

    @property
    def pending_session_id(self) -> str | None:
        """The session's id while pending, else ``None``: at most one pending per session."""
        return self.session_id if self.status == PENDING else None


@attrs.frozen(slots=True, kw_only=True)
class RescheduleStatusChanged(DomainEvent):
    """A reschedule request was made or answered; ``change`` is the lifecycle's event.

    ``change.transition`` says what happened (``request``, ``approve``,
    ``decline``, ``withdraw``, ``auto_approve``, ``expire``); ``reason`` why,
    when the command was given one (an expiry says why the time could not be applied).
    """

    request: RescheduleRequest
    change: StatusChanged
    reason: str | None = None
