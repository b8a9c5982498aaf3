"""Payments: one per paid booking, its status, what it took and gave back, and what is due.

A :class:`Payment` is made with its booking, in the same unit of work, at the
price the booking's pricing gave then (fixed: a later rate change does not
reprice it). Its status follows :data:`PAYMENT_LIFECYCLE`::

    PENDING -[authorize]-> AUTHORIZED
    PENDING, AUTHORIZED -[succeed]-> PAID
    PENDING, AUTHORIZED -[fail]-> FAILED
    PENDING, AUTHORIZED -[cancel]-> CANCELLED
    FAILED, CANCELLED -[succeed]-> PAID          money that came in anyway (refunded at once)
    PAID -[refund_part]-> PARTIALLY_REFUNDED
    PAID, PARTIALLY_REFUNDED -[refund]-> REFUNDED

Calls to the payment provider happen outside any unit of work. What a
command decided but the provider has not yet done is recorded on the payment
as ``due`` (``"create"`` an intent, ``"cancel"`` it, ``"refund"``
``refund_due``), so a crash between the two is finished by the next call or
by :meth:`~sessionkit.services.payments.PaymentCommands.run_due`. Every call
carries an idempotency key derived from the payment and the operation
(:meth:`Payment.gateway_key`). A refund call's amount is fixed on the payment
(``refund_sending``) before the call is made, so every retry, and every
runner racing it, sends that amount under that key, never another. A call
:meth:`~sessionkit.services.payments.PaymentCommands.run_due` made and the
provider failed is counted (``failed_calls``) and waits until ``retry_at``
(see :attr:`Payment.due_at`); the next change of the payment clears both.

The statuses, :data:`PAID_STATUSES`, :data:`OPEN_PAYMENT_STATUSES`,
:data:`MANUAL`, :data:`Due` and :data:`PAYMENT_LIFECYCLE` live in
``_payment_statuses``; what providers send (:class:`PaymentEvent`,
:class:`ReceivedEvent`, :func:`check_provider_name`, :data:`REFUND_RECEIPTS`)
in ``_payment_events``. This module exports them under its own name and keeps
the payment itself: :class:`Payment` and :class:`PaymentChanged`.

>>> from datetime import UTC, datetime
>>> from sessionkit.model.money import Money
>>> at = datetime(2026, 3, 2, 9, tzinfo=UTC)
>>> p = Payment(id="p1", tenant="acme", booking_id="b1", session_id="s1",
...             participant="student:ana", session_start=at, amount=Money.of(60, "EUR"),
...             provider="fake", created_at=at)
>>> paid, _ = PAYMENT_LIFECYCLE.fire(p, "succeed", now=at)
>>> paid.status, paid.kept, paid.gateway_key("refund", 1)
('PAID', Money(amount=Decimal('60.00'), currency='EUR'), 'sessionkit:acme:p1:refund:1')
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Final

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, shown
from sessionkit.lifecycle import StatusChanged
from sessionkit.model._payment_events import (
    REFUND_RECEIPTS,
    PaymentEvent,
    PaymentEventType,
    ReceivedEvent,
    _instant,
    check_provider_name,
)
from sessionkit.model._payment_statuses import (
    AUTHORIZED,
    CANCELLED,
    FAILED,
    MANUAL,
    OPEN_PAYMENT_STATUSES,
    PAID,
    PAID_STATUSES,
    PARTIALLY_REFUNDED,
    PAYMENT_LIFECYCLE,
    PENDING,
    REFUNDED,
    Due,
)
from sessionkit.model.booking import participant_ref
from sessionkit.model.events import DomainEvent
from sessionkit.model.html import html_of
from sessionkit.model.money import DECIMALS, Money, minor_unit
from sessionkit.model.records import PAYMENT, Schema
from sessionkit.model.session import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    ResourceRef,
    check_identity,
    check_lengths,
    frozen_mapping,
)
from sessionkit.model.text import check_id

__all__ = [
    "AUTHORIZED",
    "CANCELLED",
    "FAILED",
    "MANUAL",
    "OPEN_PAYMENT_STATUSES",
    "PAID",
    "PAID_STATUSES",
    "PARTIALLY_REFUNDED",
    "PAYMENT_LIFECYCLE",
    "PENDING",
    "REFUNDED",
    "REFUND_RECEIPTS",
    "Due",
    "Payment",
    "PaymentChanged",
    "PaymentEvent",
    "PaymentEventType",
    "ReceivedEvent",
    "check_provider_name",
]

_KEY_NUMBERS: Final = 10**9
"""A payment's operations of one kind (its refunds) are numbered below this."""


