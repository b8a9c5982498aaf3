"""Editing recurrences: "this and following" splits with COUNT recomputed.

Google's Calendar API leaves the split to clients and clients commonly get
COUNT wrong; here the two halves together expand to exactly the original
occurrences (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, Self, TypeVar

import attrs

from sessionkit.errors import InvalidValue, NotADatetime
from sessionkit.recurrence._plan import Occurrence
from sessionkit.recurrence.rule import Rule
from sessionkit.zones import RecurrenceDisambiguate, get_zone, resolve_local

__all__ = ["Splittable", "split_recurrence"]


class Splittable(Protocol):
    """What a split needs of a recurrence: its fields, ``between``, ``_instances``, ``_evolve``.

    :class:`~sessionkit.recurrence.Recurrence` has them; stating them here
    (rather than importing the class, which imports this module) keeps the
    recurrence package free of import cycles.
    """

    @property
    def start(self) -> datetime:
        """The naive local DTSTART."""

    @property
    def tz(self) -> str:
        """The IANA zone key."""

    @property
    def rule(self) -> Rule:
        """The rule, UNTIL in UTC."""

    @property
    def exdates(self) -> tuple[datetime | date, ...]:
        """UTC instants and local dates."""

    @property
    def rdates(self) -> tuple[datetime, ...]:
        """UTC instants."""

    @property
    def disambiguate(self) -> RecurrenceDisambiguate:
        """The policy for local times in gaps and folds."""

    def between(self, start: datetime, end: datetime) -> Iterator[Occurrence]:
        """The occurrences starting in ``[start, end)``, ascending."""

    def _instances(self, start: datetime, end: datetime) -> Iterator[Occurrence]:
        """The rule's instances starting in ``[start, end)`` (UTC), as COUNT counts them."""

    def _evolve(
        self,
        *,
        start: datetime | None = None,
        rule: Rule | None = None,
        exdates: tuple[datetime | date, ...] | None = None,
        rdates: tuple[datetime, ...] | None = None,
        disambiguate: RecurrenceDisambiguate | None = None,
    ) -> Self:
        """A copy with the fields given (not ``None``) changed, validated again."""


R = TypeVar("R", bound=Splittable)

_SEARCH = timedelta(days=2)
_SECOND = timedelta(seconds=1)


def _key(rec: Splittable, at_key: object) -> datetime:
    if not isinstance(at_key, datetime):
        raise NotADatetime(at_key, name="at_key")
    if at_key.tzinfo is None:
        return at_key
    return at_key.astimezone(get_zone(rec.tz)).replace(tzinfo=None)


def split_recurrence(rec: R, at_key: datetime) -> tuple[R, R]:
    """Split ``rec`` before the occurrence keyed ``at_key``; see :meth:`Recurrence.split`."""
    try:
        key = _key(rec, at_key)
        guess = resolve_local(key, rec.tz).astimezone(UTC)
        low, high = guess - _SEARCH, guess + _SEARCH
    except OverflowError:
        raise InvalidValue(
            f"no occurrence can be keyed {at_key.isoformat()}: it is at the edge of the "
            "datetime range",
            value=at_key,
            expected="an occurrence's local start",
        ) from None
    # The rule alone, without EXDATEs or RDATEs; "raise" is for an occurrence that is yielded,
    # and a split yields none: "compatible" places every one where "raise" would.
    policy: RecurrenceDisambiguate | None = "compatible" if rec.disambiguate == "raise" else None
    bare = rec._evolve(exdates=(), rdates=(), disambiguate=policy)
    nearby = bare.between(low, high)
    at = next((occ for occ in nearby if occ.key == key), None)
    if at is None:
        rdate = next(
            (r for r in rec.rdates if r.astimezone(get_zone(rec.tz)).replace(tzinfo=None) == key),
            None,
        )
        if rdate is None:
            raise InvalidValue(
                f"{key.isoformat()} is not the key of an occurrence of this recurrence",
                value=at_key,
                expected="the key of one of its occurrences",
            )
        # An extra date: the rule part continues from its next own occurrence, if any.
        at = next(bare.between(rdate, datetime.max.replace(tzinfo=UTC)), None)
        at_instant = rdate
    else:
        at_instant = at.span.start
    rule = rec.rule
    lower = resolve_local(rec.start, rec.tz).astimezone(UTC) - _SEARCH
    # An RDATE may come days before DTSTART, and the rule before it has no occurrence.
    has_before = any(r < at_instant for r in rec.rdates) or (
        lower < at_instant and next(bare.between(lower, at_instant), None) is not None
    )
    if not has_before:
        raise InvalidValue(
            f"cannot split at {key.isoformat()}: no occurrence comes before it",
            value=at_key,
            expected="a key after the first occurrence",
        )
    if at is None:
        # An RDATE after the rule's last occurrence: the first half keeps the whole rule;
        # the second starts at that RDATE, its rule ending before then (no occurrence).
        first_rule: Rule | None = rule
        second_rule = attrs.evolve(rule, count=None, until=low)
    elif rule.count is not None:
        # The rule's instances before it, as COUNT counts them: an instant two of them
        # share (moved out of a gap onto another) is one occurrence but two instances.
        counted = sum(1 for _ in bare._instances(lower, at.span.start))
        first_rule = attrs.evolve(rule, count=counted) if counted else None
        second_rule = attrs.evolve(rule, count=rule.count - counted)
    else:
        first_rule = attrs.evolve(rule, until=at_instant - _SECOND)
        second_rule = rule
    at_day = key.date()
    before = rec._evolve(
        rule=first_rule if first_rule is not None else attrs.evolve(rule, count=None, until=lower),
        exdates=tuple(
            x for x in rec.exdates if (x < at_instant if isinstance(x, datetime) else x <= at_day)
        ),
        rdates=tuple(r for r in rec.rdates if r < at_instant),
    )
    after = rec._evolve(
        # DTSTART fills in the rule's defaults (weekday, day, time): the rule's own next
        # occurrence, not an RDATE between, keeps them.
        start=key if at is None else at.key,
        rule=second_rule,
        exdates=tuple(
            x for x in rec.exdates if (x >= at_instant if isinstance(x, datetime) else x >= at_day)
        ),
        rdates=tuple(r for r in rec.rdates if r >= at_instant),
    )
    return before, after
