"""The storage contract: one pytest suite every storage adapter must pass unchanged.

Two parts: :class:`RepositoryContract`, the generic rules of any kind's
repository (subclass it per kind: :class:`SessionsRepositoryContract`,
:class:`SeriesRepositoryContract`, :class:`BookingsRepositoryContract`, which
adds seats, doubles and the booking reads, and :class:`PaymentsRepositoryContract`,
which adds exact amounts and the payment reads, and :class:`PaymentEventsRepositoryContract`,
the receipts of provider events, are ready for the built-in kinds; mix in
:class:`ParentsContract` for a kind whose records point at a parent), and
:class:`StorageContract`, everything sessions and series promise beyond them.

Subclass :class:`StorageContract` once per adapter and implement
:meth:`~StorageContract.make_store`; pytest collects the subclass (name it
``Test...``) and runs every behaviour the ports promise against it. A ``Test...``
subclass that is still abstract (a hook, or a repository contract's ``kind``, not
given) is refused with a ``TypeError`` naming what it lacks, as pytest would
otherwise skip it without a word; a mixin not named ``Test...`` may stay abstract::

    from sessionkit.adapters.memory import InMemoryStore
    from sessionkit.testing.contract import StorageContract

    class TestMemoryStore(StorageContract):
        def make_store(self, publisher):
            return InMemoryStore(publisher).unit_of_work

Needs only the standard library and pytest. The suite pins down the details
the port docstrings leave to "see the contract":

- Ids are scoped by tenant: another tenant may use the same session or series
  id, and nothing either does is visible to the other.
- Ids, and the statuses, resources, participants and groups reads filter by,
  compare exactly, as Python compares ``str``: ``"A"`` is not ``"a"``, nor
  ``"g1 "`` ``"g1"`` (a database's default collation may fold case or pad).
- Sessions that share a sort value are ordered by id, in the same direction as
  the sort; ``sort="updated"`` reads a never-updated session's ``updated_at``
  as its ``created_at``. A cursor continues strictly after ``(value, id)``.
- A failed write (duplicate, conflict, stale version, missing id) changes
  nothing, and the unit of work stays usable: earlier writes are still there
  to commit (a database adapter uses a savepoint per write).
- ``get_many`` returns each found id once, in the order first asked.
- Events of a successful ``commit`` reach the publisher after the unit of
  work closed (its ``with`` block left), in the order collected and commit by
  commit, even if the block later raised; a rolled-back unit publishes nothing.

Sessions are stored with their series present (the suite adds the series
first), so an adapter may enforce a foreign key from sessions to series.
Optional behaviour is gated by the capability flags on the class.
"""

from __future__ import annotations

import pkgutil

import pytest

# Before the suite's modules are imported: pytest then rewrites their asserts as it does a
# test module's, so a failure shows what the adapter returned, not a bare AssertionError.
# By name, each: this package itself is imported already, and pytest would warn of it.
pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))

from sessionkit.testing.contract._support import (
    OTHER_TENANT,
    T0,
    TENANT,
    make_series,
    make_session,
)

# Not public: the sample event, which the adapters' own tests borrow.
from sessionkit.testing.contract._support import _event as _event
from sessionkit.testing.contract.analytics import AnalyticsContract, seed_analytics
from sessionkit.testing.contract.analytics_use import AnalyticsUseContract, seed_analytics_use
from sessionkit.testing.contract.attendance import (
    OverridesRepositoryContract,
    PresenceRepositoryContract,
)
from sessionkit.testing.contract.bookings import BookingsRepositoryContract
from sessionkit.testing.contract.concurrency import ConcurrencyContract
from sessionkit.testing.contract.fields import FieldsContract
from sessionkit.testing.contract.journal import JournalRepositoryContract
from sessionkit.testing.contract.kinds import SeriesRepositoryContract, SessionsRepositoryContract
from sessionkit.testing.contract.parents import ParentsContract
from sessionkit.testing.contract.payment_events import PaymentEventsRepositoryContract
from sessionkit.testing.contract.payments import PaymentsRepositoryContract
from sessionkit.testing.contract.queries import QueryContract
from sessionkit.testing.contract.repository import RepositoryContract
from sessionkit.testing.contract.reschedules import ReschedulesRepositoryContract
from sessionkit.testing.contract.series import SeriesContract
from sessionkit.testing.contract.sessions import SessionContract
from sessionkit.testing.contract.units import UnitOfWorkContract
from sessionkit.testing.contract.updates import UpdateContract
from sessionkit.testing.contract.usage import (
    CountersRepositoryContract,
    SessionCodesRepositoryContract,
    SubscriptionsRepositoryContract,
    UsageRepositoryContract,
)

__all__ = [
    "OTHER_TENANT",
    "T0",
    "TENANT",
    "AnalyticsContract",
    "AnalyticsUseContract",
    "BookingsRepositoryContract",
    "JournalRepositoryContract",
    "OverridesRepositoryContract",
    "PresenceRepositoryContract",
    "ParentsContract",
    "PaymentEventsRepositoryContract",
    "PaymentsRepositoryContract",
    "ReschedulesRepositoryContract",
    "CountersRepositoryContract",
    "SessionCodesRepositoryContract",
    "SubscriptionsRepositoryContract",
    "UsageRepositoryContract",
    "RepositoryContract",
    "SeriesRepositoryContract",
    "SessionsRepositoryContract",
    "StorageContract",
    "make_series",
    "make_session",
    "seed_analytics",
    "seed_analytics_use",
]


# pytest collects inherited tests in reverse method-resolution order, so the bases are listed
# last topic first: the suite then runs sessions, updates, queries, units, series, concurrency,
# fields.
class StorageContract(
    FieldsContract,
    ConcurrencyContract,
    SeriesContract,
    UnitOfWorkContract,
    QueryContract,
    UpdateContract,
    SessionContract,
):
    """Every behaviour of the storage ports; subclass it and implement :meth:`make_store`.

    Capability flags (override as class attributes):

    - ``concurrent_units``: units of work may run in several threads at once
      against one store (the race tests start threads; the booking race also
      stores bookings, and skips where the adapter raises ``UnsupportedKind``
      for them).
    - ``unicode_search``: title search folds case beyond ASCII, as
      ``str.casefold`` does (``LIKE`` and ``lower()`` in a database do not).

    Transitional: ``pending`` (a frozenset of rule names) lists port rules an
    adapter does not meet yet; their tests skip instead of failing. The rules
    so named are ``"events_after_close"`` (events are published after the
    unit of work closed, so a handler may open another), ``"for_occurrences"``
    and ``"series_start"`` (a series has at most one session per start).
    """
