"""How long a payment provider call that failed waits before it is tried again.

:class:`PaymentRetries` is the kit's (``SessionKit(payment_retries=...)``):
``kit.payments.run_due`` counts a call it tried and the provider failed
(``payment.failed_calls``) and leaves it out until ``payment.retry_at``.

>>> from datetime import timedelta
>>> retries = PaymentRetries(first=timedelta(seconds=30), most=timedelta(minutes=5))
>>> [retries.wait(earlier).seconds for earlier in range(6)]
[30, 60, 120, 240, 300, 300]
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from sessionkit.errors import InvalidDuration, InvalidValue
from sessionkit.errors._base import check_int, duration_text
from sessionkit.policies._durations import positive_duration

__all__ = ["PaymentRetries"]


@attrs.frozen(kw_only=True)
class PaymentRetries:
    """A failed provider call waits ``first``, then twice as long per failure, up to ``most``.

    The defaults: 1 minute after the first failure in a row, doubling to at
    most 1 hour. Both are timedeltas longer than 0 (a call that waits nothing
    is tried again by every run, and fills its batches), ``most`` at least
    ``first``; ``InvalidDuration`` names one that is not. No jitter: the
    calls that failed together (the provider was down) are tried together.
    """

    first: timedelta = attrs.field(
        default=timedelta(minutes=1), validator=positive_duration("PaymentRetries")
    )
    most: timedelta = attrs.field(
        default=timedelta(hours=1), validator=positive_duration("PaymentRetries")
    )

    @most.validator
    def _check_most(self, _attribute: attrs.Attribute[Any], value: timedelta) -> None:
        if value < self.first:
            raise InvalidDuration(
                f"PaymentRetries.most ({duration_text(value)}) is shorter than first "
                f"({duration_text(self.first)}): the longest wait is at least the first",
                value=value,
                expected=f"a timedelta >= first ({duration_text(self.first)})",
            )

    def wait(self, earlier: int) -> timedelta:
        """Return the wait after a failure that follows ``earlier`` failures in a row (0: first).

        ``earlier`` is the call's ``payment.failed_calls`` before this one
        failed, an int >= 0 (``WrongType`` or ``InvalidValue`` otherwise).
        """
        earlier = check_int(earlier, name="earlier", expected="an int >= 0")
        if earlier < 0:
            raise InvalidValue(
                f"earlier must be an int >= 0 (failures before this one), got {earlier}",
                value=earlier,
                expected="an int >= 0",
            )
        wait = self.first
        for _ in range(earlier):  # doubled one failure at a time: never past ``most``
            if wait >= self.most:
                break
            wait *= 2
        return min(wait, self.most)
