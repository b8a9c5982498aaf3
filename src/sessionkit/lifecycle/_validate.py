"""The soundness checks a lifecycle definition passes when it is built.

Each failure raises :class:`~sessionkit.errors.InvalidLifecycle` with a
``problem`` code and the offending ``subject`` (a name, or names); a part of
the wrong type (a statuses entry that is no :class:`Status`, a ``scheduled``
that is no name) raises :class:`~sessionkit.errors.WrongType` naming it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import cast

import attrs

from sessionkit.errors import InvalidLifecycle, WrongType
from sessionkit.errors._base import shown
from sessionkit.lifecycle._checks import check_text, items
from sessionkit.lifecycle.definition import Status, Transition
from sessionkit.lifecycle.guards import guard_roles, has_started


def to_statuses(value: Iterable[Status]) -> tuple[Status, ...]:
    """Return the statuses as a tuple; each one's type is checked by :func:`validate`."""
    found = items(value, "Lifecycle.statuses", "a collection of Status values")
    return cast("tuple[Status, ...]", found)


def to_transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    """Return the transitions as a tuple; each one's type is checked by :func:`validate`."""
    found = items(value, "Lifecycle.transitions", "a collection of Transition values")
    return cast("tuple[Transition, ...]", found)


def to_description(value: str) -> str:
    """Return the description with its indentation cleaned, refusing anything but text."""
    check_text(value, "Lifecycle.description")
    return inspect.cleandoc(value)


def _check_parts(
    lifecycle: str,
    statuses: Sequence[object],
    transitions: Sequence[object],
    field: object,
    scheduled: object,
) -> None:
    """Check the type of each part before the parts are read as statuses and transitions."""
    owner = f"Lifecycle({lifecycle!r})"
    for index, status in enumerate(statuses):
        if not isinstance(status, Status):
            raise WrongType(status, name=f"{owner}.statuses[{index}]", expected="a Status")
    for index, transition in enumerate(transitions):
        if not isinstance(transition, Transition):
            raise WrongType(
                transition, name=f"{owner}.transitions[{index}]", expected="a Transition"
            )
    if not isinstance(field, str) or not field.isidentifier():
        raise _fail(
            lifecycle,
            "invalid_field",
            field,
            f"field {shown(field)} must be an identifier naming the attribute holding the status",
        )
    if scheduled is not None:
        check_text(scheduled, f"{owner}.scheduled", "a status name (str) or None")


def _fail(lifecycle: str, problem: str, subject: object, message: str) -> InvalidLifecycle:
    return InvalidLifecycle(f"lifecycle {lifecycle!r}: {message}", problem=problem, subject=subject)


def _check_names(lifecycle: str, kind: str, names: Sequence[object]) -> None:
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise _fail(
                lifecycle,
                "invalid_name",
                name,
                f"{kind} name {shown(name)} must be an identifier (letters, digits, underscores)",
            )
    seen: set[object] = set()
    for name in names:
        if name in seen:
            raise _fail(
                lifecycle, f"duplicate_{kind}", name, f"{kind} {shown(name)} is declared twice"
            )
        seen.add(name)


def _expand(
    lifecycle: str,
    transition: Transition,
    known: dict[str, Status],
    any_source: str,
) -> Transition:
    if transition.target not in known:
        raise _fail(
            lifecycle,
            "unknown_status",
            (transition.name, transition.target),
            f"transition {shown(transition.name)} goes to unknown status "
            f"{shown(transition.target)}",
        )
    sources: list[str] = []
    for source in transition.sources:
        if source == any_source:
            candidates = [
                s.name for s in known.values() if not s.terminal and s.name != transition.target
            ]
        elif source in known:
            candidates = [known[source].name]
        else:
            raise _fail(
                lifecycle,
                "unknown_status",
                (transition.name, source),
                f"transition {shown(transition.name)} leaves unknown status {shown(source)}",
            )
        sources.extend(c for c in candidates if c not in sources)
    if not sources:
        raise _fail(
            lifecycle,
            "no_sources",
            transition.name,
            f"transition {shown(transition.name)} leaves no status",
        )
    for source in sources:
        if known[source].terminal:
            raise _fail(
                lifecycle,
                "transition_from_terminal",
                (transition.name, source),
                f"transition {shown(transition.name)} leaves terminal status {shown(source)}; "
                "terminal statuses are final",
            )
    return attrs.evolve(transition, sources=tuple(sources), target=known[transition.target].name)


def reachable(initial: str, transitions: Sequence[Transition]) -> set[str]:
    """The statuses ``initial`` and those some path of ``transitions`` leads to from it."""
    seen = {initial}
    frontier = [initial]
    while frontier:
        status = frontier.pop()
        for t in transitions:
            if status in t.sources and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    return seen


def _timed_cycle(transitions: Sequence[Transition]) -> list[str] | None:
    edges: dict[str, list[str]] = {}
    for t in transitions:
        if t.timer is not None:
            for source in t.sources:
                edges.setdefault(source, []).append(t.target)
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for nxt in edges.get(node, ()):
            cycle = visit(nxt, [*path, node])
            if cycle is not None:
                return cycle
        done.add(node)
        return None

    for start in list(edges):
        cycle = visit(start, [])
        if cycle is not None:
            return cycle
    return None


