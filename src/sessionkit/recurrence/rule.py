"""The RFC 5545 RRULE as a validated, normalised value, with its parser and formatter.

Parsing is sessionkit's own so that a bad rule names the offending part
(``FREQ=FORTNIGHTLY`` -> ``InvalidRecurrence(part="FREQ")``) instead of
surfacing a dateutil traceback, and so that formatting writes ``UNTIL`` in UTC
as RFC 5545 requires for zoned starts.

This module owns the values (:class:`Rule`, :class:`Weekday`), what a whole
rule must be (``_validate``: its frequency, which parts go together), its text
and :func:`parse_rule`. One part at a time (each part's range, the limits
``MAX_INTERVAL``, ``MAX_COUNT`` and ``MAX_RULE_LENGTH``, reading an integer or
UNTIL, writing UNTIL) is :mod:`sessionkit.recurrence._rule_parts`'s, its
public names exported here as before.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final, Literal

import attrs

from sessionkit.errors import InvalidRecurrence, NotADatetime, WrongType
from sessionkit.errors._base import int_converter, optional_int_converter, plain_int, shown
from sessionkit.recurrence._rule_parts import (
    _BYDAY_RE,
    _INT_LISTS,
    _PART_RE,
    _RANGE_FIELDS,
    _check_range,
    _format_until,
    _parse_int,
    _parse_until,
)
from sessionkit.recurrence._rule_parts import MAX_COUNT as MAX_COUNT  # public before the split
from sessionkit.recurrence._rule_parts import MAX_INTERVAL as MAX_INTERVAL  # public before too
from sessionkit.recurrence._rule_parts import MAX_RULE_LENGTH as MAX_RULE_LENGTH  # the API's

__all__ = ["FREQUENCIES", "WEEKDAYS", "Frequency", "Rule", "Weekday", "parse_rule"]

Frequency = Literal["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
FREQUENCIES: Final[tuple[Frequency, ...]] = (
    "YEARLY",
    "MONTHLY",
    "WEEKLY",
    "DAILY",
    "HOURLY",
    "MINUTELY",
    "SECONDLY",
)
WEEKDAYS: Final[tuple[str, ...]] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""RFC 5545 weekday codes, indexed like :meth:`datetime.date.weekday` (Monday = 0)."""


