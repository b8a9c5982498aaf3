"""Django system checks: the settings sessionkit's guarantees rest on (``manage.py check``).

- ``sessionkit.E001``: ``USE_TZ`` is off (the store refuses to start without it).
- ``sessionkit.W001``: the database sessionkit's tables are written to is SQLite
  without ``OPTIONS["transaction_mode"]`` ``"IMMEDIATE"`` (or ``"EXCLUSIVE"``).
  Then a unit of work takes SQLite's write lock only at its first write, after
  its checks have read: racing writers still never double-book (SQLite lets
  one commit), but the others wait on each other's locks until one gives up
  with "database is locked" instead of taking turns.

Registered under the ``sessionkit`` tag when the app is ready, so ``check``,
``runserver``, ``migrate`` and the test runner report them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import connections, router

__all__ = ["TAG", "check_settings"]

TAG = "sessionkit"
_TAKING_THE_LOCK = frozenset({"IMMEDIATE", "EXCLUSIVE"})


@register(TAG)
def check_settings(
    *,
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **_kwargs: Any,
) -> list[CheckMessage]:
    """Return the problems of the settings sessionkit runs on (see the module docstring)."""
    del app_configs, databases  # settings-wide, and no query is made
    found: list[CheckMessage] = []
    if not settings.USE_TZ:
        found.append(
            Error(
                "sessionkit stores aware instants, and USE_TZ is False: Django would drop"
                " their offsets, so sessionkit's store refuses to start",
                hint="set USE_TZ = True",
                id="sessionkit.E001",
            )
        )
    from sessionkit.contrib.django.models import SessionRecord  # apps ready

    alias = router.db_for_write(SessionRecord) or "default"
    database = connections.settings.get(alias, {})
    if "sqlite3" in str(database.get("ENGINE", "")):
        mode = (database.get("OPTIONS") or {}).get("transaction_mode")
        if str(mode).upper() not in _TAKING_THE_LOCK:
            found.append(
                Warning(
                    f"database {alias!r} (where sessionkit's tables are written) is SQLite with"
                    f" transaction_mode {mode!r}: a unit of work takes the write lock only at"
                    " its first write, so racing writers wait on each other until one fails"
                    ' with "database is locked" instead of taking turns',
                    hint=(
                        f'set DATABASES[{alias!r}]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"'
                        " (Django 5.1 and later)"
                    ),
                    id="sessionkit.W001",
                )
            )
    return found
