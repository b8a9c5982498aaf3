"""Django signals sent after the host's transaction committed sessionkit's writes.

:data:`events_committed` is sent once per committed batch of domain events,
with ``sender`` the :class:`~sessionkit.contrib.django.store.DjangoStore` class,
``store`` the store whose unit of work committed the batch (a host with a store
per database tells them apart by it) and ``events`` the batch (a tuple of
:class:`~sessionkit.model.events.DomainEvent`, in the order they happened)::

    from django.dispatch import receiver
    from sessionkit.contrib.django.signals import events_committed

    @receiver(events_committed)
    def notify(sender, events, **kwargs):
        for event in events:
            ...

A batch whose transaction rolled back is never sent.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["events_committed"]

events_committed = Signal()
"""Sent with ``store`` and ``events`` (the domain events) once their transaction committed."""
