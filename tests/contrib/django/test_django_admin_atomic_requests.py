"""The admin's actions under ``ATOMIC_REQUESTS``: each row commits, a receiver's error is a warning.

A host with ``ATOMIC_REQUESTS = True`` ran the list page, where the actions
run, in one transaction: every row's change committed together as the view
returned, so an ``events_committed`` receiver that raised then turned the
page into a 500 although every selected session was cancelled, and the
per-row warning docs/django.md promises ("cancelled, then an event handler
raised") was never shown. The list is left out of the request's transaction
(each action's row is a unit of work of its own), as without the setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client
from tests.django_app.conftest import clear
from tests.django_app.django_settings import KITS

from sessionkit.contrib.django.models import SessionRecord
from sessionkit.contrib.django.signals import events_committed
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import make_session

ALIAS = "default"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    call_command("migrate", database=ALIAS, verbosity=0)  # done already in a full run
    clear(ALIAS)
    kit = SessionKit(uow=DjangoStore(using=ALIAS).unit_of_work, clock=ManualClock(NOW))
    KITS.append(kit)
    monkeypatch.setitem(connections[ALIAS].settings_dict, "ATOMIC_REQUESTS", True)
    admin = User.objects.create_superuser("atomic-root", "root@example.com", "pw")
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    try:
        yield client
    finally:
        KITS.remove(kit)
        User.objects.filter(pk=admin.pk).delete()
        clear(ALIAS)


def _down(sender: object, **_: object) -> None:
    raise RuntimeError("the notifier is down")


def test_a_receivers_error_is_each_rows_warning(client: Client) -> None:
    with DjangoStore(using=ALIAS).unit_of_work() as uow:
        for record in (make_session("a", at=0), make_session("b", at=2)):
            uow.sessions.add(record)
        uow.commit()
    rows = sorted(SessionRecord.objects.values_list("pk", flat=True))
    events_committed.connect(_down, dispatch_uid="test_django_admin_atomic_requests")
    try:
        response = client.post(
            "/admin/sessionkit/sessionrecord/",
            {"action": "cancel_sessions", "_selected_action": rows},
        )
    finally:
        events_committed.disconnect(dispatch_uid="test_django_admin_atomic_requests")
    assert response.status_code == 302
    shown = {str(m): m.level_tag for m in response.wsgi_request._messages}  # type: ignore[attr-defined]
    assert shown == {
        "'a': cancelled, then an event handler raised: RuntimeError('the notifier is down')": (
            "warning"
        ),
        "'b': cancelled, then an event handler raised: RuntimeError('the notifier is down')": (
            "warning"
        ),
        "cancelled 2 of 2": "success",
    }
    statuses = dict(SessionRecord.objects.values_list("record_id", "status"))
    assert statuses == {"a": "CANCELED", "b": "CANCELED"}
