"""Booking rules as values: notice, horizon, capacity, per-participant limits, holds, waitlists.

:class:`BookingRules` is declared per session kind or per provider (a
:data:`RulesFor` function picks the rules for a session); :func:`check_booking_time`
and :meth:`BookingRules.refusal` are the pure evaluations the booking commands
and a host's "can I book?" button share.

>>> from datetime import UTC, datetime, timedelta
>>> rules = BookingRules(min_notice=timedelta(hours=2), max_horizon=timedelta(weeks=4))
>>> now = datetime(2026, 3, 2, 9, tzinfo=UTC)
>>> check_booking_time(rules, now + timedelta(hours=3), now) is None
True
>>> far = check_booking_time(rules, now + timedelta(weeks=5), now)
>>> far.rule, far.allows_at
('max_horizon', datetime.datetime(2026, 3, 9, 9, 0, tzinfo=datetime.timezone.utc))
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import attrs

from sessionkit.errors import BookingRefused, InvalidDuration, InvalidValue, WrongType
from sessionkit.errors._base import duration_text, optional_int_converter, shown, shown_duration
from sessionkit.limits import CEILING
from sessionkit.model.session import Session, check_session
from sessionkit.model.text import check_flag, check_transition_name
from sessionkit.policies._durations import positive_duration
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware, get_zone, resolve_local, to_utc, zone_name

__all__ = ["BookingRules", "Refusal", "RulesFor", "check_booking_time"]


def _non_negative(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (
        not isinstance(value, timedelta) or not timedelta(0) <= value <= CEILING
    ):
        raise InvalidDuration(
            f"BookingRules.{attribute.name} must be a timedelta from 0 to a century, got "
            f"{shown_duration(value)}",
            value=value,
            expected="a timedelta >= 0 and <= 36,600 days",
        )


def _not_none(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        raise InvalidDuration(
            f"BookingRules.{attribute.name} must be a timedelta (timedelta(0) for none), got None",
            value=value,
            expected="a timedelta >= 0 and <= 36,600 days",
        )


def _horizon(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _non_negative(_instance, attribute, value)
    if value == timedelta(0):
        # Every start is then in the past or past the horizon, and the horizon's
        # allows_at (the start itself) names an instant the past refuses.
        raise InvalidDuration(
            f"BookingRules.{attribute.name} of 0 lets no session be booked; give a timedelta "
            "longer than 0, or None for no limit",
            value=value,
            expected="None or a timedelta > 0 and <= 36,600 days",
        )


def _positive_count(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidValue(
            f"BookingRules.{attribute.name} must be None or an integer >= 1, got {shown(value)}",
            value=value,
            expected="None or an integer >= 1",
        )


def _flag(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_flag(value, f"BookingRules.{attribute.name}")  # WrongType: "false" is not False


def _transition(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_transition_name(value, attribute.name, owner="BookingRules")


@attrs.frozen(kw_only=True)
class Refusal:
    """Why a rule says no: the rule's name, the reason in words, and when it allows again.

    ``limit`` and ``count`` are a ``per_day`` / ``per_week`` refusal's figures
    (the rule's maximum, the participant's bookings counted against it), as
    :class:`~sessionkit.errors.BookingRefused` carries them; ``None`` for
    every other rule. ``may_free_at`` is when holds running out unconfirmed
    may make room (no promise, unlike ``allows_at``), as the command's error
    carries it: a ``"capacity"`` refusal's, as
    :class:`~sessionkit.errors.CapacityExceeded`'s, and a ``per_day`` /
    ``per_week`` one's; ``None`` when none is in sight, and for every other rule.
    """

    rule: str
    reason: str
    allows_at: datetime | None = None
    limit: int | None = None
    count: int | None = None
    may_free_at: datetime | None = None

    def error(self) -> BookingRefused:
        """Return the :class:`~sessionkit.errors.BookingRefused` a command raises for it."""
        return BookingRefused(
            self.rule,
            self.reason,
            allows_at=self.allows_at,
            limit=self.limit,
            count=self.count,
            may_free_at=self.may_free_at,
        )

    def __getstate__(self) -> dict[str, object]:
        return {field.name: getattr(self, field.name) for field in attrs.fields(Refusal)}

    def __setstate__(self, state: dict[str, object]) -> None:
        # A Refusal pickled before a field existed (a cache's) reads it as its default.
        for field in attrs.fields(Refusal):
            object.__setattr__(self, field.name, state.get(field.name, field.default))

    def by_then(self, shut: Refusal | None) -> Refusal:
        """Return this refusal without its ``allows_at`` when ``shut`` refuses by then anyway.

        ``shut`` is why the same command would still be refused at
        ``allows_at`` (a notice run out by then, a request answered by
        silence), or ``None``. Waiting never helps then, and the reason says
        why: ``"..., and by then: <shut's reason>"``.
        """
        if shut is None or self.allows_at is None:
            return self
        # Every other field (limit, count, may_free_at) stays as this refusal has it.
        return attrs.evolve(
            self, reason=f"{self.reason}, and by then: {shut.reason}", allows_at=None
        )


@attrs.frozen(kw_only=True)
class BookingRules:
    """What a booking of a session must satisfy, and how holds and waitlists behave.

    - ``min_notice``: book at least this long before the start (a start in the
      past is always refused, rule ``in_the_past``).
    - ``max_horizon``: book at most this far ahead (the marketplace: 4 weeks);
      ``None`` for no limit; never 0 (``InvalidDuration``) nor shorter than
      ``min_notice`` (``InvalidValue``): either would refuse every start.
    - ``max_capacity``: the largest capacity a bookable session may have (the
      marketplace: 20); ``None`` for no limit.
    - ``per_day`` / ``per_week``: the most seat-taking bookings and waitlist
      places one participant may have in sessions starting on one local day /
      ISO week of ``zone`` (a hold or offer that ran out, or a place whose
      session started, counts no more).
    - ``hold_for``: how long a hold lasts before it expires; ``offer_for``: how
      long a waitlisted participant has to claim a freed seat. Either ends by
      the session's start at the latest.
    - ``waitlist``: whether a full session keeps a waitlist.
    - ``lock_booked``: whether a session with bookings in play may no longer be
      moved, edited or deleted (the marketplace: only without bookings).
    - ``reschedule_booked``: whether a reschedule request both sides agreed
      to moves a session ``lock_booked`` keeps (the default, as a coach and
      a student agree a new time). ``False`` (the marketplace: "modification
      allowed only if no bookings exist"): a request on a session with more
      than one booking in play is refused (rule ``booked``: one student's
      agreement cannot move a group's other seats), and silence, which is no
      one's agreement, expires rather than approves a request on a booked one.
    - ``publish_in_horizon``: a session published one by one
      (``kit.sessions.create_extra``, or moved by ``kit.sessions.update``) must
      start after now and, with ``max_horizon``, no further ahead (the
      marketplace's "no past dates, 4 weeks ahead" for a tutor's slot);
      :meth:`publishing_refusal` says why not; a reschedule's new time is
      held to it too. Series are exempt: their rolling windows publish ahead
      of the horizon, which booking keeps.
    - ``when_emptied``: the session transition fired when its last booking in
      play ends (cancelled, run out, its payment declined) and nobody waits:
      ``"cancel"`` for a session made for its one booking (a consultation
      booked on a showcase), whose time is then free again. ``None`` (the
      default): a session keeps its status, free for the next booking.
    """

    min_notice: timedelta = attrs.field(
        default=timedelta(0), validator=attrs.validators.and_(_not_none, _non_negative)
    )
    max_horizon: timedelta | None = attrs.field(default=None, validator=_horizon)
    max_capacity: int | None = attrs.field(
        default=None, converter=optional_int_converter, validator=_positive_count
    )
    per_day: int | None = attrs.field(
        default=None, converter=optional_int_converter, validator=_positive_count
    )
    per_week: int | None = attrs.field(
        default=None, converter=optional_int_converter, validator=_positive_count
    )
    zone: str = attrs.field(default="UTC", converter=zone_name)  # a ZoneInfo: by its name
    hold_for: timedelta = attrs.field(
        default=timedelta(minutes=15), validator=positive_duration("BookingRules")
    )
    offer_for: timedelta = attrs.field(
        default=timedelta(hours=1), validator=positive_duration("BookingRules")
    )
    waitlist: bool = attrs.field(default=False, validator=_flag)
    lock_booked: bool = attrs.field(default=True, validator=_flag)
    reschedule_booked: bool = attrs.field(default=True, validator=_flag)
    publish_in_horizon: bool = attrs.field(default=False, validator=_flag)
    when_emptied: str | None = attrs.field(default=None, validator=_transition)

    def __attrs_post_init__(self) -> None:
        if self.max_horizon is not None and self.min_notice > self.max_horizon:
            # Every start would be refused, one rule or the other, and the horizon's
            # ``allows_at`` would point to an instant the notice refuses.
            raise InvalidValue(
                f"BookingRules.min_notice ({duration_text(self.min_notice)}) is longer than"
                f" max_horizon ({duration_text(self.max_horizon)}): no session could ever be"
                " booked",
                value=self.min_notice,
                expected=f"a min_notice of at most max_horizon ({duration_text(self.max_horizon)})",
            )

    def refusal(self, session: Session, now: datetime) -> Refusal | None:
        """Return why ``session`` may not be booked at ``now`` by these rules, or ``None``.

        Checks the time rules (:func:`check_booking_time`) and ``max_capacity``;
        the per-participant limits need the participant's other bookings, which
        the booking commands count.
        """
        check_session(session)
        if self.max_capacity is not None and session.capacity > self.max_capacity:
            return Refusal(
                rule="max_capacity",
                reason=f"session {session.id!r} has capacity {session.capacity}, "
                f"above the {self.max_capacity} these rules allow",
            )
        return check_booking_time(self, session.start, now)

    def publishing_refusal(self, start: datetime, now: datetime) -> Refusal | None:
        """Return why a session starting at ``start`` may not be published at ``now``, or ``None``.

        Only with ``publish_in_horizon``: ``in_the_past`` (the start is not
        after ``now``) and ``max_horizon`` (further ahead than the horizon;
        ``allows_at`` is when it comes within it). The notice is a booking's
        rule, not a slot's: a slot may be published inside it.
        """
        if not self.publish_in_horizon:
            return None
        return check_booking_time(attrs.evolve(self, min_notice=timedelta(0)), start, now)

    @property
    def participant_limits(self) -> list[tuple[str, int, Callable[[datetime], TimeSpan]]]:
        """The per-participant limits set: ``(rule, limit, window of a start)`` each.

        ``("per_day", per_day, day_of)`` and ``("per_week", per_week, week_of)``,
        for those not ``None``.
        """
        limits = (("per_day", self.per_day, self.day_of), ("per_week", self.per_week, self.week_of))
        return [(rule, limit, window) for rule, limit, window in limits if limit is not None]

    def day_of(self, start: datetime) -> TimeSpan:
        """Return the local day (in ``zone``) that ``start`` falls on, as a span.

        A naive ``start`` raises ``NaiveDatetime`` (``astimezone`` would read it
        in the machine's own zone); one whose local day begins or ends outside
        the datetimes Python has ``InvalidValue``.
        """
        return self._local_span(start, days=1)

    def week_of(self, start: datetime) -> TimeSpan:
        """Return the local ISO week (Monday to Monday, in ``zone``) that ``start`` falls on.

        ``start`` is checked as for :meth:`day_of`.
        """
        return self._local_span(start, days=7)

    def _local_span(self, start: datetime, *, days: int) -> TimeSpan:
        """The local day (``days=1``) or ISO week (``days=7``) ``start`` falls on, as a span."""
        check_aware(start, "start")
        try:
            first = start.astimezone(get_zone(self.zone)).date()
            if days == 7:
                first -= timedelta(days=first.weekday())
            begin = datetime.combine(first, time(0))
            return TimeSpan(
                resolve_local(begin, self.zone),
                resolve_local(begin + timedelta(days=days), self.zone),
            )
        except OverflowError:
            raise InvalidValue(
                f"the local {'day' if days == 1 else 'week'} of start {start.isoformat()} in "
                f"{self.zone} is not within the datetimes Python has (years 1..9999)",
                value=start,
                expected="a start at least a week from either end of the years 1..9999",
            ) from None


RulesFor = Callable[[Session], BookingRules]
"""Picks the rules for a session: by its lifecycle (kind), a resource (provider), its fields."""


def check_booking_time(rules: BookingRules, start: datetime, now: datetime) -> Refusal | None:
    """Return why a session starting at ``start`` may not be booked at ``now``, or ``None``.

    ``in_the_past`` (the start is not after ``now``; never allowed again),
    ``min_notice`` (too close to the start; never allowed again) and
    ``max_horizon`` (too far ahead; allowed from ``start - max_horizon``).
    Durations are elapsed time: both instants are compared in UTC.
    """
    if not isinstance(rules, BookingRules):
        raise WrongType(rules, name="rules", expected="a BookingRules")
    start, now = to_utc(start, "start"), to_utc(now, "now")
    if start <= now:
        return Refusal(
            rule="in_the_past", reason=f"the session started at {start.isoformat()}, in the past"
        )
    if start - now < rules.min_notice:
        return Refusal(
            rule="min_notice",
            reason=f"bookings close {duration_text(rules.min_notice)} before the start "
            f"({(start - rules.min_notice).isoformat()})",
        )
    if rules.max_horizon is not None and start - now > rules.max_horizon:
        opens = start - rules.max_horizon
        return Refusal(
            rule="max_horizon",
            reason=f"bookings open {duration_text(rules.max_horizon)} before the start",
            allows_at=opens,
        )
    return None
