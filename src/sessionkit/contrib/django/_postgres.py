"""PostgreSQL only: the exclusion constraint that makes double booking impossible.

Built with Django's own :class:`~django.contrib.postgres.constraints.ExclusionConstraint`,
but applied by a migration operation that runs on PostgreSQL alone (other
databases have no exclusion constraints; there the store's check-then-write
under SQLite's serialised writers keeps the rule). Like Django's own
operations it also asks the database routers: ``migrate --database`` on an
alias the routers keep sessionkit's tables off does nothing (there is no
table to constrain). The operation leaves the migration state alone, so
``makemigrations`` never proposes to add or drop it.
``django.contrib.postgres`` is imported only when the operation runs on
PostgreSQL, so a SQLite host needs no PostgreSQL driver.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

from sessionkit.contrib.django.models import EXCLUSION_CONSTRAINT

__all__ = ["ExcludeDoubleBooking", "exclusion_constraint"]


def exclusion_constraint() -> Any:
    """Return the ``ExclusionConstraint`` on busy resource rows (PostgreSQL's modules imported).

    No two busy rows of one tenant's resource overlap, as half-open ranges ``[start, end)``.
    """
    from django.contrib.postgres.constraints import ExclusionConstraint
    from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
    from django.db.models import Func, Q

    class TsTzRange(Func):
        function = "TSTZRANGE"
        output_field = DateTimeRangeField()

    return ExclusionConstraint(
        name=EXCLUSION_CONSTRAINT,
        expressions=[
            ("tenant", RangeOperators.EQUAL),
            ("resource", RangeOperators.EQUAL),
            (TsTzRange("start_at", "end_at", RangeBoundary()), RangeOperators.OVERLAPS),
        ],
        condition=Q(busy=True),
    )


class ExcludeDoubleBooking(migrations.operations.base.Operation):
    """Install ``btree_gist`` and the exclusion constraint on PostgreSQL; elsewhere nothing.

    "Elsewhere" includes an alias the routers do not migrate ``SessionResource``
    to (``allow_migrate``): its table was never created there.
    """

    reversible = True
    reduces_to_sql = True

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        """Leave the state alone: the constraint is not part of the model's ``Meta``."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,  # noqa: ARG002  # the operation's signature
        to_state: ProjectState,
    ) -> None:
        """Add the constraint (and the extension it needs) on PostgreSQL, where the table is."""
        model = to_state.apps.get_model(app_label, "SessionResource")
        if not self._applies(schema_editor, model):
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        schema_editor.add_constraint(model, exclusion_constraint())

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,  # noqa: ARG002  # the operation's signature
    ) -> None:
        """Drop the constraint where it was added (the extension stays: others may use it)."""
        model = from_state.apps.get_model(app_label, "SessionResource")
        if not self._applies(schema_editor, model):
            return
        schema_editor.remove_constraint(model, exclusion_constraint())

    def _applies(self, schema_editor: BaseDatabaseSchemaEditor, model: type[Any]) -> bool:
        """Whether the constraint belongs on the editor's database.

        PostgreSQL only, and only where the routers migrate ``model`` (as
        Django's ``AddConstraint`` asks): elsewhere the table does not exist
        and adding the constraint would fail.
        """
        connection = schema_editor.connection
        return connection.vendor == "postgresql" and self.allow_migrate_model(
            connection.alias, model
        )

    def describe(self) -> str:
        """Say what the operation does, for ``manage.py migrate``'s output."""
        return f"PostgreSQL: exclusion constraint {EXCLUSION_CONSTRAINT} on busy resources"
