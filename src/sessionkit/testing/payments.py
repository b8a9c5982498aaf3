"""A fake payment provider for tests: it declines, delays, fails, duplicates and reorders.

:class:`FakeGateway` implements :class:`~sessionkit.ports.PaymentGateway` in
memory, the way httpx's ``MockTransport`` stands in for a network. Intents
stay pending until the test says what the customer did (:meth:`~FakeGateway.pay`,
:meth:`~FakeGateway.decline`), or succeed or fail at once when the gateway is
told to (``instant``, :meth:`~FakeGateway.decline_next`). Every change the
provider would announce by webhook is queued as a
:class:`~sessionkit.model.payment.PaymentEvent`; :meth:`~FakeGateway.drain`
hands them over, duplicated and shuffled when asked to, for the test to feed
to ``kit.payments.apply``. :meth:`~FakeGateway.fail_next` makes the next calls
raise ``PaymentGatewayError`` (the provider is down); idempotency keys work as
a provider's do, so a retried call returns the first result (or raises its
refusal again), a key reused with other parameters (another amount) is refused
with ``ValueError``, as Stripe refuses it, and calls from several threads at
once are answered one at a time. What a provider refuses (a capture of an
intent not authorized, a refund of one not paid, an amount that is no
positive whole number of minor units, such as 0.125 EUR) is a ``ValueError`` too, and
a refused call changes nothing: a ``clock`` answering a naive datetime is
found out before any intent changes.

This module owns :class:`FakeGateway`; :class:`FakeIntent`, the checks of what
the provider is sent and the answering of each idempotency key once (the
gateway's ``_once``) live in ``_fake_intents``, exported from here as before.

>>> from datetime import UTC, datetime
>>> from sessionkit.model.money import Money
>>> gateway = FakeGateway(clock=lambda: datetime(2026, 3, 2, 9, tzinfo=UTC))
>>> intent = gateway.create_intent(amount=Money.of(60, "EUR"), idempotency_key="k1",
...                                metadata={"payment_id": "p1"})
>>> intent.status, gateway.create_intent(amount=Money.of(60, "EUR"), idempotency_key="k1",
...                                      metadata={"payment_id": "p1"}) == intent
('pending', True)
>>> gateway.pay(intent.ref)
>>> [(e.type, e.payment_id) for e in gateway.drain()]
[('succeeded', 'p1')]
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.money import DECIMALS, Money, sum_money
from sessionkit.model.payment import PaymentEvent, PaymentEventType
from sessionkit.model.text import MAX_NAME_LENGTH, check_flag, check_text
from sessionkit.ports import Clock, Intent, RefundReceipt

# FakeIntent's hints resolve in this module, which its __module__ names.
from sessionkit.ports import IntentStatus as IntentStatus
from sessionkit.testing import _fake_intents
from sessionkit.testing._fake_intents import FakeIntent, _reason, _whole_minor_units
from sessionkit.testing.clocks import check_seed, time_reader
from sessionkit.zones import check_aware

__all__ = ["FakeGateway", "FakeIntent"]


class FakeGateway:
    """An in-memory payment provider (see the module docstring).

    ``clock`` (a :class:`~sessionkit.ports.Clock` such as the kit's, or a
    callable returning the time; default the system's) dates its events.
    ``instant=True`` makes new intents succeed at once (a saved card);
    ``seed``, an integer, fixes the order :meth:`drain` shuffles in. ``ids`` makes the
    provider's ids of intents, events and refunds (``pi_<id>``, ``evt_<id>``,
    ``re_<id>``): 1, 2, 3, ... by default. A fake that stands in front of a
    store outliving it (a demo's database) needs ids no earlier fake gave,
    or its intents clash with stored references and its events are taken
    for ones already applied: pass ``lambda: uuid.uuid4().hex``. Each
    argument is checked when the fake is made (``WrongType``, or
    ``InvalidValue`` for a name of no 1 to 64 characters), not by its first call.
    """

    def __init__(
        self,
        name: str = "fake",
        *,
        clock: Clock | Callable[[], datetime] | None = None,
        instant: bool = False,
        seed: int = 0,
        ids: Callable[[], str] | None = None,
    ) -> None:
        # Checked when the fake is made, as its clock is: a truthy "no" made every intent
        # succeed at once, and ids=5 or a name no payment takes failed the first call.
        checked = check_text(name, "FakeGateway(name)", limit=MAX_NAME_LENGTH, empty=False)
        assert checked is not None  # not optional
        self._name = checked
        self._clock: Callable[[], datetime] = (
            (lambda: datetime.now(UTC))
            if clock is None
            else time_reader(clock, "clock", calls=True)
        )
        check_flag(instant, "FakeGateway(instant)")
        self.instant = instant
        if ids is not None and not callable(ids):
            raise WrongType(
                ids, name="FakeGateway(ids)", expected="a callable returning a new id, or None"
            )
        self.intents: dict[str, FakeIntent] = {}
        self.outbox: list[PaymentEvent] = []
        self.calls: list[tuple[str, str]] = []
        self._answers: dict[str, object] = {}
        self._asked: dict[str, tuple[object, ...]] = {}
        self._lock = threading.Lock()
        self._declines: list[str] = []
        self._failures = 0
        counter = itertools.count(1)
        self._ids = ids or (lambda: str(next(counter)))
        seed = check_seed(seed, "FakeGateway(seed)")
        self._random = random.Random(seed)  # noqa: S311  # shuffles test events, not secrets

    @property
    def name(self) -> str:
        """The provider's name."""
        return self._name

    # -- what the test scripts ----------------------------------------------------------

    def decline_next(self, reason: str = "card_declined") -> None:
        """Make the next new intent fail at once with ``reason`` (text of 1 to 255 characters)."""
        self._declines.append(_reason(reason, "decline_next"))

    def fail_next(self, calls: int = 1) -> None:
        """Make the next ``calls`` calls raise ``PaymentGatewayError`` (nothing happens).

        ``calls`` is an integer >= 0 (0 adds no failure): ``WrongType`` for
        another type (a bool included), ``InvalidValue`` for a negative one.
        """
        if isinstance(calls, bool) or not isinstance(calls, int):
            raise WrongType(calls, name="FakeGateway.fail_next(calls)", expected="an integer >= 0")
        if calls < 0:
            raise InvalidValue(
                f"FakeGateway.fail_next(calls={calls}): the number of calls to fail cannot be"
                " negative",
                value=calls,
                expected="an integer >= 0",
            )
        self._failures += calls

    def pay(self, ref: str) -> None:
        """The customer paid: the intent succeeds (an event is queued)."""
        intent = self.intents[ref]
        if intent.status in ("pending", "authorized", "failed"):
            self._succeed(intent)

    def authorize(self, ref: str) -> None:
        """The customer's bank holds the money: the intent is authorized (an event is queued)."""
        intent = self.intents[ref]
        if intent.status == "pending":
            event = self._event(intent, "authorized", at=self._now())
            intent.status = "authorized"
            self.outbox.append(event)

    def decline(self, ref: str, reason: str = "card_declined") -> None:
        """The customer's payment failed (an event is queued); ``reason`` is 1 to 255 characters."""
        reason = _reason(reason, "decline")
        intent = self.intents[ref]
        if intent.status in ("pending", "authorized"):
            event = self._event(intent, "failed", at=self._now(), reason=reason)
            intent.status, intent.reason = "failed", reason
            self.outbox.append(event)

    def drain(self, *, duplicate: bool = False, shuffle: bool = False) -> list[PaymentEvent]:
        """Return (and forget) the queued events; each twice with ``duplicate``, shuffled too.

        ``duplicate`` and ``shuffle`` are ``True`` or ``False`` (``WrongType``
        else, nothing taken: a truthy ``"no"`` would act all the same).
        """
        check_flag(duplicate, "FakeGateway.drain(duplicate)")
        check_flag(shuffle, "FakeGateway.drain(shuffle)")
        events, self.outbox = self.outbox, []
        if duplicate:
            events = [e for event in events for e in (event, event)]
        if shuffle:
            self._random.shuffle(events)
        return events

    def intent_for(self, payment_id: str, *, tenant: str | None = None) -> FakeIntent:
        """Return the intent created for sessionkit's payment ``payment_id`` (of ``tenant``).

        Payment ids are per tenant: one fake shared by tenants whose ids meet
        needs ``tenant``, and without it an id two tenants' intents share
        raises ``KeyError`` rather than answer one of them.
        """
        found = [
            intent
            for intent in self.intents.values()
            if intent.metadata.get("payment_id") == payment_id
            and (tenant is None or intent.metadata.get("tenant") == tenant)
        ]
        if len({i.metadata.get("tenant") for i in found}) > 1:
            raise KeyError(f"{payment_id} (of several tenants: pass tenant=)")
        if not found:
            raise KeyError(payment_id)
        return found[0]

    def collected(self, currency: str) -> Money:
        """Return what the provider kept: succeeded intents less their refunds."""
        return sum_money(
            (
                i.amount - Money.of(i.refunded, currency)
                for i in self.intents.values()
                if i.status == "succeeded" and i.amount.currency == currency
            ),
            currency,
        )

    # -- the PaymentGateway port ----------------------------------------------------------

    def create_intent(
        self, *, amount: Money, idempotency_key: str, metadata: Mapping[str, str]
    ) -> Intent:
        """Create an intent to collect ``amount`` (or return the one made with this key)."""

        def make() -> Intent:
            _whole_minor_units(amount, "collect")
            # An intent that succeeds at once is announced: its time is read (and checked)
            # before an id is taken or the intent kept, so a bad clock makes none.
            at = self._now() if self.instant and not self._declines else None
            intent = FakeIntent(ref=f"pi_{self._ids()}", amount=amount, metadata=dict(metadata))
            event = None
            if self._declines:
                intent.status, intent.reason = "failed", self._declines.pop(0)
            elif at is not None:
                intent.status = "succeeded"
                event = self._event(intent, "succeeded", at=at)
            self.intents[intent.ref] = intent
            if event is not None:
                self.outbox.append(event)
            return intent.answer()

        return self._once("create_intent", idempotency_key, (amount, dict(metadata)), make)

    def capture(self, intent_ref: str, *, idempotency_key: str) -> Intent:
        """Capture an authorized intent: it succeeds (an event is queued).

        An intent in any other status (pending, failed, canceled, or succeeded
        already) is refused with ``ValueError`` and nothing changes, as a
        provider refuses it (Stripe captures only a PaymentIntent in
        ``requires_capture``); a retry under the key of a capture that went
        through still answers that capture.
        """

        def run() -> Intent:
            intent = self.intents[intent_ref]
            if intent.status != "authorized":
                raise ValueError(
                    f"the fake provider cannot capture a {intent.status} intent: only an"
                    " authorized one"
                )
            self._succeed(intent)
            return intent.answer()

        return self._once("capture", idempotency_key, (intent_ref,), run)

    def cancel(self, intent_ref: str, *, idempotency_key: str) -> Intent:
        """Cancel an intent that has not succeeded; a succeeded one stays so."""

        def run() -> Intent:
            intent = self.intents[intent_ref]
            if intent.status in ("pending", "authorized", "failed"):
                event = self._event(intent, "canceled", at=self._now())
                intent.status = "canceled"
                self.outbox.append(event)
            return intent.answer()

        return self._once("cancel", idempotency_key, (intent_ref,), run)

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        """Give ``amount`` of a succeeded intent back (queues a ``refunded`` event)."""

        def run() -> RefundReceipt:
            intent = self.intents[intent_ref]
            if intent.status != "succeeded":
                raise ValueError(f"the fake provider cannot refund a {intent.status} intent")
            if amount.currency != intent.amount.currency or amount.amount <= 0:
                raise ValueError(
                    f"the fake provider refuses to refund {amount} of {intent.amount}: a refund"
                    " is a positive amount in the intent's currency"
                )
            _whole_minor_units(amount, "refund")
            # In sessionkit's decimal context, as a provider's own sums: in an app's lower
            # precision (prec=5) 61,728.38 more than 0.01 refunded was announced as 61,728.
            refunded = DECIMALS.add(intent.refunded, amount.amount)
            if refunded > intent.amount.amount:
                raise ValueError(
                    f"the fake provider refuses to refund {amount} of {intent.amount} "
                    f"({intent.refunded} refunded already)"
                )
            event = self._event(intent, "refunded", at=self._now(), refunded=refunded)
            receipt = RefundReceipt(ref=f"re_{self._ids()}", status="succeeded")
            intent.refunded = refunded
            self.outbox.append(event)
            return receipt

        return self._once("refund", idempotency_key, (intent_ref, amount), run)

    # -- inside ---------------------------------------------------------------------------

    _once = _fake_intents._once

    def _now(self) -> datetime:
        """Return the clock's time, checked as an event checks its instant (the same errors).

        Read before anything changes: a clock answering a naive datetime
        (``NaiveDatetime``) or no datetime (``NotADatetime``) leaves intents,
        events and ids as they were.
        """
        return check_aware(self._clock(), "instant")

    def _event(
        self,
        intent: FakeIntent,
        kind: PaymentEventType,
        *,
        at: datetime,
        reason: str | None = None,
        refunded: Decimal | None = None,
    ) -> PaymentEvent:
        """Return the event announcing ``kind`` of ``intent`` at ``at``; nothing is queued.

        ``refunded``: what a refunded intent has given back in all, this refund
        included (default: what it had).
        """
        total = Money.of(intent.refunded if refunded is None else refunded, intent.amount.currency)
        return PaymentEvent(
            provider=self._name,
            event_id=f"evt_{self._ids()}",
            type=kind,
            occurred_at=at,
            payment_id=intent.metadata.get("payment_id"),
            intent_ref=intent.ref,
            amount=total if kind == "refunded" else None,
            reason=reason,
        )

    def _succeed(self, intent: FakeIntent) -> None:
        """The intent succeeds (paid or captured): queue its event, the time read first."""
        event = self._event(intent, "succeeded", at=self._now())
        intent.status, intent.reason = "succeeded", None
        self.outbox.append(event)


# Show (and pickle) what moved to the private module under this public path, as before; the
# method the class body took from it shows as the class's own, and its hints
# (``self: FakeGateway``) resolve there.
FakeIntent.__module__ = __name__
FakeGateway._once.__module__, FakeGateway._once.__qualname__ = __name__, "FakeGateway._once"
vars(_fake_intents)["FakeGateway"] = FakeGateway