def _clock_refusal(transition: Transition) -> str | None:
    """Return why a guard of timed ``transition`` refuses the clock every time, or ``None``.

    The clock fires with no role and asks the guards as of the due instant, so a
    :func:`~sessionkit.lifecycle.roles` guard always refuses it, and so does
    :data:`~sessionkit.lifecycle.has_started` on a timer due before the start.
    """
    timer = transition.timer
    if timer is None:
        return None
    allowed = guard_roles(transition.guards)
    if allowed is not None:
        return (
            f"its guard role in {'/'.join(sorted(allowed))} refuses the clock, which fires "
            "with no role"
        )
    if (
        any(guard is has_started for guard in transition.guards)
        and timer.anchor == "start"
        and timer.offset < timedelta(0)
    ):
        return f"its guard has_started refuses it at {timer.describe()}, before the start"
    return None


def _check_entry(lifecycle: str, known: dict[str, Status], entry: str, *, named: bool) -> None:
    """Check the entry status: known, not terminal, and no cancellation (it is not entered so).

    ``named``: the entry is the ``scheduled=`` argument (else the initial
    status). Reachability from the initial status is already checked for every status.
    """
    if entry not in known:
        raise _fail(
            lifecycle,
            "unknown_status",
            ("scheduled", entry),
            f"scheduled={shown(entry)} is not one of its statuses ({', '.join(known)})",
        )
    if known[entry].terminal:
        raise _fail(
            lifecycle,
            "terminal_entry",
            entry,
            f"{f'scheduled={shown(entry)}' if named else f'the initial status {shown(entry)}'}"
            " is terminal; a new value could never leave it",
        )
    for status in known.values():
        if status.cancelled and (status.initial or status.name == entry):
            raise _fail(
                lifecycle,
                "cancelled_entry",
                status.name,
                f"{shown(status.name)} is marked cancelled=True but new values start in it; "
                "only a transition into a status can be a cancellation",
            )


def _check_outcome(lifecycle: str, statuses: Sequence[Status]) -> None:
    """Refuse a status flagged both ``cancelled`` and ``no_show``: a session has one outcome.

    A cancelled session was held for nobody (its bookings are cancelled and
    refunded as cancellations, its credits returned, nobody has an attendance
    outcome); a no-show one was held and its participants did not come (paid
    bookings refunded by the no-show policy, rates count it held). Both at once
    left each service to pick one reading by the order it asks, so
    :class:`~sessionkit.model.analytics.Outcomes` refuses a status in two sets.
    """
    for status in statuses:
        if status.cancelled and status.no_show:
            raise _fail(
                lifecycle,
                "cancelled_no_show",
                status.name,
                f"status {shown(status.name)} is marked both cancelled=True and no_show=True; "
                "a session has one outcome: cancelled (held for nobody) or no-show (held, "
                "its participants absent); keep one flag",
            )


def validate(
    lifecycle: str,
    statuses: Sequence[Status],
    transitions: Sequence[Transition],
    *,
    any_source: str,
    subject: str = "session",
    scheduled: str | None = None,
    field: str = "status",
) -> tuple[Transition, ...]:
    """Check a definition and return its transitions with ``any_source`` expanded."""
    if not isinstance(lifecycle, str) or not lifecycle.isidentifier():
        raise _fail(
            lifecycle if isinstance(lifecycle, str) else shown(lifecycle),
            "invalid_name",
            lifecycle,
            "a lifecycle name must be an identifier (letters, digits, underscores)",
        )
    if not isinstance(subject, str) or not subject.isidentifier():
        raise _fail(
            lifecycle,
            "invalid_subject",
            subject,
            f"subject {shown(subject)} must be an identifier naming what it drives, e.g. 'session'",
        )
    _check_parts(lifecycle, statuses, transitions, field, scheduled)
    if not statuses:
        raise _fail(lifecycle, "no_statuses", None, "declares no statuses")
    _check_names(lifecycle, "status", [s.name for s in statuses])
    _check_names(lifecycle, "transition", [t.name for t in transitions])
    _check_outcome(lifecycle, statuses)
    initial = [s.name for s in statuses if s.initial]
    if not initial:
        raise _fail(lifecycle, "no_initial", None, "no status is marked initial=True")
    if len(initial) > 1:
        raise _fail(
            lifecycle,
            "several_initial",
            tuple(initial),
            f"exactly one status may be initial, got {', '.join(initial)}",
        )
    known = {s.name: s for s in statuses}
    expanded = tuple(_expand(lifecycle, t, known, any_source) for t in transitions)
    leaving = {source for t in expanded for source in t.sources}
    for status in statuses:
        if not status.terminal and status.name not in leaving:
            raise _fail(
                lifecycle,
                "dead_end",
                status.name,
                f"no transition leaves {shown(status.name)}; mark it terminal=True or add one",
            )
    reached = reachable(initial[0], expanded)
    unreachable = [s.name for s in statuses if s.name not in reached]
    if unreachable:
        raise _fail(
            lifecycle,
            "unreachable",
            tuple(unreachable),
            f"no path from {shown(initial[0])} reaches {', '.join(unreachable)}",
        )
    _check_entry(
        lifecycle,
        known,
        initial[0] if scheduled is None else scheduled,
        named=scheduled is not None,
    )
    for transition in expanded:
        why = _clock_refusal(transition)
        if why is not None:
            raise _fail(
                lifecycle,
                "timer_never_fires",
                transition.name,
                f"transition {shown(transition.name)} is timed, but {why}: the clock would "
                "never fire it; drop the timer or that guard",
            )
    cycle = _timed_cycle(expanded)
    if cycle is not None:
        raise _fail(
            lifecycle,
            "timed_cycle",
            tuple(cycle),
            f"timed transitions loop {' -> '.join(cycle)}; the clock would never stop",
        )
    return expanded
