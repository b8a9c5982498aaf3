"""The composition root: one SessionKit over the Django store, built on first use."""

from datetime import UTC, datetime
from functools import cache

from sessionkit.contrib.django.store import DjangoStore
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts


class SystemClock:
    """The wall clock (the one place that reads it)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@cache
def get_kit() -> SessionKit:
    # The stored presence log gives the lifecycles' attended facts (the academy's ABSENT).
    return SessionKit(uow=DjangoStore().unit_of_work, clock=SystemClock(), facts=attendance_facts())
