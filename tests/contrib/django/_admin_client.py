"""A logged-in superuser's admin client over a kit of its own, on emptied tables."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from tests.django_app.conftest import clear
from tests.django_app.django_settings import KITS

from sessionkit.contrib.django.store import DjangoStore
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

ALIAS = "default"


@contextlib.contextmanager
def admin_client(username: str, now: datetime) -> Iterator[Client]:
    """The admin as superuser ``username``, the admin's kit at ``now``; all cleared after."""
    call_command("migrate", database=ALIAS, verbosity=0)  # done already in a full run
    clear(ALIAS)
    kit = SessionKit(uow=DjangoStore(using=ALIAS).unit_of_work, clock=ManualClock(now))
    KITS.append(kit)
    admin = User.objects.create_superuser(username, "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    try:
        yield client
    finally:
        KITS.remove(kit)
        User.objects.filter(pk=admin.pk).delete()
        clear(ALIAS)
