"""What every figure of :class:`~sessionkit.services.analytics.Analytics` checks first.

Private to the services package: the grouping asked for (``by``), the window
on the session start and the scope it narrows, the outcomes' statuses (the
presets' by default), and the order of the groups in a figure.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.analytics import Outcomes
from sessionkit.model.query import SessionQuery, check_window_order
from sessionkit.services._context import Context
from sessionkit.services.queries import known_session_statuses
from sessionkit.zones import check_instant

__all__ = ["check_by", "chosen_outcomes", "scope_of", "sort_key", "window_ends"]


def sort_key(key: str | None) -> tuple[bool, str]:
    return (key is not None, key or "")


def check_by(value: object, allowed: tuple[str, ...], *, optional: bool = True) -> None:
    if value is None and optional:
        return
    choices = ", ".join(allowed)
    if not isinstance(value, str):
        raise WrongType(
            value, name="by", expected=f"None or one of {choices}" if optional else choices
        )
    if value not in allowed:
        raise InvalidValue(
            f"cannot group by {shown(value)}; choose one of {choices}"
            + (" (or None)" if optional else ""),
            value=value,
            expected=", ".join(allowed),
        )


def _optional_instant(value: object, name: str) -> datetime | None:
    return None if value is None else check_instant(value, name)


def window_ends(start_from: object, start_to: object) -> tuple[datetime | None, datetime | None]:
    """The window's ends, checked; ``InvalidWindow`` when its end is before its start.

    Such a window matches nothing, so its figures were empty, as if there were no data.
    """
    lo = _optional_instant(start_from, "start_from")
    hi = _optional_instant(start_to, "start_to")
    check_window_order(lo, hi)
    return lo, hi


_PRESET_OUTCOMES = Outcomes()
_PRESET_STATUSES = (
    _PRESET_OUTCOMES.completed | _PRESET_OUTCOMES.no_show | _PRESET_OUTCOMES.cancelled
)
"""The default outcomes' statuses: every preset's, whichever lifecycles a kit registered."""


def chosen_outcomes(ctx: Context, value: object) -> Outcomes:
    """Return ``value`` (the presets' for ``None``), its own statuses checked.

    ``UnknownStatus`` for a status of its own that no lifecycle of the kit has:
    a typo would count as no session, and say nothing.
    """
    if value is None:
        return _PRESET_OUTCOMES
    if not isinstance(value, Outcomes):
        raise WrongType(value, name="outcomes", expected="an Outcomes or None")
    named = value.completed | value.no_show | value.cancelled
    known_session_statuses(ctx, tuple(sorted(named - _PRESET_STATUSES)))
    return value


def scope_of(query: object, start_from: object, start_to: object) -> SessionQuery:
    """Return the scope: ``query`` (all sessions for ``None``) narrowed by the window.

    The window only narrows: a scope with bounds of its own keeps the later
    start and the earlier end of the two, never sessions it left out. A
    window that misses the scope's bounds narrows it to an empty window at
    the later start (the two ends crossed, the scope was ``InvalidWindow``).
    """
    if query is not None and not isinstance(query, SessionQuery):
        raise WrongType(query, name="scope", expected="a SessionQuery or None")
    scope = SessionQuery() if query is None else query
    lo, hi = window_ends(start_from, start_to)
    if lo is not None and scope.start_from is not None:
        lo = max(scope.start_from, lo)
    if hi is not None and scope.start_to is not None:
        hi = min(scope.start_to, hi)
    first = scope.start_from if lo is None else lo
    last = scope.start_to if hi is None else hi
    if first is not None and last is not None and last < first:
        last = first  # nothing is in both: the empty [first, first) picks no session
    return attrs.evolve(scope, start_from=first, start_to=last)
