"""The generic repository contract filled in for the built-in kinds, sessions and series.

An adapter's tests subclass these and implement only ``make_store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import attrs

from sessionkit.model.series import Series
from sessionkit.model.session import Session
from sessionkit.ports import SERIES, SESSIONS, UnitOfWork
from sessionkit.testing.contract._support import TENANT, make_series, make_session
from sessionkit.testing.contract.parents import ParentsContract
from sessionkit.testing.contract.repository import RepositoryContract

__all__ = ["SeriesRepositoryContract", "SessionsRepositoryContract"]


class SessionsRepositoryContract(ParentsContract[Session]):
    """The generic contract for :data:`~sessionkit.ports.SESSIONS`; implement ``make_store``."""

    kind = SESSIONS

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Session:
        """Return a busy session of ``series-1``, ``2 * variant`` hours after ``T0``."""
        return make_session(record_id, tenant=tenant, at=2 * variant, series_id="series-1")

    def change(self, record: Session) -> Session:
        """Return the session retitled."""
        return attrs.evolve(record, title=record.title + " (changed)")

    def prepare(self, uow: UnitOfWork, records: Sequence[Session]) -> None:
        """Add the sessions' series."""
        self.ensure_series(uow, records)

    def collide(self, record: Session, new_id: str) -> Session:
        """Return a session for the same occurrence a day later (no overlap, another start)."""
        return attrs.evolve(record, id=new_id, span=record.span.shift(timedelta(days=1)))


class SeriesRepositoryContract(RepositoryContract[Series]):
    """The generic contract for :data:`~sessionkit.ports.SERIES`; implement ``make_store``."""

    kind = SERIES

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Series:
        """Return an active weekly series titled after ``variant``."""
        return make_series(record_id, tenant=tenant, title=f"series {variant}")

    def change(self, record: Series) -> Series:
        """Return the series retitled."""
        return attrs.evolve(record, title=record.title + " (changed)")
