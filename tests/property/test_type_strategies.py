"""``st.from_type`` and ``st.builds`` draw sessionkit's types with the shipped strategies.

Hypothesis imports sessionkit's ``hypothesis`` entry point when it is imported, so a
user's ``st.builds(Lesson)`` of a class with a field typed ``Session`` draws
``sessions()``; before, Hypothesis built a ``Session`` from its signature and failed
(``Could not resolve typing.Any``), and a ``TimeSpan`` from naive datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st
from tests._fresh_python import run_python

from sessionkit.availability import Availability
from sessionkit.lifecycle import PRESETS
from sessionkit.model.booking import BOOKING_STATUSES, Booking
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules
from sessionkit.recurrence import Recurrence, Rule
from sessionkit.testing import strategies as sks
from sessionkit.timespan import TimeSpan


@attrs.frozen
class Lesson:
    """A value of a user's own, holding sessionkit values in typed fields."""

    session: Session
    teacher: ResourceRef
    notes: str


# Hypothesis reads an attrs class's field types, strings under `from __future__ import annotations`.
attrs.resolve_types(Lesson)


@dataclass(frozen=True)
class Slot:
    span: TimeSpan
    rules: BookingRules


@given(st.from_type(Session))
def test_from_type_draws_sessions_as_sessions_does(session: Session) -> None:
    lifecycle = PRESETS.get(session.lifecycle)
    assert (session.tenant, lifecycle.subject) == ("acme", "session")
    assert lifecycle.status(session.status).busy == session.busy
    assert session.tz in sks.DST_ZONES


@given(st.from_type(Booking))
def test_from_type_draws_bookings_of_a_drawn_session(booking: Booking) -> None:
    assert booking.status in BOOKING_STATUSES
    assert (booking.tenant, booking.participant.kind) == ("acme", "student")
    assert booking.created_at < booking.session_start


@given(st.from_type(ResourceRef))
def test_from_type_draws_references_as_the_strategies_do(ref: ResourceRef) -> None:
    assert ref.kind in ("teacher", "room", "student")
    assert ref.id[0] == {"teacher": "t", "room": "r", "student": "p"}[ref.kind]


@given(st.from_type(TimeSpan))
def test_from_type_draws_aware_timespans(span: TimeSpan) -> None:
    assert span.start.utcoffset() == timedelta(0)
    assert timedelta(minutes=1) <= span.duration <= timedelta(days=2)


@given(
    st.from_type(Rule),
    st.from_type(Recurrence),
    st.from_type(Availability),
    st.from_type(BookingRules),
)
def test_from_type_draws_the_value_types(
    rule: Rule, rec: Recurrence, availability: Availability, rules: BookingRules
) -> None:
    assert (type(rule), type(rec), type(availability), type(rules)) == (
        Rule,
        Recurrence,
        Availability,
        BookingRules,
    )


@given(st.from_type(sks.BookedSession))
def test_from_type_draws_booked_sessions(booked: sks.BookedSession) -> None:
    assert booked.taken <= booked.session.capacity
    assert all(b.session_id == booked.session.id for b in booked.bookings)


@given(st.builds(Lesson), st.builds(Slot))
def test_builds_of_a_users_class_draws_its_sessionkit_fields(lesson: Lesson, slot: Slot) -> None:
    assert lesson.session.tenant == "acme"
    assert lesson.teacher.kind in ("teacher", "room", "student")
    assert slot.span.start.tzinfo is not None
    assert isinstance(slot.rules, BookingRules)


def test_the_entry_point_registers_them_when_hypothesis_is_imported() -> None:
    # No import of sessionkit.testing: Hypothesis runs the entry point, which imports no
    # strategy module until a type is drawn.
    out = run_python(
        """
        import sys
        from hypothesis import Phase, find, settings, strategies as st
        from sessionkit.model.session import Session
        print("sessionkit.testing.strategies" in sys.modules)
        once = settings(database=None, phases=[Phase.generate])  # any session: not shrunk
        print(type(find(st.from_type(Session), lambda s: True, settings=once)).__name__)
        """
    )
    assert out == ["False", "Session"]


def test_importing_the_strategies_registers_them_without_the_entry_point() -> None:
    # HYPOTHESIS_NO_PLUGINS: Hypothesis runs no entry point; importing the strategies does.
    out = run_python(
        """
        from hypothesis import Phase, find, settings, strategies as st
        from sessionkit.testing import strategies as sks
        from sessionkit.model.session import Session
        once = settings(database=None, phases=[Phase.generate])  # any session: not shrunk
        print(find(st.from_type(Session), lambda s: True, settings=once).tenant)
        """,
        HYPOTHESIS_NO_PLUGINS="1",
    )
    assert out == ["acme"]


def test_a_strategy_of_your_own_registered_after_the_import_wins() -> None:
    out = run_python(
        """
        from hypothesis import Phase, find, settings, strategies as st
        from sessionkit.model.session import Session
        from sessionkit.testing import strategies as sks
        mine = sks.sessions(tenant="mine")
        st.register_type_strategy(Session, mine)
        from sessionkit.testing import _type_strategies
        _type_strategies.register()  # again: keeps yours
        once = settings(database=None, phases=[Phase.generate])  # any session: not shrunk
        print(find(st.from_type(Session), lambda s: True, settings=once).tenant)
        """
    )
    assert out == ["mine"]


def _import_hypothesis_after(setup: str) -> list[str]:
    # Hypothesis runs every entry point inside its own import and does not catch what they
    # raise (hypothesis.entry_points.run): a failing sessionkit broke `import hypothesis`.
    return run_python(
        f"""
        import sys, warnings
        {setup}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import hypothesis
        print(hypothesis.__name__)
        print([str(w.category.__name__) for w in caught if "sessionkit" in str(w.message)])
        """
    )


def test_a_sessionkit_that_fails_to_import_leaves_hypothesis_importable() -> None:
    # A dependency missing or broken: importing the package (the entry point's module
    # was inside it) raised out of `import hypothesis`, in any project of the environment.
    out = _import_hypothesis_after("sys.modules['sessionkit.availability'] = None")
    assert out == ["hypothesis", "['RuntimeWarning']"]


def test_a_hook_that_raises_warns_and_registers_nothing() -> None:
    out = run_python(
        """
        import warnings
        from sessionkit.testing import _type_strategies
        def boom(makes): raise RuntimeError("broken")
        _type_strategies._register = boom
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from hypothesis import strategies as st
        from hypothesis.strategies._internal import types
        from sessionkit.model.session import Session
        print(Session in types._global_type_lookup)
        print(["broken" in str(w.message) for w in caught])
        """
    )
    assert out == ["False", "[True]"]
