"""What the process race tests' workers run: spawned processes that configure Django themselves.

A worker process starts in :func:`start` (the pool's initializer): it
configures Django with the parent's ``DATABASES`` through the very function
the conftest uses, imports what the tasks use, and keeps the barrier that
releases the workers of one race together. :func:`run` connects to
``using``, waits at the barrier, does one task against the store there and
returns its outcome as text (``"refused: <error>"`` for a refusal sessionkit
promises, ``"error: ..."`` for anything else); it closes the process's
connections after every task. Importing and connecting before the barrier
keeps a worker's first race from starting late: the writers' transactions
must overlap for a missing guard to show.

This module is imported by name in the workers (its directory is on their
``sys.path``), never through the test package; it configures nothing when
imported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from threading import Barrier
from typing import Any

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
"""The workers' and the tests' clock."""
REASON = "I have an exam that morning"

_barrier: list[Barrier] = []


def start(databases: dict[str, Any], barrier: Barrier) -> None:
    """Configure Django in this process (the conftest's settings, the parent's databases)."""
    from django_settings import configure  # type: ignore[import-not-found]  # by path, in the worker

    configure(databases)
    # The tasks' imports, done now: settings first, then the models they import.
    import sessionkit.contrib.django.store
    import sessionkit.policies
    import sessionkit.services
    import sessionkit.testing.clocks
    import sessionkit.testing.contract.bookings  # noqa: F401

    _barrier.append(barrier)


def _book(using: str, n: int, session_id: str) -> str:
    from sessionkit.contrib.django.store import DjangoStore
    from sessionkit.testing.contract.bookings import make_booking

    with DjangoStore(using=using).unit_of_work() as uow:
        uow.bookings.add(make_booking(f"b{n}", session_id=session_id))
        uow.commit()
    return "booked"


def _add_session(using: str, n: int, resource: str) -> str:
    from sessionkit.contrib.django.store import DjangoStore
    from sessionkit.testing.contract import make_session

    with DjangoStore(using=using).unit_of_work() as uow:
        uow.sessions.add(make_session(f"t{n}", at=n / 10, resources=[resource]))
        uow.commit()
    return "added"


def kit(using: str) -> Any:
    """Return a kit over the Django store on ``using``, at :data:`NOW`, with coaching notice."""
    from sessionkit.contrib.django.store import DjangoStore
    from sessionkit.policies import coaching_notice
    from sessionkit.services import SessionKit
    from sessionkit.testing.clocks import ManualClock

    return SessionKit(
        uow=DjangoStore(using=using).unit_of_work,
        clock=ManualClock(NOW),
        notice=coaching_notice(),
    )


def _end(using: str, n: int, session_id: str) -> str:
    """Even workers complete the session (which consumes its credits), odd ones consume them."""
    from sessionkit.testing.contract import TENANT

    made = kit(using)
    if n % 2:
        entries = made.usage.consume(TENANT, session_id, actor=f"w{n}")
        return f"consumed {len(entries)}"
    made.sessions.fire(TENANT, session_id, "complete", actor=f"w{n}")
    return "completed"


def _request(using: str, n: int, session_id: str) -> str:
    from sessionkit.testing.contract import TENANT

    kit(using).reschedules.request(
        TENANT, session_id, role="student", actor=f"student:w{n}", reason=REASON
    )
    return "pending"


TASKS: dict[str, Callable[[str, int, str], str]] = {
    "book": _book,
    "add_session": _add_session,
    "end": _end,
    "request": _request,
}
"""The tasks a worker runs, by name: ``(using, n, argument) -> outcome``."""


def run(task: str, using: str, n: int, argument: str) -> str:
    """Wait for the other workers, run ``task``; return its outcome; close the connections."""
    from django.db import connections

    from sessionkit.errors import SessionKitError

    try:
        connections[using].ensure_connection()
        _barrier[0].wait(timeout=60)
        return TASKS[task](using, n, argument)
    except SessionKitError as refused:
        rule = getattr(refused, "rule", None)
        return f"refused: {type(refused).__name__}" + (f" {rule}" if rule else "")
    except BaseException as exc:  # noqa: BLE001  # reported to the test as a failure
        return f"error: {exc!r}"
    finally:
        connections.close_all()
