"""Subscriptions, the usage ledger, counters and session codes (issue 14, the academy seed).

A :class:`Subscription` gives a subscriber (``student:ana``) ``credits``
sessions per calendar month in the subscription's zone (``per="month"``) or
in all (``per="total"``), inside a validity window ``[starts, ends)``.
A :class:`UsageEntry` is one credit consumed: one entry per (subscription,
session, participant), held unique by every store, so a session is counted
once however many workers complete it and however often a command or event
is replayed. Reversing an entry (an admin corrects COMPLETED to CANCELLED)
stamps ``reversed_at``; consuming it again clears it. A makeup session is
charged as the cancelled session it replaces (:func:`charged_session`), so the
pair never consumes more than one credit.

:class:`Subscription` and its periods (:func:`check_period`) live in
``_usage_subscriptions``, the session codes (:class:`SessionCodes`,
:class:`SessionCode`, :func:`code_counter`) in ``_usage_codes``; this module
exports them all under its own name and keeps the ledger itself: the
:class:`UsageEntry`, the :class:`Counter`, the makeup fields, the event and
the :class:`Balance`.

>>> from datetime import UTC, datetime
>>> plan = Subscription(id="sub1", tenant="academy", subscriber="student:ana", credits=8,
...     per="month", tz="Asia/Riyadh", starts=datetime(2026, 3, 1, tzinfo=UTC),
...     created_at=datetime(2026, 3, 1, tzinfo=UTC))
>>> plan.period_of(datetime(2026, 3, 31, 22, tzinfo=UTC))  # already April in Riyadh
'2026-04'
>>> plan.period_end("2026-04")
datetime.datetime(2026, 4, 30, 21, 0, tzinfo=datetime.timezone.utc)
>>> SessionCodes(prefix="QSE").render(tenant="1", n=1)
'QSE-1-000001'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Final, Literal

import attrs

from sessionkit.errors import WrongType
from sessionkit.model._usage_codes import CODE_FIELD, SessionCode, SessionCodes, code_counter
from sessionkit.model._usage_subscriptions import (
    MAX_CREDITS,
    MAX_SUBSCRIPTION_ID_LENGTH,
    TOTAL,
    Per,
    Subscription,
    _instant,
    _optional,
    check_period,
)
from sessionkit.model.booking import participant_ref
from sessionkit.model.events import DomainEvent
from sessionkit.model.html import html_of
from sessionkit.model.records import USAGE, Schema
from sessionkit.model.session import MAX_NAME_LENGTH, ResourceRef, check_identity, check_lengths
from sessionkit.model.text import check_id

__all__ = [
    "Balance",
    "CODE_FIELD",
    "MADE_UP_BY_FIELD",
    "MAKEUP_FIELD",
    "MAX_CREDITS",
    "MAX_REASON_LENGTH",
    "MAX_SUBSCRIPTION_ID_LENGTH",
    "TOTAL",
    "Counter",
    "Per",
    "SessionCode",
    "SessionCodes",
    "Subscription",
    "UsageEntry",
    "UsageRecorded",
    "charged_session",
    "check_period",
    "code_counter",
    "entry_id",
    "usage_counter",
]

MAX_REASON_LENGTH: Final = 2000
"""The longest reason a ledger entry keeps for its reversal."""

MAKEUP_FIELD: Final = "makeup_of"
"""The session's own field naming the cancelled session a makeup session replaces."""

MADE_UP_BY_FIELD: Final = "made_up_by"
"""The cancelled session's own field naming the session last marked as its makeup.

Written by ``mark_makeup`` and not cleared: whether that session still is the
makeup is its own ``makeup_of`` (and its status: a cancelled one is not)."""


