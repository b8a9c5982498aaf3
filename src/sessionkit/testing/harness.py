"""A ready-wired SessionKit over the in-memory store, for tests of code built on sessionkit.

The only module of :mod:`sessionkit.testing` that imports a storage adapter
(the import-linter contracts in ``pyproject.toml`` allow it here alone).

>>> from datetime import UTC, datetime
>>> h = Harness.in_memory(datetime(2026, 3, 2, 8, tzinfo=UTC))
>>> h.kit.queries.list("acme").total, h.events.events
(0, [])
>>> h.links.blocked["s1"] = "paid"   # session s1 now has a payment attached
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import attrs

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import WrongType
from sessionkit.lifecycle import PRESETS, LifecycleRegistry
from sessionkit.model.session import Session
from sessionkit.model.text import check_id
from sessionkit.model.usage import SessionCodes
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    Pricing,
    PricingFor,
    RefundPolicy,
    RulesFor,
)
from sessionkit.ports import EventPublisher, FactProvider, MeetingRooms, PaymentGateway, UnitOfWork
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.zones import check_instant

__all__ = ["Harness", "StaticLinks"]


class StaticLinks:
    """A :class:`~sessionkit.ports.LinkChecker` filled in by hand: session id -> what depends on it."""  # noqa: E501

    def __init__(self, blocked: Mapping[str, str] | None = None) -> None:
        if blocked is not None and not isinstance(blocked, Mapping):
            raise WrongType(
                blocked, name="StaticLinks(blocked)", expected="a mapping of session id -> reason"
            )
        self.blocked: dict[str, str] = dict(blocked or {})

    def blocking_links(
        self,
        sessions: Sequence[Session],
        uow: UnitOfWork,  # noqa: ARG002  # the port's signature; nothing to read here
    ) -> Mapping[str, str]:
        """Return ``{session_id: reason}`` for the given sessions that have an entry."""
        return {s.id: self.blocked[s.id] for s in sessions if s.id in self.blocked}


@attrs.define
class Harness:
    """A :class:`~sessionkit.services.SessionKit` with its store, clock, publisher and links."""

    kit: SessionKit
    store: InMemoryStore
    clock: ManualClock
    events: RecordingPublisher
    links: StaticLinks

    @classmethod
    def in_memory(
        cls,
        now: datetime,
        *,
        id_prefix: str = "s",
        booking_rules: BookingRules | RulesFor | None = None,
        gateway: PaymentGateway | None = None,
        pricing: Pricing | PricingFor | None = None,
        refunds: RefundPolicy | None = None,
        notice: NoticePolicy | None = None,
        lifecycles: LifecycleRegistry = PRESETS,
        facts: FactProvider | None = None,
        attendance: AttendancePolicy | None = None,
        rooms: MeetingRooms | None = None,
        codes: SessionCodes | Callable[[Session], SessionCodes | None] | None = None,
    ) -> Harness:
        """Wire a fresh in-memory store; ids are ``f"{id_prefix}{n}"`` from 1 on.

        ``lifecycles`` resolves the sessions' lifecycle names, as the kit's
        does (``PRESETS.with_lifecycle(yours)`` for sessions drawn of your own).
        ``facts``, ``attendance``, ``rooms`` and ``codes`` are handed to the
        kit as ``SessionKit`` takes them (``facts=attendance_facts()`` for the
        academy's ABSENT, ``rooms=FakeMeetingRooms()`` for join credentials);
        with ``rooms``, a :class:`~sessionkit.services.rooms.RoomKeeper` of
        ``lifecycles`` opens and closes the rooms as the sessions' statuses
        change, passing every event on to ``events``.
        A ``now`` the kit cannot run at (naive, outside 1000-01-01 to
        9000-01-01 UTC) and an ``id_prefix`` whose ids the kit would refuse
        (not text, surrounding spaces, too long) are refused here, with the
        kit's own errors, rather than by the first command.
        """
        if not isinstance(id_prefix, str):
            raise WrongType(id_prefix, name="Harness.in_memory(id_prefix)", expected="a str")
        check_instant(now, "Harness.in_memory(now)")  # what the kit's clock may answer
        check_id(f"{id_prefix}1", "the first id of Harness.in_memory(id_prefix)")
        events = RecordingPublisher()
        publisher: EventPublisher = events
        if rooms is not None:
            publisher = RoomKeeper(rooms, then=events, lifecycles=lifecycles)
        store = InMemoryStore(publisher=publisher)
        clock = ManualClock(now)
        links = StaticLinks()
        counter = itertools.count(1)
        kit = SessionKit(
            uow=store.unit_of_work,
            clock=clock,
            links=links,
            lifecycles=lifecycles,
            ids=lambda: f"{id_prefix}{next(counter)}",
            booking_rules=booking_rules,
            gateway=gateway,
            pricing=pricing,
            refunds=refunds,
            notice=notice,
            facts=facts,
            attendance=attendance,
            rooms=rooms,
            codes=codes,
        )
        return cls(kit=kit, store=store, clock=clock, events=events, links=links)
