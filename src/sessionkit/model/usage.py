"""Subscriptions, the usage ledger, counters and session codes (issue 14, the academy seed).

A :class:`Subscription` gives a subscriber (``student:ana``) ``credits``
sessions per calendar month in the subscription's zone (``per="month"``) or
in all (``per="total"``), inside a validity window ``[starts, ends)``.
A :class:`UsageEntry` is one credit consumed: one entry per (subscription,
session, participant), held unique by every store, so a session is counted
once however many workers complete it and however often a command or event
is replayed. Reversing an entry (an admin corrects COMPLETED to CANCELLED)
stamps ``reversed_at``; consuming it again clears it. A makeup session is
charged as the cancelled session it replaces (:func:`charged_session`), so the
pair never consumes more than one credit.

>>> from datetime import UTC, datetime
>>> plan = Subscription(id="sub1", tenant="academy", subscriber="student:ana", credits=8,
...     per="month", tz="Asia/Riyadh", starts=datetime(2026, 3, 1, tzinfo=UTC),
...     created_at=datetime(2026, 3, 1, tzinfo=UTC))
>>> plan.period_of(datetime(2026, 3, 31, 22, tzinfo=UTC))  # already April in Riyadh
'2026-04'
>>> plan.period_end("2026-04")
datetime.datetime(2026, 4, 30, 21, 0, tzinfo=datetime.timezone.utc)
>>> SessionCodes(prefix="QSE").render(tenant="1", n=1)
'QSE-1-000001'
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar, Final, Literal

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, int_converter, shown
from sessionkit.model.booking import participant_ref
from sessionkit.model.events import DomainEvent
from sessionkit.model.html import html_of
from sessionkit.model.records import SUBSCRIPTION, USAGE, Schema
from sessionkit.model.session import (
    MAX_NAME_LENGTH,
    ResourceRef,
    check_group,
    check_identity,
    check_lengths,
)
from sessionkit.model.text import MAX_ID_LENGTH, check_id, plain_id
from sessionkit.zones import check_aware, get_zone, resolve_local

__all__ = [
    "Balance",
    "CODE_FIELD",
    "MADE_UP_BY_FIELD",
    "MAKEUP_FIELD",
    "MAX_CREDITS",
    "MAX_REASON_LENGTH",
    "MAX_SUBSCRIPTION_ID_LENGTH",
    "TOTAL",
    "Counter",
    "Per",
    "SessionCode",
    "SessionCodes",
    "Subscription",
    "UsageEntry",
    "UsageRecorded",
    "charged_session",
    "check_period",
    "code_counter",
    "entry_id",
    "usage_counter",
]

Per = Literal["month", "total"]
"""What a subscription's credits are counted over: each calendar month, or its whole life."""

TOTAL: Final = "total"
"""The period of every entry of a ``per="total"`` subscription."""

MAX_CREDITS: Final = 1_000_000
"""The most credits one subscription gives per period."""

MAX_SUBSCRIPTION_ID_LENGTH: Final = 100
"""Subscription ids are shorter than other ids: their counters' names hold them and a period."""

MAX_REASON_LENGTH: Final = 2000
"""The longest reason a ledger entry keeps for its reversal."""

MAKEUP_FIELD: Final = "makeup_of"
"""The session's own field naming the cancelled session a makeup session replaces."""

MADE_UP_BY_FIELD: Final = "made_up_by"
"""The cancelled session's own field naming the session last marked as its makeup.

Written by ``mark_makeup`` and not cleared: whether that session still is the
makeup is its own ``makeup_of`` (and its status: a cancelled one is not)."""

CODE_FIELD: Final = "session_code"
"""The session's own field showing its code (the codes table holds it unique)."""

_MONTH = 12
_PERIOD: Final = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_LAST_PERIOD_YEAR: Final = 9998
"""The last year a period may fall in: its end, in any zone, is still a datetime."""
_CODE_NUMBERS: Final = 10**MAX_ID_LENGTH
"""Session codes number below this: a longer number makes no storable code."""


def _instant(value: datetime) -> datetime:
    return check_aware(value, "instant").astimezone(UTC)


