"""The usage tables and their row mappings: subscriptions, the ledger, counters, session codes.

- ``sessionkit_subscriptions``: one row per subscription, keyed by (tenant,
  id), indexed by subscriber.
- ``sessionkit_usage``: one row per (subscription, session, participant),
  held by the unique constraint ``uq_sessionkit_usage_charge``: that
  constraint, not a flag on the session, is what counts a session once
  however the writers race. A foreign key to the subscription (no cascade);
  indexes for a session's entries (charged or used) and, through the unique
  constraint's prefix, a subscription's.
- ``sessionkit_counters``: (tenant, name) -> value, moved only by
  ``UPDATE ... SET value = value + :by`` (:mod:`._usage`).
- ``sessionkit_session_codes``: (tenant, session id) -> code, the code unique
  per tenant (``uq_sessionkit_session_codes_tenant_code``). No foreign key to
  the session: a deleted session's code stays taken, so it is never reused.

Participants are stored as ``"kind:id"`` text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sessionkit.adapters.sqlalchemy._types import UTCDateTime, key_type
from sessionkit.adapters.sqlalchemy.rows import Base
from sessionkit.model.session import MAX_NAME_LENGTH, MAX_REF_LENGTH
from sessionkit.model.usage import Counter, SessionCode, Subscription, UsageEntry

__all__ = [
    "CHARGE_CONSTRAINT",
    "CODE_CONSTRAINT",
    "code_from_row",
    "code_values",
    "codes_table",
    "counter_from_row",
    "counter_values",
    "counters_table",
    "entry_from_row",
    "entry_values",
    "subscription_from_row",
    "subscription_values",
    "subscriptions_table",
    "usage_table",
]

CHARGE_CONSTRAINT = "uq_sessionkit_usage_charge"
"""The unique constraint behind the usage key ``charge``: (tenant, subscription, session, participant)."""  # noqa: E501
CODE_CONSTRAINT = "uq_sessionkit_session_codes_tenant_code"
"""The unique constraint behind the session-code key ``code``: (tenant, code)."""

_REF = key_type(MAX_REF_LENGTH)
_LABEL = String(MAX_NAME_LENGTH)


class SubscriptionRow(Base):
    """One subscription: credits per month or in total for a subscriber, in a window."""

    __tablename__ = "sessionkit_subscriptions"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    subscriber: Mapped[str] = mapped_column(_REF)
    credits: Mapped[int] = mapped_column(Integer)
    per: Mapped[str] = mapped_column(String(16))
    tz: Mapped[str] = mapped_column(_LABEL)
    starts: Mapped[datetime] = mapped_column(UTCDateTime())
    ends: Mapped[datetime | None] = mapped_column(UTCDateTime())
    on_limit: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(MAX_REF_LENGTH))
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index(None, "tenant", "subscriber", "starts", "id"),)


class UsageRow(Base):
    """One consumed (or returned) credit: a subscription's, for a session and a participant."""

    __tablename__ = "sessionkit_usage"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(key_type())
    session_id: Mapped[str] = mapped_column(key_type())
    participant: Mapped[str] = mapped_column(_REF)
    period: Mapped[str] = mapped_column(_LABEL)
    used_by: Mapped[str] = mapped_column(key_type())
    consumed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # Counted once: one entry per (subscription, session, participant), whoever races.
        UniqueConstraint(
            "tenant", "subscription_id", "session_id", "participant", name=CHARGE_CONSTRAINT
        ),
        ForeignKeyConstraint(
            ["tenant", "subscription_id"],
            ["sessionkit_subscriptions.tenant", "sessionkit_subscriptions.id"],
        ),
        Index(None, "tenant", "session_id"),
        Index(None, "tenant", "used_by"),
    )


class CounterRow(Base):
    """A named per-tenant counter (session numbers, credits used in a period)."""

    __tablename__ = "sessionkit_counters"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)


