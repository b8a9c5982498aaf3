"""The rule and recurrence strategies: :func:`rules`, :func:`recurrences`.

Private: import them from :mod:`sessionkit.testing.strategies`, which
re-exports every public name. The zones and start days are drawn with
:mod:`sessionkit.testing._time_strategies`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from sessionkit.errors import ExpansionLimitExceeded, InvalidValue, WallTimeError, WrongType
from sessionkit.errors._base import shown
from sessionkit.recurrence import FREQUENCIES, Recurrence, Rule, Weekday, parse_rule
from sessionkit.testing import _strategy_args as _args
from sessionkit.testing._time_strategies import _checked_zones, _days, _listed, timezones
from sessionkit.zones import RecurrenceDisambiguate, check_disambiguate

__all__ = [
    "recurrences",
    "rules",
]


def rules(
    *,
    frequencies: Sequence[str] = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY"),
    allow_count: bool = True,
    allow_until: bool = True,
) -> st.SearchStrategy[Rule]:
    """Valid RFC 5545 rules mixing the fast arithmetic paths and the general one.

    Of a frequency from ``frequencies`` (each one of
    :data:`~sessionkit.recurrence.FREQUENCIES`). UNTIL, when drawn, is an
    aware UTC instant between 2000 and 2045.
    """
    chosen = _args.names(frequencies, "frequencies", strategy="rules")
    for freq in chosen:
        if freq not in FREQUENCIES:
            raise InvalidValue(
                f"rules(frequencies={shown(frequencies)}): {shown(freq)} is not a frequency",
                value=freq,
                expected=f"some of {', '.join(FREQUENCIES)}",
            )
    _args.flag(allow_count, "allow_count", strategy="rules")
    _args.flag(allow_until, "allow_until", strategy="rules")
    return _drawn_rules(chosen, allow_count=allow_count, allow_until=allow_until)


@st.composite
def _drawn_rules(
    draw: st.DrawFn, frequencies: list[str], *, allow_count: bool, allow_until: bool
) -> Rule:
    freq = draw(st.sampled_from(frequencies))
    interval = draw(st.integers(1, 3))
    days = st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True)
    byday: tuple[Weekday, ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    if freq in ("DAILY", "WEEKLY") and draw(st.booleans()):
        byday = tuple(Weekday(d) for d in draw(days))
    elif freq == "MONTHLY":
        choice = draw(st.sampled_from(["default", "monthday", "nth", "setpos"]))
        if choice == "monthday":
            bymonthday = tuple(
                draw(
                    st.lists(
                        st.sampled_from([1, 2, 15, 28, 29, 30, 31, -1, -3]),
                        min_size=1,
                        max_size=3,
                        unique=True,
                    )
                )
            )
        elif choice == "nth":
            byday = tuple(Weekday(d, draw(st.sampled_from([1, 2, -1]))) for d in draw(days))
        elif choice == "setpos":
            byday = tuple(Weekday(d) for d in draw(days))
            bysetpos = (draw(st.sampled_from([1, 2, -1])),)
    elif freq == "YEARLY":
        if draw(st.booleans()):
            bymonth = tuple(draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True)))
            if draw(st.booleans()):
                byday = tuple(Weekday(d) for d in draw(days))
    elif freq == "HOURLY":
        interval = draw(st.integers(1, 7))
        if draw(st.booleans()):
            byhour = tuple(draw(st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True)))
    if freq == "DAILY" and draw(st.booleans()):
        byhour = tuple(draw(st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True)))
    count = until = None
    ending = draw(st.sampled_from(["none", "count", "until"]))
    if ending == "count" and allow_count:
        count = draw(st.integers(1, 60))
    elif ending == "until" and allow_until:
        until = draw(
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2045, 1, 1))
        ).replace(microsecond=0, tzinfo=UTC, fold=0)  # no fold in UTC (see timespans)
    return Rule(
        freq=freq,  # type: ignore[arg-type]  # drawn from valid frequencies
        interval=interval,
        count=count,
        until=until,
        byday=byday,
        bymonthday=bymonthday,
        bymonth=bymonth,
        byhour=byhour,
        bysetpos=bysetpos,
        wkst=draw(st.sampled_from([0, 0, 6])),
    )


def recurrences(
    *,
    zones: st.SearchStrategy[ZoneInfo] | None = None,
    rule_strategy: st.SearchStrategy[Rule | str] | None = None,
    disambiguate: Sequence[RecurrenceDisambiguate] = ("compatible",),
    with_exdates: bool = True,
    first_day: date = date(2000, 1, 1),
    last_day: date = date(2035, 1, 1),
) -> st.SearchStrategy[Recurrence]:
    """Recurrences in zones with DST gaps and folds, starting from ``first_day`` to ``last_day``.

    The start day is a local one, by default from 2000-01-01 to 2035-01-01;
    ``first_day`` and ``last_day`` may each be any day from 1000-01-02 to
    8999-12-31 (the years a kit runs at, with room either side).

    Start times favour the small hours, where DST transitions happen, and one
    start day in eight is a Feb 29 (uniform draws: once in 1,461), where a
    yearly or monthly rule breaks. Rules
    are drawn from ``rule_strategy`` (default :func:`rules`): :class:`Rule`
    values or RRULE text, as ``Recurrence.from_rrule`` takes them; one that
    is neither is refused naming the option, when the strategy is built if
    it lists its values (``st.just``, ``st.sampled_from``), else as drawn.
    """
    _args.strategy_or_none(zones, "zones", strategy="recurrences")
    _args.strategy_or_none(rule_strategy, "rule_strategy", strategy="recurrences")
    chosen = _args.names(disambiguate, "disambiguate", strategy="recurrences", what="policies")
    with _args.naming("disambiguate", disambiguate, strategy="recurrences"):
        for policy in chosen:
            check_disambiguate(policy, allow_skip=True)
    _args.flag(with_exdates, "with_exdates", strategy="recurrences")
    days = (first_day, last_day)
    for option, day in zip(("first_day", "last_day"), days, strict=True):
        _args.day(day, option, strategy="recurrences")
        if not _FIRST_START_DAY <= day <= _LAST_START_DAY:
            raise InvalidValue(
                f"recurrences({option}={day}): a recurrence starting then is none a kit runs at",
                value=day,
                expected=f"a day from {_FIRST_START_DAY} to {_LAST_START_DAY}",
            )
    _args.not_after(first_day, last_day, strategy="recurrences", called=("first_day", "last_day"))
    pool = None if zones is None else _checked_zones(zones, "recurrences", keyed=True)
    drawn_rules = None if rule_strategy is None else _checked_rules(rule_strategy)
    return _drawn_recurrences(pool, drawn_rules, chosen, days, with_exdates=with_exdates)


_FIRST_START_DAY = date(1000, 1, 2)
_LAST_START_DAY = date(8999, 12, 31)
"""The start days :func:`recurrences` takes: within the instants a kit runs at, either side."""


def _checked_rules(rule_strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Rule]:
    """``rule_strategy``'s values as :class:`Rule` s: listed ones checked now, others as drawn.

    A ``Rule``, or RRULE text (what ``Recurrence.from_rrule`` takes) parsed;
    anything else is ``WrongType``, and text that is no rule
    ``InvalidRecurrence``, each naming the option (as :func:`_checked_zones`).
    """

    def check(rule: object) -> Rule:
        if isinstance(rule, Rule):
            return rule
        if not isinstance(rule, str):
            raise WrongType(
                rule,
                name="recurrences(rule_strategy)",
                expected="a strategy of Rules (rules()) or of RRULE text",
            )
        with _args.naming("rule_strategy", rule, strategy="recurrences"):
            return parse_rule(rule)

    listed = _listed(rule_strategy)
    if listed is None:
        return rule_strategy.map(check)
    return st.sampled_from([check(rule) for rule in listed])


@st.composite
def _drawn_recurrences(
    draw: st.DrawFn,
    zones: st.SearchStrategy[ZoneInfo] | None,
    rule_strategy: st.SearchStrategy[Rule] | None,
    disambiguate: list[RecurrenceDisambiguate],
    days: tuple[date, date],
    *,
    with_exdates: bool,
) -> Recurrence:
    zone = draw(zones if zones is not None else timezones())
    day = draw(_days(*days))
    at = draw(
        st.one_of(
            st.builds(time, st.integers(0, 3), st.sampled_from([0, 15, 30, 45])),
            st.builds(time, st.integers(0, 23), st.integers(0, 59)),
        )
    )
    rule = draw(rule_strategy if rule_strategy is not None else rules())
    duration = timedelta(minutes=draw(st.integers(1, 240)))
    start = datetime.combine(day, at)
    rec = Recurrence.from_rrule(
        rule,
        start=start,
        tz=zone.key,
        duration=duration,
        disambiguate=draw(st.sampled_from(disambiguate)),
    )
    if with_exdates and draw(st.booleans()):
        sample = _exdate_sample(rec, datetime.combine(day, time()).replace(tzinfo=UTC))
        if sample:
            chosen = draw(st.lists(st.sampled_from(sample), max_size=3, unique=True))
            rec = Recurrence.from_rrule(
                rule,
                start=start,
                tz=zone.key,
                duration=duration,
                exdates=chosen,
                disambiguate=rec.disambiguate,
            )
    return rec


_EXDATE_SAMPLE = 50
"""The first occurrences an EXDATE of :func:`recurrences` is drawn from."""
_EXDATE_DAYS = 400
"""The days after its start a recurrence's EXDATEs are drawn from (a sparse rule has few)."""
_EXDATE_CANDIDATES = 10_000
"""The candidate dates looked at to find them (``between``'s ``max_candidates``)."""


def _exdate_sample(rec: Recurrence, start: datetime) -> list[datetime]:
    """Return the starts of ``rec``'s first occurrences (from the day before ``start``), to exclude.

    Up to :data:`_EXDATE_SAMPLE` of them, within :data:`_EXDATE_DAYS` days,
    expanded lazily so that a rule of any frequency (one a minute, one a
    second) costs only the occurrences taken; what is found before the
    expansion meets its candidate limit or a wall time ``rec`` refuses
    (``disambiguate="raise"`` meeting a gap or fold) is the sample.
    """
    sample: list[datetime] = []
    occurrences = rec.between(
        start - timedelta(days=1),
        start + timedelta(days=_EXDATE_DAYS),
        max_candidates=_EXDATE_CANDIDATES,
    )
    try:
        for occurrence in itertools.islice(occurrences, _EXDATE_SAMPLE):
            sample.append(occurrence.span.start)  # noqa: PERF401  # kept if the next one raises
    except (WallTimeError, ExpansionLimitExceeded):
        pass  # the occurrences found so far are the sample
    return sample
