"""What :class:`~sessionkit.lifecycle.Lifecycle` works out once when built, and checks on each call.

Private to the lifecycle package, beside :mod:`sessionkit.lifecycle.machine`:
which statuses' timed way forward needs facts (``_fact_statuses``, computed
when a lifecycle is built) and the check of a call's ``role`` (``_check_role``,
made by ``allowed``, ``can`` and ``fire``). Split from ``machine`` to keep it
under STYLE's ~400 lines; the names are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from sessionkit.lifecycle._checks import check_text
from sessionkit.lifecycle.definition import Transition


def _fact_statuses(transitions: Iterable[Transition]) -> frozenset[str]:
    """Return the statuses whose timed way forward meets a condition or a guard."""
    timed = [t for t in transitions if t.timer is not None]
    found = {
        source
        for t in timed
        if t.guards or (t.timer is not None and t.timer.condition is not None)
        for source in t.sources
    }
    grew = True
    while grew:
        before = len(found)
        found.update(source for t in timed if t.target in found for source in t.sources)
        grew = len(found) > before
    return frozenset(found)


def _check_role(role: object) -> None:
    """Refuse a ``role`` that is no text: guards compare it, events carry it.

    A list of the actor's roles failed in a ``roles(...)`` guard with a bare
    ``TypeError`` (unhashable), and went into the event of any other transition.
    """
    if role is not None:
        check_text(role, "role", "a role name (str) or None")
