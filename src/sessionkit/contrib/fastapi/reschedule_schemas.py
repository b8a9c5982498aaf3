"""Pydantic v2 schemas of reschedule requests and of "what may this role do now"."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sessionkit.contrib.fastapi.payment_schemas import MoneyOut, money_out
from sessionkit.contrib.fastapi.schema_types import IsoInstant, Role, _In, _Out
from sessionkit.model.reschedule import MAX_REASON_LENGTH, RescheduleRequest
from sessionkit.policies import Refusal
from sessionkit.services.reschedules import SessionOptions

__all__ = [
    "CancelTierOut",
    "RefusalOut",
    "RescheduleAnswer",
    "RescheduleApprove",
    "RescheduleCreate",
    "RescheduleOut",
    "SessionOptionsOut",
    "options_out",
    "refusal_out",
    "reschedule_out",
]


class RescheduleAnswer(_In):
    """The role answering (declining, withdrawing) a reschedule request."""

    role: Role = Field(
        examples=["teacher"], description="The role the caller acts in; the policy judges it."
    )


class RescheduleCreate(RescheduleAnswer):
    """A request to move a session: why, and the new start asked for (or none)."""

    reason: str = Field(max_length=MAX_REASON_LENGTH, examples=["I have an exam that morning"])
    proposed_start: IsoInstant | None = Field(
        default=None, description="The new start (the duration is kept); none leaves it open."
    )


class RescheduleApprove(RescheduleAnswer):
    """The role approving, and the new start (default: the one proposed)."""

    start: IsoInstant | None = None


class RescheduleOut(_Out):
    """A reschedule request and where it stands (PENDING until answered or its deadline)."""

    id: str
    session_id: str
    status: str
    role: str
    requested_by: str
    reason: str
    session_start: datetime = Field(description="The start the request was made against.")
    proposed_start: datetime | None
    deadline: datetime = Field(description="When silence answers it.")
    decided_by: str | None
    decided_role: str | None
    new_start: datetime | None = Field(description="Where the session went, once moved.")
    version: int
    created_at: datetime
    updated_at: datetime | None


def reschedule_out(request: RescheduleRequest) -> RescheduleOut:
    """Return the response schema of ``request``."""
    return RescheduleOut.of(request)


class RefusalOut(_Out):
    """Why a rule says no: its name, the reason, and when it allows again (``null``: never)."""

    rule: str
    reason: str
    allows_at: datetime | None


def refusal_out(refusal: Refusal | None) -> RefusalOut | None:
    """Return the response schema of a refusal (``None`` for none)."""
    if refusal is None:
        return None
    return RefusalOut.of(refusal)


class CancelTierOut(BaseModel):
    """Cancelling until ``until`` refunds ``percent`` of what was paid, less ``fee``.

    ``fee`` is ``null`` when the tier keeps none, and also when the fee it keeps
    is not known: then ``fee_unknown`` says why (else it is ``null``).
    """

    percent: str = Field(examples=["100"])
    until: datetime
    fee: MoneyOut | None
    fee_unknown: str | None = Field(
        description="Null when fee is known; else why not: the tier keeps a fee but the "
        "kit's pricing raised for the session (its error's type and message), so fee is "
        "null though a cancel does keep one.",
    )


class SessionOptionsOut(BaseModel):
    """What a role may do with a session now (``at``), by the kit's policies.

    ``reschedule`` is ``null`` when a request would be accepted (until
    ``reschedule_until``; ``null``: no limit but the start), else the refusal
    a request would get. ``cancel`` likewise for cancelling;
    ``refund_percent`` is what cancelling now refunds, and ``cancel_tiers``
    the refunds still to come, most first.
    """

    at: datetime
    reschedule: RefusalOut | None
    reschedule_until: datetime | None
    pending: RescheduleOut | None
    cancel: RefusalOut | None
    refund_percent: str
    cancel_tiers: list[CancelTierOut]


def options_out(options: SessionOptions) -> SessionOptionsOut:
    """Return the response schema of a session's options."""
    return SessionOptionsOut(
        at=options.at,
        reschedule=refusal_out(options.reschedule),
        reschedule_until=options.reschedule_until,
        pending=None if options.pending is None else reschedule_out(options.pending),
        cancel=refusal_out(options.cancel),
        refund_percent=str(options.refund_percent),
        cancel_tiers=[
            CancelTierOut(
                percent=str(tier.percent),
                until=tier.until,
                fee=None if tier.fee is None else money_out(tier.fee),
                fee_unknown=tier.fee_unknown,
            )
            for tier in options.cancel_tiers
        ],
    )
