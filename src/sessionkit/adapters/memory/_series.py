"""Series in memory: the generic repository plus the active series for the jobs."""

from __future__ import annotations

from collections.abc import Iterable

from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.model.series import Series
from sessionkit.ports import SERIES

__all__ = ["InMemorySeriesRepository"]


class InMemorySeriesRepository(MemoryRepository[Series]):
    """The :class:`~sessionkit.ports.SeriesRepository` of an in-memory unit of work."""

    def active(self, tenant: str | None = None) -> list[Series]:
        """Return active series of ``tenant`` (all tenants for ``None``), by id then tenant."""
        table = self.table
        if tenant is not None:
            rows: Iterable[Series] = table.of(tenant).values()
        else:
            rows = (s for by_id in table.rows.values() for s in by_id.values())
        return sorted((s for s in rows if s.is_active), key=lambda s: (s.id, s.tenant))


register(SERIES, InMemorySeriesRepository)
