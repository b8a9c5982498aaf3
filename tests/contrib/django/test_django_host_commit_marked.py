"""An event receiver's error raised on leaving the host's ``atomic()`` is marked as after commit.

A unit inside the host's ``transaction.atomic()`` publishes its events (and
makes the provider calls it left due) from ``on_commit``, so a receiver of
``events_committed`` that raises does so as the host's block leaves, after its
commit. ``raised_after_commit(error)``, which docs/django.md offers to tell
such an error from a refusal, said False for it: a host that runs the block
again on an error it did not mark booked twice. Outside ``atomic()`` the same
receiver's error was marked already.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from tests.django_app.conftest import clear

from sessionkit.contrib.django.models import SessionRecord
from sessionkit.contrib.django.signals import events_committed
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.services import SessionKit, raised_after_commit
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
ALIAS = "default"


class SmtpDown(ConnectionError):
    """The receiver's error: the mail server it sends a notice through is down."""


def _boom(sender: object, events: object, **kwargs: Any) -> None:  # a receiver
    raise SmtpDown("mail server down")


@pytest.fixture
def kit() -> Iterator[SessionKit]:
    call_command("migrate", database=ALIAS, verbosity=0)  # done already in a full run
    clear(ALIAS)
    events_committed.connect(_boom, dispatch_uid="test_django_host_commit_marked")
    try:
        yield SessionKit(uow=DjangoStore(using=ALIAS).unit_of_work, clock=ManualClock(NOW))
    finally:
        events_committed.disconnect(dispatch_uid="test_django_host_commit_marked")
        clear(ALIAS)


def _lesson(kit: SessionKit, title: str, days: int) -> None:
    start = NOW + timedelta(days=days)
    kit.sessions.create_extra(
        "acme",
        actor="admin",
        title=title,
        start=start,
        end=start + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
    )


def _in_atomic(kit: SessionKit, titles: list[str]) -> None:
    """The host's block: a lesson a day per title, committed as the block leaves."""
    with transaction.atomic(using=ALIAS):
        for days, title in enumerate(titles, start=1):
            _lesson(kit, title, days)


def _stored() -> list[str]:
    return sorted(SessionRecord.objects.using(ALIAS).values_list("title", flat=True))


def test_outside_atomic(kit: SessionKit) -> None:
    with pytest.raises(SmtpDown) as caught:
        _lesson(kit, "Algebra", 1)
    assert (raised_after_commit(caught.value), _stored()) == (True, ["Algebra"])


@pytest.mark.parametrize("commands", [1, 2], ids=["one-command", "two-commands"])
def test_on_leaving_atomic(kit: SessionKit, commands: int) -> None:
    titles = [f"Lesson {n}" for n in range(commands)]
    with pytest.raises(SmtpDown) as caught:
        _in_atomic(kit, titles)
    assert (raised_after_commit(caught.value), _stored()) == (True, titles)
