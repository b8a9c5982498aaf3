"""The values a lifecycle is declared with, and the event it emits.

:class:`Status` (with its flags), :class:`Transition` (with guards and an
optional :class:`Timer`) and :class:`StatusChanged`. They are plain frozen
attrs values; :class:`~sessionkit.lifecycle.machine.Lifecycle` checks how they fit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, TypeAlias, cast

import attrs

from sessionkit.errors import (
    InvalidDuration,
    InvalidValue,
    NaiveDatetime,
    NotADatetime,
    NotASession,
    WrongType,
)
from sessionkit.errors._base import duration_text, optional_int_converter, shown
from sessionkit.lifecycle._checks import (
    check_callable,
    check_flag,
    check_text,
    check_timedelta,
    items,
)
from sessionkit.lifecycle.context import TransitionContext
from sessionkit.lifecycle.guards import Condition, Guard
from sessionkit.limits import CEILING

__all__ = [
    "ANY",
    "Anchor",
    "SpanAnchor",
    "Status",
    "StatusChanged",
    "Timer",
    "Transition",
]

ANY: Final = "*"
"""A transition source meaning "every non-terminal status except the target" (academy cancel)."""

SpanAnchor = Literal["start", "end"]
"""The two anchors read off the value's span: ``value.span.start`` and ``value.span.end``."""

Anchor: TypeAlias = str | Callable[[Any], datetime]
"""What a :class:`Timer` counts from.

``"start"`` or ``"end"`` of the value's span; any other string names a field
of the value holding an aware datetime (``"created_at"``, ``"held_until"``);
or a callable ``value -> datetime``.
"""

_SPAN_ANCHORS: Final = ("start", "end")

_FLAGS: Final = ("initial", "terminal", "busy", "editable", "counts_usage", "cancelled", "no_show")


@attrs.frozen
class Status:
    """One status of a lifecycle, with the flags the rest of sessionkit reads.

    ``initial``: new values start here (exactly one per lifecycle).
    ``terminal``: nothing leaves it. ``busy``: the session occupies its
    resources (conflict checks count it). ``editable``: it may still be moved
    or retitled. ``counts_usage``: it consumes a subscription credit.
    ``cancelled``: entering it is a cancellation (hosts and services treat
    every transition into such a status alike, whatever its name).
    ``no_show``: entering it means the participants did not come (a paid
    booking is then refunded as the kit's refund policy says of no-shows).
    ``name`` may be a plain string or a StrEnum member; values get exactly
    this value when they enter the status.
    """

    name: str
    initial: bool = attrs.field(default=False, kw_only=True)
    terminal: bool = attrs.field(default=False, kw_only=True)
    busy: bool = attrs.field(default=False, kw_only=True)
    editable: bool = attrs.field(default=False, kw_only=True)
    counts_usage: bool = attrs.field(default=False, kw_only=True)
    cancelled: bool = attrs.field(default=False, kw_only=True)
    no_show: bool = attrs.field(default=False, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)

    def __attrs_post_init__(self) -> None:
        # The name is left to the Lifecycle, which refuses it as ``invalid_name`` with the
        # transition names; a flag must be a real bool, as the sets of statuses are read off it.
        for flag in _FLAGS:
            check_flag(getattr(self, flag), f"Status({shown(self.name)}).{flag}")
        check_text(self.description, f"Status({shown(self.name)}).description")


def _format_delta(delta: timedelta) -> str:
    size_of = abs(delta)
    seconds = size_of.days * 86_400 + size_of.seconds
    if size_of.microseconds:  # exactly, as the timer counts: 500 ms is "0.5 s", not "0 s"
        return f"{seconds}.{size_of.microseconds:06d}".rstrip("0") + " s"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _back(delta: timedelta) -> timedelta:
    """Return ``-delta`` for a timer counting back; ``InvalidValue`` past the longest timedelta."""
    check_timedelta(delta, "delta")
    try:
        return -delta
    except OverflowError:
        raise InvalidValue(
            f"a timer cannot count back {duration_text(delta)}: its negation is no timedelta",
            value=delta,
            expected="a timedelta shorter than timedelta.max",
        ) from None


def _check_anchor(anchor: object) -> None:
    if callable(anchor) or (isinstance(anchor, str) and anchor.isidentifier()):
        return
    raise InvalidValue(
        f"a timer counts from 'start', 'end', a field name or a callable, got {shown(anchor)}",
        value=anchor,
        expected="'start', 'end', a field name or a callable value -> datetime",
    )


