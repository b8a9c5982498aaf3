"""When a session's people may get a join credential: :class:`JoinRules` and their checks.

Private to the services, beside :mod:`sessionkit.services._room_access`, which
issues the credentials and exports :class:`JoinRules` under its own name (its
``__module__``, so reprs, pickles and type hints read as before this module
was split from it); :mod:`sessionkit.services.rooms` re-exports it.
``_joinable_at`` reads the rules against a lifecycle's timers: when a timer
takes a session into a joinable status.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import set_repr, shown_duration
from sessionkit.lifecycle import Lifecycle
from sessionkit.model.session import Session
from sessionkit.model.text import check_names

__all__ = ["JoinRules"]


# A named converter: mypy's attrs plugin reads no converter a factory returns.
def _joinable(value: object) -> frozenset[str]:
    return frozenset(check_names(value, "joinable"))


def _check_span(name: str, value: object, *, positive: bool = False) -> timedelta:
    if not isinstance(value, timedelta):
        raise WrongType(value, name=name, expected="a timedelta")
    if value < timedelta(0) or (positive and not value):
        bound = "> 0" if positive else ">= 0"
        raise InvalidValue(
            f"JoinRules.{name} must be a timedelta {bound}, got {shown_duration(value)}",
            value=value,
            expected=f"a timedelta {bound}",
        )
    return value


def _early(value: object) -> timedelta | None:
    return None if value is None else _check_span("early", value)


def _buffer(value: object) -> timedelta:
    return _check_span("buffer", value)


def _longest(value: object) -> timedelta:
    return _check_span("longest", value, positive=True)


@attrs.frozen(kw_only=True)
class JoinRules:
    """When a session's people may get a join credential, and how long it lasts.

    - ``joinable``: the statuses in which the room may be entered (default:
      the academy's READY and ONGOING). A credential asked for earlier is
      refused with ``allows_at`` the instant a timer takes the session into
      one (READY's 15 minutes before the start), or ``None`` if none will.
    - ``early``: if given, also not before ``start - early`` (a lifecycle
      without a READY status: coaching's ``joinable={"SCHEDULED"}``,
      ``early=timedelta(minutes=10)``).
    - ``buffer``: a credential lasts until the session's end plus this, and
      none is issued after that (default 15 minutes).
    - ``longest``: and never longer than this after it is issued (default
      12 hours), so a long session's credential does not live for days.
    """

    joinable: frozenset[str] = attrs.field(
        default=frozenset({"READY", "ONGOING"}), converter=_joinable, repr=set_repr
    )
    early: timedelta | None = attrs.field(default=None, converter=_early)
    buffer: timedelta = attrs.field(default=timedelta(minutes=15), converter=_buffer)
    longest: timedelta = attrs.field(default=timedelta(hours=12), converter=_longest)

    def expires_at(self, session: Session, now: datetime) -> datetime:
        """Return when a credential issued at ``now`` for ``session`` stops working."""
        return min(session.end + self.buffer, now + self.longest)


def _joinable_at(
    machine: Lifecycle, session: Session, rules: JoinRules, now: datetime
) -> datetime | None:
    """Return when a timer takes ``session`` into a joinable status, if one will."""
    due = [
        t.timer.due(session)
        for t in machine.transitions_from(session.status)
        if t.timer is not None and t.target in rules.joinable
    ]
    later = [d for d in due if d > now]
    return min(later) if later else None
