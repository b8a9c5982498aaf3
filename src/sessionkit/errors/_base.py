"""The root error and the errors for bad values, types and local times."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import SupportsIndex, TypeVar, cast

# The text helpers moved to _shown; the rest of sessionkit imports them from here.
from sessionkit.errors._shown import _amount as _amount
from sessionkit.errors._shown import duration_text as duration_text
from sessionkit.errors._shown import seconds_text as seconds_text
from sessionkit.errors._shown import set_repr as set_repr
from sessionkit.errors._shown import shown as shown
from sessionkit.errors._shown import shown_duration as shown_duration

T = TypeVar("T")


def iterator_of(values: Iterable[T], *, name: str, expected: str) -> Iterator[T]:
    """Return ``iter(values)``; raise ``WrongType`` (``name``, ``expected``) when it has none.

    ``iter()`` is asked rather than ``isinstance(values, Iterable)``, so an
    old-style sequence with only ``__getitem__`` (which ``for`` takes) passes.
    """
    try:
        return iter(values)
    except TypeError:
        raise WrongType(values, name=name, expected=expected) from None


def plain_int(value: T) -> T | int:
    """Return an integral ``value`` as a plain ``int``; any other value, a ``bool`` too, as it is.

    Integral: an ``int`` subclass or a value with ``__index__``, such as the
    numpy integer a notebook's ``df["seats"].sum()`` gives. What is left (a
    ``bool``, a float, text) is the caller's to refuse by its type; an int
    kept or stored is a plain one, whatever came in.
    """
    if type(value) is int or isinstance(value, bool):
        return value
    try:
        return int(operator.index(cast("SupportsIndex", value)))
    except Exception:  # noqa: BLE001  # no __index__, or a failing one: the caller refuses it
        return value


def int_converter(value: SupportsIndex) -> int:
    """:func:`plain_int` as an attrs converter of a field typed ``int``.

    Typed to take what ``__index__`` makes an int (a numpy integer passes the
    type checker too). Any other value is passed on as it is, for the field's
    own validator to refuse by its type.
    """
    return cast("int", plain_int(value))


def optional_int_converter(value: SupportsIndex | None) -> int | None:
    """:func:`int_converter` of a field typed ``int | None``: ``None`` stays ``None``."""
    return None if value is None else int_converter(value)


def check_int(value: object, *, name: str, expected: str) -> int:
    """Return an integral ``value`` as a plain ``int`` (see :func:`plain_int`), else ``WrongType``.

    A ``bool`` is refused: ``True`` is no count.
    """
    number = plain_int(value)
    if isinstance(number, bool) or not isinstance(number, int):
        raise WrongType(value, name=name, expected=expected)
    return number


def instances_of(values: Iterable[object], kind: type[T], *, name: str) -> list[T]:
    """Return ``values`` as a list; ``WrongType`` (``name``) unless each is a ``kind``."""
    items = list(iterator_of(values, name=name, expected=f"an iterable of {kind.__name__}"))
    for item in items:
        if not isinstance(item, kind):
            raise WrongType(item, name=f"an item of {name}", expected=f"a {kind.__name__}")
    return items  # type: ignore[return-value]  # each one checked just above


class SessionKitError(Exception):
    """Root of every exception sessionkit raises on purpose.

    Every one pickles, fields and notes included (a process pool or a job
    queue's result hands the error back across processes): most take their
    fields as keyword arguments, which the default ``(cls, args)`` of an
    exception's pickle cannot call them with.
    """

    def __reduce__(self) -> tuple[Callable[..., SessionKitError], tuple[object, ...]]:
        return _rebuilt, (type(self), self.args, self.__dict__)


# Named in every pickle of these values (a job queue may keep them across upgrades): keep
# this function's module and name.
def _rebuilt(
    cls: type[SessionKitError], args: tuple[object, ...], state: dict[str, object]
) -> SessionKitError:
    """An unpickled error: its message arguments and its fields as they were, no ``__init__``."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidValue(SessionKitError, ValueError):
    """A value handed to sessionkit is not acceptable.

    ``value`` is the offending value and ``expected`` says what would have been
    accepted; ``name`` is the argument it was passed as, where the raiser knows
    it (``None`` otherwise), so an app can show the error beside that field.
    """

    # A class default: an error built without a name keeps its fields (and its problem+json
    # body) as they were.
    name: str | None = None

    def __init__(
        self, message: str, *, value: object = None, expected: str = "", name: str | None = None
    ) -> None:
        super().__init__(message)
        self.value = value
        self.expected = expected
        if name is not None:
            self.name = name


class NaiveDatetime(InvalidValue):
    """A datetime without a time zone where an instant was required."""

    def __init__(self, value: datetime, *, name: str = "datetime") -> None:
        super().__init__(
            f"{name} must be timezone-aware, got naive {shown(value.isoformat())}; "
            "attach a zone (e.g. .replace(tzinfo=ZoneInfo('Europe/Berlin')) or UTC)",
            value=value,
            expected="an aware datetime",
        )
        self.name = name


class WrongType(SessionKitError, TypeError):
    """A value of the wrong type reached a public API; ``name`` says which, ``expected`` what."""

    def __init__(self, value: object, *, name: str = "value", expected: str = "") -> None:
        super().__init__(
            f"{name} must be {expected}, got {type(value).__name__} {shown(value)}"
            if expected
            else f"{name} has the wrong type: {type(value).__name__} {shown(value)}"
        )
        self.value = value
        self.name = name
        self.expected = expected


class NotADatetime(WrongType):
    """A value of the wrong type where a datetime (or date, time, timedelta) was required."""

    def __init__(self, value: object, *, name: str = "value", expected: str = "datetime") -> None:
        super().__init__(value, name=name, expected=f"a {expected}")
        self.expected = expected


class InvalidTimeSpan(InvalidValue):
    """A span whose end is not after its start."""

    def __init__(self, start: datetime, end: datetime) -> None:
        super().__init__(
            f"a TimeSpan needs end > start, got start={start.isoformat()} end={end.isoformat()}",
            value=(start, end),
            expected="end strictly after start",
        )
        self.start = start
        self.end = end


class UnknownStatus(InvalidValue, LookupError):
    """A status name that the lifecycle does not declare."""


class UnknownTransitionName(InvalidValue, LookupError):
    """A transition name that the lifecycle does not declare."""


class NotASession(InvalidValue, TypeError):
    """A value that a lifecycle cannot drive (not an attrs/dataclass value, no status field)."""


class NotIndexed(SessionKitError, KeyError):
    """A key that is not in the :class:`~sessionkit.conflicts.ConflictIndex`."""

    def __init__(self, key: object) -> None:
        super().__init__(f"{shown(key)} is not in the index")
        self.key = key

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidDuration(InvalidValue):
    """A duration, step or buffer outside its allowed range."""


class InvalidWindow(InvalidValue):
    """A query window whose end lies before its start."""


class UnknownTimeZone(InvalidValue):
    """A name that is not an IANA time zone known to this system.

    ``reason`` says why a name the system can load is still not one (its own
    zone as ``localtime``, a copy under ``posix/``), else ``None``.
    """

    def __init__(self, name: object, reason: str | None = None) -> None:
        what = f"unknown time zone {shown(name)}" if reason is None else f"{shown(name)} {reason}"
        super().__init__(
            f"{what}; expected an IANA name such as 'Europe/Berlin' or 'UTC'",
            value=name,
            expected="an IANA time zone name",
        )
        # The zone's name the caller gave (any object), not an argument's as
        # InvalidValue.name is elsewhere: kept so for the apps that read it.
        self.name = name  # type: ignore[assignment]
        self.reason = reason


class InvalidRecurrence(InvalidValue):
    """A recurrence rule, EXDATE or RDATE that cannot be used.

    ``part`` names the offending rule part (``"FREQ"``, ``"BYDAY"``, ...) when
    the problem is in the rule text.
    """

    def __init__(self, message: str, *, value: object = None, part: str | None = None) -> None:
        super().__init__(message, value=value, expected=part or "")
        self.part = part


class InvalidAvailability(InvalidValue):
    """Availability hours that cannot be used (unknown weekday, end before start, ...)."""


class WallTimeError(SessionKitError, ValueError):
    """A local wall-clock time that does not name exactly one instant in its zone."""

    def __init__(self, message: str, *, local: datetime, zone: str) -> None:
        super().__init__(message)
        self.local = local
        self.zone = zone


class SkippedTime(WallTimeError):
    """The local time falls in a gap (clocks jumped over it), so it never happened."""

    def __init__(self, local: datetime, zone: str) -> None:
        super().__init__(
            f"{local.isoformat()} does not exist in {zone}: the clocks skip over it "
            "(choose disambiguate='compatible', 'earlier' or 'later')",
            local=local,
            zone=zone,
        )


class RepeatedTime(WallTimeError):
    """The local time falls in a fold (clocks went back), so it happened twice."""

    def __init__(self, local: datetime, zone: str) -> None:
        super().__init__(
            f"{local.isoformat()} happens twice in {zone}: the clocks go back over it "
            "(choose disambiguate='compatible', 'earlier' or 'later')",
            local=local,
            zone=zone,
        )


class LimitExceeded(SessionKitError, ValueError):
    """A call asked for more work than a configured limit allows; nothing was done or stored.

    ``name`` is the limit (a field of :class:`~sessionkit.limits.Limits`, such as
    ``"sessions_per_materialisation"``), ``value`` what the call would have
    needed (at least) and ``maximum`` the limit's value. Raised before the work
    where the size is known in advance, else as soon as the limit is passed.
    """

    def __init__(self, name: str, value: object, maximum: object, *, what: str = "") -> None:
        super().__init__(self.wording(name, value, maximum, what=what))
        self.name = name
        self.value = value
        self.maximum = maximum
        self.what = what

    @staticmethod
    def wording(
        name: str,
        value: object,
        maximum: object,
        *,
        what: str = "",
        durations: Callable[[timedelta], str] = duration_text,
    ) -> str:
        """The message of a ``LimitExceeded(name, value, maximum, what=what)``.

        ``durations`` writes ``value`` and ``maximum`` when they are durations (a
        host telling them its own way, as the FastAPI router tells them in
        seconds, words the message again with its own).
        """

        def amount(given: object) -> str:
            return durations(given) if isinstance(given, timedelta) else _amount(given)

        return (
            f"{what or name}: {amount(value)} is more than Limits.{name} allows "
            f"({amount(maximum)}); ask for less (a shorter window, a coarser step, a "
            "sparser rule) or raise the limit"
        )


class ExpansionLimitExceeded(LimitExceeded, RuntimeError):
    """One expansion call examined more candidate dates than its cap allows.

    A :class:`LimitExceeded` for the limit ``"candidates"``; ``rule`` is the
    rule's text and ``limit`` the cap (also ``maximum``).
    """

    def __init__(self, rule: str, limit: int, *, examined: int | None = None) -> None:
        SessionKitError.__init__(
            self,
            f"expanding {shown(rule)} examined more than {limit:,} candidate dates in one call; "
            "ask for a smaller window, or raise the limit explicitly (Limits.candidates, "
            "or max_candidates=)",
        )
        self.name = "candidates"
        self.value = limit + 1 if examined is None else examined
        self.maximum = limit
        self.rule = rule
        self.limit = limit