@attrs.frozen
class Timer:
    """When a timed transition falls due: an ``anchor`` instant of the value plus ``offset``.

    The anchor is ``"start"`` or ``"end"`` (of ``value.span``), the name of a
    field of the value (``"created_at"``: a hold that expires 15 minutes after
    it was made), or a callable ``value -> datetime``. The offset is elapsed
    time, so "15 minutes before start" is exact across a DST change.
    ``condition``, if given, is asked as ``condition(value, context)`` when
    the clock would fire the transition (for instance
    :func:`~sessionkit.lifecycle.nobody_attended`); firing it by hand ignores it.

    >>> from datetime import UTC, datetime
    >>> import attrs
    >>> @attrs.frozen
    ... class Request:
    ...     id: str
    ...     filed_at: datetime
    >>> deadline = Timer.after("filed_at", timedelta(hours=24))
    >>> deadline.due(Request("r1", datetime(2026, 3, 2, 9, tzinfo=UTC)))
    datetime.datetime(2026, 3, 3, 9, 0, tzinfo=datetime.timezone.utc)
    >>> deadline.describe(), deadline.anchor_name, deadline.span_anchored
    ('filed_at + 1 d', 'filed_at', False)
    """

    anchor: Anchor
    offset: timedelta = timedelta(0)
    condition: Condition | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check_anchor(self.anchor)
        if not isinstance(self.offset, timedelta):
            raise NotADatetime(self.offset, name="offset", expected="timedelta")
        if not -CEILING <= self.offset <= CEILING:
            # Anchor plus offset must stay a datetime: found out here, not at the tick.
            raise InvalidDuration(
                f"a timer's offset is at most {CEILING.days:,} days (100 years) either way, got "
                f"{duration_text(self.offset)}",
                value=self.offset,
                expected=f"-{CEILING.days} days <= offset <= {CEILING.days} days",
            )
        if self.condition is not None:
            # Asked only when the clock would fire, which may be weeks after the definition.
            check_callable(
                self.condition,
                "Timer.condition",
                "a callable condition(value, context) -> bool, or None",
            )

    @classmethod
    def after(
        cls, anchor: Anchor, delta: timedelta = timedelta(0), *, condition: Condition | None = None
    ) -> Timer:
        """Return a timer due ``delta`` after ``anchor`` (at it by default)."""
        return cls(anchor, delta, condition=condition)

    @classmethod
    def before(
        cls, anchor: Anchor, delta: timedelta, *, condition: Condition | None = None
    ) -> Timer:
        """Return a timer due ``delta`` before ``anchor``."""
        return cls(anchor, _back(delta), condition=condition)

    @classmethod
    def at(cls, anchor: Anchor, *, condition: Condition | None = None) -> Timer:
        """Return a timer due exactly at ``anchor`` (``Timer.at("held_until")``)."""
        return cls(anchor, timedelta(0), condition=condition)

    @classmethod
    def before_start(cls, delta: timedelta, *, condition: Condition | None = None) -> Timer:
        """Return a timer due ``delta`` before the start."""
        return cls("start", _back(delta), condition=condition)

    @classmethod
    def after_start(
        cls, delta: timedelta = timedelta(0), *, condition: Condition | None = None
    ) -> Timer:
        """Return a timer due ``delta`` after the start (at the start by default)."""
        return cls("start", delta, condition=condition)

    @classmethod
    def after_end(
        cls, delta: timedelta = timedelta(0), *, condition: Condition | None = None
    ) -> Timer:
        """Return a timer due ``delta`` after the end (at the end by default)."""
        return cls("end", delta, condition=condition)

    @property
    def span_anchored(self) -> bool:
        """Whether the timer counts from ``value.span.start`` or ``.end``.

        Storage can prefilter such timers by the span; any other anchor needs the value read.
        """
        return isinstance(self.anchor, str) and self.anchor in _SPAN_ANCHORS

    @property
    def anchor_name(self) -> str:
        """The anchor in words: ``"start"``, ``"end"``, the field name, or the callable's name."""
        return self.anchor if isinstance(self.anchor, str) else _label(self.anchor)

    def anchor_instant(self, value: object) -> datetime:
        """Return the anchor instant of ``value`` in UTC (before the offset is added).

        Raises :class:`~sessionkit.errors.NotASession` if the field is missing,
        :class:`~sessionkit.errors.NotADatetime` if it holds no datetime and
        :class:`~sessionkit.errors.NaiveDatetime` if the datetime is naive;
        each names the field and the value's type.
        """
        kind = type(value).__name__
        where = f"{kind}.{self.anchor_name}"
        if callable(self.anchor):
            instant: object = self.anchor(value)
            where = f"{self.anchor_name}({kind})"
        elif self.span_anchored:
            span = getattr(value, "span", None)
            if span is None:
                raise _missing(value, "span", self)
            instant = getattr(span, self.anchor)
        else:
            if not hasattr(value, self.anchor):
                raise _missing(value, self.anchor, self)
            instant = getattr(value, self.anchor)
        if not isinstance(instant, datetime):
            raise NotADatetime(instant, name=where, expected="datetime")
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise NaiveDatetime(instant, name=where)
        return instant.astimezone(UTC)

    def due(self, value: object) -> datetime:
        """Return the instant (UTC) this timer falls due for ``value``: anchor plus offset.

        Raises :class:`~sessionkit.errors.InvalidValue` when that instant is past
        the years 1 to 9999 (a start on 1 January of year 1, 15 minutes before it).
        """
        anchor = self.anchor_instant(value)
        try:
            return anchor + self.offset
        except OverflowError:
            raise InvalidValue(
                f"the timer at {self.describe()!r} falls due outside the years 1 to 9999 for "
                f"{type(value).__name__} {shown(getattr(value, 'id', None))} "
                f"({self.anchor_name} {anchor.isoformat()})",
                value=anchor,
                expected="an anchor whose instant plus the offset is a datetime",
            ) from None

    def holds(self, value: object, context: TransitionContext) -> bool:
        """Return whether the condition (if any) lets the clock fire for ``value``."""
        return self.condition is None or bool(self.condition(value, context))

    def with_condition(self, condition: Condition | None) -> Timer:
        """Return this timer with ``condition`` instead of its own (``None`` drops it)."""
        return attrs.evolve(self, condition=condition)

    def describe(self) -> str:
        """Return the timing in words, e.g. ``"start + 30 min if nobody_attended"``."""
        text = self.anchor_name
        if self.offset:
            sign = "-" if self.offset < timedelta(0) else "+"
            text = f"{text} {sign} {_format_delta(self.offset)}"
        if self.condition is not None:
            text += f" if {_label(self.condition)}"
        return text


