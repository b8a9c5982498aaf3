"""The checks of the shipped strategies' options, run when a strategy is built.

Private to :mod:`sessionkit.testing.strategies`. An option that leaves
nothing to draw raises ``InvalidValue``, one of the wrong type ``WrongType``
(also a ``TypeError``), each naming the strategy and the option and saying
what it takes, before anything is drawn: not Hypothesis's ``InvalidArgument``
or a builtin error from the middle of a draw.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from sessionkit.errors import InvalidValue, SessionKitError, WrongType
from sessionkit.errors._base import check_int, shown
from sessionkit.lifecycle import PRESETS, Lifecycle
from sessionkit.model.session import MAX_NAME_LENGTH, Session
from sessionkit.model.text import check_flag, check_text
from sessionkit.zones import check_aware, zone_name

__all__ = [
    "count",
    "day",
    "duration",
    "flag",
    "lifecycle_pool",
    "machine_of",
    "naive_utc",
    "names",
    "naming",
    "not_after",
    "preset_of",
    "roles",
    "strategy_or_none",
    "whole",
    "zone_key",
    "zone_names",
]

_FIRST = datetime(1, 1, 1)
_LAST = datetime(9999, 12, 31, 23, 59, 59, 999999)
"""The first and last naive datetimes (``datetime.min`` and ``max``)."""


@contextmanager
def naming(option: str, value: object, *, strategy: str) -> Iterator[None]:
    """Name the option in a note on a sessionkit error raised inside (which names the value)."""
    try:
        yield
    except SessionKitError as error:
        error.add_note(f"from the option {strategy}({option}={shown(value)})")
        raise


def names(
    values: object, option: str, *, strategy: str, what: str = "", empty: bool = False
) -> list[Any]:
    """Return the items of ``values`` to draw from: a sequence of one or more, not a bare name.

    A bare string would be drawn from letter by letter (``"UTC"``: ``"U"``,
    ``"T"``, ``"C"``), and no item (unless ``empty``) leaves nothing to draw:
    ``InvalidValue``. Anything that is no collection is ``WrongType``, and
    so is a set (``zoneinfo.available_timezones()``), as ``st.sampled_from``
    refuses one: its order changes from run to run with string hashing, so
    the same choices draw other values and Hypothesis cannot replay a
    failing example. The items (``what``, by default ``option``) are the
    caller's to check.
    """
    what = what or option
    if isinstance(values, (bytes, Mapping)) or not isinstance(values, Iterable):
        raise WrongType(values, name=f"{strategy}({option})", expected=f"a sequence of {what}")
    if isinstance(values, (set, frozenset)):
        raise WrongType(
            values,
            name=f"{strategy}({option})",
            expected=f"an ordered sequence of {what}, such as sorted() of the set (a set's order"
            " changes from run to run, and Hypothesis could not replay a failing example)",
        )
    chosen = [] if isinstance(values, str) else list(values)
    if isinstance(values, str) or not (chosen or empty):
        raise InvalidValue(
            f"{strategy}({option}={shown(values)}): give a sequence of one or more {what} to draw "
            "from",
            value=values,
            expected=f"a sequence of one or more {what}",
        )
    return chosen


def zone_names(values: object, option: str, *, strategy: str) -> list[str]:
    """Return the names of :func:`names` that are all time zones (``UnknownTimeZone`` else).

    A zone given as a ``ZoneInfo`` (or ``datetime.UTC``), which
    :func:`~sessionkit.zones.get_zone` also takes, is drawn as its name, as
    the services store it: a ``Session`` whose ``tz`` is a zone object is
    none the kit makes, and an SQL store cannot bind it. A ``ZoneInfo`` with
    no name (``ZoneInfo.from_file``) has none to draw: ``UnknownTimeZone``.
    """
    chosen = names(values, option, strategy=strategy)
    with naming(option, values, strategy=strategy):
        return [zone_key(name) for name in chosen]


def zone_key(zone: str | tzinfo) -> str:
    """Return the IANA name of ``zone``, a name or a zone :func:`~sessionkit.zones.get_zone` takes.

    ``UnknownTimeZone`` for anything else: an unknown name, a ``ZoneInfo`` of
    a name that is no IANA one (``"localtime"``, ``"posix/..."``), or one
    with no name at all (``ZoneInfo.from_file``), as
    :func:`~sessionkit.zones.zone_name` refuses them.
    """
    return zone_name(zone)


def roles(values: object, *, strategy: str) -> list[str]:
    """Return the :func:`names` of ``roles``, each one a booking can have (1 to 64 characters).

    A role with whitespace at either end (``"student "``) is ``InvalidValue``,
    as ``kit.bookings.book`` refuses it: no rule names it.
    """
    chosen = names(values, "roles", strategy=strategy)
    for role in chosen:
        check_text(role, f"{strategy}(roles) item", limit=MAX_NAME_LENGTH, empty=False)
        if role != role.strip():
            raise InvalidValue(
                f"{strategy}(roles={shown(values)}): role {shown(role)} starts or ends with"
                " whitespace, which the booking commands refuse (no rule names it)",
                value=role,
                expected="role names without leading or trailing whitespace",
            )
    return chosen


def lifecycle_pool(lifecycles: object, *, strategy: str = "sessions") -> list[Lifecycle]:
    """Return the lifecycles to draw sessions of: the session presets (``None``), or those named.

    Each is a :class:`~sessionkit.lifecycle.Lifecycle` or a preset's name
    (``UnknownLifecycle`` for an unknown one). Only lifecycles whose subject
    is ``"session"`` drive sessions: the default leaves the others out
    (``consulting_payment`` drives a payment), and one named is refused with
    ``LifecycleNotApplicable``, as the services refuse it.
    """
    if lifecycles is None:
        presets = [PRESETS.get(name) for name in PRESETS]
        return [lifecycle for lifecycle in presets if lifecycle.subject == "session"]
    pool: list[Lifecycle] = []
    what = "lifecycles or preset names"
    for one in names(lifecycles, "lifecycles", strategy=strategy, what=what):
        if not isinstance(one, (str, Lifecycle)):
            raise WrongType(
                one, name=f"{strategy}(lifecycles) item", expected="a Lifecycle or a preset name"
            )
        with naming("lifecycles", lifecycles, strategy=strategy):
            lifecycle = PRESETS.get(one) if isinstance(one, str) else one
            lifecycle.check_subject("session")
        pool.append(lifecycle)
    return pool


def preset_of(lifecycle: object, *, where: str) -> object:
    """``lifecycle``, or the preset it names when it is text (``"lms"``), as the kit takes them.

    An unknown name is ``UnknownLifecycle`` naming it, noted with the option
    (``where`` names what took it). Anything else is returned as it is, for
    :func:`machine_of` to check.
    """
    if not isinstance(lifecycle, str):
        return lifecycle
    try:
        return PRESETS.get(lifecycle)
    except SessionKitError as error:  # UnknownLifecycle
        error.add_note(f"from the option {where}(lifecycle={shown(lifecycle)})")
        raise


def machine_of(session: Session, lifecycle: object, *, where: str, field: str) -> Lifecycle:
    """The lifecycle of ``session``: ``lifecycle``, or the preset it names; it has its status.

    ``lifecycle`` is a :class:`Lifecycle`, a preset's name (:func:`preset_of`)
    or ``None`` for the preset the session names. ``where`` names what took
    ``lifecycle`` in messages (``"bookings"`` says ``bookings(lifecycle=...)``),
    ``field`` the value a ``WrongType`` names. Anything else is ``WrongType``,
    a lifecycle of another name than the session's ``InvalidValue``; a
    lifecycle of yours not given is ``UnknownLifecycle`` and a status it lacks
    ``InvalidValue``, noted with the option.
    """
    lifecycle = preset_of(lifecycle, where=where)
    if lifecycle is not None and not isinstance(lifecycle, Lifecycle):
        raise WrongType(lifecycle, name=field, expected="a Lifecycle, a preset name or None")
    if lifecycle is not None and lifecycle.name != session.lifecycle:
        raise InvalidValue(
            f"{where}(lifecycle={shown(lifecycle.name)}): session {shown(session.id)} is of"
            f" lifecycle {shown(session.lifecycle)}",
            value=lifecycle,
            expected=f"the lifecycle {shown(session.lifecycle)}, or None for the preset",
        )
    try:
        machine = PRESETS.get(session.lifecycle) if lifecycle is None else lifecycle
        machine.status(session.status)
    except SessionKitError as error:  # UnknownLifecycle: one of yours, not given
        error.add_note(f"{where}(lifecycle=...) takes the session's lifecycle")
        raise
    return machine


def flag(value: object, option: str, *, strategy: str, optional: bool = False) -> bool | None:
    """Return ``value`` if it is ``True`` or ``False`` (or ``None`` when ``optional``)."""
    return check_flag(value, f"{strategy}({option})", optional=optional)


def count(value: object, option: str, *, strategy: str, least: int, most: int | None = None) -> int:
    """Return ``value`` if it is an integer (not a bool) from ``least`` to ``most``."""
    span = f"{least}..{most:,}" if most is not None else f">= {least}"
    value = check_int(value, name=f"{strategy}({option})", expected=f"an integer {span}")
    if value < least or (most is not None and value > most):
        raise InvalidValue(
            f"{strategy}({option}={shown(value)}): expected an integer {span}",
            value=value,
            expected=f"an integer {span}",
        )
    return value


def strategy_or_none(value: object, option: str, *, strategy: str) -> None:
    """Refuse anything but a Hypothesis strategy or ``None`` (the default) for ``option``.

    A strategy that draws nothing (``st.nothing()``), or one Hypothesis
    refuses when it is first used (``st.sampled_from([])``), leaves nothing
    to draw: ``InvalidValue`` naming the option, not Hypothesis's
    ``Unsatisfiable`` from the first test or its ``InvalidArgument``, which
    names no option.
    """
    if value is None:
        return
    if not isinstance(value, st.SearchStrategy):
        raise WrongType(
            value, name=f"{strategy}({option})", expected="a Hypothesis strategy or None"
        )
    try:
        empty, why = value.is_empty, "the strategy draws nothing"
    except InvalidArgument as refused:  # Hypothesis's check of the strategy's own arguments
        empty, why = True, f"Hypothesis refuses the strategy ({refused})"
    if empty:
        raise InvalidValue(
            f"{strategy}({option}={shown(value)}): {why}, so there is nothing to draw",
            value=value,
            expected="a strategy that draws at least one value",
        )


def naive_utc(value: object, option: str, *, strategy: str) -> datetime:
    """Return a UTC bound as a naive datetime: a naive one as it is, an aware one converted."""
    if not isinstance(value, datetime):
        raise WrongType(
            value, name=f"{strategy}({option})", expected="a datetime (naive UTC, or aware)"
        )
    if value.tzinfo is None:
        return value
    return check_aware(value, f"{strategy}({option})").astimezone(UTC).replace(tzinfo=None)


def duration(value: object, option: str, *, strategy: str) -> timedelta:
    """Return ``value`` if it is a ``timedelta``."""
    if not isinstance(value, timedelta):
        raise WrongType(value, name=f"{strategy}({option})", expected="a timedelta")
    return value


def day(value: object, option: str, *, strategy: str) -> date:
    """Return ``value`` if it is a ``date`` (a ``datetime`` is not one here)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise WrongType(value, name=f"{strategy}({option})", expected="a date")
    return value


