"""MySQL/MariaDB: a database whose default character set is not utf8mb4 is refused up front.

Issue 10, item 8: on a ``latin1`` database the text columns were ``latin1``, and
a title such as "ΣΊΣΥΦΟΣ" failed on insert with a raw ``DataError`` (1366).
``create_schema`` and ``upgrade`` now refuse such a database before making a
table, naming its character set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from sessionkit.adapters.sqlalchemy import create_schema, upgrade
from sessionkit.errors import InvalidValue

MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


@pytest.fixture
def latin1_database() -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to test MySQL/MariaDB character sets")
    admin = create_engine(MYSQL_URL, isolation_level="AUTOCOMMIT")
    name = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET latin1"))
    engine = create_engine(make_url(MYSQL_URL).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE `{name}`"))
        admin.dispose()


def test_a_latin1_database_is_refused_before_any_table_is_made(latin1_database: Engine) -> None:
    for make in (create_schema, upgrade):
        with pytest.raises(InvalidValue, match="utf8mb4") as caught:
            make(latin1_database)
        assert caught.value.value == "latin1"
    assert inspect(latin1_database).get_table_names() == []
