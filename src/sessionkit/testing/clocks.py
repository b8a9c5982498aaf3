"""A clock you set by hand and a publisher that records events, for tests and notebooks.

>>> from datetime import UTC, datetime, timedelta
>>> clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
>>> clock.advance(timedelta(hours=1))
datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.timezone.utc)
>>> clock.now() == datetime(2026, 3, 2, 10, tzinfo=UTC)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sessionkit.errors import NotADatetime
from sessionkit.model.events import DomainEvent
from sessionkit.zones import check_aware

__all__ = ["ManualClock", "RecordingPublisher"]

E = TypeVar("E", bound=DomainEvent)


class ManualClock:
    """A :class:`~sessionkit.ports.Clock` that stands still until it is set or advanced.

    Only aware datetimes are accepted (``NaiveDatetime`` otherwise); the time
    is kept as given, so ``now()`` returns the zone it was set in.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (
            datetime(2026, 1, 1, tzinfo=UTC) if start is None else check_aware(start, "start")
        )

    def now(self) -> datetime:
        """Return the current (manually set) instant."""
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (earlier or later)."""
        self._now = check_aware(instant, "instant")

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta`` (negative goes back) and return the new instant."""
        if not isinstance(delta, timedelta):
            raise NotADatetime(delta, name="delta", expected="timedelta")
        self._now += delta
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"


class RecordingPublisher:
    """An :class:`~sessionkit.ports.EventPublisher` that keeps what it was given.

    ``events`` is every event in publication order; ``batches`` keeps each
    ``publish`` call's events together (one batch per committed unit of work).
    """

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []
        self.batches: list[tuple[DomainEvent, ...]] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Record ``events`` as one batch."""
        batch = tuple(events)
        self.batches.append(batch)
        self.events.extend(batch)

    def of_type(self, kind: type[E]) -> list[E]:
        """Return the recorded events that are instances of ``kind``, in order."""
        return [event for event in self.events if isinstance(event, kind)]

    def clear(self) -> None:
        """Forget everything recorded so far."""
        self.events.clear()
        self.batches.clear()
