"""The composition root: one SessionKit over the Django store, built on first use."""

from datetime import UTC, datetime
from functools import cache

from sessionkit.contrib.django.store import DjangoStore
from sessionkit.services import SessionKit


class SystemClock:
    """The wall clock (the one place that reads it)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@cache
def get_kit() -> SessionKit:
    return SessionKit(uow=DjangoStore().unit_of_work, clock=SystemClock())
