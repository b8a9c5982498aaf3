"""The test host's Django settings, as one function: the conftest's and each race worker's.

:func:`configure` configures Django for the given ``DATABASES`` unless
something configured it already. ``conftest.py`` calls it when pytest
collects this directory; a process a race test spawns calls it with the
parent's ``DATABASES`` (so it writes to the same SQLite file and the same
PostgreSQL database). Importing this module configures nothing.
"""

from __future__ import annotations

import sys
import types
from typing import Any

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


def configure(databases: dict[str, Any]) -> None:
    """Configure Django with ``databases``, unless something configured it already."""
    import django
    from django.conf import settings

    if settings.configured:
        return
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
