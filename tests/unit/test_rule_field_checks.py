"""A Rule and its BYDAY Weekdays refuse what no rule can write, built or ``attrs.evolve``-d.

``Weekday(9)``, ``Weekday("MO")``, ``Rule(..., wkst="MO")`` or an ``until`` that is
no date were taken, or refused with a bare ``TypeError``, and failed only later
in ``to_text()`` (``IndexError``, ``AttributeError``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
import pytest

from sessionkit.errors import InvalidRecurrence, NotADatetime, WrongType
from sessionkit.recurrence import Rule, parse_rule
from sessionkit.recurrence.rule import Weekday

RULE = parse_rule("FREQ=WEEKLY;BYDAY=MO,WE")


@pytest.mark.parametrize(
    ("change", "error", "says"),
    [
        ({"wkst": "MO"}, InvalidRecurrence, "WKST='MO' is not a weekday"),
        ({"wkst": 1.5}, InvalidRecurrence, "WKST=1.5 is not a weekday"),
        ({"wkst": True}, InvalidRecurrence, "WKST=True is not a weekday"),
        ({"wkst": 7}, InvalidRecurrence, "WKST=7 is not a weekday"),
        ({"until": "2026-06-30"}, NotADatetime, "UNTIL must be a date or datetime, got str"),
        ({"until": 20260630}, NotADatetime, "UNTIL must be a date or datetime, got int"),
    ],
)
def test_a_rule_refuses_a_bad_wkst_or_until_as_evolve_and_constructor(
    change: dict[str, Any], error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as evolved:
        attrs.evolve(RULE, **change)
    with pytest.raises(error) as built:
        Rule("WEEKLY", **change)
    assert says in str(evolved.value)
    assert says in str(built.value)


@pytest.mark.parametrize(
    ("args", "error", "says"),
    [
        ((9,), InvalidRecurrence, "BYDAY weekday 9 is not a weekday"),
        ((-1,), InvalidRecurrence, "BYDAY weekday -1 is not a weekday"),
        (("MO",), WrongType, "Weekday.weekday must be an integer 0..6"),
        ((True,), WrongType, "Weekday.weekday must be an integer 0..6"),
        ((0, "1"), WrongType, "Weekday.n must be None or an integer"),
        ((0, 1.0), WrongType, "Weekday.n must be None or an integer"),
    ],
)
def test_a_weekday_refuses_what_no_rule_can_write(
    args: tuple[object, ...], error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says.replace(".", r"\.")):
        Weekday(*args)  # type: ignore[arg-type]
    changed: dict[str, Any] = dict(zip(("weekday", "n"), args, strict=False))
    with pytest.raises(error, match=says.replace(".", r"\.")):
        attrs.evolve(Weekday(0, 1), **changed)


def test_good_weekdays_and_rules_still_read_and_write() -> None:
    rule = Rule("MONTHLY", byday=(Weekday(4, -1), Weekday(0, 1)), wkst=6, until=date(2026, 12, 31))
    assert rule.to_text() == "FREQ=MONTHLY;UNTIL=20261231;BYDAY=-1FR,1MO;WKST=SU"
    assert parse_rule(rule.to_text()) == rule
