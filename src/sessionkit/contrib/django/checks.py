"""Django system checks: the settings sessionkit's guarantees rest on (``manage.py check``).

- ``sessionkit.E001``: ``USE_TZ`` is off (the store refuses to start without it).
- ``sessionkit.E002``: a database that may hold sessionkit's tables stores
  naive datetimes (SQLite) and has a ``TIME_ZONE`` other than UTC: Django then
  writes local wall-clock times, and the hour the clocks go back holds two
  instants alike (the store refuses to start on it).
- ``sessionkit.E003``: a database that may hold sessionkit's tables is of a
  vendor the store refuses (MySQL/MariaDB, Oracle: see
  :data:`VENDORS`); ``migrate`` would make
  the tables there and the store refuse to start on them.
- ``sessionkit.W001``: a database that may hold sessionkit's tables (the
  routers allow migrating them there) is SQLite (or a backend built on it,
  such as SpatiaLite) without ``OPTIONS["transaction_mode"]`` ``"IMMEDIATE"``
  (or ``"EXCLUSIVE"``).
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

import django
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import connections, router

__all__ = ["TAG", "VENDORS", "check_settings", "local_time_zone"]

TAG = "sessionkit"
VENDORS = ("postgresql", "sqlite")
"""The database vendors the Django store keeps its guarantees on.

MySQL/MariaDB is refused: there the store would take no resource or
participant lock (PostgreSQL takes advisory locks, SQLite's writers queue on
the database's lock) and compare keys without regard to case; sessionkit's
SQLAlchemy store supports it.
"""
_TAKING_THE_LOCK = frozenset({"IMMEDIATE", "EXCLUSIVE"})
_UTC = frozenset(
    {"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"}
    | {"GMT", "Etc/GMT", "GMT0", "Etc/GMT0", "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0"}
    | {"Greenwich", "Etc/Greenwich"}
)
"""Names of UTC itself (tzdata's links to it): local time there is UTC, so Django's naive
values lose nothing."""


def local_time_zone(alias: str) -> str | None:
    """Return the ``TIME_ZONE`` database ``alias`` would store local times in, or ``None``.

    ``None`` for a backend that stores aware datetimes (PostgreSQL: there the
    setting only names the connection's zone) and for no zone or UTC.
    """
    zone = connections.settings[alias].get("TIME_ZONE")
    if zone is None or str(zone) in _UTC or connections[alias].features.supports_timezones:
        return None
    return str(zone)


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

    # Every database sessionkit's tables may be in (DjangoStore(using=...) picks one).
    for alias in connections:
        if not router.allow_migrate_model(alias, SessionRecord):
            continue
        zone = local_time_zone(alias)
        if zone is not None:
            found.append(
                Error(
                    f"database {alias!r} (which may hold sessionkit's tables) has TIME_ZONE"
                    f" {zone!r}: Django stores naive local times there, and the hour the clocks"
                    " go back holds two instants alike, so sessionkit's store refuses to start",
                    hint=f"remove DATABASES[{alias!r}]['TIME_ZONE'] (or set it to 'UTC')",
                    id="sessionkit.E002",
                )
            )
        vendor = connections[alias].vendor  # settings only: no connection is opened
        if vendor not in VENDORS:
            found.append(
                Error(
                    f"database {alias!r} (which may hold sessionkit's tables) is {vendor}:"
                    " sessionkit's Django store keeps its guarantees on"
                    f" {' and '.join(VENDORS)} only, and refuses to start on it",
                    hint="keep sessionkit's tables on PostgreSQL (a router can send them"
                    " there), or use sessionkit's SQLAlchemy store, which supports MySQL/MariaDB",
                    id="sessionkit.E003",
                )
            )
            continue
        if vendor != "sqlite":
            continue
        options = connections.settings[alias].get("OPTIONS") or {}
        mode = options.get("transaction_mode")
        if str(mode).upper() in _TAKING_THE_LOCK:
            continue
        found.append(
            Warning(
                f"database {alias!r} (which may hold sessionkit's tables) is SQLite with"
                f" transaction_mode {mode!r}: a unit of work takes the write lock only at its"
                " first write, so racing writers wait on each other until one fails with"
                ' "database is locked" instead of taking turns',
                hint=(
                    f'set DATABASES[{alias!r}]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"'
                    if django.VERSION >= (5, 1)
                    else "Django 5.1 and later take OPTIONS['transaction_mode'] = 'IMMEDIATE';"
                    " before it, silence sessionkit.W001 or use PostgreSQL"
                ),
                id="sessionkit.W001",
            )
        )
    return found
