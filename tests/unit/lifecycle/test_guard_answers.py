"""A guard must answer with a ``Verdict``: anything else is ``WrongType`` naming the guard.

A guard returning a plain ``False`` (or ``None``) made ``fire`` raise a bare
``AttributeError`` ('bool' object has no attribute 'reason'), ``can`` return
``False`` instead of a ``Verdict``, and one returning ``True`` passed unnoticed
until the day it refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import TransitionRefused, WrongType
from sessionkit.lifecycle import Lifecycle, Status, Timer, Transition, Verdict

NOW = datetime(2026, 3, 2, 17, tzinfo=UTC)


@attrs.frozen
class Item:
    id: str
    span: TimeSpan
    status: str = "OPEN"


ITEM = Item("i1", TimeSpan.from_start(NOW, timedelta(hours=1)))


def _guarded(answer: object) -> Lifecycle:
    def paid(_value: Any, *, now: datetime, actor: object, role: str | None) -> Any:
        return answer

    return Lifecycle(
        "guarded",
        [Status("OPEN", initial=True), Status("DONE", terminal=True)],
        [Transition("finish", "OPEN", "DONE", guards=[paid], timer=Timer.after_end())],
    )


@pytest.mark.parametrize("answer", [False, True, None, "no"])
def test_a_guard_answering_no_verdict_is_wrong_type_naming_it(answer: object) -> None:
    machine = _guarded(answer)
    with pytest.raises(WrongType) as refused:
        machine.fire(ITEM, "finish", now=NOW)
    assert refused.value.name == "the answer of guard paid of transition 'finish'"
    assert refused.value.value is answer or refused.value.value == answer
    with pytest.raises(WrongType):
        machine.can(ITEM, "finish", now=NOW)
    with pytest.raises(WrongType):
        machine.allowed(ITEM, now=NOW)
    with pytest.raises(WrongType):
        machine.advance(ITEM, NOW + timedelta(hours=2))


def test_verdicts_still_decide() -> None:
    assert _guarded(Verdict.yes()).fire(ITEM, "finish", now=NOW)[0].status == "DONE"
    with pytest.raises(TransitionRefused, match="not paid"):
        _guarded(Verdict.no("not paid")).fire(ITEM, "finish", now=NOW)
    assert _guarded(Verdict.no("not paid")).can(ITEM, "finish", now=NOW) == Verdict.no("not paid")
