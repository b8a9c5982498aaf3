"""A clock you set by hand and a publisher that records events, for tests and notebooks.

>>> from datetime import UTC, datetime, timedelta
>>> clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
>>> clock.advance(timedelta(hours=1))
datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.timezone.utc)
>>> clock.now() == datetime(2026, 3, 2, 10, tzinfo=UTC)
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from sessionkit.errors import InvalidValue, NotADatetime, WrongType
from sessionkit.errors._base import check_int, duration_text
from sessionkit.model.events import DomainEvent
from sessionkit.zones import check_aware

if TYPE_CHECKING:
    from sessionkit.ports import Clock

__all__ = ["ManualClock", "RecordingPublisher"]

E = TypeVar("E", bound=DomainEvent)

_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


def time_reader(
    clock: Clock | Callable[[], datetime], name: str, *, calls: bool
) -> Callable[[], datetime]:
    """Return what reads ``clock``'s time: a Clock's ``now``, or ``clock`` if it is callable.

    A :class:`~sessionkit.ports.Clock` (the kit's), or a callable returning
    the time (``lambda: ...``, ``clock.now``). The shipped fakes take either
    shape; anything else is ``WrongType`` naming ``name`` when the fake is
    made, not a ``TypeError`` at its first call. ``calls``: a ``clock`` of
    both shapes (a ``Mock``) is called, as a fake that always took a callable
    did, else its ``now`` is, as one that took a Clock did.
    """
    if isinstance(clock, date):  # a datetime's now is the class's: the machine's time
        raise WrongType(
            clock,
            name=name,
            expected="a Clock (an object with now()) or a callable returning the time, not a"
            " datetime: ManualClock(that datetime) stands still at it",
        )
    now = getattr(clock, "now", None)
    if callable(clock) and (calls or not callable(now)):
        return clock
    if callable(now):
        return now  # type: ignore[no-any-return]
    raise WrongType(
        clock, name=name, expected="a Clock (an object with now()) or a callable returning the time"
    )


def check_seed(seed: object, name: str) -> int:
    """Return ``seed`` if it is an integer (not a bool): what a fake's shuffles replay from.

    ``WrongType`` naming ``name`` else: ``None`` would seed from the machine's
    entropy (another order every run), and a list fails inside ``random``.
    """
    return check_int(seed, name=name, expected="an integer, the seed its shuffles replay from")


class ManualClock:
    """A :class:`~sessionkit.ports.Clock` that stands still until it is set or advanced.

    Only aware datetimes are accepted (``NaiveDatetime`` otherwise); the time
    is kept as given, so ``now()`` returns the zone it was set in, and
    :meth:`advance` moves it by elapsed time in that zone.
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
        """Move the clock by ``delta`` of elapsed time (negative goes back); return the new instant.

        The instant moves by ``delta`` whatever the zone does meanwhile: 24
        hours across a spring-forward night in Europe/Berlin read 25 hours
        later on the wall clock. The result is in the clock's zone.
        ``InvalidValue`` (nothing changes) if it would leave the datetimes
        Python holds (years 1 to 9999), in UTC or in the clock's zone: the
        instants the constructor and :meth:`set` accept.
        """
        if not isinstance(delta, timedelta):
            raise NotADatetime(delta, name="delta", expected="timedelta")
        now = self._now
        try:  # in UTC, which every instant the clock accepts has (check_aware)
            moved = (now.astimezone(UTC) + delta).astimezone(now.tzinfo)
        except OverflowError:
            raise InvalidValue(
                f"ManualClock.advance({duration_text(delta)}): from {now.isoformat()} the clock "
                "would leave the datetimes Python holds (0001-01-01 to 9999-12-31)",
                value=delta,
                expected=(
                    f"a delta from {duration_text(_FIRST - now)} to {duration_text(_LAST - now)}"
                ),
            ) from None
        self._now = moved
        return moved

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
        """Return the recorded events that are instances of ``kind``, in order.

        ``kind`` is a class (``SessionCreated``): anything else, such as an
        event's name, is ``WrongType`` whether or not events were recorded
        (with none it would find none, and a test asserting none would pass).
        """
        if not isinstance(kind, type):
            raise WrongType(
                kind, name="RecordingPublisher.of_type(kind)", expected="an event class"
            )
        return [event for event in self.events if isinstance(event, kind)]

    def clear(self) -> None:
        """Forget everything recorded so far."""
        self.events.clear()
        self.batches.clear()
