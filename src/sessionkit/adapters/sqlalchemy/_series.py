"""The series repository: the generic SQL repository plus the active series for the jobs.

A series is its row plus its schedule item rows (a :class:`~._kind.ChildTable`),
so every read is two queries and every write replaces the items with the row.
"""

from __future__ import annotations

from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy.rows import series_table
from sessionkit.model.series import Series, SeriesStatus

__all__ = ["SqlAlchemySeriesRepository"]

T = series_table


class SqlAlchemySeriesRepository(SqlRepository[Series]):
    """The :class:`~sessionkit.ports.SeriesRepository`: the generic methods plus :meth:`active`."""

    def active(self, tenant: str | None = None) -> list[Series]:
        """Return active series of ``tenant`` (all tenants for ``None``), by id then tenant."""
        conditions = [T.c.status == SeriesStatus.ACTIVE.value]
        if tenant is not None:
            conditions.append(T.c.tenant == tenant)
        return self._load(self._unit.db(), conditions)

    def in_group(self, tenant: str, group: str) -> list[Series]:
        """Return the tenant's series whose ``group`` is ``group`` (any status), by id."""
        found = self._load(self._unit.db(), [T.c.tenant == tenant, T.c.group_key == group])
        return [s for s in found if s.group == group]  # MySQL's utf8mb4_bin: 'g' = 'g '
