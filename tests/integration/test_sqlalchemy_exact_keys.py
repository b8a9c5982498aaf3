"""Key columns compare exactly in the database, and migration 0007 makes old MariaDB ones do so.

MariaDB's ``utf8mb4_bin`` is ``PAD SPACE``: before 0007, ``"acme "`` and
``"acme"`` were one tenant there. Every key column now has an exact collation
(``utf8mb4_nopad_bin`` on MariaDB, ``COLLATE "C"`` on PostgreSQL, ``BINARY`` on
SQLite); these tests read the columns' collations from the catalogue and store
look-alike keys side by side. The migration tests start from revision 0006 on
a throwaway MariaDB database. Server engines as in ``conftest.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, select, text

from sessionkit.adapters.sqlalchemy import create_schema, drop_schema, metadata, upgrade
from sessionkit.adapters.sqlalchemy._types import exact_collation, key_type
from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE, alembic_config
from sessionkit.adapters.sqlalchemy.rows import series_table
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database

MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")

_KEY_TYPE = type(key_type())
KEY_COLUMNS = sorted(
    (table.name, column.name)
    for table in metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, _KEY_TYPE) and getattr(column.type, "length", None) is not None
)
TABLES_AT_0007 = {
    "sessionkit_series",
    "sessionkit_schedule_items",
    "sessionkit_sessions",
    "sessionkit_session_resources",
    "sessionkit_bookings",
}
KEYS_BEFORE_PAYMENTS = [k for k in KEY_COLUMNS if k[0] in TABLES_AT_0007]
"""The key columns 0007 changes (the tables of later migrations are exact from the start)."""
LOOKALIKES = ["acme", "acme ", "acme  ", " acme", "ACME", "Acme", "acme\t", "acmé", "acme\u0301"]


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param != "sqlite":
        shared: Engine = request.getfixturevalue(f"race_{request.param}")
        clear_tables(shared)
        yield shared
        clear_tables(shared)
        return
    engine = create_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


def test_the_key_columns_are_the_expected_ones() -> None:
    """Every identity column is a key column (so the checks below cover them all)."""
    assert (
        sorted(
            [
                ("sessionkit_series", "tenant"),
                ("sessionkit_series", "id"),
                ("sessionkit_series", "group_key"),
                ("sessionkit_schedule_items", "tenant"),
                ("sessionkit_schedule_items", "series_id"),
                ("sessionkit_schedule_items", "id"),
                ("sessionkit_sessions", "tenant"),
                ("sessionkit_sessions", "id"),
                ("sessionkit_sessions", "series_id"),
                ("sessionkit_sessions", "schedule_item_id"),
                ("sessionkit_sessions", "group_key"),
                ("sessionkit_session_resources", "tenant"),
                ("sessionkit_session_resources", "session_id"),
                ("sessionkit_session_resources", "resource"),
                ("sessionkit_bookings", "tenant"),
                ("sessionkit_bookings", "id"),
                ("sessionkit_bookings", "session_id"),
                ("sessionkit_bookings", "participant_kind"),
                ("sessionkit_bookings", "participant_id"),
                ("sessionkit_bookings", "idempotency_key"),
                ("sessionkit_payments", "tenant"),
                ("sessionkit_payments", "id"),
                ("sessionkit_payments", "booking_id"),
                ("sessionkit_payments", "session_id"),
                ("sessionkit_payments", "participant_kind"),
                ("sessionkit_payments", "participant_id"),
                ("sessionkit_payments", "provider"),
                ("sessionkit_payments", "intent_ref"),
                ("sessionkit_payment_events", "tenant"),
                ("sessionkit_payment_events", "id"),
                ("sessionkit_payment_events", "payment_id"),
                ("sessionkit_reschedules", "tenant"),
                ("sessionkit_reschedules", "id"),
                ("sessionkit_reschedules", "session_id"),
                ("sessionkit_reschedules", "pending_session_id"),
                ("sessionkit_journal", "tenant"),
                ("sessionkit_journal", "id"),
                ("sessionkit_journal", "subject_id"),
                ("sessionkit_journal", "session_id"),
                ("sessionkit_subscriptions", "tenant"),
                ("sessionkit_subscriptions", "id"),
                ("sessionkit_subscriptions", "subscriber"),
                ("sessionkit_usage", "tenant"),
                ("sessionkit_usage", "id"),
                ("sessionkit_usage", "subscription_id"),
                ("sessionkit_usage", "session_id"),
                ("sessionkit_usage", "participant"),
                ("sessionkit_usage", "used_by"),
                ("sessionkit_counters", "tenant"),
                ("sessionkit_counters", "id"),
                ("sessionkit_session_codes", "tenant"),
                ("sessionkit_session_codes", "id"),
                ("sessionkit_session_codes", "code"),
                ("sessionkit_presence", "tenant"),
                ("sessionkit_presence", "id"),
                ("sessionkit_presence", "session_id"),
                ("sessionkit_attendance_overrides", "tenant"),
                ("sessionkit_attendance_overrides", "id"),
                ("sessionkit_attendance_overrides", "session_id"),
            ]
        )
        == KEY_COLUMNS
    )


def _collations(engine: Engine) -> dict[tuple[str, str], str | None]:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.execute(
                text(
                    "SELECT table_name, column_name, collation_name FROM "
                    "information_schema.columns WHERE table_schema = current_schema() "
                    "AND table_name LIKE 'sessionkit%'"
                )
            )
        else:
            rows = connection.execute(
                text(
                    "SELECT table_name, column_name, collation_name FROM "
                    "information_schema.columns WHERE table_schema = DATABASE() "
                    "AND table_name LIKE 'sessionkit%'"
                )
            )
        return {
            (table, column): collation
            for table, column, collation in rows
            if table != VERSION_TABLE
        }


def test_every_key_column_has_the_exact_collation(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no per-column collation here: BINARY, its default, is exact")
    collations = _collations(engine)
    expected = exact_collation(engine.dialect)
    assert {key: collations[key] for key in KEY_COLUMNS} == dict.fromkeys(KEY_COLUMNS, expected)


def test_lookalike_keys_are_different_rows(engine: Engine) -> None:
    """Look-alike tenants and ids are distinct primary keys, and equality finds one of each."""
    rows = [
        {
            "tenant": tenant,
            "id": series_id,
            "title": f"{tenant!r}/{series_id!r}",
            "lifecycle": "lms",
            "status": "OPEN",
            "window_months": 1,
            "window_buffer_us": 0,
            "capacity": 1,
            "version": 1,
            "created_at": datetime(2026, 3, 2, tzinfo=UTC),
            "metadata": {},
            "group_key": tenant,
        }
        for tenant in LOOKALIKES
        for series_id in LOOKALIKES
    ]
    with engine.begin() as connection:
        connection.execute(series_table.insert(), rows)
    with engine.connect() as connection:
        for tenant in LOOKALIKES:
            found = connection.execute(
                select(series_table.c.tenant, series_table.c.id).where(
                    series_table.c.tenant == tenant, series_table.c.id == "acme"
                )
            ).all()
            assert found == [(tenant, "acme")]
            grouped = connection.execute(
                select(series_table.c.id).where(series_table.c.group_key == tenant)
            ).scalars()
            assert sorted(grouped) == sorted(LOOKALIKES)


# ---------------------------------------------------------------------- migration 0007 (MariaDB)

needs_mysql = pytest.mark.skipif(
    not MYSQL_URL, reason="set SESSIONKIT_TEST_MYSQL_URL to test the MySQL/MariaDB migration"
)


@pytest.fixture
def blank_mysql() -> Iterator[Engine]:
    """A throwaway MySQL/MariaDB database without sessionkit's tables."""
    assert MYSQL_URL is not None
    with mysql_database(MYSQL_URL) as engine:
        drop_schema(engine)
        yield engine