def not_after(
    low: date, high: date, *, strategy: str, called: tuple[str, str] = ("min_start", "max_start")
) -> None:
    """Refuse bounds ``low`` > ``high`` (``datetime`` or ``date`` alike): nothing lies between."""
    if high < low:
        low_name, high_name = called
        raise InvalidValue(
            f"{strategy}({low_name}={low}, {high_name}={high}): nothing lies between",
            value=high,
            expected=f"{high_name} >= {low}",
        )


def whole(
    low: datetime,
    high: datetime,
    *,
    strategy: str,
    unit: str = "second",
    called: tuple[str, str] = ("min_start", "max_start"),
) -> tuple[datetime, datetime]:
    """Return naive bounds ``low <= high`` on whole ``unit``s (seconds, minutes): low up, high down.

    A value drawn on a whole ``unit`` between them lies between the bounds
    given (one rounded down after it is drawn may fall below ``low``). When no
    whole ``unit`` lies between (``00:00:00.5`` to ``00:00:00.9`` for a
    second), nothing can be drawn: ``InvalidValue``.
    """
    step = timedelta(minutes=1) if unit == "minute" else timedelta(seconds=1)
    first: datetime | None = low - (low - _FIRST) % step
    if first is not None and first < low:
        first = first + step if first <= _LAST - step else None  # past the last one
    last = high - (high - _FIRST) % step
    if first is None or last < first:
        low_name, high_name = called
        raise InvalidValue(
            f"{strategy}({low_name}={low}, {high_name}={high}): no whole {unit} lies between",
            value=(low, high),
            expected=f"bounds with a whole {unit} between them",
        )
    return first, last
