"""The unit of work one command runs in, and the instant it runs at (:class:`Tx`).

Private to the services package; :mod:`~sessionkit.services._context` exports
:class:`Tx`, and its :meth:`Context.transaction` opens one per unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

import attrs

from sessionkit.errors import UnsupportedKind
from sessionkit.model.attendance import AttendanceThresholds
from sessionkit.model.events import DomainEvent
from sessionkit.policies import RefundPolicy
from sessionkit.ports import (
    BOOKINGS,
    PAYMENTS,
    BookingRepository,
    Kind,
    PaymentRepository,
    SeriesRepository,
    SessionRepository,
    UnitOfWork,
)

__all__ = ["Tx"]

RepoT = TypeVar("RepoT")


@attrs.frozen
class Tx:
    """One command's open unit of work and the one instant the whole command runs at.

    Every row the command writes is stamped with :attr:`now`, every event
    carries it, and every rule is judged at it: a caller that passes ``now``
    gets exactly that instant throughout, never the clock's.
    """

    uow: UnitOfWork
    now: datetime
    refunds: RefundPolicy = attrs.field(factory=RefundPolicy)
    """How cancelled paid bookings are refunded (the kit's policy)."""
    thresholds: AttendanceThresholds = attrs.field(factory=AttendanceThresholds)
    """When attendance counts as absent (the kit's attendance policy): per-participant no-shows."""
    calls: list[tuple[str, str]] = attrs.field(factory=list)
    """``(tenant, payment_id)`` of payments with a provider call due once this unit commits."""
    journal: list[DomainEvent] | None = None
    """The unit's events so far, for the journal entries it writes before it commits
    (``None``: the kit keeps no journal)."""

    @property
    def sessions(self) -> SessionRepository:
        """The unit's session repository."""
        return self.uow.sessions

    @property
    def series(self) -> SeriesRepository:
        """The unit's series repository."""
        return self.uow.series

    @property
    def bookings(self) -> BookingRepository:
        """The unit's booking repository."""
        return self.uow.repository(BOOKINGS)

    def bookings_or_none(self) -> BookingRepository | None:
        """The unit's booking repository, or ``None`` for a store that keeps no bookings."""
        return self.repository_or_none(BOOKINGS)

    @property
    def payments(self) -> PaymentRepository:
        """The unit's payment repository."""
        return self.uow.repository(PAYMENTS)

    def payments_or_none(self) -> PaymentRepository | None:
        """The unit's payment repository, or ``None`` for a store that keeps no payments."""
        return self.repository_or_none(PAYMENTS)

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """The unit's repository for ``kind``."""
        return self.uow.repository(kind)

    def repository_or_none(self, kind: Kind[RepoT]) -> RepoT | None:
        """The unit's repository for ``kind``, or ``None`` for a store that keeps none."""
        try:
            return self.uow.repository(kind)
        except UnsupportedKind:
            return None

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish once the unit of work committed and closed."""
        if self.journal is not None:
            events = list(events)
            self.journal.extend(events)
        self.uow.collect(events)

    def rollback(self) -> None:
        """Undo the unit's writes so far, with their events, journal entries and provider calls.

        What a read-only command calls once it has its answer: the unit of
        work alone would drop the events but keep :attr:`journal`, which the
        commit that closes the unit then writes (entries of changes undone).
        """
        self.uow.rollback()
        if self.journal is not None:
            self.journal.clear()
        self.calls.clear()
