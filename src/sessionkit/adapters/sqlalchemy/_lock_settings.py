"""The names of the locks :class:`~._backend.Backend` takes, and the settings that bound waits.

The keys of PostgreSQL's advisory and MySQL's named locks (per schema or
database: :func:`_namespace`), how a lock is named in an error, the
statements and limits that bound a wait (``lock_timeout``, ``GET_LOCK``,
InnoDB's), and the isolation levels whose reads after a lock are fresh.
:mod:`._backend` exports them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection

from sessionkit.adapters.sqlalchemy._db import Db


def _lock_key(namespace: str, tenant: str, resource: str) -> int:
    text_ = f"{namespace}\x1f{tenant}\x1f{resource}"
    digest = hashlib.blake2b(text_.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_NAMESPACE = "sessionkit.lock_namespace"


def mapped_schema(connection: Connection) -> str | None:
    """Return the schema a ``schema_translate_map`` on ``connection`` names (else ``None``).

    Such a map puts sessionkit's tables where it says, whatever the search path shows.
    """
    mapped = (connection.get_execution_options().get("schema_translate_map") or {}).get(None)
    return None if mapped is None else str(mapped)


def _namespace(db: Db, query: str) -> str:
    """Return where the tables live (PostgreSQL's schema, MySQL's database), once per connection.

    Advisory and named locks are shared by the whole PostgreSQL database or
    MySQL server: without it, two schemas (two apps, two test runs) holding the
    same tenant and teacher would queue behind, and could deadlock, each other.
    """
    connection = db.connection()
    mapped = mapped_schema(connection)
    if mapped is not None:
        return mapped
    info = connection.connection.info
    found = info.get(_NAMESPACE)
    if found is None:
        found = info[_NAMESPACE] = str(db.execute(text(query)).scalar() or "")
    return str(found)


PARTICIPANT = "participant\x00"
"""Prefix of a participant's lock name, so it never queues behind a resource of that name."""


def _lock_names(tenant: str, names: Iterable[str]) -> str:
    shown = [
        f"participant {n.removeprefix(PARTICIPANT)!r}" if n.startswith(PARTICIPANT) else repr(n)
        for n in names
    ]
    return f"the lock on {', '.join(shown)} of tenant {tenant!r}"


_MYSQL_WAIT = "sessionkit.innodb_lock_wait_timeout"
_SET_LOCK_TIMEOUT = text(
    "SELECT set_config('lock_timeout', :timeout, true), set_config('TimeZone', 'UTC', true)"
)
"""The transaction's lock bound, and its ``TimeZone`` in the same round trip: psycopg then
reads every ``timestamptz`` as :data:`datetime.UTC` itself, which :class:`~._types.UTCDateTime`
returns as it is, instead of in the server's zone (``Etc/UTC``, or a local one, read back
by ``astimezone``: about 1 us an instant). sessionkit's SQL never depends on the session's
zone (it compares instants and takes epochs), so nothing else changes."""
_OPTION_TIMEOUT = re.compile(r"(?:^|\s)(?:-c\s*|--)lock_timeout=(\S+)", re.IGNORECASE)
"""A ``lock_timeout`` in a connection's startup ``options`` (``-c lock_timeout=10s``)."""
_TIMEOUT_VALUE = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|min|h|d)?", re.IGNORECASE)
_MS_PER = {"us": 0.001, "ms": 1, "": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
"""Milliseconds per unit of a ``lock_timeout`` value (none: milliseconds, as PostgreSQL reads)."""


def option_timeout_ms(options: str) -> int | None:
    """Return the ``lock_timeout`` that startup ``options`` set, in milliseconds, or ``None``.

    The last one given wins, as for PostgreSQL; a value it cannot read is ``None``.
    """
    found = _OPTION_TIMEOUT.findall(options)
    if not found:
        return None
    value = _TIMEOUT_VALUE.fullmatch(found[-1].strip("'\""))
    if value is None:
        return None
    number, unit = value.groups()
    return round(float(number) * _MS_PER[(unit or "").lower()])


_FOREVER = 365 * 24 * 3600
"""GET_LOCK's timeout when the store sets none, and its longest: a year (MariaDB has no
"infinite", and answers 0 at once, as if the wait had run out, to one of 10**12 seconds)."""
_PG_MAX_MS = 2**31 - 1
"""The longest ``lock_timeout`` PostgreSQL takes (an int of milliseconds, about 24.8 days):
``set_config`` refuses a longer one, which failed every unit of work of the store."""


_FRESH_LEVELS = {
    "postgresql": ("READ COMMITTED", "READ UNCOMMITTED"),
    "mysql": ("READ COMMITTED", "SERIALIZABLE"),
}
"""Per server, the levels whose reads after a lock see the commits made before it."""
