"""The composition root: one SessionKit over the Django store, built on first use."""

from functools import cache

from sessionkit import SessionKit, SystemClock
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.services.attendance import attendance_facts


@cache
def get_kit() -> SessionKit:
    # The stored presence log gives the lifecycles' attended facts (the academy's ABSENT).
    return SessionKit(uow=DjangoStore().unit_of_work, clock=SystemClock(), facts=attendance_facts())
