"""What the fake payment provider keeps: its intents, its checks, and its answers per key.

:class:`FakeIntent` (one intent as the provider knows it), the checks a
provider makes of what it is sent (a reason an event can carry, an amount in
whole minor units), and :func:`_once`, which answers each idempotency key once
as a provider does: a repeat gets the first answer (or refusal), a key reused
with other parameters is refused. :class:`~sessionkit.testing.payments.FakeGateway`
takes :func:`_once` as its own method.

Private to :mod:`sessionkit.testing.payments`, which exports its names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar, cast

import attrs

from sessionkit.errors import PaymentGatewayError, SessionKitError
from sessionkit.errors._base import shown
from sessionkit.model.money import Money
from sessionkit.model.text import MAX_REF_LENGTH, check_text
from sessionkit.ports import Intent, IntentStatus

if TYPE_CHECKING:
    from sessionkit.testing.payments import FakeGateway

__all__ = ["FakeIntent"]

T = TypeVar("T")


@attrs.frozen
class _Refused:
    """A call the fake provider refused, kept as its answer under the call's key."""

    message: str


def _reason(reason: object, method: str) -> str:
    """Return ``reason`` if a provider's event can carry it (text of 1 to 255 characters)."""
    checked = check_text(reason, f"FakeGateway.{method}(reason)", limit=MAX_REF_LENGTH, empty=False)
    assert checked is not None  # not optional
    return checked


def _whole_minor_units(amount: Money, what: str) -> None:
    """Refuse (``ValueError``) an amount a provider cannot take: not positive whole minor units.

    A provider's API takes an integer of the currency's minor units (Stripe's
    ``amount``, 6000 for 60.00 EUR): 0.125 EUR, or nothing at all, cannot be
    sent, and a fake that took them hid the caller's rounding slip.
    """
    if not amount.amount > 0 or amount.rounded() != amount:
        raise ValueError(
            f"the fake provider cannot {what} {amount}: a provider takes a positive whole"
            f" number of {amount.currency} minor units"
        )


@attrs.define
class FakeIntent:
    """What the fake provider knows of one intent: amount, status, refunds, metadata."""

    ref: str
    amount: Money
    metadata: Mapping[str, str]
    status: IntentStatus = "pending"
    refunded: Decimal = Decimal(0)
    reason: str | None = None

    def answer(self) -> Intent:
        """Return the intent as the provider's API would."""
        return Intent(
            ref=self.ref, status=self.status, client_secret=f"{self.ref}_secret", reason=self.reason
        )


def _once(
    self: FakeGateway,
    operation: str,
    key: str,
    params: tuple[object, ...],
    run: Callable[[], T],
) -> T:
    """Run a call once per idempotency key (a repeat with the same ``params`` gets its answer).

    A key reused with other parameters is a bug of the caller: a provider
    refuses the request (Stripe answers 400, ``idempotency_error``), so
    the fake raises ``ValueError`` and changes nothing. A call the provider
    refuses (``ValueError``: a capture of an intent not authorized, say) is
    answered once too: a retry under its key raises the same refusal and
    runs nothing, as Stripe replays a stored error; a call that never
    reached the provider (``fail_next``) binds no key.
    """
    with self._lock:
        self.calls.append((operation, key))
        if self._failures:
            self._failures -= 1
            raise PaymentGatewayError(operation, key, detail="the fake provider is down")
        asked = (operation, *params)
        first = self._asked.setdefault(key, asked)
        if first != asked:
            raise ValueError(
                f"idempotency key {shown(key)} was first sent with {shown(first)}, now with "
                f"{shown(asked)}; "
                "a provider refuses a key reused with other parameters"
            )
        if key in self._answers:
            answer = self._answers[key]
            if isinstance(answer, _Refused):
                raise ValueError(answer.message)
            return cast("T", answer)
        try:
            answer = run()
        except ValueError as refused:
            # The provider ran the call and refused it: its answer is kept, and a
            # retry under the key gets it again (Stripe replays a stored 400). A
            # sessionkit error (the test's clock answered a naive time) is no answer.
            if not isinstance(refused, SessionKitError):
                self._answers[key] = _Refused(str(refused))
            raise
        self._answers[key] = answer
        return answer
