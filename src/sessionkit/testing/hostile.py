"""Hypothesis strategies for hostile input: what an attacker, or a buggy client, sends.

sessionkit's own fuzz suite (``tests/fuzz``) calls every public command with
these and asserts that each call succeeds or raises a
:class:`~sessionkit.errors.SessionKitError` in bounded time, leaving storage
unchanged when it fails. Use them to hold your own endpoints (a web handler,
an import job) to the same promise:

>>> from hypothesis import given, settings
>>> from sessionkit import SessionKitError
>>> from sessionkit.model.text import check_tenant
>>> from sessionkit.testing import hostile
>>> @settings(max_examples=50)
... @given(hostile.ids())
... def test_tenant_check_answers_every_id(value):
...     try:
...         check_tenant(value)
...     except SessionKitError:
...         pass
>>> test_tenant_check_answers_every_id()

Each strategy mixes values that must be refused (wrong types, NUL, lone
surrogates, year 9999 at -14:00) with valid but awkward ones (look-alike
tenants, ``"İstanbul"``, a DST gap), so a test sees both paths.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from sessionkit.testing import _strategy_args as _args

__all__ = [
    "HUGE_SIZES",
    "cursors",
    "extreme_datetimes",
    "extreme_timedeltas",
    "hostile_ints",
    "ids",
    "metadata",
    "rules",
    "text",
    "values",
    "wrong_types",
]

HUGE_SIZES: tuple[int, ...] = (10_000, 1_000_000, 10_000_000)
"""Lengths of the huge strings :func:`text` draws (10 kB to 10 MB)."""

_AWKWARD_TEXT: tuple[str, ...] = (
    "",
    " ",
    "acme ",
    " acme",
    "acme\t",
    "acme\u00a0",  # no-break space
    "acme\u200b",  # zero-width space
    "ACME",
    "Acme",
    "a\x00b",
    "\x00",
    "a\ud800b",  # lone surrogate
    "\udfff",
    "a\x07b",
    "line\nbreak",
    "\x1b[31mred",
    "\x7f",
    "\u0085",
    "İstanbul",
    "ΣΊΣΥΦΟΣ",
    "ẞ-Straße",
    "e\u0301",  # e + combining acute
    "\u202eevil",  # right-to-left override
    "😀",
    "👩\u200d👩\u200d👧",
    "'; DROP TABLE sessions; --",
    "%",
    "_",
    "\\",
    '"',
    "a:b",
    "teacher:",
    ":t",
    "null",
    "{}",
    "[1]",
)


def text(*, huge: bool = True) -> st.SearchStrategy[str]:
    """Strings: awkward fixed ones, random Unicode (surrogates and controls included), huge ones.

    ``huge=False`` leaves out the strings of :data:`HUGE_SIZES`; a ``huge``
    that is not ``True`` or ``False`` is ``WrongType`` (a truthy ``"no"`` would
    keep them).
    """
    _args.flag(huge, "huge", strategy="text")
    parts: list[st.SearchStrategy[str]] = [
        st.sampled_from(_AWKWARD_TEXT),
        st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
        st.text(max_size=300),
        st.builds(lambda s, n: s * n, st.sampled_from(["x", "é", " "]), st.integers(100, 600)),
    ]
    if huge:
        parts.append(st.builds(lambda n: "y" * n, st.sampled_from(HUGE_SIZES)))
    return st.one_of(parts)


def ids() -> st.SearchStrategy[str]:
    """Ids and tenants: look-alikes of ``"acme"`` and ``"s1"`` and everything :func:`text` draws."""
    lookalikes = st.sampled_from(
        ["acme", "s1", "s1 ", " s1", "S1", "s\u0131", "acme\u00a0", "x" * 128, "x" * 129]
    )
    return st.one_of(
        lookalikes, text(huge=False), st.builds(lambda n: "z" * n, st.sampled_from(HUGE_SIZES))
    )


def _nested(depth: int) -> list[Any]:
    """A list nested ``depth`` deep: ``[[[...[1]...]]]``."""
    value: list[Any] = [1]
    for _ in range(depth - 1):
        value = [value]
    return value


def wrong_types() -> st.SearchStrategy[Any]:
    """Values of the wrong type for most arguments: None, numbers, bytes, containers, objects."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([2**62, 2**63, 2**64, -(2**63) - 1, 10**100]),
        # 10**5000 has more digits than int turns into text: a message that shows it raw
        # fails with ValueError; a list nested 5,000 deep makes a raw repr recurse too far.
        # Built, not listed: Hypothesis shows a strategy's listed values in its own repr.
        st.builds(pow, st.just(10), st.just(5000)),
        st.builds(_nested, st.just(5000)),
        st.floats(),
        st.just(Decimal("NaN")),
        st.binary(max_size=20),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.sets(st.integers(), max_size=2),
        st.tuples(st.integers(), st.text(max_size=2)),
        st.builds(object),
        st.just(date(2026, 3, 2)),
        st.just(time(9)),
        st.just(timedelta(hours=1)),
        st.just(datetime(2026, 3, 2, 9)),
        st.just(type),
    )


