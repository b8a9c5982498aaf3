"""The app's migrations on a host with several databases: they follow the host's routers.

``0002_no_double_booking`` is an operation of sessionkit's own (PostgreSQL's
exclusion constraint); like Django's operations it does nothing on an alias
the routers keep sessionkit's tables off, where ``0001`` made no table to
constrain. The tests collect the SQL it would run, so the migrated test
database never changes.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

from sessionkit.contrib.django._postgres import ExcludeDoubleBooking
from sessionkit.contrib.django.models import EXCLUSION_CONSTRAINT


class _SessionkitElsewhere:
    """A host's router: sessionkit's tables live on another alias than ``refused``."""

    def __init__(self, refused: str) -> None:
        self.refused = refused

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label == "sessionkit":
            return db != self.refused
        return None


@pytest.mark.parametrize("direction", ["forwards", "backwards"])
def test_postgres_the_constraint_migration_skips_an_alias_the_routers_refuse(
    postgres_db: str, direction: str
) -> None:
    """``migrate --database`` where the routers keep sessionkit off: 0002 does nothing.

    The operation runs with an editor that only collects its SQL, so nothing
    on the migrated database changes either way; the routers allowing the
    alias shows the SQL it would run.
    """
    connection = connections[postgres_db]
    loader = MigrationLoader(connection)
    before = loader.project_state(("sessionkit", "0001_initial"))
    after = loader.project_state(("sessionkit", "0002_no_double_booking"))
    operation = ExcludeDoubleBooking()

    def run() -> list[str]:
        with connection.schema_editor(collect_sql=True, atomic=False) as editor:
            if direction == "forwards":
                operation.database_forwards("sessionkit", editor, before, after)
            else:
                operation.database_backwards("sessionkit", editor, after, before)
        return list(editor.collected_sql)

    with override_settings(DATABASE_ROUTERS=[_SessionkitElsewhere(postgres_db)]):
        assert run() == []
    with override_settings(DATABASE_ROUTERS=[_SessionkitElsewhere("default")]):
        assert any(EXCLUSION_CONSTRAINT in sql for sql in run())
