"""The throwaway-database helpers keep every row inside their own schema or database.

``postgres_schema`` used to create nothing when ``public`` already held
sessionkit's tables (``python -m sessionkit demo --db postgresql://...`` leaves
them there): ``create_all`` saw them through the search path, so the test's
rows landed in ``public`` and outlived the schema. Here a throwaway *database*
plays that role: its ``public`` gets sessionkit's tables first, and must stay
empty. The shared database's ``public`` is never touched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from sessionkit.adapters.sqlalchemy import EXCLUSION_CONSTRAINT, SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.testing.contract import TENANT, make_series, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL tests"
)


@pytest.fixture
def database_with_public_tables() -> Iterator[str]:
    """Yield the URL of a new database whose ``public`` already has sessionkit's tables."""
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"sessionkit_public_{uuid.uuid4().hex[:12]}"
    url = make_url(POSTGRES_URL).set(database=name)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            occupied = create_engine(url)
            try:
                create_schema(occupied)  # into this database's public, as the demo does
            finally:
                occupied.dispose()
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _public_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return sum(
                connection.execute(text(f"SELECT count(*) FROM public.{table}")).scalar_one()
                for table in ("sessionkit_series", "sessionkit_sessions")
            )
    finally:
        engine.dispose()


def test_postgres_schema_creates_its_tables_even_when_public_has_them(
    database_with_public_tables: str,
) -> None:
    url = database_with_public_tables
    with postgres_schema(url) as engine:
        schema = _current_schema(engine)
        assert schema.startswith("sessionkit_test_")
        tables = set(inspect(engine).get_table_names(schema=schema))
        assert {"sessionkit_series", "sessionkit_sessions"} <= tables
        with engine.connect() as connection:
            guarded = connection.execute(
                text(
                    "SELECT n.nspname FROM pg_constraint c JOIN pg_namespace n "
                    "ON n.oid = c.connamespace WHERE c.conname = :name"
                ),
                {"name": EXCLUSION_CONSTRAINT},
            ).scalars()
            assert schema in set(guarded)
        store = SqlAlchemyStore(engine)
        with store.unit_of_work() as uow:
            uow.series.add(make_series("s1"))
            uow.sessions.add(make_session("a", series_id="s1"))
            uow.commit()
        with engine.connect() as connection:
            stored = connection.execute(
                text(f'SELECT id FROM "{schema}".sessionkit_sessions')
            ).scalars()
            assert list(stored) == ["a"]
        assert _public_rows(url) == 0
        with store.unit_of_work() as uow:
            assert uow.sessions.get(TENANT, "a").series_id == "s1"
    assert _public_rows(url) == 0


def _current_schema(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT current_schema()")).scalar_one())
