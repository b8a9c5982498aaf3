"""Notice by role and action, reschedule limits, as values; :meth:`NoticePolicy.may` judges them.

A :class:`NoticePolicy` says, per action (``"request_reschedule"``,
``"cancel"``, ``"book"``) and per role, how long before a session's start the
action must come (:class:`NoticeRule`), which roles alone may still act in the
last stretch before the start (:class:`NoticeWindow`), which roles bypass all
notice (the host), and how reschedule requests behave (how long the other side
has to answer, how far ahead a new time must be, how long a reason is, how
many reschedules a session may have).

:meth:`NoticePolicy.may` is pure: the same call answers "may I?" for a button
and is what the commands enforce, so the two never disagree. A refusal names
its ``rule`` and when the action becomes possible (``allows_at``), or ``None``
when waiting never helps (notice only shrinks as time passes).

:class:`NoticeRule`, :class:`NoticeWindow`, the actions and the checks of the
policy's fields live in ``_notice_rules``, the checks of role names
(``check_role``, ``check_case``, ``fold_index``, ``role_set``, which the refund
policy and the reschedule commands share) in ``_notice_roles``; this module
exports them under its own name and keeps what judges: :class:`NoticePolicy`
and :func:`coaching_notice`.

The coaching platform (:func:`coaching_notice`): students need 24 hours'
notice to ask for a reschedule, coaches 48; within 10 hours of the start only
students may ask (which matters once a host lowers the students' notice):

>>> from datetime import UTC, datetime, timedelta
>>> from sessionkit.model.session import Session
>>> from sessionkit.timespan import TimeSpan
>>> start = datetime(2026, 3, 30, 9, tzinfo=UTC)
>>> lesson = Session(id="s1", tenant="acme", title="Maths", tz="Europe/Berlin", status="OPEN",
...                  span=TimeSpan(start, start + timedelta(hours=1)), lifecycle="marketplace",
...                  busy=True, created_at=start - timedelta(days=7))
>>> policy = coaching_notice()
>>> policy.may("request_reschedule", "student", lesson, start - timedelta(hours=24)) is None
True
>>> refusal = policy.may("request_reschedule", "coach", lesson, start - timedelta(hours=47))
>>> refusal.rule, refusal.allows_at
('notice', None)
>>> policy.may("request_reschedule", "host", lesson, start - timedelta(minutes=5)) is None
True
>>> policy.deadline_for("request_reschedule", "coach", lesson)
datetime.datetime(2026, 3, 28, 9, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from sessionkit.errors._base import duration_text, optional_int_converter, set_repr
from sessionkit.model.session import Session, check_session
from sessionkit.policies._durations import positive_duration

# Not in __all__, but the refund policy and the reschedule commands import them from here.
from sessionkit.policies._notice_roles import check_case as check_case
from sessionkit.policies._notice_roles import check_role as check_role
from sessionkit.policies._notice_roles import fold_index as fold_index
from sessionkit.policies._notice_roles import role_set as role_set
from sessionkit.policies._notice_rules import (
    ACTIONS,
    Action,
    NoticeRule,
    NoticeWindow,
    _action,
    _bypass,
    _check_count,
    _duration,
    _limit,
    _reason_length,
    _rules,
    _windows,
)
from sessionkit.policies.booking import Refusal
from sessionkit.zones import check_aware, check_instant, to_utc

__all__ = [
    "ACTIONS",
    "Action",
    "NoticePolicy",
    "NoticeRule",
    "NoticeWindow",
    "coaching_notice",
]


@attrs.frozen(kw_only=True)
class NoticePolicy:
    """Who may do what how long before a session, and how reschedule requests behave.

    - ``rules``: the notice each role needs per action (the largest that
      applies counts; a role no rule names needs none).
    - ``windows``: within a window before the start, only its roles may act.
    - ``bypass``: roles no notice, window or limit applies to (the host).
    - ``answer_within``: how long the other side has to answer a reschedule
      request (the deadline is that, or the start if sooner, or ``min_lead``
      before a proposed time if sooner still: a time proposed ``min_lead``
      ahead leaves no time to answer); silence approves. The deadline always
      falls before the proposed time; with ``min_lead`` 0 a time sooner than
      the answer time or the start is refused (:meth:`silence_refusal`).
    - ``min_lead``: a new time must start at least this long after the request
      (and after the approval).
    - ``reason_length``: the shortest and longest reason, in characters
      (from 1 to ``MAX_REASON_LENGTH``, 2,000: what a request stores).
    - ``max_reschedules``: how many times a session may be moved by approved
      requests (``None``: no limit).

    The default policy requires nothing: every action is allowed until the start.
    """

    rules: tuple[NoticeRule, ...] = attrs.field(default=(), converter=_rules)
    windows: tuple[NoticeWindow, ...] = attrs.field(default=(), converter=_windows)
    bypass: frozenset[str] = attrs.field(
        default=frozenset({"host"}), converter=_bypass, repr=set_repr
    )
    answer_within: timedelta = attrs.field(
        default=timedelta(hours=24), validator=positive_duration("NoticePolicy")
    )
    min_lead: timedelta = attrs.field(default=timedelta(hours=1), validator=_duration)
    reason_length: tuple[int, int] = attrs.field(default=(10, 500), converter=_reason_length)
    max_reschedules: int | None = attrs.field(
        default=None, converter=optional_int_converter, validator=_limit
    )
    _folded: dict[str, tuple[str, ...]] = attrs.field(
        init=False,
        repr=False,
        eq=False,
        default=attrs.Factory(lambda policy: fold_index(policy.roles), takes_self=True),
    )
    """The roles the policy names, by their case-folded form: built once, asked per decision."""

    @property
    def roles(self) -> frozenset[str]:
        """Every role the policy names: in a rule, a window or ``bypass``."""
        return self.bypass.union(*(r.roles for r in self.rules), *(w.only for w in self.windows))

    def _check_role(self, role: str) -> None:
        """Refuse what is no role name, and a role differing only in case from one named."""
        check_role(role)
        check_case(role, self._folded, "NoticePolicy")

    def notice(self, action: str, role: str) -> timedelta:
        """Return the notice ``role`` needs for ``action`` (zero when no rule names it)."""
        _action(None, None, action)  # type: ignore[arg-type]  # the validator ignores both
        self._check_role(role)
        found = [r.notice for r in self.rules if r.action == action and role in r.roles]
        return max(found, default=timedelta(0))

    def deadline_for(self, action: str, role: str, session: Session) -> datetime | None:
        """Return the last instant ``role`` may do ``action`` on ``session`` (``None``: any time).

        The notice and the windows that shut ``role`` out, whichever ends
        earliest; a role that bypasses notice has none. The instant itself is
        still allowed (exactly the notice is enough notice). ``None`` too when
        no notice or window applies to ``role``: only the start bounds it then,
        and the start itself is refused (``in_the_past``), so no instant is the
        last one allowed.
        """
        _action(None, None, action)  # type: ignore[arg-type]  # the validator ignores both
        self._check_role(role)
        check_session(session)
        if role in self.bypass:
            return None
        lead = self.lead_for(action, role)
        if not lead:
            return None
        # A window shuts a role out strictly inside it: its edge is still allowed, like a notice's.
        return session.start - lead

    def lead_for(self, action: str, role: str) -> timedelta:
        """Return how long before a start ``role`` must do ``action`` at the latest.

        The role's notice or the widest window that shuts it out, whichever
        is longer; zero for a role that bypasses notice. ``deadline_for`` is
        a session's start less this, and a listing of what ``role`` may
        still book leaves out the sessions starting sooner than this.
        """
        _action(None, None, action)  # type: ignore[arg-type]  # the validator ignores both
        self._check_role(role)
        if role in self.bypass:
            return timedelta(0)
        leads = [self.notice(action, role)]
        leads += [
            w.within
            for w in self.windows
            if w.action == action and role not in w.only and w.within > timedelta(0)
        ]
        return max(leads)

    def notice_refusal(
        self, action: str, role: str, session: Session, now: datetime
    ) -> Refusal | None:
        """Return why ``role`` lacks the notice or is shut out by a window, or ``None``.

        Only the notice rules and windows: a role no rule or window names
        is never refused (also after the start: whether a started session
        takes the action is the command's business), nor is a role in
        ``bypass``. Rules ``notice`` and ``window``; ``allows_at`` is ``None``.
        :meth:`may` adds the start and the reschedule limit; a booking's cancel
        and book commands enforce exactly this.
        """
        _action(None, None, action)  # type: ignore[arg-type]  # the validator ignores both
        self._check_role(role)
        start = check_session(session).start
        at = check_aware(now, "now")
        if role in self.bypass:
            return None
        needed = self.notice(action, role)
        if needed > timedelta(0) and start - at < needed:
            return Refusal(
                rule="notice",
                reason=f"{role} must {action.replace('_', ' ')} at least"
                f" {duration_text(needed)} before the start, by {(start - needed).isoformat()}",
            )
        for window in self.windows:
            if (
                window.action == action
                and role not in window.only
                and window.within > timedelta(0)
                and start - at < window.within
            ):
                only = ", ".join(sorted(window.only)) or "nobody"
                return Refusal(
                    rule="window",
                    reason=f"within {duration_text(window.within)} of the start only {only} may "
                    f"{action.replace('_', ' ')}",
                )
        return None

    def may(
        self, action: str, role: str, session: Session, now: datetime, *, reschedules: int = 0
    ) -> Refusal | None:
        """Return why ``role`` may not do ``action`` on ``session`` at ``now``, or ``None``.

        Rules: ``in_the_past`` (the session started), ``notice`` (less notice
        than ``role`` needs), ``window`` (inside a window ``role`` is not let
        in), ``max_reschedules`` (a reschedule request for a session moved
        ``reschedules`` times already). None allows again by waiting
        (``allows_at`` is ``None``). Roles in ``bypass`` are refused only for a
        started session. ``reschedules`` is an integer >= 0 (``WrongType``,
        ``InvalidValue`` otherwise).
        """
        _action(None, None, action)  # type: ignore[arg-type]  # the validator ignores both
        self._check_role(role)
        start = check_session(session).start
        at = check_aware(now, "now")
        reschedules = _check_count(reschedules)
        if start <= at:
            return Refusal(
                rule="in_the_past",
                reason=f"session {session.id!r} started at {start.isoformat()}",
            )
        refusal = self.notice_refusal(action, role, session, at)
        if refusal is not None or role in self.bypass:
            return refusal
        if (
            action == "request_reschedule"
            and self.max_reschedules is not None
            and reschedules >= self.max_reschedules
        ):
            return Refusal(
                rule="max_reschedules",
                reason=f"session {session.id!r} was rescheduled {reschedules} time(s), "
                f"at most {self.max_reschedules} allowed",
            )
        return None

    def reason_refusal(self, reason: object) -> Refusal | None:
        """Return why ``reason`` is not an acceptable reschedule reason, or ``None``."""
        shortest, longest = self.reason_length
        if not isinstance(reason, str) or not shortest <= len(reason.strip()) <= longest:
            return Refusal(
                rule="reason_length",
                reason=f"a reason is {shortest} to {longest} characters, got "
                f"{len(reason.strip()) if isinstance(reason, str) else type(reason).__name__}",
            )
        return None

    def new_time_refusal(self, new_start: datetime, now: datetime) -> Refusal | None:
        """Return why ``new_start`` is too soon after ``now`` (``min_lead``), or ``None``."""
        new_start, now = to_utc(new_start, "new_start"), check_instant(now, "now")
        if new_start - now < self.min_lead:
            return Refusal(
                rule="min_lead",
                reason=f"a new time starts at least {duration_text(self.min_lead)} ahead, after "
                f"{(now + self.min_lead).isoformat()}; got {new_start.isoformat()}",
            )
        return None

    def deadline(
        self, session: Session, now: datetime, proposed: datetime | None = None
    ) -> datetime:
        """Return when a reschedule request made at ``now`` is answered by silence.

        ``answer_within`` after ``now``, or the session's start if sooner, or,
        for a request ``proposed`` a new time, ``min_lead`` before that time
        if sooner still: silence approves the time while it is still far
        enough ahead to be applied (a request may propose a time as soon as
        ``min_lead`` after ``now``, so never before ``now``).
        """
        start = check_session(session).start
        latest = min(check_instant(now, "now") + self.answer_within, start)
        if proposed is None:
            return latest
        return max(min(latest, check_instant(proposed, "proposed") - self.min_lead), now)

    def silence_refusal(
        self, session: Session, now: datetime, proposed: datetime
    ) -> Refusal | None:
        """Return why silence could not approve ``proposed`` in time, or ``None``.

        Silence moves the session at the request's :meth:`deadline` only to a
        time still ahead then. With ``min_lead`` above 0 the deadline falls
        before every time a request may propose; with ``min_lead`` 0, one
        proposed no later than the answer time or the start (whichever is
        sooner) would be its own deadline, and silence, answering then, could
        only let it expire. Rule ``min_lead``; ``allows_at`` is ``None`` (the
        answer time only moves later). Check :meth:`new_time_refusal` first.
        """
        deadline = self.deadline(session, now, proposed)
        if deadline < to_utc(proposed, "proposed"):
            return None
        latest = min(check_instant(now, "now") + self.answer_within, session.start)
        return Refusal(
            rule="min_lead",
            reason=f"silence would answer the request at {deadline.isoformat()}, when the new "
            f"time {proposed.isoformat()} is no longer ahead, so it could not approve it "
            f"(min_lead is {duration_text(self.min_lead)}); "
            f"propose a time after {latest.isoformat()}",
        )


def coaching_notice() -> NoticePolicy:
    """Return the coaching platform's policy (students 24 h, coaches 48 h, 10 h students only)."""
    return NoticePolicy(
        rules=(
            NoticeRule("request_reschedule", frozenset({"student"}), timedelta(hours=24)),
            NoticeRule("request_reschedule", frozenset({"coach"}), timedelta(hours=48)),
        ),
        windows=(NoticeWindow("request_reschedule", timedelta(hours=10), frozenset({"student"})),),
        bypass=frozenset({"host"}),
    )


# Show (and pickle) what moved to the private modules under this public path, as before.
_moved: object
for _moved in (NoticeRule, NoticeWindow, check_role, check_case, fold_index, role_set):
    _moved.__module__ = __name__
del _moved
