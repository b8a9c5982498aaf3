"""The Django store: units of work that join the host's ``transaction.atomic()``.

A unit of work is an ``atomic`` block on the store's database alias: outside
any transaction it is the transaction, inside the host's ``atomic`` it is a
savepoint of it, so sessionkit's writes commit or roll back with the host's.
Each write runs in a savepoint of its own, so a refused write changes nothing
and the unit stays usable. Events collected by a committed unit are
registered with ``transaction.on_commit``: they are published (to the store's
publisher, then as the :data:`~sessionkit.contrib.django.signals.events_committed`
signal) only once the outermost transaction committed, and after the unit
closed; a rolled-back host transaction publishes nothing.

Wire it like any store::

    from sessionkit.contrib.django.store import DjangoStore
    kit = SessionKit(DjangoStore().unit_of_work, clock=...)
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router

from sessionkit.contrib.django._registry import READERS, REPOSITORIES
from sessionkit.contrib.django._unit import DjangoUnitOfWork
from sessionkit.contrib.django.checks import VENDORS, local_time_zone
from sessionkit.contrib.django.models import SessionRecord
from sessionkit.contrib.django.signals import events_committed
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.events import DomainEvent
from sessionkit.ports import EventPublisher
from sessionkit.ports._storage import check_publisher, publish_batches

__all__ = ["READERS", "REPOSITORIES", "VENDORS", "DjangoStore", "DjangoUnitOfWork"]

# Shown (and pickled) under this public path, as before it moved to _unit.
DjangoUnitOfWork.__module__ = __name__


class _Signals:
    """Sends each committed batch as the ``events_committed`` signal."""

    def __init__(self, store: DjangoStore) -> None:
        self.store = store

    def publish(self, events: Sequence[DomainEvent]) -> None:
        events_committed.send(sender=DjangoStore, store=self.store, events=tuple(events))


class DjangoStore:
    """sessionkit's storage in the host's Django database (``using``, the default alias).

    ``publisher`` receives each committed batch of events, before the
    :data:`~sessionkit.contrib.django.signals.events_committed` signal. Needs
    ``USE_TZ = True``, the database's ``AUTOCOMMIT`` on (its events wait for
    ``on_commit``) and, on SQLite, no ``TIME_ZONE`` of the database other
    than UTC (sessionkit stores instants, never wall-clock times).
    """

    def __init__(
        self, publisher: EventPublisher | None = None, *, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        if not settings.USE_TZ:
            raise InvalidValue(
                "sessionkit's Django store needs USE_TZ = True in the settings: it stores "
                "aware instants, and without time zone support Django drops their offsets",
                value=settings.USE_TZ,
                expected="USE_TZ = True",
            )
        if not isinstance(using, str):
            raise WrongType(using, name="DjangoStore(using=...)", expected="a database alias (str)")
        if using not in connections.settings:
            raise InvalidValue(
                f"DjangoStore(using={shown(using)}): no such database alias in DATABASES"
                f" (has: {', '.join(map(repr, connections.settings))})",
                value=using,
                expected=f"one of {', '.join(map(repr, connections.settings))}",
            )
        self.publisher = check_publisher(publisher)
        self.using = using
        if not router.allow_migrate_model(using, SessionRecord):
            # The admin reads where the routers send sessionkit's models; a store
            # elsewhere would write to tables migrate never made (or left behind).
            holding = [
                alias for alias in connections if router.allow_migrate_model(alias, SessionRecord)
            ]
            raise InvalidValue(
                f"DjangoStore(using={shown(using)}): your DATABASE_ROUTERS keep sessionkit's"
                f" tables off {shown(using)} (allow_migrate says no), so migrate never makes"
                " them there; "
                + (
                    f"pass using={shown(holding[0])}, where the routers put them"
                    if holding
                    else "let a router allow migrating the app 'sessionkit' to one database"
                ),
                value=using,
                expected=" or ".join(map(repr, holding)) or "an alias the routers migrate",
            )
        if self.vendor not in VENDORS:
            raise InvalidValue(
                f"sessionkit's Django store runs on PostgreSQL and SQLite, and the database"
                f" {shown(using)} is {self.vendor}: there it would not lock resources and"
                " participants nor tell keys apart by case. Use sessionkit's SQLAlchemy store"
                " for MySQL/MariaDB",
                value=self.vendor,
                expected=" or ".join(VENDORS),
            )
        if not connections.settings[using].get("AUTOCOMMIT", True):
            raise InvalidValue(
                f"DATABASES[{shown(using)}]['AUTOCOMMIT'] is False: Django then runs no"
                " on_commit callback when you commit, so sessionkit's events and the provider"
                " calls a commit leaves due (a cancel's refund) would never go out. Leave"
                " AUTOCOMMIT on (Django's default) and wrap your writes in transaction.atomic()",
                value=False,
                expected="AUTOCOMMIT = True for the database",
            )
        zone = local_time_zone(using)
        if zone is not None:
            raise InvalidValue(
                f"DATABASES[{shown(using)}]['TIME_ZONE'] is {shown(zone)}: on {self.vendor} "
                "Django then"
                " stores naive local times, and the hour the clocks go back holds two instants"
                " alike (a session read back an hour off). Leave TIME_ZONE unset (UTC)",
                value=zone,
                expected="no TIME_ZONE (or 'UTC') for the database",
            )
        self._signals = _Signals(self)

    @property
    def vendor(self) -> str:
        """The database vendor of the alias (``"sqlite"``, ``"postgresql"``, ...)."""
        return str(connections[self.using].vendor)

    def unit_of_work(self) -> DjangoUnitOfWork:
        """Return a new unit of work (a :class:`~sessionkit.ports.UnitOfWorkFactory`)."""
        return DjangoUnitOfWork(self)

    def publish(self, batches: Sequence[Sequence[DomainEvent]]) -> None:
        """Publish committed batches to the publisher, then as signals; raise the first error."""
        failure: BaseException | None = None
        for target in (self.publisher, self._signals):
            try:
                publish_batches(target, batches)
            except BaseException as exc:  # noqa: BLE001  # the signals still go out
                failure = failure or exc
        if failure is not None:
            raise failure