def _optional_instant(value: datetime | None) -> datetime | None:
    return None if value is None else _instant(value)


def _money(value: object) -> Money:
    if not isinstance(value, Money):
        raise InvalidValue(f"expected Money, got {shown(value)}", value=value, expected="Money")
    return value


@attrs.frozen(slots=True, kw_only=True)
class Payment:
    """The payment of one booking: its amount, status, refunds and the provider's references.

    ``amount`` is the price fixed when the booking was made; ``refunded`` what
    the provider confirmed giving back, ``refund_due`` what a command decided
    to give back and the provider has not confirmed yet, ``refund_sending``
    the part of it claimed for refund call number ``refunds + 1`` (fixed
    before that call is made, zero when no refund call is under way) and
    ``refunds`` how many refund calls were confirmed or given up (a claim a
    refund made elsewhere left no room for, a call the provider answered
    failed), so each call has a key of its own. ``failure`` says why the
    payment failed or, on a paid one, why the provider answered its last
    refund call failed (that refund then waits for
    ``kit.payments.retry_refund``). ``intent_ref`` is the provider's
    reference of the payment intent (unique per tenant and provider).
    ``session_start`` repeats the session's start so payments are listed by
    date at the database. ``failed_calls`` counts the failed tries of
    :meth:`~sessionkit.services.payments.PaymentCommands.run_due` at the due
    call since the payment last changed, and ``retry_at`` says when it may try
    again (``None``: at once); the next change clears both.
    """

    __record_schema__: ClassVar[Schema] = PAYMENT
    _repr_html_ = html_of

    id: str
    tenant: str
    booking_id: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    session_start: datetime = attrs.field(converter=_instant)
    amount: Money = attrs.field(converter=_money)
    provider: str
    status: str = PENDING
    intent_ref: str | None = None
    refunded: Decimal = Decimal(0)
    refund_due: Decimal = Decimal(0)
    refund_sending: Decimal = Decimal(0)
    refunds: int = 0
    due: Due | None = "create"
    failure: str | None = None
    failed_calls: int = 0
    retry_at: datetime | None = attrs.field(default=None, converter=_optional_instant)
    created_at: datetime = attrs.field(converter=_instant)
    created_by: str | None = None
    updated_at: datetime | None = attrs.field(default=None, converter=_optional_instant)
    updated_by: str | None = None
    version: int = 1
    metadata: Mapping[str, Any] = attrs.field(
        factory=dict, converter=frozen_mapping, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        check_lengths(
            self,
            booking_id=MAX_ID_LENGTH,
            session_id=MAX_ID_LENGTH,
            provider=MAX_NAME_LENGTH,
            status=MAX_NAME_LENGTH,
            intent_ref=MAX_REF_LENGTH,
            failure=MAX_REF_LENGTH,
            created_by=MAX_REF_LENGTH,
            updated_by=MAX_REF_LENGTH,
        )
        if not self.amount.is_positive:
            raise InvalidValue(
                f"a payment's amount must be above zero, got {self.amount}",
                value=self.amount,
                expected="an amount > 0",
            )
        places = Decimal(1).scaleb(-minor_unit(self.currency))
        for name in ("refunded", "refund_due", "refund_sending"):  # 0 -> 0.00, as stored
            value = getattr(self, name)
            if not isinstance(value, Decimal | int) or isinstance(value, bool):
                raise WrongType(value, name=f"Payment.{name}", expected="a Decimal amount")
            amount = Decimal(value)
            try:
                # In sessionkit's context: an app's prec=5 took 61728.38 for too large.
                shaped = amount.quantize(places, context=DECIMALS) if amount.is_finite() else None
            except InvalidOperation:  # too large to have cents
                shaped = None
            if shaped is None:
                raise InvalidValue(
                    f"payment {shown(self.id)} has {name} {value}, not an amount of "
                    f"{self.currency}",
                    value=value,
                    expected=f"an amount of {self.currency}",
                )
            if shaped == amount:  # never rounds: a finer amount is refused below, as it was
                object.__setattr__(self, name, shaped)
        calls = check_int(self.failed_calls, name="Payment.failed_calls", expected="an int")
        if calls < 0:
            raise InvalidValue(
                f"payment {shown(self.id)} has failed_calls {calls}",
                value=calls,
                expected="a count >= 0",
            )
        object.__setattr__(self, "failed_calls", calls)
        back = DECIMALS.add(self.refunded, self.refund_due)
        if not 0 <= back <= self.amount.amount:
            raise InvalidValue(
                f"payment {shown(self.id)} refunds {self.refunded} + {self.refund_due} due "
                f"of {self.amount}",
                value=back,
                expected=f"0..{self.amount.amount}",
            )
        if not 0 <= self.refund_sending <= self.amount.amount:
            raise InvalidValue(
                f"payment {shown(self.id)} sends a refund of {self.refund_sending} of "
                f"{self.amount}",
                value=self.refund_sending,
                expected=f"0..{self.amount.amount}",
            )

    @property
    def currency(self) -> str:
        """The payment's currency."""
        return self.amount.currency

    @property
    def due_at(self) -> datetime | None:
        """When the due call may be made: ``retry_at`` if later than the last change, else that.

        ``None`` when no call is due. Due calls are made in this order, oldest first.
        """
        if self.due is None:
            return None
        changed = self.updated_at or self.created_at
        return changed if self.retry_at is None else max(changed, self.retry_at)

    @property
    def received(self) -> Money:
        """What came in: the amount once paid (also when refunded since), else nothing."""
        if self.status in (PAID, PARTIALLY_REFUNDED, REFUNDED):
            return self.amount
        return Money.zero(self.currency).rounded()  # 0.00 EUR, as the amounts are written

    @property
    def kept(self) -> Money:
        """What came in and stays: received, less refunded and refunds due."""
        # In sessionkit's decimal context, as Money's own arithmetic, not the thread's.
        left = DECIMALS.subtract(self.received.amount, DECIMALS.add(self.refunded, self.refund_due))
        return Money.of(max(left, Decimal(0)), self.currency)

    @property
    def refundable(self) -> Money:
        """What a new refund may still give back."""
        return self.kept

    def gateway_key(self, operation: str, n: int = 0) -> str:
        """Return the idempotency key of ``operation`` on this payment (``n``: which refund).

        ``sessionkit:<tenant>:<payment id>:<operation>[:<n>]``, unique across tenants
        sharing one provider account: a tenant holding ``:`` or ``%`` is written with
        those percent-encoded (``a:b`` as ``a%3Ab``), so tenant ``a:b``'s payment ``c``
        never meets tenant ``a``'s payment ``b:c`` at the provider.
        """
        check_id(operation, "operation")
        n = check_int(n, name="n", expected="an int")
        if not 0 <= n < _KEY_NUMBERS:
            raise InvalidValue(
                f"n (which refund) is 0..{_KEY_NUMBERS - 1:,}, got {shown(n)}",
                value=n,
                expected=f"0..{_KEY_NUMBERS - 1}",
            )
        suffix = f":{n}" if n else ""
        return f"sessionkit:{_key_tenant(self.tenant)}:{self.id}:{operation}{suffix}"


def _key_tenant(tenant: str) -> str:
    """Return ``tenant`` as a gateway key writes it: without ``:``, one to one.

    A tenant with neither ``:`` nor ``%`` is kept as it is (the keys of payments
    under way stay what they were); one with either has both percent-encoded, so
    it holds a ``%`` that no kept tenant holds.
    """
    if ":" not in tenant and "%" not in tenant:
        return tenant
    return tenant.replace("%", "%25").replace(":", "%3A")


@attrs.frozen(slots=True, kw_only=True)
class PaymentChanged(DomainEvent):
    """A payment changed: its status (``change``, ``None`` when only refunds or dues moved).

    ``refund`` is what this change decided to give back (``refund_due`` grew by
    it), ``reason`` why, if known.
    """

    payment: Payment
    change: StatusChanged | None = None
    refund: Money | None = None
    reason: str | None = None


# Show (and pickle) what moved to the private modules under this public path, as before.
_moved: object
for _moved in (PaymentEvent, ReceivedEvent, check_provider_name):
    _moved.__module__ = __name__
del _moved