class SessionCodeRow(Base):
    """A session's code, unique per tenant."""

    __tablename__ = "sessionkit_session_codes"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    code: Mapped[str] = mapped_column(key_type())
    counter: Mapped[str] = mapped_column(_LABEL)
    number: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("tenant", "code", name=CODE_CONSTRAINT),)


subscriptions_table = cast("Table", SubscriptionRow.__table__)
"""``sessionkit_subscriptions`` as a Core table."""
usage_table = cast("Table", UsageRow.__table__)
"""``sessionkit_usage`` as a Core table."""
counters_table = cast("Table", CounterRow.__table__)
"""``sessionkit_counters`` as a Core table."""
codes_table = cast("Table", SessionCodeRow.__table__)
"""``sessionkit_session_codes`` as a Core table."""


def subscription_values(record: Subscription) -> dict[str, Any]:
    """Return the ``sessionkit_subscriptions`` row of ``record``."""
    return {
        "tenant": record.tenant,
        "id": record.id,
        "subscriber": str(record.subscriber),
        "credits": record.credits,
        "per": record.per,
        "tz": record.tz,
        "starts": record.starts,
        "ends": record.ends,
        "on_limit": record.on_limit,
        "created_at": record.created_at,
        "created_by": record.created_by,
        "version": record.version,
    }


def subscription_from_row(row: Mapping[Any, Any]) -> Subscription:
    """Build a :class:`~sessionkit.model.usage.Subscription` from its row."""
    return Subscription(
        id=row["id"],
        tenant=row["tenant"],
        subscriber=row["subscriber"],
        credits=row["credits"],
        per=row["per"],
        tz=row["tz"],
        starts=row["starts"],
        ends=row["ends"],
        on_limit=row["on_limit"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        version=row["version"],
    )


def entry_values(record: UsageEntry) -> dict[str, Any]:
    """Return the ``sessionkit_usage`` row of ``record``."""
    return {
        "tenant": record.tenant,
        "id": record.id,
        "subscription_id": record.subscription_id,
        "session_id": record.session_id,
        "participant": str(record.participant),
        "period": record.period,
        "used_by": record.used_by,
        "consumed_at": record.consumed_at,
        "reversed_at": record.reversed_at,
        "reason": record.reason,
        "version": record.version,
    }


def entry_from_row(row: Mapping[Any, Any]) -> UsageEntry:
    """Build a :class:`~sessionkit.model.usage.UsageEntry` from its row."""
    return UsageEntry(
        id=row["id"],
        tenant=row["tenant"],
        subscription_id=row["subscription_id"],
        session_id=row["session_id"],
        participant=row["participant"],
        period=row["period"],
        used_by=row["used_by"],
        consumed_at=row["consumed_at"],
        reversed_at=row["reversed_at"],
        reason=row["reason"],
        version=row["version"],
    )


def counter_values(record: Counter) -> dict[str, Any]:
    """Return the ``sessionkit_counters`` row of ``record``."""
    return {
        "tenant": record.tenant,
        "id": record.id,
        "value": record.value,
        "version": record.version,
    }


def counter_from_row(row: Mapping[Any, Any]) -> Counter:
    """Build a :class:`~sessionkit.model.usage.Counter` from its row."""
    return Counter(id=row["id"], tenant=row["tenant"], value=row["value"], version=row["version"])


def code_values(record: SessionCode) -> dict[str, Any]:
    """Return the ``sessionkit_session_codes`` row of ``record``."""
    return {
        "tenant": record.tenant,
        "id": record.id,
        "code": record.code,
        "counter": record.counter,
        "number": record.number,
        "version": record.version,
    }


def code_from_row(row: Mapping[Any, Any]) -> SessionCode:
    """Build a :class:`~sessionkit.model.usage.SessionCode` from its row."""
    return SessionCode(
        id=row["id"],
        tenant=row["tenant"],
        code=row["code"],
        counter=row["counter"],
        number=row["number"],
        version=row["version"],
    )