_SERIES = text(
    "INSERT INTO sessionkit_series (tenant, id, title, lifecycle, status, window_months, "
    "window_buffer_us, capacity, version, created_at, metadata) VALUES "
    "(:tenant, :id, 'series', 'lms', 'OPEN', 1, 0, 1, 1, '2026-03-02 08:00:00', '{}')"
)
_SESSION = text(
    "INSERT INTO sessionkit_sessions (tenant, id, series_id, title, start_at, end_at, tz, "
    "status, lifecycle, busy, capacity, is_extra, detached, resources, version, created_at, "
    "metadata) VALUES (:tenant, :id, :series_id, 'session', '2026-03-04 09:00:00', "
    "'2026-03-04 10:00:00', 'UTC', 'SCHEDULED', 'lms', 1, 1, 0, 0, '[\"room:a\"]', 1, "
    "'2026-03-02 08:00:00', '{}')"
)
_RESOURCE = text(
    "INSERT INTO sessionkit_session_resources (tenant, session_id, resource, start_at, end_at, "
    "busy, long_span) VALUES (:tenant, :id, 'room:a', '2026-03-04 09:00:00', "
    "'2026-03-04 10:00:00', 1, 0)"
)
_FIND = text("SELECT tenant, id FROM sessionkit_sessions WHERE tenant = :tenant AND id = :id")


