"""What payment providers send, and the receipts of what was applied: inbound events.

:class:`PaymentEvent` (an event a provider sent, its type a
:data:`PaymentEventType`), :class:`ReceivedEvent` (the receipt stored once per
provider and event id, goodwill refunds' idempotency keys among them, under
:data:`REFUND_RECEIPTS`) and :func:`check_provider_name`, which keeps those
receipts' ids one to one. They are the provider's side of a payment, read by
the event service and the stores' receipt tables, and never change a
:class:`~sessionkit.model.payment.Payment` themselves; ``_instant``, the
converter of their instants, is the payment's too.

Private to :mod:`sessionkit.model.payment`, which exports its names under its
own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.money import Money, minor_unit
from sessionkit.model.session import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    check_identity,
    check_lengths,
)
from sessionkit.model.text import check_id
from sessionkit.zones import check_aware

__all__ = [
    "REFUND_RECEIPTS",
    "PaymentEvent",
    "PaymentEventType",
    "ReceivedEvent",
    "check_provider_name",
]


def _instant(value: datetime) -> datetime:
    return check_aware(value, "instant").astimezone(UTC)


REFUND_RECEIPTS: Final = "sessionkit-refund"
"""The provider name the receipts of goodwill refunds' idempotency keys are kept under."""


def check_provider_name(name: str, field: str) -> str:
    """Return provider ``name`` (``field`` its name in errors); ``InvalidValue`` with ``:``.

    An event's receipt is stored under ``provider:event_id``: were ``:`` allowed
    in a provider's name, provider ``a:b``'s event ``c`` and provider ``a``'s
    event ``b:c`` would share one, and the second be taken for a duplicate. A
    provider's name is the host's configuration, not a caller's input, so it
    is refused rather than encoded, which would change the receipts' ids.
    :data:`REFUND_RECEIPTS` is refused too: the goodwill refunds' keys are
    kept as its receipts.
    """
    if name == REFUND_RECEIPTS:
        raise InvalidValue(
            f"{field} {shown(name)} is reserved: goodwill refunds' idempotency keys are kept "
            "as its receipts, beside the providers' events",
            value=name,
            expected=f"a provider name other than {REFUND_RECEIPTS!r}, such as 'stripe'",
        )
    if ":" in name:
        raise InvalidValue(
            f"{field} {shown(name)} must not contain ':', which ends a provider's name in the "
            "ids of its events' receipts (provider:event_id)",
            value=name,
            expected="a provider name without ':', such as 'stripe'",
        )
    return name


PaymentEventType = Literal["authorized", "succeeded", "failed", "canceled", "refunded"]
"""What an inbound provider event says happened."""


@attrs.frozen(kw_only=True)
class PaymentEvent:
    """An event the payment provider sent (its signature already verified by the app).

    ``provider`` is the provider's configured name, without ``:`` (see
    :func:`check_provider_name`); ``event_id`` is the provider's id of the
    event (events are applied once per provider and id); ``payment_id`` is
    sessionkit's payment id, which sessionkit puts in every intent's
    metadata, and ``intent_ref`` the provider's reference (either finds the
    payment). ``amount`` is what a ``"refunded"`` event says was given back
    in all so far (default: everything), ``reason`` the provider's word for a
    failure.
    """

    provider: str
    event_id: str
    type: PaymentEventType
    occurred_at: datetime = attrs.field(converter=_instant)
    payment_id: str | None = None
    intent_ref: str | None = None
    amount: Money | None = None
    reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.type, str):
            raise WrongType(self.type, name="PaymentEvent.type", expected="an event type (str)")
        if self.type not in ("authorized", "succeeded", "failed", "canceled", "refunded"):
            raise InvalidValue(
                f"unknown payment event type {shown(self.type)}",
                value=self.type,
                expected="authorized, succeeded, failed, canceled or refunded",
            )
        check_id(self.provider, "PaymentEvent.provider", limit=MAX_NAME_LENGTH * 2)
        check_provider_name(self.provider, "PaymentEvent.provider")
        check_id(self.event_id, "PaymentEvent.event_id", limit=MAX_NAME_LENGTH * 2)
        check_id(self.key, "PaymentEvent's provider:event_id")  # the receipt's id
        if self.payment_id is not None:
            check_id(self.payment_id, "PaymentEvent.payment_id")
        check_lengths(self, intent_ref=MAX_REF_LENGTH, reason=MAX_REF_LENGTH)
        if self.amount is not None and not isinstance(self.amount, Money):
            raise WrongType(self.amount, name="PaymentEvent.amount", expected="Money or None")
        if self.type == "refunded" and self.amount is not None and not self.amount.is_positive:
            # Only a refund's amount is read; a relay may pass others' (0 for a failure).
            raise InvalidValue(
                f"a refunded PaymentEvent's amount must be above zero, got {self.amount}",
                value=self.amount,
                expected="Money > 0 (or None: everything left)",
            )
        if self.amount is not None and self.amount.rounded() != self.amount:
            # A provider hands back whole minor units, as kit.payments.refund asks for.
            places = minor_unit(self.amount.currency)
            raise InvalidValue(
                f"PaymentEvent.amount is whole {self.amount.currency} minor units ({places} "
                f"decimal places), got {self.amount.amount}",
                value=self.amount,
                expected=f"an amount with at most {places} decimal places",
            )
        if self.payment_id is None and self.intent_ref is None:
            raise InvalidValue(
                f"payment event {shown(self.event_id)} names neither a payment nor an intent",
                value=self.event_id,
                expected="payment_id or intent_ref",
            )

    @property
    def key(self) -> str:
        """The id its receipt is stored under: provider and event id."""
        return f"{self.provider}:{self.event_id}"


@attrs.frozen(slots=True, kw_only=True)
class ReceivedEvent:
    """The receipt of an applied provider event: stored once per provider and event id.

    ``outcome`` says what applying it did (``"applied"``, or ``"stale"`` for an
    event that arrived after a later one had moved the payment on). An event
    for a payment this store does not hold leaves no receipt; the
    ``"unknown"`` ones earlier versions stored mark nothing seen: a
    redelivery of the event is weighed again and, applied, replaces it.

    A goodwill refund's idempotency key is kept as a receipt too: ``id``
    ``"sessionkit-refund:"`` and a digest of the key, ``type`` ``"refund"``,
    ``outcome`` the amount it refunded (``"10.00 EUR"``).
    """

    id: str
    tenant: str
    payment_id: str | None
    type: str
    outcome: str
    received_at: datetime = attrs.field(converter=_instant)
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        check_lengths(self, payment_id=MAX_ID_LENGTH, type=MAX_NAME_LENGTH, outcome=MAX_NAME_LENGTH)