def _missing(value: object, field: str, timer: Timer) -> NotASession:
    kind = type(value).__name__
    return NotASession(
        f"{kind} has no {field!r} field for the timer at {timer.describe()!r} to count from",
        value=value,
        expected=f"a {field!r} field holding an aware datetime",
    )


def _to_sources(value: str | Iterable[str]) -> tuple[str, ...]:
    # One string is one status (the common case), not a collection of one-letter statuses.
    if isinstance(value, str):
        return (value,)
    # Each member is checked by Transition.__attrs_post_init__, which knows the transition.
    found = items(value, "Transition.sources", "a status name, a collection of them, or ANY")
    return cast("tuple[str, ...]", found)


def _to_guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    found = items(value, "Transition.guards", "a collection of guards, e.g. [has_started]")
    return cast("tuple[Guard, ...]", found)


def _label(thing: object) -> str:
    return str(getattr(thing, "label", None) or getattr(thing, "__name__", type(thing).__name__))


@attrs.frozen
class Transition:
    """A named move from one or more ``sources`` to ``target``.

    ``sources`` is a status, several, or :data:`ANY`. ``guards`` are all asked,
    in order, before the transition fires; the first refusal wins. With a
    ``timer`` the transition also fires on its own when due
    (:meth:`Lifecycle.advance`); it can still be fired by hand. ``max_notes``:
    the longest notes a person may give when firing it
    (``kit.sessions.fire(..., notes=)``; ``None``: sessionkit's own bound,
    2,000 characters, which holds whatever this says).
    """

    name: str
    sources: tuple[str, ...] = attrs.field(converter=_to_sources)
    target: str
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_to_guards, kw_only=True)
    timer: Timer | None = attrs.field(default=None, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)
    max_notes: int | None = attrs.field(
        default=None, converter=optional_int_converter, kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        # Guards and timers are only used on a fire or a tick, so a wrong one would
        # otherwise surface there as a bare TypeError or AttributeError. The name is left
        # to the Lifecycle, which refuses it as ``invalid_name`` with the status names.
        owner = f"Transition({shown(self.name)})"
        for index, source in enumerate(self.sources):
            check_text(source, f"{owner}.sources[{index}]", "a status name (str) or ANY")
        check_text(self.target, f"{owner}.target", "a status name (str)")
        for index, guard in enumerate(self.guards):
            check_callable(
                guard,
                f"{owner}.guards[{index}]",
                "a guard: guard(session, *, now, actor, role) -> Verdict",
            )
        if self.timer is not None and not isinstance(self.timer, Timer):
            raise WrongType(
                self.timer,
                name=f"{owner}.timer",
                expected="a Timer (e.g. Timer.after_start(timedelta(minutes=5))) or None",
            )
        check_text(self.description, f"{owner}.description")
        if self.max_notes is not None and (
            isinstance(self.max_notes, bool) or not isinstance(self.max_notes, int)
        ):
            raise WrongType(self.max_notes, name=f"{owner}.max_notes", expected="an int or None")
        if self.max_notes is not None and self.max_notes < 1:
            raise InvalidValue(
                f"{owner}.max_notes must be at least 1, got {self.max_notes}",
                value=self.max_notes,
                expected="a number of characters >= 1, or None",
            )

    @property
    def timed(self) -> bool:
        """Whether the clock fires this transition."""
        return self.timer is not None

    def label(self) -> str:
        """Return the diagram label: the name, the timing and the guards."""
        text = str(self.name)
        if self.timer is not None:
            text += f" at {self.timer.describe()}"
        if self.guards:
            text += " [" + ", ".join(_label(guard) for guard in self.guards) + "]"
        return text


@attrs.frozen(kw_only=True)
class StatusChanged:
    """The event of one transition: who moved which session from what to what, when and why.

    ``at`` is in UTC. For a timed step ``at`` is the instant the transition fell
    due (not when :meth:`Lifecycle.advance` happened to run), ``actor`` and
    ``role`` are ``None`` and ``timed`` is true.
    """

    session_id: object
    lifecycle: str
    transition: str
    from_status: str
    to_status: str
    at: datetime
    actor: object = None
    role: str | None = None
    reason: str | None = None
    timed: bool = False