_OFFSETS = [timezone(timedelta(hours=h)) for h in (-14, -12, -1, 1, 12, 14)] + [
    timezone(timedelta(hours=23, minutes=59)),
    timezone(-timedelta(hours=23, minutes=59)),
]


def extreme_datetimes() -> st.SearchStrategy[datetime]:
    """Datetimes at and past the edges: year 1 and 9999 at +-14:00, naive, DST gaps and folds."""
    edges = [
        datetime.min,  # noqa: DTZ901  # naive on purpose: it must be refused
        datetime.max,  # noqa: DTZ901  # likewise
        datetime.min.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14))),
        datetime(999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1000, 1, 1, tzinfo=UTC),
        datetime(9000, 1, 1, tzinfo=UTC),
        datetime(9000, 1, 1, 0, 0, 1, tzinfo=UTC),
        datetime(99, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30),  # naive, in Berlin's gap
        datetime(2026, 10, 25, 2, 30, fold=1),
    ]
    from zoneinfo import ZoneInfo  # keep the module's import cheap

    zones = [ZoneInfo(name) for name in ("Europe/Berlin", "Pacific/Kiritimati", "Pacific/Apia")]
    return st.one_of(
        st.sampled_from(edges),
        st.datetimes(timezones=st.sampled_from([UTC, *_OFFSETS, *zones])),
        st.datetimes(),  # naive
    )


def extreme_timedeltas() -> st.SearchStrategy[timedelta]:
    """Durations at the edges: zero, a microsecond, negative, ``timedelta.max`` and ``.min``."""
    return st.one_of(
        st.sampled_from(
            [
                timedelta(0),
                timedelta(microseconds=1),
                timedelta(microseconds=-1),
                timedelta(seconds=1),
                timedelta(days=-1),
                timedelta(days=366 * 200),
                timedelta.max,
                timedelta.min,
            ]
        ),
        st.timedeltas(),
    )


def hostile_ints() -> st.SearchStrategy[int]:
    """Integers where counts, pages, limits and capacities go: zero, negative, 2**31 .. 10**100."""
    return st.one_of(
        st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, 2**62, 2**63, 2**64, 10**100, True, False]),
        st.integers(),
    )


