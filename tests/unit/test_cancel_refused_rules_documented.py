"""CancelRefused's docstring names every rule a cancel is refused by, and when."""

from __future__ import annotations

import pytest

from sessionkit.errors import CancelRefused

RULES = ["notice", "window", "ended", "unpaid"]


@pytest.mark.parametrize("rule", RULES, ids=RULES)
def test_each_rule_is_named(rule: str) -> None:
    assert f'``"{rule}"``' in (CancelRefused.__doc__ or "")


def test_unpaid_says_when() -> None:
    doc = " ".join((CancelRefused.__doc__ or "").split())
    assert "partial cancel" in doc
    assert "payment is still open" in doc