def _foreign_keys(engine: Engine) -> dict[str, Any]:
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    return {t: inspector.get_foreign_keys(t) for t in metadata.tables if t in present}


@needs_mysql
def test_mysql_migrations_produce_the_create_schema_schema(blank_mysql: Engine) -> None:
    assert MYSQL_URL is not None
    upgrade(blank_mysql)
    with mysql_database(MYSQL_URL) as created:
        with blank_mysql.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert [d for d in differences if d[1].name != VERSION_TABLE] == []
        assert _collations(blank_mysql) == _collations(created)
        left, right = inspect(blank_mysql), inspect(created)
        for table in metadata.tables:
            assert [
                (c["name"], repr(c["type"]), c["nullable"]) for c in left.get_columns(table)
            ] == [(c["name"], repr(c["type"]), c["nullable"]) for c in right.get_columns(table)]
            assert left.get_pk_constraint(table) == right.get_pk_constraint(table)
            assert left.get_indexes(table) == right.get_indexes(table)
            assert left.get_foreign_keys(table) == right.get_foreign_keys(table)
            assert left.get_unique_constraints(table) == right.get_unique_constraints(table)


@needs_mysql
def test_0007_parts_lookalike_tenants_of_an_existing_database(blank_mysql: Engine) -> None:
    upgrade(blank_mysql, "0006_bookings")
    with blank_mysql.begin() as connection:
        connection.execute(_SERIES, {"tenant": "acme", "id": "s1"})
        connection.execute(_SESSION, {"tenant": "acme", "id": "x", "series_id": "s1"})
        connection.execute(_RESOURCE, {"tenant": "acme", "id": "x"})
    with blank_mysql.connect() as connection:
        # The hole 0007 closes: under utf8mb4_bin "acme " is "acme".
        assert connection.execute(_FIND, {"tenant": "acme ", "id": "x"}).all() == [("acme", "x")]
    keys_before = _foreign_keys(blank_mysql)

    upgrade(blank_mysql)

    after = _foreign_keys(blank_mysql)
    assert {table: after[table] for table in keys_before} == keys_before
    collations = _collations(blank_mysql)
    assert {collations[key] for key in KEYS_BEFORE_PAYMENTS} == {"utf8mb4_nopad_bin"}
    with blank_mysql.begin() as connection:
        assert connection.execute(_FIND, {"tenant": "acme ", "id": "x"}).all() == []
        assert connection.execute(_FIND, {"tenant": "acme", "id": "x "}).all() == []
        # The look-alike tenant now has rows of its own, ids and room included.
        connection.execute(_SERIES, {"tenant": "acme ", "id": "s1"})
        connection.execute(_SESSION, {"tenant": "acme ", "id": "x", "series_id": "s1"})
        connection.execute(_RESOURCE, {"tenant": "acme ", "id": "x"})
        count = connection.execute(text("SELECT count(*) FROM sessionkit_sessions")).scalar()
        assert count == 2
        # The foreign keys are back, and exact: no parent "acme" for a child "acme  ".
        with pytest.raises(Exception, match="foreign key constraint fails"):
            connection.execute(_SESSION, {"tenant": "acme  ", "id": "y", "series_id": "s1"})


@needs_mysql
def test_0007_downgrades_and_upgrades_again(blank_mysql: Engine) -> None:
    upgrade(blank_mysql)
    command.downgrade(alembic_config(blank_mysql), "0006_bookings")
    collations = _collations(blank_mysql)
    assert {collations[key] for key in KEYS_BEFORE_PAYMENTS} == {"utf8mb4_bin"}
    upgrade(blank_mysql)
    collations = _collations(blank_mysql)
    assert {collations[key] for key in KEYS_BEFORE_PAYMENTS} == {"utf8mb4_nopad_bin"}


