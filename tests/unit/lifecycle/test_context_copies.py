"""A TransitionContext pickles and deep-copies, its facts still read-only.

Its ``facts`` are a ``mappingproxy``, which neither pickles nor deep-copies: a
condition handing its context to a process pool or a cache, or a test
deep-copying it, failed with "cannot pickle 'mappingproxy' object".
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from sessionkit.lifecycle import TransitionContext

CONTEXT = TransitionContext(
    now=datetime(2026, 3, 2, 17, 30, tzinfo=UTC),
    facts={"attended": False, "attendees": ["student:ben"]},
    lifecycle="coaching",
    transition="miss",
    value_id="s1",
)


@pytest.mark.parametrize(
    "copied",
    [lambda c: pickle.loads(pickle.dumps(c)), copy.deepcopy, copy.copy],
    ids=["pickle", "deepcopy", "copy"],
)
def test_a_context_copies_equal_with_its_facts_read_only(
    copied: Callable[[TransitionContext], TransitionContext],
) -> None:
    again = copied(CONTEXT)
    assert again == CONTEXT
    assert hash(again) == hash(CONTEXT)
    assert again.fact("attendees") == ["student:ben"]
    assert (again.lifecycle, again.transition, again.value_id) == ("coaching", "miss", "s1")
    with pytest.raises(TypeError):
        again.facts["attended"] = True  # type: ignore[index]


def test_a_deep_copy_shares_no_fact_with_the_original() -> None:
    again = copy.deepcopy(CONTEXT)
    assert again.fact("attendees") is not CONTEXT.fact("attendees")
