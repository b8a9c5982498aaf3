"""The property tests' engines: SQLite, then PostgreSQL and MariaDB when their URLs are set.

``engines`` is one list per test module, each engine with sessionkit's tables:
SQLite in memory, and a throwaway schema (database) on each server whose URL
(``SESSIONKIT_TEST_POSTGRES_URL``, ``SESSIONKIT_TEST_MYSQL_URL``) is set,
dropped after the module. A test empties the tables per example itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import create_schema
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema


@pytest.fixture(scope="module")
def engines() -> Iterator[list[Engine]]:
    """SQLite in memory, and the server databases whose URL is set, each in a schema of its own."""
    sqlite = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(sqlite)
    found = [sqlite]
    with contextlib.ExitStack() as stack:
        if url := os.environ.get("SESSIONKIT_TEST_POSTGRES_URL"):
            found.append(stack.enter_context(postgres_schema(url)))
        if url := os.environ.get("SESSIONKIT_TEST_MYSQL_URL"):
            found.append(stack.enter_context(mysql_database(url)))
        yield found
    sqlite.dispose()