@needs_mysql
def test_0007_stopped_midway_is_finished_by_running_it_again(blank_mysql: Engine) -> None:
    upgrade(blank_mysql, "0006_bookings")
    with blank_mysql.begin() as connection:
        connection.execute(_SERIES, {"tenant": "acme", "id": "s1"})
        connection.execute(_SESSION, {"tenant": "acme", "id": "x", "series_id": "s1"})
        connection.execute(_RESOURCE, {"tenant": "acme", "id": "x"})
    keys_before = _foreign_keys(blank_mysql)
    # What a run stopped after its first statements left, each committed on its own: the
    # foreign keys dropped, the series' keys exact already, the revision still 0006.
    with blank_mysql.begin() as connection:
        for table, keys in keys_before.items():
            for key in keys:
                connection.execute(text(f"ALTER TABLE {table} DROP FOREIGN KEY {key['name']}"))
        exact = key_type().compile(dialect=connection.dialect)
        modify = f"MODIFY tenant {exact} NOT NULL, MODIFY id {exact} NOT NULL"
        connection.execute(text(f"ALTER TABLE sessionkit_series {modify}"))

    upgrade(blank_mysql)  # failed: Can't DROP FOREIGN KEY (1091), at every later run too

    after = _foreign_keys(blank_mysql)
    assert {table: after[table] for table in keys_before} == keys_before
    collations = _collations(blank_mysql)
    assert {collations[key] for key in KEYS_BEFORE_PAYMENTS} == {"utf8mb4_nopad_bin"}
    with blank_mysql.connect() as connection:
        assert connection.execute(_FIND, {"tenant": "acme", "id": "x"}).all() == [("acme", "x")]


@needs_mysql
def test_0007_stops_on_rows_that_matched_their_parent_by_padding(blank_mysql: Engine) -> None:
    upgrade(blank_mysql, "0006_bookings")
    with blank_mysql.begin() as connection:
        connection.execute(_SERIES, {"tenant": "acme", "id": "s1"})
        # Accepted under utf8mb4_bin: the series "acme"/"s1" satisfies the foreign key.
        connection.execute(_SESSION, {"tenant": "acme ", "id": "x", "series_id": "s1 "})
    keys_before = _foreign_keys(blank_mysql)
    with pytest.raises(
        RuntimeError, match=r"1 row\(s\) of sessionkit_sessions \(tenant, series_id\)"
    ):
        upgrade(blank_mysql)
    # Nothing was changed: still at 0006, still padding, foreign keys in place.
    collations = _collations(blank_mysql)
    assert {collations[key] for key in KEYS_BEFORE_PAYMENTS} == {"utf8mb4_bin"}
    after = _foreign_keys(blank_mysql)
    assert {table: after[table] for table in keys_before} == keys_before
    with blank_mysql.connect() as connection:
        version = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    assert version == "0006_bookings"


@needs_mysql
def test_0007_downgrade_stops_first_on_keys_that_padding_would_make_equal(
    blank_mysql: Engine,
) -> None:
    upgrade(blank_mysql)
    with blank_mysql.begin() as connection:
        # Two extra sessions whose ids differ only by a trailing space: distinct since 0007.
        connection.execute(_SESSION, {"tenant": "acme", "id": "x", "series_id": None})
        connection.execute(_SESSION, {"tenant": "acme", "id": "x ", "series_id": None})
    command.downgrade(alembic_config(blank_mysql), "0007_exact_keys")  # the later ones first
    keys_before = _foreign_keys(blank_mysql)
    collations_before = _collations(blank_mysql)
    with pytest.raises(RuntimeError) as refused:
        command.downgrade(alembic_config(blank_mysql), "0006_bookings")
    # Only the twins: both sessions have no series (NULL keys, which a unique key takes
    # any number of), and MariaDB lists each unique key twice (constraint and index).
    found = str(refused.value).split("spaces, ")[1].split(" would be")[0]
    assert found == "1 key(s) of sessionkit_sessions (tenant, id)"
    # Nothing was changed (each ALTER TABLE would have committed on its own): still at head,
    # exact keys, every foreign key in place; fixed, the downgrade goes through.
    assert _foreign_keys(blank_mysql) == keys_before
    assert _collations(blank_mysql) == collations_before
    with blank_mysql.connect() as connection:
        version = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    assert version == "0007_exact_keys"
    with blank_mysql.begin() as connection:
        connection.execute(text("DELETE FROM sessionkit_sessions WHERE id = 'x '"))
    command.downgrade(alembic_config(blank_mysql), "0006_bookings")
    collations = _collations(blank_mysql)
    assert {collations[key] for key in KEYS_BEFORE_PAYMENTS} == {"utf8mb4_bin"}
