"""The tables: typed row classes that belong to the adapter, not to the domain.

The domain's frozen attrs classes are never mapped; :mod:`.mapping` converts
between them and these rows explicitly. Every table is keyed by ``tenant``
first, so two tenants may use the same ids. Table names carry a
``sessionkit_`` prefix so the schema can live in a host application's database
beside its own tables; :data:`metadata` is what a host adds to its Alembic
``target_metadata``.

``sessionkit_session_resources`` holds one row per (session, resource) with a
copy of the session's span and ``busy`` flag, so "who is busy on these
resources at that time" is one indexed query. On PostgreSQL an exclusion
constraint on it (see :func:`.schema.create_schema`) makes two overlapping busy
rows for one resource impossible, whoever writes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from sessionkit.adapters.sqlalchemy._types import (
    ExactText,
    JSONValue,
    LocalDateTime,
    UTCDateTime,
    key_type,
)

__all__ = [
    "EXCLUSION_CONSTRAINT",
    "LONG_SPAN",
    "OCCURRENCE_CONSTRAINT",
    "SERIES_START_CONSTRAINT",
    "Base",
    "ScheduleItemRow",
    "SeriesRow",
    "SessionResourceRow",
    "SessionRow",
    "metadata",
    "schedule_items_table",
    "series_table",
    "session_resources_table",
    "sessions_table",
]

LONG_SPAN = timedelta(days=1)
"""Resource rows spanning longer than this have ``long_span`` set (see :class:`SessionResourceRow`).

A row of at most this length that overlaps ``[start, end)`` starts after
``start - LONG_SPAN``, so the conflict check reads those by an index range on
their start; the longer ones, by their end. Marking a shorter row as long is
harmless (it is found by its end instead); a longer row left unmarked would be
missed, so writers that bypass sessionkit must set the flag.
"""

EXCLUSION_CONSTRAINT = "sessionkit_no_double_booking"
"""The name of PostgreSQL's exclusion constraint on busy resource rows."""

OCCURRENCE_CONSTRAINT = "uq_sessionkit_sessions_tenant_series_id_occurrence_key"
"""The unique constraint behind the session key ``occurrence``.

On (tenant, series_id, occurrence_key).
"""

SERIES_START_CONSTRAINT = "uq_sessionkit_sessions_tenant_series_id_start_at"
"""The unique index behind the session key ``series_start``: (tenant, series_id, start_at)."""

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_NAME = String(255)
_LABEL = String(64)


def _exact_value(length: int) -> TypeEngine[str]:
    """Return a ``VARCHAR(length)`` for a value compared whole: a status, a lifecycle's name.

    Filters compare these as Python does (``"Completed"`` is not ``"COMPLETED"``,
    nor lifecycle ``"Consulting"`` ``"consulting"``). A plain ``String`` takes the
    database's default collation, which on MySQL/MariaDB folds case when the
    database was made without one (``CHARACTER SET utf8mb4``): there it is the key
    columns' exact collation (:func:`~._types.exact_collation`, migration
    ``0015_exact_statuses``). PostgreSQL's default collation is deterministic (text
    is equal only when its bytes are) and SQLite's ``BINARY`` exact: there the
    column stays plain, as it always was.
    """
    return String(length).with_variant(key_type(length), "mysql", "mariadb")


_EXACT_LABEL = _exact_value(64)
_EXACT_STATUS = _exact_value(16)


class Base(DeclarativeBase):
    """The declarative base of sessionkit's tables (its own :class:`~sqlalchemy.MetaData`)."""

    metadata = MetaData(naming_convention=NAMING)


metadata = Base.metadata
"""Every sessionkit table; hand it to Alembic as (part of) ``target_metadata``."""


class SeriesRow(Base):
    """One series; its schedule items live in :class:`ScheduleItemRow`."""

    __tablename__ = "sessionkit_series"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    title: Mapped[str] = mapped_column(_NAME)
    lifecycle: Mapped[str] = mapped_column(_EXACT_LABEL)
    status: Mapped[str] = mapped_column(_EXACT_STATUS)
    window_months: Mapped[int] = mapped_column(Integer)
    window_buffer_us: Mapped[int] = mapped_column(BigInteger)
    capacity: Mapped[int] = mapped_column(Integer)
    generated_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(_NAME)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(_NAME)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONValue)
    group_key: Mapped[str | None] = mapped_column(key_type())
    """The series' group (``Series.group``); ``group`` itself is an SQL keyword."""

    __table_args__ = (
        Index(None, "status", "tenant", "id"),
        Index(None, "tenant", "group_key"),
    )


