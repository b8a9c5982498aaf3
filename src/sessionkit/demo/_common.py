"""What every platform demo shares: a fixed clock and opening the store ``--db`` names.

Like ``cli.py`` the demos are composition roots, so they may import the adapters.
"""

from __future__ import annotations

from datetime import datetime

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidValue
from sessionkit.ports import UnitOfWorkFactory

__all__ = ["FixedClock", "open_store"]


class FixedClock:
    """A :class:`~sessionkit.ports.Clock` that always says the same instant."""

    def __init__(self, instant: datetime) -> None:
        self._instant = instant

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self._instant


def open_store(db: str) -> tuple[UnitOfWorkFactory, str]:
    """Return a unit-of-work factory for ``db`` ("memory" or a SQLAlchemy URL) and its name.

    A database gets sessionkit's tables through the shipped Alembic
    migrations, so an existing demo database is upgraded in place.
    """
    if db == "memory":
        return InMemoryStore().unit_of_work, "memory"
    try:
        from sqlalchemy import create_engine
        from sqlalchemy.exc import ArgumentError

        from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade
    except ImportError as exc:
        raise InvalidValue(
            f"--db {db!r} needs SQLAlchemy: pip install 'sessionkit[sqlalchemy]' "
            "(or pass --db memory)",
            value=db,
            expected="an installed sqlalchemy extra",
        ) from exc
    try:
        engine = create_engine(db)
    except (ArgumentError, ValueError) as exc:
        raise InvalidValue(
            f"--db {db!r} is not a SQLAlchemy database URL ({exc})",
            value=db,
            expected="e.g. sqlite:///academy.sqlite3 or postgresql+psycopg://user@host/db",
        ) from None
    upgrade(engine)
    return SqlAlchemyStore(engine).unit_of_work, engine.url.render_as_string(hide_password=True)
