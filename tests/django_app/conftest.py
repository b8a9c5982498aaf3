"""Django for the Django adapter's tests, configured here and nowhere else.

Settings are configured once, when pytest collects this directory (guarded, so
a second configuration never happens): SQLite in memory as ``default``, a
SQLite file as ``sqlite_file`` and, with ``SESSIONKIT_TEST_POSTGRES_URL``, a
PostgreSQL database ``sessionkit_django_<random>`` of its own as ``postgres``,
created for the run and dropped after it (never a table in the shared ``test``
database). The settings themselves are :func:`.django_settings.configure`,
which the race tests' worker processes call too. ``tests/contrib/django``
imports this module for the same configuration; nothing else uses Django.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from .django_settings import configure

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
POSTGRES_NAME = f"sessionkit_django_{secrets.token_hex(4)}"
SQLITE_DIRECTORY = tempfile.mkdtemp(prefix="sessionkit-django-")
"""Where the SQLite file of the race tests lives (removed after the run)."""
atexit.register(shutil.rmtree, SQLITE_DIRECTORY, True)


def _postgres_settings(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": POSTGRES_NAME,
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


def _server(url: str) -> str:
    """The libpq URL of the server's maintenance database (``postgres``)."""
    parts = urlsplit(url)
    return parts._replace(scheme="postgresql", path="/postgres").geturl()


def close_thread_connections() -> None:
    """Close this thread's connections if it is not the main thread (race tests' workers)."""
    if threading.current_thread() is not threading.main_thread():
        from django.db import connections

        connections.close_all()


def sqlite_takes_turns() -> bool:
    """Whether SQLite writers take the lock at BEGIN here: ``transaction_mode``, Django 5.1+.

    Before 5.1 Django passes the option on to ``sqlite3.connect``, which
    refuses it (every connection failed with a ``TypeError``); racing writers
    then wait on each other until one fails, as ``sessionkit.W001`` warns.
    """
    import django

    return django.VERSION >= (5, 1)


TAKES_TURNS_ONLY = "SQLite's writers take turns only with transaction_mode (Django 5.1+)"
"""Why a test of racing SQLite writers is skipped before Django 5.1."""


def _sqlite_options(**options: Any) -> dict[str, Any]:
    """``options`` with the lock taken at BEGIN (as docs/django.md asks) where Django has it."""
    if sqlite_takes_turns():
        options["transaction_mode"] = "IMMEDIATE"
    return options


def _configure() -> None:
    """Configure Django for this directory, unless something configured it already."""
    databases: dict[str, Any] = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": _sqlite_options(),
        },
        # A file, shared by threads and processes; writers take the lock when they begin.
        "sqlite_file": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(SQLITE_DIRECTORY, "sessionkit.sqlite3"),
            "OPTIONS": _sqlite_options(timeout=30),
        },
        # The same file, waiting a tenth of a second for its lock: the lock-timeout test's.
        "sqlite_busy": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(SQLITE_DIRECTORY, "sessionkit.sqlite3"),
            "OPTIONS": _sqlite_options(timeout=0.1),
        },
        # A file the migration tests migrate forwards and back (no other test uses it).
        "sqlite_migrations": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(SQLITE_DIRECTORY, "migrations.sqlite3"),
            "OPTIONS": _sqlite_options(),
        },
        # A file never migrated: a host that forgot ``manage.py migrate``.
        "sqlite_unmigrated": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(SQLITE_DIRECTORY, "unmigrated.sqlite3"),
            "OPTIONS": _sqlite_options(),
        },
    }
    if POSTGRES_URL:
        databases["postgres"] = _postgres_settings(POSTGRES_URL)
    configure(databases)


if importlib.util.find_spec("django") is None:
    collect_ignore_glob = ["test_*.py"]  # the django extra is not installed
else:
    _configure()


@pytest.fixture(scope="session")
def sqlite_db() -> str:
    """The in-memory SQLite alias, migrated (the main thread's connection keeps it)."""
    from django.core.management import call_command

    call_command("migrate", database="default", verbosity=0)
    return "default"


@pytest.fixture(scope="session")
def sqlite_file_db() -> Iterator[str]:
    """A SQLite file several threads write to (BEGIN IMMEDIATE), removed after the run."""
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", database="sqlite_file", verbosity=0)
    try:
        yield "sqlite_file"
    finally:
        connections["sqlite_file"].close()
        shutil.rmtree(SQLITE_DIRECTORY, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    """The PostgreSQL alias on a database of its own, migrated, dropped after the run."""
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the Django PostgreSQL tests")
    import psycopg
    from django.core.management import call_command
    from django.db import connections

    server = _server(POSTGRES_URL)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{POSTGRES_NAME}"')
    try:
        call_command("migrate", database="postgres", verbosity=0)
        yield "postgres"
    finally:
        connections["postgres"].close()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_NAME}" WITH (FORCE)')


def clear(using: str) -> None:
    """Delete every sessionkit row of the alias (rows that point at others first)."""
    from sessionkit.contrib.django import models

    for model in (
        models.JournalRecord,
        models.UsageRecord,
        models.SubscriptionRecord,
        models.CounterRecord,
        models.SessionCodeRecord,
        models.PresenceRecord,
        models.AttendanceOverrideRecord,
        models.PaymentEventRecord,
        models.PaymentRecord,
        models.RescheduleRecord,
        models.BookingRecord,
        models.SessionResource,
        models.SessionRecord,
        models.SeriesRecord,
    ):
        model._default_manager.using(using).all()._raw_delete(using)
