"""No-shows per participant: who counts as one, and what their paid booking gets back.

A session's status says whether it happened: a held one (COMPLETED) or a
no-show one (a ``Status(no_show=True)``: NO_SHOW, MISSED, ABSENT). Attendance
says who was there. Together they give each participant an *outcome*, and the
kit's :class:`~sessionkit.policies.RefundPolicy` its consequence:

========================  ==========================  ==========================
attendance                held session (COMPLETED)    no-show session (MISSED)
========================  ==========================  ==========================
no records at all         nothing: ``None``           ``no_show`` (per session)
participant absent        ``no_show``                 ``no_show``
participant there         ``attended``, nothing       ``attended``: host no-show
========================  ==========================  ==========================

A ``no_show`` gets ``no_show_percent`` back less ``no_show_fee`` (rule
``"no_show"``); a participant who attended a session that still became a
no-show (the student waited, the host never came) gets
``host_no_show_percent`` back (rule ``"host_no_show"``, default all of it).
Someone who attended a held session is untouched. A cancelled session is
neither: it took place for nobody, so nothing here applies to it (its bookings
are cancelled and refunded in full, and ``kit.attendance.outcomes`` lists
nobody for it, whoever was absent).

Credits follow the same outcomes: a status that counts usage charges each
participant one (:func:`uses_credit`), except one who attended a no-show
session. The host's no-show costs them no credit either, unless
``host_no_show_uses_credit`` says it does; their own no-show uses one.

>>> from sessionkit.model.money import Money
>>> from sessionkit.policies import RefundPolicy
>>> policy = RefundPolicy(no_show_percent=50, no_show_fee=Money.of(5, "EUR"))
>>> paid = Money.of(60, "EUR")
>>> refund_for(policy, NO_SHOW, no_show_session=False, paid=paid)
NoShowRefund(rule='no_show', refund=Money(amount=Decimal('25.00'), currency='EUR'))
>>> refund_for(policy, ATTENDED, no_show_session=True, paid=paid)
NoShowRefund(rule='host_no_show', refund=Money(amount=Decimal('60.00'), currency='EUR'))
>>> refund_for(policy, ATTENDED, no_show_session=False, paid=paid) is None
True
>>> uses_credit(policy, ATTENDED, no_show_session=True), uses_credit(policy, NO_SHOW,
...     no_show_session=True)
(False, True)
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.attendance import PENDING, Attendance
from sessionkit.model.money import Money, check_money
from sessionkit.model.session import ResourceRef
from sessionkit.model.text import check_flag
from sessionkit.policies.money import RefundPolicy

__all__ = [
    "ATTENDED",
    "HOST_NO_SHOW",
    "NO_SHOW",
    "AttendanceOutcome",
    "NoShowRefund",
    "Outcome",
    "outcome_of",
    "refund_for",
    "uses_credit",
]

ATTENDED: Final = "attended"
"""The participant counts as there (the teacher's word first, else presence)."""
NO_SHOW: Final = "no_show"
"""The participant did not come: absent by attendance, or the session was a no-show."""
HOST_NO_SHOW: Final = "host_no_show"
"""The rule of a participant who came to a session that still became a no-show."""

Outcome = Literal["attended", "no_show"]
"""A participant's outcome in a session."""


def outcome_of(attendance: Attendance | None, *, no_show_session: bool) -> Outcome | None:
    """Return the participant's outcome from their ``attendance`` and the session's status.

    ``attendance`` is ``None`` when the session has no attendance records at
    all: then the session's status is all there is (a no-show session makes
    everyone a ``no_show``; any other says nothing, ``None``). So is an
    attendance still :data:`~sessionkit.model.attendance.PENDING` (the
    participant may still come).
    """
    check_flag(no_show_session, "no_show_session")
    if attendance is not None and not isinstance(attendance, Attendance):
        raise WrongType(attendance, name="attendance", expected="an Attendance or None")
    if attendance is None or attendance.effective_status == PENDING:
        return NO_SHOW if no_show_session else None
    return ATTENDED if attendance.attended_effectively else NO_SHOW


def _check_outcome(outcome: object) -> None:
    if outcome is not None and outcome not in (ATTENDED, NO_SHOW):
        raise InvalidValue(
            f"an outcome is {ATTENDED!r}, {NO_SHOW!r} or None, got {shown(outcome)}",
            value=outcome,
            expected=f"{ATTENDED} | {NO_SHOW} | None",
        )


@attrs.frozen(kw_only=True)
class NoShowRefund:
    """What a paid booking gets back for its outcome: ``refund`` by ``rule``.

    ``rule`` is ``"no_show"`` (``no_show_percent`` less ``no_show_fee``) or
    ``"host_no_show"`` (``host_no_show_percent``).
    """

    rule: str
    refund: Money


def refund_for(
    policy: RefundPolicy, outcome: Outcome | None, *, no_show_session: bool, paid: Money
) -> NoShowRefund | None:
    """Return what ``policy`` gives back of ``paid`` for ``outcome``; ``None``: nothing to decide.

    ``None`` for a participant who attended a held session, and for an
    unknown outcome (no attendance records, a held session).
    """
    if not isinstance(policy, RefundPolicy):
        raise WrongType(policy, name="policy", expected="a RefundPolicy")
    _check_outcome(outcome)
    check_flag(no_show_session, "no_show_session")
    check_money(paid, "paid")
    if outcome == NO_SHOW:
        return NoShowRefund(rule=NO_SHOW, refund=policy.no_show_refund(paid))
    if outcome == ATTENDED and no_show_session:
        return NoShowRefund(rule=HOST_NO_SHOW, refund=policy.host_no_show_refund(paid))
    return None


def uses_credit(policy: RefundPolicy, outcome: Outcome | None, *, no_show_session: bool) -> bool:
    """Return whether a participant with ``outcome`` uses a credit in a status that counts usage.

    ``False`` only for one who attended a no-show session (the host never
    came), unless ``policy.host_no_show_uses_credit``; a no-show, one who
    attended a held session, and an unknown outcome use one.
    """
    if not isinstance(policy, RefundPolicy):
        raise WrongType(policy, name="policy", expected="a RefundPolicy")
    _check_outcome(outcome)
    check_flag(no_show_session, "no_show_session")
    host_no_show = outcome == ATTENDED and no_show_session
    return not host_no_show or policy.host_no_show_uses_credit


@attrs.frozen(kw_only=True)
class AttendanceOutcome:
    """One participant of a session: attended or no-show, and the consequence decided for it.

    ``participant`` is a booked participant (``booking_id``) or one of the
    session's resources of an attending kind (``booking_id`` ``None``: the
    teacher, the coach). ``attendance`` is their effective attendance status
    (``None``: the session has no attendance records). ``outcome`` is
    ``"attended"``, ``"no_show"`` or ``None`` (nothing says; see
    :func:`outcome_of`).

    ``rule``, ``refund`` and ``decided_at`` are what was decided for the
    booking's payment when the session entered the status that called for
    it, once: the rule (``"no_show"`` / ``"host_no_show"``) and the refund
    (zero when the policy keeps everything). Before that, or with no paid
    payment, they are ``None`` and ``outcome`` is what attendance says so far.
    """

    participant: ResourceRef
    booking_id: str | None
    attendance: str | None
    outcome: Outcome | None
    payment_id: str | None = None
    rule: str | None = None
    refund: Money | None = None
    decided_at: datetime | None = None

    @property
    def decided(self) -> bool:
        """Whether the booking's no-show consequence was decided (and recorded on its payment)."""
        return self.decided_at is not None
