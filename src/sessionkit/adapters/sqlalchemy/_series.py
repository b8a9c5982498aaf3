"""The series repository: a series row plus its schedule item rows, two queries per read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from sessionkit.adapters.sqlalchemy._query import chunks
from sessionkit.adapters.sqlalchemy._versioned import update_versioned
from sessionkit.adapters.sqlalchemy.mapping import (
    schedule_item_values,
    series_from_rows,
    series_values,
)
from sessionkit.adapters.sqlalchemy.rows import schedule_items_table, series_table
from sessionkit.errors import DuplicateSeries, SeriesNotFound
from sessionkit.model.series import Series, SeriesStatus

if TYPE_CHECKING:
    from sessionkit.adapters.sqlalchemy.store import SqlAlchemyUnitOfWork

__all__ = ["SqlAlchemySeriesRepository"]

T = series_table
I = schedule_items_table  # noqa: E741  # the schedule items table, beside T


def _load(db: OrmSession, conditions: Sequence[ColumnElement[bool]]) -> list[Series]:
    """Return the series matching ``conditions`` by id then tenant, items included."""
    heads = list(db.execute(select(T).where(*conditions).order_by(T.c.id, T.c.tenant)).mappings())
    if not heads:
        return []
    joined = (
        select(I)
        .join(T, (T.c.tenant == I.c.tenant) & (T.c.id == I.c.series_id))
        .where(*conditions)
        .order_by(I.c.tenant, I.c.series_id, I.c.position)
    )
    items: dict[tuple[str, str], list[Any]] = {}
    for row in db.execute(joined).mappings():
        items.setdefault((row["tenant"], row["series_id"]), []).append(row)
    return [series_from_rows(row, items.get((row["tenant"], row["id"]), [])) for row in heads]


class SqlAlchemySeriesRepository:
    """The :class:`~sessionkit.ports.SeriesRepository` of a :class:`SqlAlchemyUnitOfWork`."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow

    def get(self, tenant: str, series_id: str) -> Series:
        """Return the series; raise ``SeriesNotFound`` (also for another tenant's id)."""
        found = _load(self._uow.db(), [T.c.tenant == tenant, T.c.id == series_id])
        if not found:
            raise SeriesNotFound(series_id, tenant)
        return found[0]

    def add(self, series: Series) -> None:
        """Store a new series; raise ``DuplicateSeries`` if the id exists for the tenant."""
        db = self._uow.db()
        savepoint = db.begin_nested()
        try:
            db.execute(insert(T).values(series_values(series)))
            db.execute(insert(I), schedule_item_values(series))
        except IntegrityError as error:
            savepoint.rollback()
            self._duplicate(series, error)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()

    def add_many(self, series: Sequence[Series]) -> None:
        """Store new series in bulk, all or none; raise ``DuplicateSeries`` as :meth:`add` does.

        Two ``executemany`` inserts (series, then schedule items) instead of a
        savepoint and two statements per series. A repeated id inside the
        batch is refused before anything is written.
        """
        batch = list(series)
        if not batch:
            return
        seen: dict[tuple[str, str], Series] = {}
        for one in batch:
            first = seen.setdefault((one.tenant, one.id), one)
            if first is not one:
                raise DuplicateSeries(one.id, one.tenant, existing=first)
        db = self._uow.db()
        savepoint = db.begin_nested()
        try:
            db.execute(insert(T), [series_values(one) for one in batch])
            db.execute(insert(I), [row for one in batch for row in schedule_item_values(one)])
        except IntegrityError as error:
            savepoint.rollback()
            for tenant in sorted({one.tenant for one in batch}):
                mine = [one for one in batch if one.tenant == tenant]
                stored: set[str] = set()
                for chunk in chunks([one.id for one in mine]):
                    stored.update(
                        db.scalars(select(T.c.id).where(T.c.tenant == tenant, T.c.id.in_(chunk)))
                    )
                for one in mine:
                    if one.id in stored:
                        self._duplicate(one, error)
            raise
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()

    def _duplicate(self, series: Series, error: IntegrityError) -> NoReturn:
        try:
            existing = self.get(series.tenant, series.id)
        except SeriesNotFound:
            raise error from None
        raise DuplicateSeries(series.id, series.tenant, existing=existing) from error

    def update(self, series: Series, *, expected_version: int) -> Series:
        """Replace the stored series, returning it with ``version + 1``.

        Raises ``SeriesNotFound`` or ``ConcurrentModification``.
        """
        db = self._uow.db()
        new = attrs.evolve(series, version=expected_version + 1)
        savepoint = db.begin_nested()
        try:
            update_versioned(
                db,
                T,
                series_values(new),
                tenant=series.tenant,
                record_id=series.id,
                expected=expected_version,
                not_found=lambda: SeriesNotFound(series.id, series.tenant),
            )
            db.execute(delete(I).where(I.c.tenant == new.tenant, I.c.series_id == new.id))
            db.execute(insert(I), schedule_item_values(new))
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return new

    def active(self, tenant: str | None = None) -> list[Series]:
        """Return active series of ``tenant`` (all tenants for ``None``), by id then tenant."""
        conditions = [T.c.status == SeriesStatus.ACTIVE.value]
        if tenant is not None:
            conditions.append(T.c.tenant == tenant)
        return _load(self._uow.db(), conditions)

    def in_group(self, tenant: str, group: str) -> list[Series]:
        """Return the tenant's series whose ``group`` is ``group`` (any status), by id."""
        found = _load(self._uow.db(), [T.c.tenant == tenant, T.c.group_key == group])
        return [s for s in found if s.group == group]  # MySQL's utf8mb4_bin: 'g' = 'g '
