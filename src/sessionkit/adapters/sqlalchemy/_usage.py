"""The usage repositories in SQL: subscriptions, the ledger, atomic counters, session codes.

Writes of subscriptions, ledger entries and codes are the generic
repository's, so the unique constraints (:mod:`.usage_rows`) refuse a second
entry for a (subscription, session, participant) and a code given twice,
however the writers race. Counters are different: :meth:`SqlAlchemyCounterRepository.bump`
is one ``UPDATE ... SET value = value + :by`` (with ``AND value + :by <= :most``
for a limit), which takes the row's lock until the transaction ends: writers
of one counter queue on it, each sees the value the one before committed,
and a rolled-back bump takes its number back with it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Executable, exists, func, insert, literal, or_, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite

from sessionkit.adapters.sqlalchemy._query import chunks
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy._versioned import rowcount
from sessionkit.adapters.sqlalchemy.usage_rows import (
    codes_table,
    counters_table,
    subscriptions_table,
    usage_table,
)
from sessionkit.errors import ConcurrentModification
from sessionkit.model.session import ResourceRef
from sessionkit.model.usage import Counter, SessionCode, Subscription, UsageEntry

__all__ = [
    "SqlAlchemyCounterRepository",
    "SqlAlchemySessionCodeRepository",
    "SqlAlchemySubscriptionRepository",
    "SqlAlchemyUsageRepository",
]

_S, _U, _C, _K = subscriptions_table, usage_table, counters_table, codes_table


class SqlAlchemySubscriptionRepository(SqlRepository[Subscription]):
    """The :class:`~sessionkit.ports.SubscriptionRepository` of a SQL unit of work."""

    def for_subscriber(self, tenant: str, subscriber: ResourceRef) -> list[Subscription]:
        """Return the subscriber's subscriptions (any window), by ``starts`` then id."""
        return self._load(
            self._unit.db(),
            [_S.c.tenant == tenant, _S.c.subscriber == str(subscriber)],
            order_by=(_S.c.starts, _S.c.id),
        )


class SqlAlchemyUsageRepository(SqlRepository[UsageEntry]):
    """The :class:`~sessionkit.ports.UsageRepository` of a SQL unit of work."""

    def for_session(self, tenant: str, session_id: str) -> list[UsageEntry]:
        """Return entries charged to or used by ``session_id`` (any state), by participant, id."""
        return self._load(
            self._unit.db(),
            [_U.c.tenant == tenant, or_(_U.c.session_id == session_id, _U.c.used_by == session_id)],
            order_by=(_U.c.participant, _U.c.id),
        )

    def for_subscription(
        self, tenant: str, subscription_id: str, *, period: str | None = None
    ) -> list[UsageEntry]:
        """Return the subscription's entries (of ``period`` if given), by consumed_at then id."""
        conditions = [_U.c.tenant == tenant, _U.c.subscription_id == subscription_id]
        if period is not None:
            conditions.append(_U.c.period == period)
        return self._load(self._unit.db(), conditions, order_by=(_U.c.consumed_at, _U.c.id))

    def counts(self, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return how many entries (any state) each session is charged or used by; none: left out.

        An entry charged to one session and used by another (a makeup) counts
        for both.
        """
        wanted = list(dict.fromkeys(session_ids))
        found: dict[str, int] = {}
        connection = self._unit.db().connection()
        for chunk in chunks(wanted):
            charged = select(_U.c.session_id, func.count()).where(_U.c.session_id.in_(chunk))
            # A makeup's session, unless it is the session charged (counted once).
            used = select(_U.c.used_by, func.count()).where(
                _U.c.used_by.in_(chunk), _U.c.used_by != _U.c.session_id
            )
            for statement in (
                charged.where(_U.c.tenant == tenant).group_by(_U.c.session_id),
                used.where(_U.c.tenant == tenant).group_by(_U.c.used_by),
            ):
                for session_id, count in connection.execute(statement):
                    found[session_id] = found.get(session_id, 0) + int(count)
        return {session_id: found[session_id] for session_id in wanted if session_id in found}


_ATTEMPTS = 3
"""A bump of a counter nobody made yet: the update, the insert at 0, the update again."""


def _insert_if_missing(dialect: str, tenant: str, name: str) -> Executable:
    """Return an insert of counter ``name`` at 0 that does nothing if it exists (per dialect)."""
    row = {"tenant": tenant, "id": name, "value": 0, "version": 1}
    if dialect == "postgresql":
        return postgresql.insert(_C).values(row).on_conflict_do_nothing()
    if dialect in ("mysql", "mariadb"):
        # An exclusive lock on a duplicate (not the shared one plain INSERT takes).
        return mysql.insert(_C).values(row).on_duplicate_key_update(version=_C.c.version)
    if dialect == "sqlite":
        return sqlite.insert(_C).values(row).on_conflict_do_nothing()
    return insert(_C).from_select(
        list(row),
        select(*(literal(v) for v in row.values())).where(
            ~exists(select(_C.c.id).where(_C.c.tenant == tenant, _C.c.id == name))
        ),
    )


class SqlAlchemyCounterRepository(SqlRepository[Counter]):
    """The :class:`~sessionkit.ports.CounterRepository` of a SQL unit of work."""

    def bump(self, tenant: str, name: str, by: int = 1, *, most: int | None = None) -> int | None:
        """Add ``by`` to counter ``name`` (made at 0 first); ``None`` past ``most``, unchanged.

        The ``UPDATE`` locks the row until the unit of work ends. A counter
        nobody made yet is first inserted at 0 by the dialect's upsert that
        does nothing on a conflict, and the ``UPDATE`` runs again: concurrent
        first writers then queue on the row's lock instead of each taking a
        shared lock on the duplicate key and deadlocking (MySQL/MariaDB).
        """
        db = self._unit.db()
        where = (_C.c.tenant == tenant, _C.c.id == name)
        statement = update(_C).where(*where).values(value=_C.c.value + by, version=_C.c.version + 1)
        if most is not None:
            statement = statement.where(_C.c.value + by <= most)
        current = select(_C.c.value).where(*where)
        for _ in range(_ATTEMPTS):
            if rowcount(db, statement) == 1:
                return int(db.connection().execute(current).scalar_one())
            found = db.connection().execute(current).scalar()
            if found is None:
                db.execute(_insert_if_missing(db.get_bind().dialect.name, tenant, name))
            elif most is not None and found + by > most:
                return None  # the row is there: the limit refused the bump
            # Otherwise the row was committed after the UPDATE's snapshot (READ COMMITTED
            # takes one per statement): update again, now that it can be seen.
        raise ConcurrentModification(name, 0, None)

    def value(self, tenant: str, name: str) -> int:
        """Return counter ``name``'s value (0 for a counter never bumped)."""
        found = (
            self._unit.db()
            .connection()
            .execute(select(_C.c.value).where(_C.c.tenant == tenant, _C.c.id == name))
        )
        value = found.scalar()
        return 0 if value is None else int(value)


class SqlAlchemySessionCodeRepository(SqlRepository[SessionCode]):
    """The :class:`~sessionkit.ports.SessionCodeRepository` of a SQL unit of work."""

    def by_code(self, tenant: str, code: str) -> SessionCode | None:
        """Return the record holding ``code``, or ``None``."""
        found = self._load(self._unit.db(), [_K.c.tenant == tenant, _K.c.code == code])
        return found[0] if found else None
