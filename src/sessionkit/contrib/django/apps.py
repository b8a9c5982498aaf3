"""The Django app config: the label ``sessionkit`` names the tables and migrations."""

from __future__ import annotations

from django.apps import AppConfig


class SessionKitConfig(AppConfig):
    """sessionkit's models, migrations, admin and ``sessionkit_tick`` command."""

    name = "sessionkit.contrib.django"
    label = "sessionkit"
    verbose_name = "sessionkit"  # not "Sessions": django.contrib.sessions is named that
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the system checks (``sessionkit.E001`` to ``E003``, ``sessionkit.W001``)."""
        from sessionkit.contrib.django import checks  # noqa: F401  # registers them
