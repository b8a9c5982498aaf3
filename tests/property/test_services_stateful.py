"""Random sequences of service calls keep the scheduling invariants (Hypothesis state machine).

Whatever is called in whatever order: no resource has two overlapping busy
sessions, no (series, occurrence key) is held twice, reconciliation never
touches a past, non-initial, extra, detached or linked session, and replaying
the published events reproduces the stored sessions exactly (one event per
change, each moving the version by one).
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, date, datetime, time, timedelta

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import (
    DuplicateSession,
    InvalidTransition,
    InvalidValue,
    SeriesClosedError,
    SessionConflict,
    SessionLocked,
)
from sessionkit.model import (
    ResourceRef,
    ScheduleItem,
    Session,
    SessionCanceled,
    SessionCreated,
    SessionDeleted,
    SessionQuery,
    SessionStatusChanged,
    SessionUpdated,
    WindowPolicy,
)
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.harness import StaticLinks
from sessionkit.timespan import TimeSpan
from sessionkit.zones import resolve_local

T = "acme"
SHARED_KEY = "one instant per local start in a series"
"""What a series refused for items in two zones at one local time expects (its InvalidValue)."""
START = datetime(2026, 3, 2, 6, tzinfo=UTC)
TEACHERS = (ResourceRef("teacher", "ana"), ResourceRef("teacher", "ben"))
ZONES = ("UTC", "Europe/Berlin")
DAYS = ("MO", "TU", "WE", "TH", "FR")

items = st.lists(
    st.tuples(
        st.sets(st.sampled_from(DAYS), min_size=1, max_size=2),
        st.integers(9, 12),
        st.sampled_from((45, 60, 90)),
        st.sampled_from(TEACHERS),
        st.sampled_from(ZONES),
    ),
    min_size=1,
    max_size=2,
)


def schedule(spec: list[tuple[set[str], int, int, ResourceRef, str]]) -> list[ScheduleItem]:
    return [
        ScheduleItem(
            f"i{n}",
            Recurrence.weekly(
                days=tuple(sorted(days)),
                at=time(hour),
                duration=timedelta(minutes=minutes),
                tz=zone,
                start=date(2026, 3, 1),
            ),
            [teacher],
        )
        for n, (days, hour, minutes, teacher, zone) in enumerate(spec)
    ]


class ServiceCalls(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.events = RecordingPublisher()
        self.clock = ManualClock(START)
        self.links = StaticLinks()
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=InMemoryStore(publisher=self.events).unit_of_work,
            clock=self.clock,
            links=self.links,
            ids=lambda: f"x{next(counter)}",
        )
        self.series_ids: list[str] = []
        self.replayed: dict[str, Session] = {}
        self.seen = 0

    # -- helpers -------------------------------------------------------------------

    def stored(self) -> list[Session]:
        return list(self.kit.queries.list(T, SessionQuery(limit=1000)).items)

    def pick(self, data: st.DataObject) -> Session | None:
        sessions = self.stored()
        if not sessions:
            return None
        return data.draw(st.sampled_from(sessions))

    # -- rules -----------------------------------------------------------------------

    @rule(spec=items)
    def create_series(self, spec: list[tuple[set[str], int, int, ResourceRef, str]]) -> None:
        before = self.stored()
        try:
            series, _ = self.kit.series.create(
                T,
                actor="u",
                title="S",
                items=schedule(spec),
                window=WindowPolicy(initial_months=1, buffer=timedelta(weeks=2)),
            )
        except InvalidValue as refused:
            if refused.expected != SHARED_KEY:
                raise
            # Items in two zones at one local time: refused whole, nothing stored.
            assert self.stored() == before
            return
        self.series_ids.append(series.id)

    @rule(
        teacher=st.sampled_from(TEACHERS),
        days=st.integers(0, 30),
        hour=st.integers(8, 13),
        attach=st.booleans(),
        data=st.data(),
    )
    def create_extra(
        self, teacher: ResourceRef, days: int, hour: int, attach: bool, data: st.DataObject
    ) -> None:
        start = START.replace(hour=hour) + timedelta(days=days)
        series_id = (
            data.draw(st.sampled_from(self.series_ids)) if attach and self.series_ids else None
        )
        with contextlib.suppress(SessionConflict, DuplicateSession, SeriesClosedError):
            self.kit.sessions.create_extra(
                T,
                actor="u",
                start=start,
                end=start + timedelta(hours=1),
                resources=[teacher],
                series_id=series_id,
                lifecycle="lms",
            )

    @rule(data=st.data(), shift=st.integers(-3, 3), teacher=st.sampled_from(TEACHERS))
    def update(self, data: st.DataObject, shift: int, teacher: ResourceRef) -> None:
        session = self.pick(data)
        if session is None:
            return
        with contextlib.suppress(SessionLocked, SessionConflict, DuplicateSession):
            self.kit.sessions.update(
                T,
                session.id,
                actor="u",
                start=session.start + timedelta(hours=shift),
                resources=[teacher],
            )

    @rule(data=st.data(), action=st.sampled_from(("delete", "cancel", "start", "finish", "link")))
    def act(self, data: st.DataObject, action: str) -> None:
        session = self.pick(data)
        if session is None:
            return
        try:
            if action == "delete":
                self.kit.sessions.delete(T, session.id, actor="u")
            elif action == "cancel":
                self.kit.sessions.cancel(T, session.id, actor="u", reason="r")
            elif action == "link":
                self.links.blocked[session.id] = "payment"
            else:
                self.kit.sessions.fire(T, session.id, action, actor="u")
        except (SessionLocked, InvalidTransition, SessionConflict):
            pass

    @precondition(lambda self: bool(self.series_ids))
    @rule(data=st.data(), spec=items, later=st.integers(0, 10))
    def change_schedule(
        self,
        data: st.DataObject,
        spec: list[tuple[set[str], int, int, ResourceRef, str]],
        later: int,
    ) -> None:
        series_id = data.draw(st.sampled_from(self.series_ids))
        effective = self.clock.now() + timedelta(days=later)
        before = {s.id: s for s in self.stored() if s.series_id == series_id}
        try:
            report = self.kit.series.change_schedule(
                T, series_id, actor="u", items=schedule(spec), effective_from=effective
            )
        except SeriesClosedError:
            return
        except InvalidValue as refused:
            if refused.expected != SHARED_KEY:
                raise
            assert {s.id: s for s in self.stored() if s.series_id == series_id} == before
            return
        after = {s.id: s for s in self.stored()}
        recurrences = {item.id: item.recurrence for item in schedule(spec)}
        for session in before.values():
            protected = (
                session.start < report.cutoff
                or session.status != "SCHEDULED"
                or session.is_extra
                or session.detached
                or session.id in self.links.blocked
            )
            if not protected:
                continue
            kept = after.get(session.id)
            assert kept is not None, session
            if kept.occurrence_key == session.occurrence_key:
                assert kept == session, session
                assert kept.version == session.version
                continue
            # A kept session off the new schedule stands for the occurrence the new schedule
            # moved it to on its local day: it takes that key, and nothing else of it changes.
            # One this change puts back where it is (its span is the span of the occurrence
            # its new key names) stands for that occurrence and is no orphan.
            orphans = {o.session.id for o in report.orphans}
            item = recurrences.get(kept.schedule_item_id or "")
            on_schedule = False
            if item is not None and kept.occurrence_key is not None:
                start = resolve_local(kept.occurrence_key, item.tz)
                on_schedule = kept.span == TimeSpan(start, start + item.duration)
            if on_schedule:
                assert session.id not in orphans, session
            else:
                assert session.id in orphans, session
            assert kept.occurrence_key is not None
            assert session.occurrence_key is not None
            assert kept.occurrence_key.date() == session.occurrence_key.date()
            assert kept.version == session.version + 1
            unkeyed = attrs.evolve(
                kept,
                occurrence_key=session.occurrence_key,
                version=session.version,
                updated_at=session.updated_at,
                updated_by=session.updated_by,
            )
            assert unkeyed == session, session

    @precondition(lambda self: bool(self.series_ids))
    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        series_id = data.draw(st.sampled_from(self.series_ids))
        with contextlib.suppress(SeriesClosedError):
            self.kit.series.close(T, series_id, actor="u")

    @rule(days=st.integers(1, 20))
    def time_passes(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))
        report = self.kit.top_up(actor="cron")
        assert report.failed == ()

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def no_resource_is_double_booked(self) -> None:
        busy = [s for s in self.stored() if s.busy]
        for a, b in itertools.combinations(busy, 2):
            if set(a.resources) & set(b.resources):
                assert not a.span.overlaps(b.span), (a, b)

    @invariant()
    def occurrences_are_unique(self) -> None:
        keys = [
            (s.series_id, s.occurrence_key) for s in self.stored() if s.occurrence_key is not None
        ]
        assert len(keys) == len(set(keys))

    @invariant()
    def events_replay_to_the_stored_state(self) -> None:
        for event in self.events.events[self.seen :]:
            if isinstance(event, SessionCreated):
                assert event.session.id not in self.replayed
                assert event.session.version == 1
                self.replayed[event.session.id] = event.session
            elif isinstance(event, SessionDeleted):
                assert self.replayed.pop(event.session.id) == event.session
            elif isinstance(event, SessionUpdated | SessionCanceled | SessionStatusChanged):
                previous = self.replayed[event.session.id]
                assert event.session.version == previous.version + 1
                self.replayed[event.session.id] = event.session
        self.seen = len(self.events.events)
        assert self.replayed == {s.id: s for s in self.stored()}


ServiceCalls.TestCase.settings = settings(
    settings.get_profile(settings._current_profile or "fast"),
    stateful_step_count=15,
)
test_service_calls = ServiceCalls.TestCase