@attrs.frozen(slots=True, kw_only=True)
class UsageEntry:
    """One credit of ``subscription_id`` consumed by ``participant`` for ``session_id``.

    ``session_id`` is the session charged (for a makeup session, the
    cancelled one it replaces), ``used_by`` the session that was held.
    ``period`` is where the credit counts (``"2026-03"`` or ``"total"``).
    ``reversed_at`` is set while the credit is returned (an admin
    correction), and cleared when it is consumed again: the entry is never
    duplicated, it changes state.
    """

    id: str
    tenant: str
    subscription_id: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    period: str
    used_by: str
    consumed_at: datetime = attrs.field(converter=_instant)
    reversed_at: datetime | None = attrs.field(default=None, converter=_optional)
    reason: str | None = None
    version: int = 1

    __record_schema__: ClassVar[Schema] = USAGE
    _repr_html_ = html_of

    def __attrs_post_init__(self) -> None:
        check_identity(self, "subscription_id", "session_id", "used_by")
        check_lengths(self, period=MAX_NAME_LENGTH, reason=MAX_REASON_LENGTH)

    @property
    def active(self) -> bool:
        """Whether the credit is consumed now (not reversed)."""
        return self.reversed_at is None


@attrs.frozen(slots=True, kw_only=True)
class Counter:
    """A named per-tenant counter, moved only by an atomic ``bump`` (never read-modify-write)."""

    id: str
    tenant: str
    value: int = 0
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self)


def usage_counter(subscription_id: str, period: str) -> str:
    """Return the name of the counter of credits ``subscription_id`` used in ``period``."""
    return f"usage:{check_id(period, 'period')}:{check_id(subscription_id, 'subscription_id')}"


def charged_session(session_id: str, metadata: Mapping[str, Any]) -> str:
    """Return the session a session's credit is charged to: the one a makeup replaces, or itself."""
    if not isinstance(metadata, Mapping):
        raise WrongType(metadata, name="metadata", expected="a session's metadata (a mapping)")
    replaced = metadata.get(MAKEUP_FIELD)
    return replaced if isinstance(replaced, str) and replaced else session_id


@attrs.frozen(slots=True, kw_only=True)
class UsageRecorded(DomainEvent):
    """A credit was consumed (``change="consumed"``) or returned (``"reversed"``); once each."""

    entry: UsageEntry
    change: Literal["consumed", "reversed"]


def entry_id(subscription_id: str, session_id: str, participant: ResourceRef) -> str:
    """Return the id of the ledger entry of a (subscription, charged session, participant).

    Derived, not drawn: a replayed command computes the same id, so the id is
    a second guard beside the unique key ``charge``.
    """
    key = "\x1f".join(
        (
            check_id(subscription_id, "subscription_id"),
            check_id(session_id, "session_id"),
            str(participant_ref(participant)),
        )
    )
    return "u" + hashlib.sha256(key.encode()).hexdigest()[:32]


@attrs.frozen(slots=True, kw_only=True)
class Balance:
    """What a subscription has left in one period.

    ``used`` counts the period's active entries (returned credits do not
    count); ``remaining`` is ``credits - used`` (below zero with
    ``on_limit="allow"``, or when the clock ended sessions past the credits: the
    overage to bill); ``resets_at`` is when the next period's credits
    start, ``None`` for ``per="total"`` or when the subscription ends first.
    Outside the subscription's validity (a month wholly before it starts or
    from its end on; for ``per="total"``, an instant before it starts or from
    its end on: see :meth:`Subscription.in_force_at`) ``credits`` and
    ``remaining`` are 0, while ``used`` still counts the period's entries (a
    ``per="total"`` subscription's, of its whole life); before it starts,
    ``resets_at`` is its :attr:`Subscription.starts`.
    """

    subscription_id: str
    subscriber: ResourceRef
    period: str
    credits: int
    used: int
    remaining: int
    resets_at: datetime | None


# Show (and pickle) what moved to the private modules under this public path, as before.
_moved: object
for _moved in (Subscription, check_period, SessionCode, SessionCodes, code_counter):
    _moved.__module__ = __name__
del _moved
