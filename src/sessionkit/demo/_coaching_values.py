"""The coaching demo's values: a person, a contract, the wired platform, a contract's progress.

:class:`Person`, :class:`Contract`, :class:`Coaching` (what
:func:`~sessionkit.demo.coaching.build_coaching` returns) and
:class:`Progress` (what :func:`~sessionkit.demo.coaching.progress` computes,
with its rates) are plain frozen values, kept apart from the platform's
actions in :mod:`sessionkit.demo.coaching` by the style's size limit. That
module exports them under its own name, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from sessionkit.model.session import ResourceRef
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.zones import get_zone

__all__ = ["Coaching", "Contract", "Person", "Progress"]


@attrs.frozen
class Person:
    """A student or a coach: the role they act as, their id, name and zone."""

    role: str
    slug: str
    name: str
    zone: str

    @property
    def ref(self) -> ResourceRef:
        """The person as a resource of their sessions."""
        return ResourceRef(self.role, self.slug)

    def local(self, at: datetime) -> str:
        """Return ``at`` on this person's wall clock, e.g. ``Tue 03 Mar 12:00 EST``."""
        return f"{at.astimezone(get_zone(self.zone)):%a %d %b %H:%M %Z}"


@attrs.frozen(kw_only=True)
class Contract:
    """``count`` weekly sessions of ``minutes``, ``student`` with ``coach``, from ``first``."""

    key: str
    student: Person
    coach: Person
    subject: str
    count: int
    first: datetime
    minutes: int = 60


@attrs.frozen
class Coaching:
    """The wired kit, its hand-driven clock and the meeting provider."""

    kit: SessionKit
    clock: ManualClock
    rooms: FakeMeetingRooms


@attrs.frozen(kw_only=True)
class Progress:
    """A contract's progress and rates, computed by the store (``kit.analytics``).

    ``held``: sessions whose time came (COMPLETED or MISSED); the completion
    and no-show rates are out of those. ``moved``: sessions an approved
    request moved (the reschedule rate is out of all sessions). ``due`` and
    ``on_track``: see :class:`sessionkit.model.analytics.Progress`.
    ``requests`` tallies the contract's requests by status (its history,
    read session by session). ``no_shows`` counts, by side (``"coach"``,
    ``"student"``), the held sessions that side did not come to (a MISSED
    session nobody came to counts for both). ``planned_minutes`` is the held
    sessions' scheduled length together, ``attended_minutes`` by side the
    minutes that side was there (``kit.analytics.attendance``): the seed's
    "average session duration, actual vs planned".
    """

    total: int
    statuses: Mapping[str, int]
    requests: Mapping[str, int]
    moved: int
    due: int = 0
    on_track: bool = True
    no_shows: Mapping[str, int] = attrs.field(factory=dict)
    planned_minutes: int = 0
    attended_minutes: Mapping[str, int] = attrs.field(factory=dict)

    @property
    def completed(self) -> int:
        """Sessions completed."""
        return self.statuses.get("COMPLETED", 0)

    @property
    def held(self) -> int:
        """Sessions whose time came: completed or missed."""
        return self.completed + self.statuses.get("MISSED", 0)

    @property
    def progress(self) -> float:
        """Completed out of the contract's sessions."""
        return self.completed / self.total if self.total else 0.0

    @property
    def completion_rate(self) -> float:
        """Completed out of the sessions held."""
        return self.completed / self.held if self.held else 0.0

    @property
    def no_show_rate(self) -> float:
        """Missed out of the sessions held."""
        return self.statuses.get("MISSED", 0) / self.held if self.held else 0.0

    @property
    def average_planned(self) -> float:
        """Minutes a held session was scheduled to last, on average."""
        return self.planned_minutes / self.held if self.held else 0.0

    def average_attended(self, role: str) -> float:
        """Minutes ``role`` (``"coach"``, ``"student"``) was in a held session, on average."""
        return self.attended_minutes.get(role, 0) / self.held if self.held else 0.0

    @property
    def reschedule_rate(self) -> float:
        """Sessions moved out of the contract's sessions."""
        return self.moved / self.total if self.total else 0.0
