"""The throwaway-database helpers drop what they made even when the engine cannot be made.

``postgres_schema`` and ``mysql_database`` created their schema (database)
first and the engine after, outside the ``try`` that drops it: an engine option
``create_engine`` refuses (a misspelt ``pool_size``) raised and left an empty
``sessionkit_test_...`` schema or database behind, one per failed run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import Engine, create_engine, text

from sessionkit.adapters.sqlalchemy import testing
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema

HELPERS: dict[str, tuple[str, Callable[..., AbstractContextManager[Engine]], str]] = {
    "postgres": (
        "SESSIONKIT_TEST_POSTGRES_URL",
        postgres_schema,
        "SELECT count(*) FROM pg_namespace WHERE nspname = :name",
    ),
    "mysql": (
        "SESSIONKIT_TEST_MYSQL_URL",
        mysql_database,
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :name",
    ),
}


@pytest.fixture(params=sorted(HELPERS))
def helper(request: pytest.FixtureRequest) -> str:
    variable = HELPERS[request.param][0]
    if not os.environ.get(variable):
        pytest.skip(f"set {variable} to run this on {request.param}")
    return str(request.param)


def test_a_refused_engine_option_leaves_no_schema_behind(
    helper: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable, make, count = HELPERS[helper]
    url = os.environ[variable]
    name = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(testing, "_name", lambda _prefix: name)
    with pytest.raises(TypeError, match="pool_sise"), make(url, pool_sise=2):
        pytest.fail("the engine was made with a misspelt option")  # pragma: no cover
    admin = create_engine(url)
    try:
        with admin.connect() as connection:
            assert connection.execute(text(count), {"name": name}).scalar_one() == 0
    finally:
        admin.dispose()
