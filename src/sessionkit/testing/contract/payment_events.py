"""The contract of the payment events kind: the generic rules, for the receipts of provider events.

:class:`PaymentEventsRepositoryContract` fills in the generic
:class:`~sessionkit.testing.contract.RepositoryContract` for
:data:`~sessionkit.ports.PAYMENT_EVENTS`; the kind promises nothing beyond it.
The payments service adds a receipt once per provider event and, since an
``"unknown"`` receipt of an earlier version no longer marks its event seen,
stores the applied event over such a receipt with ``update`` (its payment,
outcome and time now known). The records are shaped as that update finds and
leaves them, so the suite holds each adapter to it:
:meth:`~PaymentEventsRepositoryContract.make_record` returns a receipt of no
payment, and :meth:`~PaymentEventsRepositoryContract.change` turns it into one
of a payment, at a later instant. Subclass it once per adapter and implement
``make_store``.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from sessionkit.model.payment import ReceivedEvent
from sessionkit.ports import PAYMENT_EVENTS
from sessionkit.testing.contract._support import T0, TENANT
from sessionkit.testing.contract.repository import RepositoryContract

__all__ = ["PaymentEventsRepositoryContract"]


class PaymentEventsRepositoryContract(RepositoryContract[ReceivedEvent]):
    """The contract of :data:`~sessionkit.ports.PAYMENT_EVENTS`; implement ``make_store``."""

    kind = PAYMENT_EVENTS

    def make_record(
        self, record_id: str, *, tenant: str = TENANT, variant: int = 0
    ) -> ReceivedEvent:
        """Return an "unknown" receipt of no payment, ``variant`` minutes after ``T0``."""
        return ReceivedEvent(
            id=record_id,
            tenant=tenant,
            payment_id=None,
            type="succeeded",
            outcome="unknown",
            received_at=T0 + timedelta(minutes=variant),
        )

    def change(self, record: ReceivedEvent) -> ReceivedEvent:
        """Return the receipt applied: of payment ``p-<event id>``, an hour later, "applied"."""
        return attrs.evolve(
            record,
            payment_id=f"p-{record.id}",
            outcome="applied",
            received_at=record.received_at + timedelta(hours=1),
        )