def _optional(value: datetime | None) -> datetime | None:
    return None if value is None else _instant(value)


def _zone(value: object) -> str:
    return get_zone(value).key  # type: ignore[arg-type]  # raises UnknownTimeZone naming the value


def _check_credits(_instance: object, _attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongType(value, name="credits", expected="an integer 1..1,000,000")
    if not 1 <= value <= MAX_CREDITS:
        raise InvalidValue(
            f"credits must be 1..{MAX_CREDITS:,}, got {shown(value)}",
            value=value,
            expected=f"1..{MAX_CREDITS}",
        )


def _check_per(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if value not in ("month", "total"):
        raise InvalidValue(
            f"per must be 'month' or 'total', got {shown(value)}",
            value=value,
            expected="month, total",
        )


def _check_on_limit(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if value not in ("refuse", "allow"):
        raise InvalidValue(
            f"on_limit must be 'refuse' or 'allow', got {shown(value)}",
            value=value,
            expected="refuse, allow",
        )


@attrs.frozen(slots=True, kw_only=True)
class Subscription:
    """``credits`` sessions per ``per`` for ``subscriber``, valid from ``starts`` until ``ends``.

    ``per="month"`` counts calendar months on the wall clock of ``tz``;
    ``per="total"`` counts the subscription's whole life. ``on_limit`` says
    what consuming past the credits does: ``"refuse"`` raises
    :class:`~sessionkit.errors.UsageLimitReached` and writes nothing,
    ``"allow"`` records the entry anyway (the balance goes below zero). The
    clock's status changes (timed transitions) are counted as ``"allow"``
    counts them either way: a session past the credits still ends.
    ``ends`` is exclusive; ``None`` means open-ended.
    """

    id: str
    tenant: str
    subscriber: ResourceRef = attrs.field(converter=participant_ref)
    credits: int = attrs.field(converter=int_converter, validator=_check_credits)
    per: Per = attrs.field(default="month", validator=_check_per)
    tz: str = attrs.field(default="UTC", converter=_zone)
    starts: datetime = attrs.field(converter=_instant)
    ends: datetime | None = attrs.field(default=None, converter=_optional)
    on_limit: Literal["refuse", "allow"] = attrs.field(default="refuse", validator=_check_on_limit)
    created_at: datetime = attrs.field(converter=_instant)
    created_by: str | None = None
    version: int = 1

    __record_schema__: ClassVar[Schema] = SUBSCRIPTION
    _repr_html_ = html_of

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        if len(self.id) > MAX_SUBSCRIPTION_ID_LENGTH:
            raise InvalidValue(
                f"a subscription id has at most {MAX_SUBSCRIPTION_ID_LENGTH} characters, "
                f"got {len(self.id)}",
                value=self.id,
                expected=f"<= {MAX_SUBSCRIPTION_ID_LENGTH} characters",
            )
        check_lengths(self, created_by=255)
        if self.ends is not None and self.ends <= self.starts:
            raise InvalidValue(
                f"a subscription must end after it starts ({self.starts.isoformat()}), "
                f"got ends={self.ends.isoformat()}",
                value=self.ends,
                expected=f"after {self.starts.isoformat()}",
            )

    def active_at(self, instant: datetime) -> bool:
        """Whether ``instant`` lies in the validity window ``[starts, ends)``."""
        instant = check_aware(instant, "instant")
        return self.starts <= instant and (self.ends is None or instant < self.ends)

    def period_of(self, instant: datetime) -> str:
        """Return the period ``instant`` counts in: ``"YYYY-MM"`` in ``tz``, or ``"total"``."""
        local = check_aware(instant, "instant").astimezone(get_zone(self.tz))
        if self.per == "total":
            return TOTAL
        return f"{local.year:04d}-{local.month:02d}"

    def in_force(self, period: str) -> bool:
        """Whether any instant of ``period`` lies in the validity window ``[starts, ends)``.

        A month wholly before :attr:`starts` or from :attr:`ends` on has no
        credits; ``"total"`` is the subscription's whole life (a balance
        reads the instant instead: :meth:`in_force_at`).
        """
        days = self._month(period)
        if days is None:
            return True
        first, after = (self._instant(day) for day in days)
        return after > self.starts and (self.ends is None or first < self.ends)

    def in_force_at(self, instant: datetime) -> bool:
        """Whether a balance asked at ``instant`` has the credits of ``instant``'s period.

        For ``per="month"``, whether that month is :meth:`in_force`. A
        ``per="total"`` subscription has one period, its whole life, so the
        instant itself must lie in ``[starts, ends)``: before :attr:`starts`
        or from :attr:`ends` on, no session can draw on its credits.
        """
        if self.per == "total":
            return self.active_at(instant)
        return self.in_force(self.period_of(instant))

    def period_end(self, period: str) -> datetime | None:
        """Return when ``period`` ends and fresh credits start (UTC), or ``None`` for ``total``.

        Capped at :attr:`ends`: after it, no period of this subscription starts again.
        """
        days = self._month(period)
        if days is None:
            return None
        end = self._instant(days[1])
        return end if self.ends is None else min(end, self.ends)

    def _month(self, period: str) -> tuple[date, date] | None:
        """The first day of ``period``'s month and of the next (``None``: ``total``)."""
        if check_period(period) == TOTAL:
            return None
        year, month = (int(part) for part in period.split("-"))
        return date(year, month, 1), date(year + month // _MONTH, month % _MONTH + 1, 1)

    def _instant(self, day: date) -> datetime:
        """The UTC instant ``day`` begins in :attr:`tz`."""
        return resolve_local(datetime.combine(day, time()), self.tz).astimezone(UTC)


def check_period(period: object, name: str = "period") -> str:
    """Return ``period`` if it is ``"YYYY-MM"`` (years 0001..9998) or ``"total"``, else raise.

    ``InvalidValue`` names the value (``WrongType`` if it is no string).
    """
    if period == TOTAL:
        return TOTAL
    if not isinstance(period, str):
        raise WrongType(period, name=name, expected=f"a period: 'YYYY-MM' or {TOTAL!r}")
    if not _PERIOD.fullmatch(period):
        raise InvalidValue(
            f"a period is 'YYYY-MM' or {TOTAL!r}, got {shown(period)}",
            value=period,
            expected=f"'YYYY-MM' (month 01..12) or {TOTAL!r}",
        )
    if not 1 <= int(period[:4]) <= _LAST_PERIOD_YEAR:  # its end is the next month's first day
        raise InvalidValue(
            f"period {period!r} is outside the years 0001..{_LAST_PERIOD_YEAR}",
            value=period,
            expected=f"a month of the years 0001..{_LAST_PERIOD_YEAR}",
        )
    return period


@attrs.frozen(slots=True, kw_only=True)
class UsageEntry:
    """One credit of ``subscription_id`` consumed by ``participant`` for ``session_id``.

    ``session_id`` is the session charged (for a makeup session, the
    cancelled one it replaces), ``used_by`` the session that was held.
    ``period`` is where the credit counts (``"2026-03"`` or ``"total"``).
    ``reversed_at`` is set while the credit is returned (an admin
    correction), and cleared when it is consumed again: the entry is never
    duplicated, it changes state.
    """

    id: str
    tenant: str
    subscription_id: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    period: str
    used_by: str
    consumed_at: datetime = attrs.field(converter=_instant)
    reversed_at: datetime | None = attrs.field(default=None, converter=_optional)
    reason: str | None = None
    version: int = 1

    __record_schema__: ClassVar[Schema] = USAGE
    _repr_html_ = html_of

    def __attrs_post_init__(self) -> None:
        check_identity(self, "subscription_id", "session_id", "used_by")
        check_lengths(self, period=MAX_NAME_LENGTH, reason=MAX_REASON_LENGTH)

    @property
    def active(self) -> bool:
        """Whether the credit is consumed now (not reversed)."""
        return self.reversed_at is None


@attrs.frozen(slots=True, kw_only=True)
class Counter:
    """A named per-tenant counter, moved only by an atomic ``bump`` (never read-modify-write)."""

    id: str
    tenant: str
    value: int = 0
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self)


@attrs.frozen(slots=True, kw_only=True)
class SessionCode:
    """The code of session ``id`` (``"QSE-1-000001"``), number ``number`` of counter ``counter``.

    Unique per tenant in every store; a deleted session's code stays taken until a
    session is created again under its id (the record then holds that session's code).
    """

    id: str
    tenant: str
    code: str
    counter: str
    number: int
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        check_lengths(self, code=MAX_ID_LENGTH, counter=MAX_NAME_LENGTH)


_FIELDS = frozenset({"prefix", "tenant", "n", "group"})


def _check_format(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise WrongType(value, name="format", expected="a str.format template such as '{n:06d}'")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as error:
        raise InvalidValue(
            f"format {shown(value)} is not a str.format template: {error}",
            value=value,
            expected="a template such as '{prefix}-{tenant}-{n:06d}'",
        ) from error
    if "n" not in names or not names <= _FIELDS:
        raise InvalidValue(
            f"format {shown(value)} must use {{n}} and only {sorted(_FIELDS)}, got {sorted(names)}",
            value=value,
            expected="a template with {n} and only {prefix}, {tenant}, {group}, {n}",
        )
    try:  # a spec or conversion its value does not take ({prefix:d}, {n!z}), a nested field
        sample = value.format(prefix="P", tenant="t", group="g", n=1)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
        raise InvalidValue(
            f"format {shown(value)} cannot render a code: {shown(error)}",
            value=value,
            expected="text fields as text and {n} as an integer, e.g. '{prefix}-{n:06d}'",
        ) from error
    if len(sample) > MAX_ID_LENGTH:
        raise InvalidValue(
            f"format {shown(value)} renders codes longer than {MAX_ID_LENGTH} characters",
            value=value,
            expected=f"codes of at most {MAX_ID_LENGTH} characters",
        )


_CODE_RULE: Final = (
    f"codes of 1..{MAX_ID_LENGTH} characters without leading or trailing whitespace or "
    "control characters (people read and type them)"
)


def _code_problem(code: str) -> str | None:
    """What makes ``code`` no session code people can read and type (the rules of ids), or None."""
    if plain_id(code):
        return None
    if not code:
        return "an empty code"
    if len(code) > MAX_ID_LENGTH:
        return f"a code longer than {MAX_ID_LENGTH} characters"
    if code[0].isspace() or code[-1].isspace():
        return "a code with leading or trailing whitespace"
    if any("\ud800" <= c <= "\udfff" for c in code):  # in a str, every surrogate is lone
        return "a code with a lone surrogate"
    try:
        check_id(code, "session code")
    except InvalidValue:
        return "a code with a control character"
    return None


def _check_name(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value or len(value) > 32:
        raise InvalidValue(
            f"{attribute.name} must be text of 1..32 characters, got {shown(value)}",
            value=value,
            expected="1..32 characters",
        )


@attrs.frozen(slots=True)
class SessionCodes:
    """How a tenant's sessions are coded: a ``str.format`` template and the counter it numbers.

    ``format`` may use ``{prefix}``, ``{tenant}``, ``{group}`` (the session's
    group, empty without one) and must use ``{n}``, the counter's next
    number. Sessions of one ``counter`` are numbered 1, 2, 3, ... per tenant.
    A format cannot name its counter: two counters need their own prefix or
    format, else a session whose code another already has is refused
    (``InvalidValue`` naming both counters).

    Codes are shown to people and typed in, so each is 1..128 characters
    without leading or trailing whitespace or control characters. A format
    (with its prefix) whose first code, of a session with a group or
    without, breaks that is refused when built (``"{group:>5}{n}"`` pads with
    spaces); a code that breaks it anyway (a group with surrounding spaces)
    is refused when rendered. Both are ``InvalidValue`` naming the format.
    """

    prefix: str = attrs.field(default="S", validator=_check_name)
    format: str = attrs.field(default="{prefix}-{tenant}-{n:06d}", validator=_check_format)
    counter: str = attrs.field(default="session", validator=_check_name)

    def __attrs_post_init__(self) -> None:
        for group, whose in (("g", "of group 'g'"), ("", "without a group")):
            code = self.format.format(prefix=self.prefix, tenant="t", group=group, n=1)
            problem = _code_problem(code)
            if problem is not None:
                raise InvalidValue(
                    f"format {shown(self.format)} with prefix {shown(self.prefix)} renders "
                    f"{problem} for session 1 of tenant 't' {whose}: {shown(code)}",
                    value=self.format,
                    expected=f"a template rendering {_CODE_RULE}, e.g. '{{prefix}}-{{n:06d}}'",
                )

    def render(self, *, tenant: str, n: int, group: str | None = None) -> str:
        """Return the code of number ``n``; ``InvalidValue`` if it breaks the rules of codes."""
        check_id(tenant, "tenant")
        check_group(group)
        n = check_int(n, name="n", expected="an int")
        if not 0 <= n < _CODE_NUMBERS:
            raise InvalidValue(
                f"a session code's number is >= 0 and at most {MAX_ID_LENGTH} digits long, "
                f"got {shown(n)}",
                value=n,
                expected=f"an int >= 0 of at most {MAX_ID_LENGTH} digits",
            )
        code = self.format.format(prefix=self.prefix, tenant=tenant, n=n, group=group or "")
        problem = _code_problem(code)
        if problem is not None:
            raise InvalidValue(
                f"format {shown(self.format)} renders {problem} for number {n} of tenant "
                f"{shown(tenant)}, group {shown(group)}: {shown(code)}",
                value=code,
                expected=_CODE_RULE,
            )
        return code


def usage_counter(subscription_id: str, period: str) -> str:
    """Return the name of the counter of credits ``subscription_id`` used in ``period``."""
    return f"usage:{check_id(period, 'period')}:{check_id(subscription_id, 'subscription_id')}"


def code_counter(name: str) -> str:
    """Return the name of the session-code counter ``name``."""
    if not isinstance(name, str):
        raise WrongType(name, name="counter", expected="a counter's name (text)")
    return f"code:{name}"


def charged_session(session_id: str, metadata: Mapping[str, Any]) -> str:
    """Return the session a session's credit is charged to: the one a makeup replaces, or itself."""
    if not isinstance(metadata, Mapping):
        raise WrongType(metadata, name="metadata", expected="a session's metadata (a mapping)")
    replaced = metadata.get(MAKEUP_FIELD)
    return replaced if isinstance(replaced, str) and replaced else session_id


@attrs.frozen(slots=True, kw_only=True)
class UsageRecorded(DomainEvent):
    """A credit was consumed (``change="consumed"``) or returned (``"reversed"``); once each."""

    entry: UsageEntry
    change: Literal["consumed", "reversed"]


def entry_id(subscription_id: str, session_id: str, participant: ResourceRef) -> str:
    """Return the id of the ledger entry of a (subscription, charged session, participant).

    Derived, not drawn: a replayed command computes the same id, so the id is
    a second guard beside the unique key ``charge``.
    """
    key = "\x1f".join(
        (
            check_id(subscription_id, "subscription_id"),
            check_id(session_id, "session_id"),
            str(participant_ref(participant)),
        )
    )
    return "u" + hashlib.sha256(key.encode()).hexdigest()[:32]


@attrs.frozen(slots=True, kw_only=True)
class Balance:
    """What a subscription has left in one period.

    ``used`` counts the period's active entries (returned credits do not
    count); ``remaining`` is ``credits - used`` (below zero with
    ``on_limit="allow"``, or when the clock ended sessions past the credits: the
    overage to bill); ``resets_at`` is when the next period's credits
    start, ``None`` for ``per="total"`` or when the subscription ends first.
    Outside the subscription's validity (a month wholly before it starts or
    from its end on; for ``per="total"``, an instant before it starts or from
    its end on: see :meth:`Subscription.in_force_at`) ``credits`` and
    ``remaining`` are 0, while ``used`` still counts the period's entries (a
    ``per="total"`` subscription's, of its whole life); before it starts,
    ``resets_at`` is its :attr:`Subscription.starts`.
    """

    subscription_id: str
    subscriber: ResourceRef
    period: str
    credits: int
    used: int
    remaining: int
    resets_at: datetime | None