class ScheduleItemRow(Base):
    """One schedule item of a series: its recurrence as iCalendar lines and its resources."""

    __tablename__ = "sessionkit_schedule_items"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    series_id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(_NAME)
    recurrence: Mapped[str] = mapped_column(Text)
    disambiguate: Mapped[str] = mapped_column(String(16))
    resources: Mapped[list[str]] = mapped_column(JSONValue)

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant", "series_id"],
            ["sessionkit_series.tenant", "sessionkit_series.id"],
            ondelete="CASCADE",
        ),
    )


class SessionRow(Base):
    """One session; ``resources`` is the domain's list, indexed by :class:`SessionResourceRow`."""

    __tablename__ = "sessionkit_sessions"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    series_id: Mapped[str | None] = mapped_column(key_type())
    schedule_item_id: Mapped[str | None] = mapped_column(key_type())
    occurrence_key: Mapped[datetime | None] = mapped_column(LocalDateTime())
    title: Mapped[str] = mapped_column(_NAME)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tz: Mapped[str] = mapped_column(_LABEL)
    status: Mapped[str] = mapped_column(_EXACT_LABEL)
    lifecycle: Mapped[str] = mapped_column(_EXACT_LABEL)
    busy: Mapped[bool] = mapped_column(Boolean)
    capacity: Mapped[int] = mapped_column(Integer)
    is_extra: Mapped[bool] = mapped_column(Boolean)
    detached: Mapped[bool] = mapped_column(Boolean)
    resources: Mapped[list[str]] = mapped_column(JSONValue)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(_NAME)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(_NAME)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONValue)
    group_key: Mapped[str | None] = mapped_column(key_type())
    """The session's group (``Session.group``), copied from its series."""
    title_folded: Mapped[str | None] = mapped_column(ExactText)
    """``title.casefold()``, written with the title: what title search compares with.

    Folded in Python, so every database finds what the in-memory store finds
    (their ``lower()`` functions fold "İ", "Σ" and "ẞ" differently); compared
    exactly (:func:`~._types.exact_collation`), so no collation folds more.
    NULL only in rows written around sessionkit, which search never finds.
    """

    __table_args__ = (
        # One session per occurrence of a series; NULL keys (extras) never collide.
        UniqueConstraint("tenant", "series_id", "occurrence_key", name=OCCURRENCE_CONSTRAINT),
        # One session per start of a series (two racing create_extra calls); sessions
        # without a series never collide. A unique index, not a constraint, so that
        # migration 0004 adds it on SQLite without rebuilding the table.
        Index(SERIES_START_CONSTRAINT, "tenant", "series_id", "start_at", unique=True),
        ForeignKeyConstraint(
            ["tenant", "series_id"], ["sessionkit_series.tenant", "sessionkit_series.id"]
        ),
        # The query filters and sorts: each leads with the tenant, ends with the id tiebreaker.
        Index(None, "tenant", "start_at", "id"),
        Index(None, "tenant", "end_at", "id"),
        Index(None, "tenant", "created_at", "id"),
        Index(None, "tenant", "status", "start_at"),
        # A series' sessions in order (for_series), without a sort: with the id in the
        # index no planner prefers walking every session of the tenant by start.
        Index(None, "tenant", "series_id", "start_at", "id"),
        # A group's sessions in order (SessionQuery(group=...)).
        Index(None, "tenant", "group_key", "start_at", "id"),
    )


class SessionResourceRow(Base):
    """One resource a session occupies, with the session's span and ``busy`` copied in."""

    __tablename__ = "sessionkit_session_resources"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    session_id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    resource: Mapped[str] = mapped_column(key_type(255), primary_key=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    busy: Mapped[bool] = mapped_column(Boolean)
    long_span: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Whether the span is longer than :data:`LONG_SPAN` (such rows are found by their end)."""

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant", "session_id"],
            ["sessionkit_sessions.tenant", "sessionkit_sessions.id"],
            ondelete="CASCADE",
        ),
        # The conflict check for [start, end), bounded on both sides whatever the history:
        # rows of at most LONG_SPAN start in (start - LONG_SPAN, end), one range of the
        # first index; the rare longer rows are the long_span ones ending after start.
        # (Named by hand: the conventional names pass PostgreSQL's 63 characters.)
        Index(
            "ix_sessionkit_session_resources_by_start",
            "tenant",
            "resource",
            "long_span",
            "start_at",
        ),
        Index(
            "ix_sessionkit_session_resources_by_end", "tenant", "resource", "long_span", "end_at"
        ),
    )


# The Core tables, typed as Table (``__table__`` is declared as the wider FromClause).
series_table = cast("Table", SeriesRow.__table__)
"""``sessionkit_series`` as a Core table."""
schedule_items_table = cast("Table", ScheduleItemRow.__table__)
"""``sessionkit_schedule_items`` as a Core table."""
sessions_table = cast("Table", SessionRow.__table__)
"""``sessionkit_sessions`` as a Core table."""
session_resources_table = cast("Table", SessionResourceRow.__table__)
"""``sessionkit_session_resources`` as a Core table."""
