"""Running a command again when it lost a race, and the marks on errors that decide it.

Private to the services package; :mod:`~sessionkit.services._context` exports
every name here that other modules use. It owns the count of committed units
(:data:`COMMITS`, which :meth:`Context.transaction` raises), the marks an
error carries (raised once its unit committed, given up, the caller's stale
version), the version checks, the race loops (:func:`run_races`,
:func:`retrying`, which :class:`~sessionkit.services._context.Context` has as
its ``retrying`` method) and the :func:`retried` decorator of service methods.
"""

from __future__ import annotations

import contextlib
import functools
import random
import time as _time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Concatenate, ParamSpec, Protocol, TypeVar

from sessionkit.errors import (
    ConcurrentModification,
    Duplicate,
    DuplicateSession,
    InvalidValue,
    SessionConflict,
    TransientConflict,
)
from sessionkit.errors._base import check_int, shown

if TYPE_CHECKING:
    from sessionkit.services._context import Context

__all__ = [
    "AFTER_COMMIT",
    "CALLERS",
    "COMMITS",
    "check_record_version",
    "check_version",
    "mark",
    "note",
    "raise_late",
    "raised_after_commit",
    "retried",
    "retrying",
    "retrying_races",
    "run_races",
    "runs_again",
]

P = ParamSpec("P")
R = TypeVar("R")

COMMITS: ContextVar[int] = ContextVar("sessionkit_commits", default=0)
"""How many units of work :meth:`Context.transaction` committed in this context, ever.

The count :meth:`Context.retrying` compares before and after a command: a
command of several units is not run again once any of them committed, even
one before the unit that raised. Whether an error was raised once its own
unit committed is :func:`raised_after_commit`.
"""
_GAVE_UP = "_sessionkit_gave_up"
"""Set on a conflict a retry gave up on, so that no outer command retries it."""
CALLERS = "_sessionkit_callers_version"
"""Set on a ``ConcurrentModification`` for a stale version the caller gave: never retried."""
_BACKOFF = 0.01
"""Seconds: the first retry waits up to this long (at random), each later one twice as long."""


def check_record_version(record_id: object, version: int, expected_version: int | None) -> None:
    """Raise ``ConcurrentModification`` if the caller's ``expected_version`` is not ``version``.

    ``expected_version`` ``None`` checks nothing. Running the command again
    would read the same record, so this error is never retried (unlike a
    record a concurrent writer moved on between a command's read and its
    write).
    """
    expected = check_version(expected_version)
    if expected is not None and expected != version:
        error = ConcurrentModification(record_id, expected, version)
        setattr(error, CALLERS, True)
        raise error


AFTER_COMMIT = "_sessionkit_raised_after_commit"
"""The attribute :meth:`Context.transaction` sets on an error raised once its unit committed."""


def mark(error: BaseException, name: str, value: object) -> None:
    """Set attribute ``name`` of ``error`` to ``value``, whatever the error's class.

    An exception always has a ``__dict__`` (``BaseException`` gives it one), but a
    frozen class (attrs' ``frozen``, a frozen dataclass: a host's handler may raise
    one) refuses ``setattr``: the mark was lost, or the refusal replaced the error.
    """
    with contextlib.suppress(AttributeError, TypeError):  # never in the way of the error
        object.__setattr__(error, name, value)


def note(error: BaseException, text: str) -> None:
    """Add ``text`` to ``error``'s notes, whatever the error's class.

    ``add_note`` sets ``__notes__``, which a frozen class refuses as any other
    attribute (a frozen dataclass always, attrs' ``frozen`` before attrs 24.3):
    the refusal replaced the error. Set as :func:`mark` sets its attribute.
    """
    try:
        error.add_note(text)
    except (AttributeError, TypeError):  # FrozenInstanceError is an AttributeError
        notes = getattr(error, "__notes__", None)
        mark(error, "__notes__", [*(notes if isinstance(notes, list) else ()), text])


def raised_after_commit(error: BaseException) -> bool:
    """Whether ``error`` was raised once its unit of work had committed.

    The publisher's error (an event handler's) as the unit closed, or an
    after-commit hook's (the provider calls the commit left due, see
    :attr:`Context.after_commit`): the unit's work stands. A command that
    runs several units (a job's items) can tell it from a refusal this way,
    where comparing the count of committed units cannot tell it from a
    refusal raised after an earlier unit of the same item committed. An error instance
    raised again, out of a unit that did not commit, loses the mark.
    """
    return getattr(error, AFTER_COMMIT, False) is True


def runs_again(error: BaseException) -> bool:
    """Whether a command's own loop for version races may run its unit again after ``error``.

    Not for a database's refusal (``TransientConflict``: :meth:`Context.retrying`'s
    to run again, or the host's to roll back in a joined unit), a conflict a
    retry gave up on, or an error raised once the unit committed (an event
    handler's): that unit's work stands, and run again it would write twice
    and the error would be lost.
    """
    return not (
        isinstance(error, TransientConflict)
        or getattr(error, _GAVE_UP, False)
        or raised_after_commit(error)
    )


