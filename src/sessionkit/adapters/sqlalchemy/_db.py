"""What a unit of work runs its statements through: an ORM ``Session``, or Core connections.

Every statement of the adapter is Core; the ORM session a unit of work opened
was only its transaction's keeper, and a costly one: about 40 us of CPU per
transaction over the Core connection underneath (its transaction records, the
identity map it closes). A store built over an
:class:`~sqlalchemy.engine.Engine` therefore gives each unit a
:class:`CoreSession`, which runs each transaction on a Core
:class:`~sqlalchemy.engine.Connection` from the pool, as the ORM session did,
and answers the part of the ORM session's interface the adapter uses, with
the same meaning. A store built over a
:class:`~sqlalchemy.orm.sessionmaker` (the host's own session class and
options) and a unit joined to the host's session keep the ORM session.
:data:`Db` is either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from sqlalchemy.engine import Connection, Engine, Result
from sqlalchemy.engine.base import NestedTransaction, RootTransaction
from sqlalchemy.engine.result import ScalarResult
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.base import Executable

__all__ = ["CoreSession", "Db"]


class CoreSession:
    """A unit of work's transactions on Core connections, spoken to like an ORM session.

    As with the ORM session, each transaction takes a connection from the
    engine's pool at its first statement and gives it back when it ends
    (:meth:`commit`, :meth:`rollback`, :meth:`close`), so the pool's
    check-in runs after every transaction (MySQL's named locks are released
    there) and resets what a failed transaction left. A COMMIT that fails
    leaves the transaction inactive, as the ORM does: :meth:`commit` then
    raises until :meth:`rollback`. ``info`` belongs to this object, not to the
    pooled connection, so nothing a unit notes outlives it.
    """

    def __init__(self, engine: Engine, prepare: Callable[[Connection], None] | None = None) -> None:
        self._engine = engine
        self._prepare = prepare
        self._connection: Connection | None = None
        self.info: dict[str, Any] = {}

    def connection(self) -> Connection:
        """Return the connection, in a transaction (begun now if none is).

        ``prepare`` is called with each connection taken from the pool, before
        its transaction begins (the store sets its isolation level there; the
        pool's check-in resets it).
        """
        connection = self._connection
        if connection is None:
            connection = self._connection = self._engine.connect()
            if self._prepare is not None:
                self._prepare(connection)
        if connection.get_transaction() is None:
            connection.begin()
        return connection

    def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        """Run ``statement`` in the transaction."""
        return self.connection().execute(statement, params)

    def scalar(self, statement: Executable, params: Any = None) -> Any:
        """Run ``statement`` and return the first column of its first row."""
        return self.connection().scalar(statement, params)

    def scalars(self, statement: Executable, params: Any = None) -> ScalarResult[Any]:
        """Run ``statement`` and return its first column."""
        return self.connection().scalars(statement, params)

    def begin_nested(self) -> NestedTransaction:
        """Begin a SAVEPOINT (and the transaction, if none is begun)."""
        return self.connection().begin_nested()

    def get_transaction(self) -> RootTransaction | None:
        """Return the transaction in progress (or failed and not rolled back), or ``None``."""
        connection = self._connection
        return None if connection is None else connection.get_transaction()

    def get_nested_transaction(self) -> NestedTransaction | None:
        """Return the innermost SAVEPOINT in progress, or ``None``."""
        connection = self._connection
        return None if connection is None else connection.get_nested_transaction()

    def in_transaction(self) -> bool:
        """Whether a transaction is in progress."""
        return self._connection is not None and self._connection.in_transaction()

    def in_nested_transaction(self) -> bool:
        """Whether a SAVEPOINT is in progress."""
        return self._connection is not None and self._connection.in_nested_transaction()

    def get_bind(self) -> Engine:
        """Return the engine the connections come from."""
        return self._engine

    def commit(self) -> None:
        """Commit the transaction, if any, and give the connection back.

        Raises what the COMMIT raised; the connection is kept then, its
        transaction inactive, and every later :meth:`commit` raises too
        (SQLAlchemy's "rollback() fully") until :meth:`rollback`.
        """
        connection = self._connection
        if connection is None:
            return
        if connection.get_transaction() is not None:
            connection.commit()
        self._release()

    def rollback(self) -> None:
        """Roll back the transaction, if any (a failed one too), and give the connection back."""
        connection = self._connection
        if connection is None:
            return
        transaction = connection.get_transaction()
        if transaction is not None and transaction.is_active:
            connection.rollback()
        self._release()

    def close(self) -> None:
        """Roll back what is in progress and give the connection back to the pool."""
        self._release()

    def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            transaction = connection.get_transaction()
            if transaction is not None and not transaction.is_active:
                # A failed COMMIT leaves its transaction inactive, and closing the connection
                # with it would skip the pool's reset: the driver's connection would go back
                # still inside the transaction. Ending it here lets the pool roll it back.
                connection.rollback()
        finally:
            connection.close()


Db: TypeAlias = OrmSession | CoreSession
"""What the adapter's statements run through: see the module docstring."""
