"""What docs/django.md says of async views and of a store on another database alias.

The kit is synchronous: called from an ``async def`` view it met Django's
``SynchronousOnlyOperation``, and the docs did not say to go through
``sync_to_async``. A plain ``transaction.atomic()`` is the ``default``
database's: it does not wrap a store on another alias, so an exception in the
block left sessionkit's writes committed.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import types
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.exceptions import SynchronousOnlyOperation
from django.core.management import call_command
from django.db import connections, transaction
from django.http import HttpResponse
from django.utils.asyncio import async_unsafe
from django.utils.functional import SimpleLazyObject
from tests.django_app.conftest import clear

from sessionkit.contrib.django.models import SessionRecord
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

OTHER = "sqlite_file"  # a store on an alias other than ``default`` (a file: threads share it)
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
DOCS = Path(__file__).parents[3] / "docs" / "django.md"


class Rollback(Exception):
    """Raised inside a block to roll it back."""


@pytest.fixture
def kit() -> Iterator[SessionKit]:
    call_command("migrate", database=OTHER, verbosity=0)
    clear(OTHER)
    try:
        yield SessionKit(uow=DjangoStore(using=OTHER).unit_of_work, clock=ManualClock(NOW))
    finally:
        clear(OTHER)
        connections[OTHER].close()


def _lesson(kit: SessionKit, title: str) -> Session:
    start = NOW + timedelta(days=1)
    return kit.sessions.create_extra(
        "acme", actor="t", title=title, start=start, end=start + timedelta(hours=1),
        capacity=4, lifecycle="lms",
    )  # fmt: skip


def test_the_kit_called_in_an_event_loop_raises_synchronous_only_operation(
    kit: SessionKit,
) -> None:
    async def view() -> Session:
        return _lesson(kit, "direct")

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(view())


def test_the_docs_async_view_books_through_sync_to_async(
    kit: SessionKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    [snippet] = re.findall(
        r"```python\n(# myproject/views.py\n.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL
    )
    host = types.ModuleType("myproject.kit")
    host.get_kit = lambda: kit  # type: ignore[attr-defined]  # the host's module, stood in
    monkeypatch.setitem(sys.modules, "myproject", types.ModuleType("myproject"))
    monkeypatch.setitem(sys.modules, "myproject.kit", host)
    space: dict[str, object] = {}
    exec(compile(snippet, str(DOCS), "exec"), space)  # the docs' own code
    book = cast("Callable[..., Coroutine[Any, Any, HttpResponse]]", space["book"])
    lesson = _lesson(kit, "algebra")
    # AuthenticationMiddleware's request.user is lazy and loads the user through the ORM,
    # which refuses an event loop: stood in by a lazy user with the ORM's guard.
    load = async_unsafe("the user's query")(lambda: types.SimpleNamespace(pk=7))
    request = types.SimpleNamespace(user=SimpleLazyObject(load))
    answer = json.loads(asyncio.run(book(request, lesson.id)).content)
    assert answer["status"] == "CONFIRMED"
    assert str(kit.bookings.get("acme", answer["id"]).participant) == "student:7"


def test_a_plain_atomic_does_not_wrap_a_store_on_another_alias(kit: SessionKit) -> None:
    def in_atomic(title: str, using: str | None) -> None:
        with transaction.atomic(using=using):
            _lesson(kit, title)
            raise Rollback

    with pytest.raises(Rollback):
        in_atomic("kept", None)  # the default database's transaction
    with pytest.raises(Rollback):
        in_atomic("undone", OTHER)
    titles = list(SessionRecord.objects.using(OTHER).values_list("title", flat=True))
    assert titles == ["kept"]
