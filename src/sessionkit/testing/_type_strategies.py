"""sessionkit's strategies registered for its types: ``st.from_type(Session)`` draws ``sessions()``.

Private. Hypothesis runs :func:`_hypothesis_setup_hook` when it is imported
(sessionkit's ``hypothesis`` entry point, ``_sessionkit_hypothesis`` beside
the package, calls it and turns a failure into a warning), so
``st.from_type``, ``st.builds`` of a class with a field typed ``Session`` and
``@given(session=...)`` with ``st.from_type`` draw the shipped strategies
without importing :mod:`sessionkit.testing.strategies`. That module registers
them too when it is imported (where the entry point is not installed, or
``HYPOTHESIS_NO_PLUGINS`` is set), and :class:`BookedSession`, which only it
names. A type already registered here is not registered again, so a strategy
of your own registered for one after that import wins, as Hypothesis keeps
the last registration.

The hook runs while Hypothesis is still being imported: it imports the domain
types only, and each strategy is built on first use (a resolver function), so
neither the strategies' modules nor any strategy is imported or built then.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["register"]

_Make = Callable[[ModuleType], "SearchStrategy[Any]"]
"""Builds a type's strategy from :mod:`sessionkit.testing.strategies`."""

_registered: set[type] = set()
"""The types registered so far (by the hook, the strategies' import, or both)."""


def _hypothesis_setup_hook() -> None:
    """Register the domain types' strategies: Hypothesis calls this when it is imported."""
    from sessionkit.availability import Availability
    from sessionkit.model.booking import Booking
    from sessionkit.model.session import ResourceRef, Session
    from sessionkit.policies import BookingRules
    from sessionkit.recurrence import Recurrence, Rule
    from sessionkit.timespan import TimeSpan

    makes: dict[type, _Make] = {
        TimeSpan: lambda sks: sks.timespans(),
        Rule: lambda sks: sks.rules(),
        Recurrence: lambda sks: sks.recurrences(),
        Availability: lambda sks: sks.availabilities(),
        BookingRules: lambda sks: sks.booking_rules(),
        Session: lambda sks: sks.sessions(),
        # Of a session of any status sessions() draws: bookings() takes each of them.
        Booking: lambda sks: sks.sessions().flatmap(sks.bookings),
        ResourceRef: lambda _sks: _resource_refs(),
    }
    _register(makes)


def register() -> None:
    """Register every type's strategy, :class:`BookedSession` too (once per type)."""
    from sessionkit.testing._booked_sessions_strategy import BookedSession

    _hypothesis_setup_hook()
    _register({BookedSession: lambda sks: sks.booked_sessions()})


def _register(makes: dict[type, _Make]) -> None:
    from hypothesis import strategies as st

    for kind, make in makes.items():
        if kind not in _registered:
            st.register_type_strategy(kind, _resolver(make))
            _registered.add(kind)


def _resolver(make: _Make) -> Callable[[type], SearchStrategy[Any]]:
    # Hypothesis calls a resolver with the type asked for, which may be a base class of the
    # registered one (from_type of a base looks through the registered subclasses): the
    # strategy is the registered type's, whatever it was called with.
    def resolve(_asked: type) -> SearchStrategy[Any]:
        from sessionkit.testing import strategies as sks  # on first use, not at registration

        return make(sks)

    return resolve


def _resource_refs() -> SearchStrategy[Any]:
    """References as the shipped strategies draw them: a session's resources, a participant."""
    from hypothesis import strategies as st

    from sessionkit.model.session import ResourceRef
    from sessionkit.testing._bookings_strategy import _PARTICIPANTS

    resources = st.builds(
        lambda kind, n: ResourceRef(kind, f"{kind[0]}{n}"),
        st.sampled_from(["teacher", "room"]),
        st.integers(1, 5),
    )
    return resources | _PARTICIPANTS
