"""Stateful property test: random fire / advance / clock steps over every preset lifecycle.

Invariants checked after every step:

- a session in a terminal status never leaves it;
- the events so far form a path through the declared graph, from the initial
  status to the session's current one;
- ``advance`` (given the attendance facts) is idempotent, leaves nothing due
  at ``now``, and gives the same session and events however the clock was
  stepped since the last change;
- ``fire`` succeeds exactly when the transition leaves the current status and
  its guards allow it, and otherwise raises the matching error.

A plain ``@given`` test beside it drives the clock harder: many small steps
against one jump, from statuses reached by random manual moves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sessionkit import TimeSpan
from sessionkit.errors import InvalidTransition, LifecycleError, TransitionRefused
from sessionkit.lifecycle import PRESETS, Lifecycle, StatusChanged, get_lifecycle

T0 = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # the Berlin DST change is within reach


@attrs.frozen
class Session:
    id: str
    span: TimeSpan
    status: str
    payment_status: str
    capacity: int
    attended: bool


def with_status(session: Session, field: str, value: str) -> Session:
    if field == "status":
        return attrs.evolve(session, status=value)
    return attrs.evolve(session, payment_status=value)


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.lifecycle: Lifecycle = get_lifecycle("lms")
        self.now = T0
        self.session = Session("s", TimeSpan.from_start(T0, timedelta(hours=1)), "", "", 1, False)
        self.events: list[StatusChanged] = []
        self.terminal: str | None = None
        # The session as it was at the last change by a person, and the clock's
        # events since then: advancing that in one jump must give the same.
        self.base = self.session
        self.since_base: list[StatusChanged] = []

    @initialize(
        name=st.sampled_from(list(PRESETS)),
        lead_minutes=st.integers(min_value=-120, max_value=24 * 60),
        minutes=st.integers(min_value=1, max_value=6 * 60),
        capacity=st.sampled_from([1, 2, 20]),
        attended=st.booleans(),
    )
    def create(
        self, name: str, lead_minutes: int, minutes: int, capacity: int, attended: bool
    ) -> None:
        self.lifecycle = get_lifecycle(name)
        span = TimeSpan.from_start(T0 + timedelta(minutes=lead_minutes), timedelta(minutes=minutes))
        self.session = Session("s", span, "UNUSED", "UNUSED", capacity, attended)
        self.session = with_status(self.session, self.lifecycle.field, self.lifecycle.initial)
        self.rebase()

    def facts(self) -> dict[str, object]:
        # The host's attendance record, passed as facts (the value's own flag is
        # only where this test keeps it between rules).
        return {"attended": self.session.attended}

    def status(self) -> str:
        value = getattr(self.session, self.lifecycle.field)
        assert isinstance(value, str)
        return value

    def rebase(self) -> None:
        self.base = self.session
        self.since_base = []

    def record(self, events: tuple[StatusChanged, ...] | list[StatusChanged]) -> None:
        self.events.extend(events)
        if self.terminal is None and self.status() in self.lifecycle.terminal_statuses:
            self.terminal = self.status()

    @rule(minutes=st.one_of(st.integers(0, 20), st.integers(0, 8 * 60)))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule()
    def advance(self) -> None:
        advanced, events = self.lifecycle.advance(self.session, self.now, facts=self.facts())
        assert all(e.timed and e.at <= self.now for e in events)
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert self.lifecycle.advance(advanced, self.now, facts=self.facts()) == (advanced, ())
        due = self.lifecycle.next_due(advanced, facts=self.facts())
        assert due is None or due > self.now
        self.session = advanced
        self.since_base.extend(events)
        self.record(events)
        in_one_jump = self.lifecycle.advance(self.base, self.now, facts=self.facts())
        assert in_one_jump == (self.session, tuple(self.since_base))

    @rule(
        data=st.data(),
        role=st.sampled_from([None, "coach", "student", "teacher"]),
        reason=st.sampled_from([None, "asked by the client"]),
    )
    def fire(self, data: st.DataObject, role: str | None, reason: str | None) -> None:
        current = self.status()
        leaving = [t.name for t in self.lifecycle.transitions_from(current)]
        # Mostly transitions that leave the current status, so that walks get
        # somewhere; sometimes any name (or none the lifecycle knows) to probe refusals.
        names = [t.name for t in self.lifecycle.transitions]
        bias = data.draw(st.integers(0, 3), label="bias")
        pool = leaving if leaving and bias else names
        name = data.draw(st.sampled_from([*pool, "teleport"]), label="transition")
        allowed = self.lifecycle.allowed(self.session, now=self.now, actor="u1", role=role)
        verdict = self.lifecycle.can(self.session, name, now=self.now, actor="u1", role=role)
        outcome: tuple[Session, StatusChanged] | LifecycleError
        try:
            outcome = self.lifecycle.fire(
                self.session, name, now=self.now, actor="u1", role=role, reason=reason
            )
        except (InvalidTransition, TransitionRefused) as error:
            outcome = error
        if isinstance(outcome, InvalidTransition):
            assert name not in leaving
            assert not verdict
            assert (outcome.session_id, outcome.status, outcome.transition) == ("s", current, name)
            assert outcome.allowed == allowed
            return
        if isinstance(outcome, TransitionRefused):
            assert name in leaving
            assert name not in allowed
            assert outcome.reason == verdict.reason
            assert outcome.reason
            return
        assert not isinstance(outcome, LifecycleError)
        changed, event = outcome
        assert name in allowed
        assert verdict
        assert self.terminal is None
        target = self.lifecycle.transition(name).target
        assert getattr(changed, self.lifecycle.field) == target
        assert with_status(changed, self.lifecycle.field, current) == self.session
        assert event == StatusChanged(
            session_id="s",
            lifecycle=self.lifecycle.name,
            transition=name,
            from_status=current,
            to_status=target,
            at=self.now,
            actor="u1",
            role=role,
            reason=reason,
            timed=False,
        )
        self.session = changed
        self.record([event])
        self.rebase()

    @rule(attended=st.booleans())
    def attendance(self, attended: bool) -> None:
        self.session = attrs.evolve(self.session, attended=attended)
        self.rebase()

    @invariant()
    def terminal_statuses_are_never_left(self) -> None:
        if self.terminal is not None:
            assert self.status() == self.terminal
            assert self.lifecycle.next_due(self.session, facts=self.facts()) is None
            assert self.lifecycle.allowed(self.session, now=self.now, role="coach") == ()

    @invariant()
    def events_form_a_path_through_the_graph(self) -> None:
        edges = {
            (source, t.name, t.target) for t in self.lifecycle.transitions for source in t.sources
        }
        position = self.lifecycle.initial
        for event in self.events:
            assert event.from_status == position
            assert (event.from_status, event.transition, event.to_status) in edges
            assert event.lifecycle == self.lifecycle.name
            position = event.to_status
        assert position == self.status()


TestLifecycleMachine = LifecycleMachine.TestCase


@given(
    name=st.sampled_from(list(PRESETS)),
    lead_minutes=st.integers(min_value=-600, max_value=600),
    minutes=st.integers(min_value=1, max_value=240),
    attended=st.booleans(),
    steps=st.lists(st.integers(min_value=0, max_value=180), max_size=12),
    manual=st.lists(st.integers(min_value=0, max_value=2), max_size=3),
)
def test_advance_in_steps_equals_one_jump(
    name: str, lead_minutes: int, minutes: int, attended: bool, steps: list[int], manual: list[int]
) -> None:
    lifecycle = get_lifecycle(name)
    span = TimeSpan.from_start(T0 + timedelta(minutes=lead_minutes), timedelta(minutes=minutes))
    session = with_status(
        Session("s", span, "UNUSED", "UNUSED", 1, attended), lifecycle.field, lifecycle.initial
    )
    # Walk a few manual steps first (always the n-th transition leaving the status),
    # so the clock starts from statuses deeper in the graph too.
    for pick in manual:
        leaving = lifecycle.allowed(session, now=span.end, role="coach")
        if not leaving:
            break
        session, _ = lifecycle.fire(session, leaving[pick % len(leaving)], now=span.end)
    facts = {"attended": attended}
    end = T0 + timedelta(minutes=sum(steps))
    jumped, jump_events = lifecycle.advance(session, end, facts=facts)
    stepped, now = session, T0
    events: list[StatusChanged] = []
    for step in [0, *steps]:
        now += timedelta(minutes=step)
        stepped, new = lifecycle.advance(stepped, now, facts=facts)
        events.extend(new)
    assert (stepped, tuple(events)) == (jumped, jump_events)
    due = lifecycle.next_due(jumped, facts=facts)
    assert due is None or due > end
