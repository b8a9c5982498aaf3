"""Initial schema: series, schedule items, sessions and their resource rows.

Revision ID: 0001_initial
Revises:
Create Date: 2026-03-02

The tables are spelled out here rather than read from ``rows.py``, so later
changes to the row classes never rewrite history; a test checks that this
revision and ``create_schema`` produce the same schema.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import (
    JSONValue,
    LocalDateTime,
    UTCDateTime,
    pad_space_key_type,
)
from sessionkit.adapters.sqlalchemy.schema import install_exclusion_constraint

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _audit() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("updated_by", sa.String(255), nullable=True),
        sa.Column("metadata", JSONValue, nullable=False),
    ]


def upgrade() -> None:
    """Create the four tables, their indexes and (PostgreSQL) the exclusion constraint."""
    op.create_table(
        "sessionkit_series",
        sa.Column("tenant", pad_space_key_type(), nullable=False),
        sa.Column("id", pad_space_key_type(), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("lifecycle", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("window_months", sa.Integer(), nullable=False),
        sa.Column("window_buffer_us", sa.BigInteger(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("generated_until", UTCDateTime(), nullable=True),
        *_audit(),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_series"),
    )
    op.create_index(
        "ix_sessionkit_series_status_tenant_id", "sessionkit_series", ["status", "tenant", "id"]
    )
    op.create_table(
        "sessionkit_schedule_items",
        sa.Column("tenant", pad_space_key_type(), nullable=False),
        sa.Column("series_id", pad_space_key_type(), nullable=False),
        sa.Column("id", pad_space_key_type(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(255), nullable=True),
        sa.Column("recurrence", sa.Text(), nullable=False),
        sa.Column("disambiguate", sa.String(16), nullable=False),
        sa.Column("resources", JSONValue, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "series_id"],
            ["sessionkit_series.tenant", "sessionkit_series.id"],
            name="fk_sessionkit_schedule_items_sessionkit_series",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "series_id", "id", name="pk_sessionkit_schedule_items"),
    )
    op.create_table(
        "sessionkit_sessions",
        sa.Column("tenant", pad_space_key_type(), nullable=False),
        sa.Column("id", pad_space_key_type(), nullable=False),
        sa.Column("series_id", pad_space_key_type(), nullable=True),
        sa.Column("schedule_item_id", pad_space_key_type(), nullable=True),
        sa.Column("occurrence_key", LocalDateTime(), nullable=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("lifecycle", sa.String(64), nullable=False),
        sa.Column("busy", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("is_extra", sa.Boolean(), nullable=False),
        sa.Column("detached", sa.Boolean(), nullable=False),
        sa.Column("resources", JSONValue, nullable=False),
        *_audit(),
        sa.ForeignKeyConstraint(
            ["tenant", "series_id"],
            ["sessionkit_series.tenant", "sessionkit_series.id"],
            name="fk_sessionkit_sessions_sessionkit_series",
        ),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_sessions"),
        sa.UniqueConstraint(
            "tenant",
            "series_id",
            "occurrence_key",
            name="uq_sessionkit_sessions_tenant_series_id_occurrence_key",
        ),
    )
    for columns in (
        ["tenant", "start_at", "id"],
        ["tenant", "end_at", "id"],
        ["tenant", "created_at", "id"],
        ["tenant", "status", "start_at"],
        ["tenant", "series_id", "start_at"],
    ):
        op.create_index(
            "ix_sessionkit_sessions_" + "_".join(columns), "sessionkit_sessions", columns
        )
    op.create_table(
        "sessionkit_session_resources",
        sa.Column("tenant", pad_space_key_type(), nullable=False),
        sa.Column("session_id", pad_space_key_type(), nullable=False),
        sa.Column("resource", pad_space_key_type(255), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("busy", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "session_id"],
            ["sessionkit_sessions.tenant", "sessionkit_sessions.id"],
            name="fk_sessionkit_session_resources_sessionkit_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "session_id", "resource", name="pk_sessionkit_session_resources"
        ),
    )
    op.create_index(
        "ix_sessionkit_session_resources_tenant_resource_end_at_start_at",
        "sessionkit_session_resources",
        ["tenant", "resource", "end_at", "start_at"],
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        install_exclusion_constraint(bind)


def downgrade() -> None:
    """Drop every sessionkit table (and with them the data)."""
    op.drop_table("sessionkit_session_resources")
    op.drop_table("sessionkit_sessions")
    op.drop_table("sessionkit_schedule_items")
    op.drop_table("sessionkit_series")
