"""Throwaway databases for tests of code that uses the SQLAlchemy adapter.

Each helper is a context manager that yields an engine on a fresh, empty
schema (PostgreSQL) or database (MySQL/MariaDB) with sessionkit's tables, and
drops it afterwards, so parallel test runs never see each other's rows::

    with postgres_schema(os.environ["SESSIONKIT_TEST_POSTGRES_URL"]) as engine:
        store = SqlAlchemyStore(engine)
        ...

:func:`clear_tables` empties the tables between tests, which is much faster
than creating them again.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from sessionkit.adapters.sqlalchemy.rows import metadata
from sessionkit.adapters.sqlalchemy.schema import create_schema

__all__ = ["clear_tables", "mysql_database", "postgres_schema"]


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_schema(url: str, **engine_options: Any) -> Iterator[Engine]:
    """Yield an engine whose connections work in a new schema with sessionkit's tables.

    ``btree_gist`` is installed in ``public`` first (so dropping the schema
    never drops the extension); the schema is dropped with everything in it at
    the end. The tables are created in the schema by name, not found through
    the search path: when ``public`` already holds sessionkit's tables (the
    demo leaves them there), nothing would be created and every row would land
    in ``public``. With the new schema first on the search path, unqualified
    SQL then reads and writes the new tables only.
    """
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    schema = _name("sessionkit_test")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            # Without the privilege create_schema warns and the store falls back to locks.
            with contextlib.suppress(DBAPIError):
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
        try:
            # Inside the try: an engine option create_engine refuses left the schema behind.
            engine = create_engine(url, **engine_options)

            @event.listens_for(engine, "connect")
            def _search_path(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute(f'SET search_path TO "{schema}", public')
                cursor.close()
                dbapi_connection.commit()

            try:
                with engine.begin() as connection:
                    create_schema(connection.execution_options(schema_translate_map={None: schema}))
                yield engine
            finally:
                engine.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@contextmanager
def mysql_database(url: str, **engine_options: Any) -> Iterator[Engine]:
    """Yield an engine on a new MySQL/MariaDB database with sessionkit's tables; drop it after."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    database = _name("sessionkit_test")
    try:
        with admin.connect() as connection:
            connection.execute(
                text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            )
        try:
            # Inside the try: an engine option create_engine refuses left the database behind.
            engine = create_engine(make_url(url).set(database=database), **engine_options)
            try:
                create_schema(engine)
                yield engine
            finally:
                engine.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE `{database}`"))
    finally:
        admin.dispose()


def clear_tables(engine: Engine) -> None:
    """Delete every row of sessionkit's tables (children first)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