def run_races(run: Callable[[], R], attempts: int, *, duplicate: str | None = None) -> R:
    """Return ``run()``, run again while a racing writer stored first, up to ``attempts`` times.

    A race is a ``ConcurrentModification`` (a record moved on between the
    read and the write) or, with ``duplicate``, a ``Duplicate`` of that kind
    (a racing first record of it). Only errors :func:`runs_again` allows: a
    ``TransientConflict`` is left to :meth:`Context.retrying` around this
    (run again up to ``attempts`` times when ``retryable``, never in a joined
    unit), and an error raised once the unit committed stands. A conflict
    lost ``attempts`` times is raised marked given up, so no outer retry runs
    the count again.
    """
    for attempt in range(1, attempts + 1):
        try:
            return run()
        except Duplicate as taken:
            if taken.kind != duplicate or attempt == attempts or not runs_again(taken):
                raise
        except ConcurrentModification as error:
            if not runs_again(error):
                raise
            if attempt == attempts:
                error.attempts = attempt
                mark(error, _GAVE_UP, True)  # lost them all: not run again from the top
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def raise_late(
    late: list[Exception],
    job: str,
    report: object,
    unit: str,
    *,
    summary: str | None = None,
    details: Iterable[str] = (),
    attribute: str | None = None,
) -> None:
    """Raise the first of ``late``, errors raised once a unit of ``job`` committed, if any.

    A job of one unit of work per ``unit`` (a session, a batch) goes on past
    such an error (the publisher's, as the unit closed): its work stands. The
    error raised at the end notes the job's ``report`` (its ``summary`` when
    given, else its repr), then ``details``, then the later errors; with
    ``attribute``, it carries ``report`` as that attribute too.
    """
    if not late:
        return
    first = late[0]
    shown_report = repr(report) if summary is None else summary
    note(first, f"{job} committed its work: {shown_report}")
    for detail in details:
        note(first, detail)
    for other in late[1:]:
        note(first, f"after another {unit} committed: {other!r}")
    if attribute is not None:
        mark(first, attribute, report)  # any exception type, a frozen one too
    raise first


def check_version(value: object) -> int | None:
    """Return ``expected_version`` if it is ``None`` or a positive integer, else raise."""
    if value is None:
        return None
    value = check_int(value, name="expected_version", expected="None or an integer >= 1")
    if value < 1:
        raise InvalidValue(
            f"expected_version must be >= 1, got {shown(value)}",
            value=value,
            expected=">= 1",
            name="expected_version",
        )
    return value


def retrying(ctx: Context, command: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Return ``command(*args, **kwargs)``, run again if it lost a race.

    A :class:`~sessionkit.errors.ConcurrentModification` that is
    ``retryable`` (the database aborted the transaction in a race, or a
    concurrent writer moved a record on between the command's read and
    its write; the store owned the whole transaction, and rolled it back),
    or a ``retryable`` :class:`~sessionkit.errors.SessionConflict` or
    ``DuplicateSession`` (a series command met a session stored after its
    read), runs the command
    again, up to :attr:`attempts` runs in all, after a short random pause;
    so does nothing else. Never once a unit of work of the command has
    committed: running it again would repeat that unit. The events of an
    attempt that did not commit were never published.
    """
    # A one-shot iterator (a generator of ids, of resources) is read again by each attempt:
    # read once, a second attempt saw no items, and did nothing or stored none.
    again = [_Replayable(a) if isinstance(a, Iterator) else a for a in args]
    named = {k: _Replayable(v) if isinstance(v, Iterator) else v for k, v in kwargs.items()}
    attempt = 1
    while True:
        committed = COMMITS.get()
        try:
            return command(*again, **named)  # type: ignore[arg-type]  # P's, iterators replayable
        except (ConcurrentModification, SessionConflict, DuplicateSession) as error:
            if getattr(error, _GAVE_UP, False):
                raise  # an inner command's: its attempts are the count
            error.attempts = attempt
            if not error.retryable or COMMITS.get() != committed or attempt >= ctx.attempts:
                setattr(error, _GAVE_UP, True)
                raise
        _time.sleep(random.uniform(0, _BACKOFF * 2 ** (attempt - 1)))  # noqa: S311  # jitter, not a secret
        attempt += 1


def retrying_races(
    ctx: Context, run: Callable[[], R], attempts: int, *, duplicate: str | None = None
) -> R:
    """Return ``run()`` under :func:`run_races` (its own races) inside :meth:`retrying`.

    A racing writer's first record or move runs it again up to ``attempts``
    times; a database's refusal (``TransientConflict``) is raised at once by
    the inner loop and run again by :meth:`retrying` when ``retryable``,
    never in a joined unit, and never :attr:`attempts` times over the races'
    count. An error raised once the unit committed (an event handler's) is
    raised, its work standing.
    """
    return ctx.retrying(run_races, run, attempts, duplicate=duplicate)


class _Service(Protocol):
    _ctx: Context


S = TypeVar("S", bound=_Service)


class _Replayable:
    """A command's one-shot iterator argument, iterable again from its first item.

    Read lazily, as the iterator would be (a check stopping at its bound reads
    no further), and kept, so an attempt run again after a lost race reads the
    same items as the first.
    """

    __slots__ = ("_read", "_source")

    def __init__(self, source: Iterator[object]) -> None:
        self._source = source
        self._read: list[object] = []

    def __iter__(self) -> Iterator[object]:
        index = 0
        while True:
            if index == len(self._read):
                try:
                    self._read.append(next(self._source))
                except StopIteration:
                    return
            yield self._read[index]
            index += 1


def retried(command: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Make a service method run again when the database aborted it in a race (see ``retrying``)."""

    @functools.wraps(command)
    def run(service: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return service._ctx.retrying(command, service, *args, **kwargs)

    return run
