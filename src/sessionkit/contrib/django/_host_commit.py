"""What a Django unit joined to the host's transaction runs on the host's commit.

One ``on_commit`` callback per unit (:class:`_HostCommit`: its event batches,
then the provider calls deferred to the commit), registered by
:func:`_on_host_commit`, and the shared failures' callback
(:class:`_HostFailures`) that raises their errors once every unit's ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from django.db import transaction

from sessionkit.model.events import DomainEvent
from sessionkit.services._context_retry import AFTER_COMMIT, mark

if TYPE_CHECKING:
    from sessionkit.contrib.django.store import DjangoStore


class _HostFailures:
    """Raises the errors of several units' ``on_commit`` callbacks once they all ran.

    Django runs no later ``on_commit`` callback once one raised. With one unit
    of sessionkit's in the host's transaction, its callback raises its error
    itself; from a second on (:func:`_on_host_commit`), each keeps its error
    here instead, and this callback, kept last of sessionkit's, raises the first
    (the others as notes): one unit's failing publisher no longer costs the
    later units of the same ``atomic()`` their events and their calls (refunds).
    """

    def __init__(self) -> None:
        self.errors: list[Exception] = []

    def __call__(self) -> None:
        errors, self.errors = self.errors, []
        _raise_first(errors)


def _raise_first(errors: Sequence[Exception]) -> None:
    if errors:
        first = errors[0]
        for later in errors[1:]:
            first.add_note(f"and another of sessionkit's on_commit callbacks raised: {later!r}")
        raise first


_HOSTS: WeakKeyDictionary[Any, list[_HostCommit]] = WeakKeyDictionary()
"""Each database connection's units' callbacks registered with its host transaction."""


def _moved() -> None:
    """The place the failures' callback left for the end (see :func:`_on_host_commit`)."""


def _on_host_commit(using: str, host: _HostCommit) -> None:
    """Register ``host`` with the host's commit; from a second unit's on, with shared failures.

    The failures' callback goes (again) after ``host``, with no savepoint of its
    own: a rolled-back savepoint drops the units' callbacks inside it, not it.
    Its old place keeps a no-op, so no callback moves back into it: Django's
    ``captureOnCommitCallbacks`` (a host's tests) runs those from the count it
    saw on, and a unit's callback moved below that count never ran.
    """
    connection = transaction.get_connection(using)
    hooks = connection.run_on_commit
    # Those of this transaction still registered (Django drops a rolled-back savepoint's).
    pending = [h for h in _HOSTS.get(connection, ()) if any(hook[1] is h for hook in hooks)]
    transaction.on_commit(host, using=using)
    _HOSTS[connection] = [*pending, host]
    if pending:
        failures = pending[0].failures or _HostFailures()
        for each in (*pending, host):
            each.failures = failures
        kept = [
            (sids, _moved, robust) if func is failures else (sids, func, robust)
            for sids, func, robust in connection.run_on_commit
        ]
        connection.run_on_commit = [*kept, (set(), failures, False)]


class _HostCommit:
    """``on_commit`` of a unit that joined the host's transaction: its batches, then its calls.

    One callback for both, so that a publisher or receiver that raises does not
    keep the provider calls the commit left due (a cancel's refund) from being
    made; its errors are raised after them, or, with other units in the
    transaction, once every unit's callback ran (:class:`_HostFailures`).
    """

    def __init__(self, store: DjangoStore, batches: list[tuple[DomainEvent, ...]]) -> None:
        self.store = store
        self.batches = batches
        self.actions: list[Callable[[], object]] = []
        self.failures: _HostFailures | None = None

    def __call__(self) -> None:
        steps: list[Callable[[], object]] = list(self.actions)
        if self.batches:
            steps.insert(0, partial(self.store.publish, self.batches))
        errors: list[Exception] = []
        for step in steps:  # each, whatever the one before raised
            try:
                step()
            except Exception as error:  # noqa: BLE001  # raised below, or by the failures
                mark(error, AFTER_COMMIT, True)  # the host committed: raised_after_commit
                errors.append(error)
        if self.failures is None:
            _raise_first(errors)
        else:
            self.failures.errors.extend(errors)