def _check_weekday(_instance: object, _attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongType(value, name="Weekday.weekday", expected="an integer 0..6 (0 = Monday)")
    if not 0 <= value <= 6:
        raise InvalidRecurrence(
            f"BYDAY weekday {value} is not a weekday; expected 0..6 (0 = Monday)",
            value=value,
            part="BYDAY",
        )


def _check_ordinal(
    _instance: object, _attribute: attrs.Attribute[int | None], value: object
) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise WrongType(value, name="Weekday.n", expected="None or an integer +/-1..53")


@attrs.frozen(slots=True, order=True)
class Weekday:
    """A BYDAY entry: a weekday (0 = Monday) and an optional ordinal (``-1FR`` = last Friday).

    Raises ``WrongType`` for a weekday or ordinal that is no integer and
    ``InvalidRecurrence`` for a weekday outside 0..6 (the ordinal's range,
    +/-1..53, is checked by the :class:`Rule` holding it).
    """

    weekday: int = attrs.field(converter=int_converter, validator=_check_weekday)
    n: int | None = attrs.field(
        default=None, converter=optional_int_converter, validator=_check_ordinal
    )

    def __str__(self) -> str:
        prefix = "" if self.n is None else str(self.n)
        return f"{prefix}{WEEKDAYS[self.weekday]}"


def _sorted_unique(values: tuple[int, ...]) -> tuple[int, ...]:
    if not values:  # most BY-lists are empty: skip building a set and a list
        return ()
    try:
        found = set(map(plain_int, values))
    except TypeError:
        found = None
    if found is None or any(isinstance(v, bool) or not isinstance(v, int) for v in found):
        raise WrongType(values, name="a BY part", expected="a collection of integers")
    return tuple(sorted(found))


def _weekday_key(w: Weekday) -> tuple[bool, int, int]:
    return (w.n is not None, w.n or 0, w.weekday)


def _weekday_order(values: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
    if not values:
        return ()
    try:
        found = set(values)
    except TypeError:
        found = None
    if found is None or not all(isinstance(value, Weekday) for value in found):
        raise WrongType(values, name="BYDAY", expected="a collection of Weekday values")
    return tuple(sorted(found, key=_weekday_key))


@attrs.frozen(slots=True)
class Rule:
    """A parsed RRULE. BY-lists are sorted and de-duplicated, so equal rules compare equal.

    ``until`` is an aware UTC datetime (the inclusive last instant) once the rule
    belongs to a :class:`~sessionkit.recurrence.Recurrence`; a freshly parsed
    rule may also hold a ``date`` or a naive (floating, local) datetime.
    """

    freq: Frequency
    interval: int = attrs.field(default=1, converter=int_converter)
    count: int | None = attrs.field(default=None, converter=optional_int_converter)
    until: datetime | date | None = None
    bysecond: tuple[int, ...] = attrs.field(default=(), converter=_sorted_unique)
    byminute: tuple[int, ...] = attrs.field(default=(), converter=_sorted_unique)
    byhour: tuple[int, ...] = attrs.field(default=(), converter=_sorted_unique)
    byday: tuple[Weekday, ...] = attrs.field(default=(), converter=_weekday_order)
    bymonthday: tuple[int, ...] = attrs.field(default=(), converter=_sorted_unique)
    byyearday: tuple[int, ...] = attrs.field(default=(), converter=_sorted_unique)
    byweekno: tuple[int, ...] = attrs.field(default=(), converter=_sorted_unique)
    bymonth: tuple[int, ...] = attrs.field(default=(), converter=_sorted_unique)
    bysetpos: tuple[int, ...] = attrs.field(default=(), converter=_sorted_unique)
    wkst: int = attrs.field(default=0, converter=int_converter)

    def __attrs_post_init__(self) -> None:
        _validate(self)

    def to_text(self) -> str:
        """Return the rule as RFC 5545 text (no ``RRULE:`` prefix); UNTIL as written."""
        parts = [f"FREQ={self.freq}"]
        if self.until is not None:
            parts.append(f"UNTIL={_format_until(self.until)}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        for name, values in (
            ("BYSECOND", self.bysecond),
            ("BYMINUTE", self.byminute),
            ("BYHOUR", self.byhour),
            ("BYDAY", self.byday),
            ("BYMONTHDAY", self.bymonthday),
            ("BYYEARDAY", self.byyearday),
            ("BYWEEKNO", self.byweekno),
            ("BYMONTH", self.bymonth),
            ("BYSETPOS", self.bysetpos),
        ):
            if values:
                parts.append(f"{name}={','.join(str(v) for v in values)}")
        if self.wkst != 0:
            parts.append(f"WKST={WEEKDAYS[self.wkst]}")
        return ";".join(parts)

    def __str__(self) -> str:
        return self.to_text()


def _validate(rule: Rule) -> None:
    if rule.freq not in FREQUENCIES:
        raise InvalidRecurrence(
            f"FREQ={shown(rule.freq)} is not a frequency; expected one of {', '.join(FREQUENCIES)}",
            value=rule.freq,
            part="FREQ",
        )
    if isinstance(rule.interval, bool) or not isinstance(rule.interval, int) or rule.interval < 1:
        raise InvalidRecurrence(
            f"INTERVAL={shown(rule.interval)} must be a positive integer",
            value=rule.interval,
            part="INTERVAL",
        )
    if rule.interval > MAX_INTERVAL[rule.freq]:
        raise InvalidRecurrence(
            f"INTERVAL={shown(rule.interval)} is more than {MAX_INTERVAL[rule.freq]:,} for "
            f"FREQ={rule.freq}: one period would last over ten thousand years",
            value=rule.interval,
            part="INTERVAL",
        )
    if rule.count is not None and (
        isinstance(rule.count, bool)
        or not isinstance(rule.count, int)
        or not 1 <= rule.count <= MAX_COUNT
    ):
        raise InvalidRecurrence(
            f"COUNT={shown(rule.count)} must be an integer 1..{MAX_COUNT:,}",
            value=rule.count,
            part="COUNT",
        )
    if rule.until is not None and not isinstance(rule.until, date):
        raise NotADatetime(rule.until, name="UNTIL", expected="date or datetime")
    if rule.count is not None and rule.until is not None:
        raise InvalidRecurrence(
            "UNTIL and COUNT must not both be given (RFC 5545 section 3.3.10)",
            value=rule.until,
            part="UNTIL",
        )
    for part, field in _RANGE_FIELDS:
        values = getattr(rule, field)
        if values:
            _check_range(part, values)
    for entry in rule.byday:
        if entry.n is not None and (entry.n == 0 or abs(entry.n) > 53):
            raise InvalidRecurrence(
                f"BYDAY ordinal in {entry} must be +/-1..53", value=str(entry), part="BYDAY"
            )
    if isinstance(rule.wkst, bool) or not isinstance(rule.wkst, int) or not 0 <= rule.wkst <= 6:
        raise InvalidRecurrence(
            f"WKST={shown(rule.wkst)} is not a weekday; expected an integer 0..6 (0 = Monday)",
            value=rule.wkst,
            part="WKST",
        )
    # RFC 5545 section 3.3.10 restrictions on which parts go with which FREQ.
    if rule.byweekno and rule.freq != "YEARLY":
        raise InvalidRecurrence(
            f"BYWEEKNO is only valid with FREQ=YEARLY, not FREQ={rule.freq}",
            value=rule.byweekno,
            part="BYWEEKNO",
        )
    if rule.byyearday and rule.freq in ("MONTHLY", "WEEKLY", "DAILY"):
        raise InvalidRecurrence(
            f"BYYEARDAY is not valid with FREQ={rule.freq}", value=rule.byyearday, part="BYYEARDAY"
        )
    if rule.bymonthday and rule.freq == "WEEKLY":
        raise InvalidRecurrence(
            "BYMONTHDAY is not valid with FREQ=WEEKLY", value=rule.bymonthday, part="BYMONTHDAY"
        )
    ordinals = [str(w) for w in rule.byday if w.n is not None]
    if ordinals and (
        rule.freq not in ("MONTHLY", "YEARLY") or (rule.freq == "YEARLY" and rule.byweekno)
    ):
        raise InvalidRecurrence(
            f"BYDAY={','.join(ordinals)}: numbered weekdays are only valid with FREQ=MONTHLY "
            "or FREQ=YEARLY (without BYWEEKNO)",
            value=ordinals,
            part="BYDAY",
        )
    if ordinals and rule.freq == "MONTHLY" and any(abs(w.n or 0) > 5 for w in rule.byday):
        raise InvalidRecurrence(
            f"BYDAY={','.join(ordinals)}: a month has at most 5 of each weekday",
            value=ordinals,
            part="BYDAY",
        )
    if rule.bysetpos and not (
        rule.bysecond
        or rule.byminute
        or rule.byhour
        or rule.byday
        or rule.bymonthday
        or rule.byyearday
        or rule.byweekno
        or rule.bymonth
    ):
        raise InvalidRecurrence(
            "BYSETPOS needs another BYxxx part to select from", value=rule.bysetpos, part="BYSETPOS"
        )


def parse_rule(text: str) -> Rule:
    """Parse RFC 5545 RRULE text (with or without the ``RRULE:`` prefix) into a :class:`Rule`.

    Raises :class:`~sessionkit.errors.InvalidRecurrence` naming the offending part.
    """
    if not isinstance(text, str):
        raise InvalidRecurrence(f"a rule must be text, got {type(text).__name__}", value=text)
    if len(text) > MAX_RULE_LENGTH:
        raise InvalidRecurrence(
            f"a rule is at most {MAX_RULE_LENGTH:,} characters long, got {len(text):,}",
            value=shown(text),
        )
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body:
        raise InvalidRecurrence("empty rule; expected e.g. 'FREQ=WEEKLY;BYDAY=MO'", value=text)
    seen: dict[str, str] = {}
    for chunk in body.split(";"):
        if not chunk:
            continue
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        value = value.strip().upper()
        if not sep or not _PART_RE.match(name) or not value:
            raise InvalidRecurrence(
                f"cannot read {shown(chunk)} in {shown(text)}; expected NAME=VALUE parts "
                "separated by ';'",
                value=chunk,
                part=name if sep and _PART_RE.match(name) else None,
            )
        if name in seen:
            raise InvalidRecurrence(
                f"{name} is given twice in {shown(text)}", value=chunk, part=name
            )
        seen[name] = value
    known = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST", *_INT_LISTS}
    for name in seen:
        if name not in known:
            raise InvalidRecurrence(
                f"unknown rule part {shown(name)} in {shown(text)}", value=seen[name], part=name
            )
    if "FREQ" not in seen:
        raise InvalidRecurrence(f"FREQ is missing in {shown(text)}", value=text, part="FREQ")
    freq = seen["FREQ"]
    if freq not in FREQUENCIES:
        raise InvalidRecurrence(
            f"FREQ={shown(freq)} is not a frequency; expected one of {', '.join(FREQUENCIES)}",
            value=freq,
            part="FREQ",
        )
    ints: dict[str, tuple[int, ...]] = {}
    for name in _INT_LISTS:
        if name in seen:
            ints[name] = tuple(_parse_int(name, item) for item in seen[name].split(","))
    byday: list[Weekday] = []
    if "BYDAY" in seen:
        for item in seen["BYDAY"].split(","):
            match = _BYDAY_RE.match(item)
            if match is None:
                raise InvalidRecurrence(
                    f"BYDAY={shown(item)} is not a weekday; expected e.g. MO, 1FR or -1SU",
                    value=item,
                    part="BYDAY",
                )
            ordinal, code = match.groups()
            byday.append(Weekday(WEEKDAYS.index(code), int(ordinal) if ordinal else None))
    wkst = 0
    if "WKST" in seen:
        if seen["WKST"] not in WEEKDAYS:
            raise InvalidRecurrence(
                f"WKST={shown(seen['WKST'])} is not a weekday", value=seen["WKST"], part="WKST"
            )
        wkst = WEEKDAYS.index(seen["WKST"])
    return Rule(
        freq=freq,
        interval=_parse_int("INTERVAL", seen["INTERVAL"]) if "INTERVAL" in seen else 1,
        count=_parse_int("COUNT", seen["COUNT"]) if "COUNT" in seen else None,
        until=_parse_until(seen["UNTIL"]) if "UNTIL" in seen else None,
        bysecond=ints.get("BYSECOND", ()),
        byminute=ints.get("BYMINUTE", ()),
        byhour=ints.get("BYHOUR", ()),
        byday=tuple(byday),
        bymonthday=ints.get("BYMONTHDAY", ()),
        byyearday=ints.get("BYYEARDAY", ()),
        byweekno=ints.get("BYWEEKNO", ()),
        bymonth=ints.get("BYMONTH", ()),
        bysetpos=ints.get("BYSETPOS", ()),
        wkst=wkst,
    )