def rules() -> st.SearchStrategy[str]:
    """RRULE text: pathological valid rules (sub-daily, never matching, huge INTERVAL), garbage."""
    pathological = st.sampled_from(
        [
            "FREQ=SECONDLY",
            "FREQ=SECONDLY;INTERVAL=6",
            "FREQ=MINUTELY;BYSECOND=" + ",".join(str(n) for n in range(60)),
            "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=29",
            "FREQ=HOURLY;INTERVAL=7;BYHOUR=3",
            "FREQ=YEARLY;BYSETPOS=-366;BYYEARDAY=1",
            "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2,4",
            "FREQ=WEEKLY;INTERVAL=25;BYSETPOS=2;BYDAY=MO",
            "FREQ=DAILY;COUNT=999999999",
            "FREQ=DAILY;INTERVAL=999999999999",
            "FREQ=YEARLY;INTERVAL=10000",
            "FREQ=WEEKLY;UNTIL=99991231T235959Z",
            "FREQ=WEEKLY;UNTIL=00010101",
            "FREQ=DAILY;UNTIL=20260101T000000Z;COUNT=3",
            "FREQ=WEEKLY;BYDAY=53MO",
            "FREQ=MONTHLY;BYDAY=-5SU;BYSETPOS=1,-1",
            "RRULE:freq=weekly;byday=mo,we",
            "FREQ=DAILY;BYHOUR=24",
            "FREQ=DAILY;BYSECOND=60",
            "FREQ=FORTNIGHTLY",
            "FREQ=DAILY;INTERVAL=" + "9" * 5000,
            "FREQ=DAILY;FREQ=WEEKLY",
            "FREQ=DAILY;X-NAME=1",
            "FREQ=DAILY;;",
            "FREQ",
            "",
            ";",
            "FREQ=DAILY;INTERVAL=٣",
            "FREQ=DAILY\x00",
        ]
    )
    built = st.builds(
        lambda freq, parts: ";".join([f"FREQ={freq}", *parts]),
        st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]),
        st.lists(
            st.one_of(
                st.builds("INTERVAL={}".format, hostile_ints()),
                st.builds("COUNT={}".format, hostile_ints()),
                st.builds(
                    lambda name, values: f"{name}={','.join(map(str, values))}",
                    st.sampled_from(
                        [
                            "BYSECOND",
                            "BYMINUTE",
                            "BYHOUR",
                            "BYMONTHDAY",
                            "BYYEARDAY",
                            "BYWEEKNO",
                            "BYMONTH",
                            "BYSETPOS",
                        ]
                    ),
                    st.lists(st.integers(-400, 400), min_size=1, max_size=5),
                ),
                st.builds(
                    "BYDAY={}".format,
                    st.sampled_from(["MO", "1MO", "-1FR", "5SU", "MO,TU,WE,TH,FR,SA,SU"]),
                ),
            ),
            max_size=3,
            unique_by=lambda part: part.split("=")[0],
        ),
    )
    return st.one_of(pathological, built, text(huge=False))


def metadata() -> st.SearchStrategy[Any]:
    """Own fields (``metadata``): NaN, infinities, huge numbers, bad keys, deep nesting."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(
            [2**63, -(2**63) - 1, float("nan"), float("inf"), -float("inf"), 1e16, -1.5e20]
        ),
        st.floats(),
        text(huge=False),
        st.builds(object),
        st.binary(max_size=4),
        st.sets(st.integers(), max_size=2),
    )
    nested = st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.one_of(text(huge=False), st.integers()), inner, max_size=3),
        ),
        max_leaves=10,
    )

    def deep(depth: int) -> Any:
        value: Any = 1
        for _ in range(depth):
            value = [value]
        return {"deep": value}

    return st.one_of(
        st.dictionaries(
            st.one_of(text(huge=False), st.integers(), st.none(), st.binary(max_size=3)),
            nested,
            max_size=4,
        ),
        st.builds(deep, st.sampled_from([31, 33, 5000])),
        wrong_types(),
    )


def cursors() -> st.SearchStrategy[Any]:
    """``after`` cursors: garbage, base64 of odd JSON, naive or far datetimes, NUL in values."""

    def encode(payload: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()

    crafted = st.builds(
        lambda order, values, ident: encode({"o": order, "v": values, "i": ident}),
        st.sampled_from([[["start", "asc"]], [["title", "desc"]], [], "start", [["x"]], None]),
        st.lists(
            st.sampled_from(
                [
                    "2026-03-02T09:00:00+00:00",
                    "2026-03-02T09:00:00",
                    "0001-01-01T00:00:00+14:00",
                    "9999-12-31T23:59:59-14:00",
                    "a\u0000b",
                    "",
                    "x" * 300,
                ]
            ),
            max_size=2,
        ),
        st.one_of(st.sampled_from(["s1", "s1 ", "", "a\x00"]), st.integers(), st.none()),
    )
    garbage = st.one_of(
        text(huge=False),
        st.builds(lambda raw: base64.urlsafe_b64encode(raw).decode(), st.binary(max_size=40)),
        st.builds(encode, st.one_of(st.none(), st.integers(), st.lists(st.integers()))),
    )
    return st.one_of(crafted, garbage, wrong_types())


def values() -> st.SearchStrategy[Any]:
    """Any of the above: for an argument whose type does not matter to the test.

    What :func:`wrong_types`, :func:`text`, :func:`ids`,
    :func:`extreme_datetimes`, :func:`extreme_timedeltas`,
    :func:`hostile_ints`, :func:`rules`, :func:`metadata` and :func:`cursors`
    draw.
    """
    return st.one_of(
        wrong_types(),
        text(),
        ids(),
        extreme_datetimes(),
        extreme_timedeltas(),
        hostile_ints(),
        rules(),
        metadata(),
        cursors(),
    )
