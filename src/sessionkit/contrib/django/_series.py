"""Series in Django: the generic repository plus the active series and a group's series."""

from __future__ import annotations

from typing import Any

from sessionkit.contrib.django._mapping import series_fields, series_from_record
from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django.models import SeriesRecord
from sessionkit.errors._base import shown
from sessionkit.model.series import Series, SeriesStatus

__all__ = ["DjangoSeriesRepository"]


class DjangoSeriesRepository(DjangoRepository[Series, SeriesRecord]):
    """The :class:`~sessionkit.ports.SeriesRepository` of a Django unit of work."""

    model = SeriesRecord

    def to_fields(self, record: Series) -> dict[str, Any]:
        """Return the :class:`SeriesRecord` field values of ``record``."""
        return series_fields(record)

    def from_row(self, row: SeriesRecord) -> Series:
        """Return the series a row holds."""
        return series_from_record(row)

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Series have no unique key beside the id."""
        raise LookupError(f"series have no unique key {shown(key)}")

    def active(self, tenant: str | None = None) -> list[Series]:
        """Return active series of ``tenant`` (all tenants for ``None``), by id then tenant."""
        self._uow.require_open()
        rows = SeriesRecord.objects.using(self.using).filter(status=SeriesStatus.ACTIVE.value)
        if tenant is not None:
            rows = rows.filter(tenant=tenant)
        found = [self.from_row(row) for row in rows]
        return sorted(found, key=lambda s: (s.id, s.tenant))

    def in_group(self, tenant: str, group: str) -> list[Series]:
        """Return the tenant's series of ``group``, in any status, by id."""
        found = [self.from_row(row) for row in self.rows(tenant).filter(group_key=group)]
        return sorted(found, key=lambda s: s.id)
