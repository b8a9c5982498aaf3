"""Django for the Django adapter's tests, configured here and nowhere else.

Settings are configured once, when pytest collects this directory (guarded, so
a second configuration never happens): SQLite in memory as ``default`` and, with
``SESSIONKIT_TEST_POSTGRES_URL``, a PostgreSQL database ``sessionkit_django_<random>``
of its own as ``postgres``, created for the run and dropped after it (never a
table in the shared ``test`` database). Nothing outside this directory uses Django.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
import shutil
import sys
import tempfile
import threading
import types
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

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


KITS: list[Any] = []
"""The kit ``SESSIONKIT_KIT`` gives: the last one a test put here."""


def _host() -> None:
    """The test host's module: its URLs (the admin) and the kit the settings name."""
    from django.contrib import admin
    from django.urls import path

    host = types.ModuleType("sessionkit_test_host")
    host.urlpatterns = [path("admin/", admin.site.urls)]  # type: ignore[attr-defined]
    host.get_kit = lambda: KITS[-1]  # type: ignore[attr-defined]
    sys.modules[host.__name__] = host


def close_thread_connections() -> None:
    """Close this thread's connections if it is not the main thread (race tests' workers)."""
    if threading.current_thread() is not threading.main_thread():
        from django.db import connections

        connections.close_all()


def _configure() -> None:
    """Configure Django for this directory, unless something configured it already."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    databases: dict[str, Any] = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        # A file, shared by threads; writers take the lock when they begin.
        "sqlite_file": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(SQLITE_DIRECTORY, "sessionkit.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        },
    }
    if POSTGRES_URL:
        databases["postgres"] = _postgres_settings(POSTGRES_URL)
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        TIME_ZONE="Europe/Berlin",
        SECRET_KEY="sessionkit-tests",  # a test-only key
        DATABASES=databases,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.admin",
            "sessionkit.contrib.django",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        ROOT_URLCONF="sessionkit_test_host",
        SESSIONKIT_KIT="sessionkit_test_host.get_kit",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        # The admin tests' users: a fast hash (PBKDF2 costs ~1 s a user on a busy machine).
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    django.setup()
    _host()


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
