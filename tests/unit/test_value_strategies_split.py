"""The value strategies split into modules: every import path stands, the docs name real days."""

from __future__ import annotations

from sessionkit.testing import (
    _availability_strategies,
    _recurrence_strategies,
    _time_strategies,
    _value_strategies,
    strategies,
)


def test_the_old_module_still_gives_every_name_it_gave() -> None:
    homes = (_time_strategies, _recurrence_strategies, _availability_strategies)
    for name in _value_strategies.__all__:
        [home] = [module for module in homes if name in module.__all__]
        assert getattr(_value_strategies, name) is getattr(home, name)
        if name in strategies.__all__:
            assert getattr(strategies, name) is getattr(home, name)
    assert sorted(_value_strategies.__all__) == sorted(
        {name for module in homes for name in module.__all__}
    )


def test_recurrences_doc_names_its_days_not_the_private_constants() -> None:
    assert _recurrence_strategies.recurrences.__doc__ is not None
    doc = " ".join(_recurrence_strategies.recurrences.__doc__.split())
    assert "_FIRST_START_DAY" not in doc
    assert "_LAST_START_DAY" not in doc
    first = _recurrence_strategies._FIRST_START_DAY.isoformat()
    last = _recurrence_strategies._LAST_START_DAY.isoformat()
    assert (first, last) == ("1000-01-02", "8999-12-31")
    assert f"any day from {first} to {last}" in doc
    assert "by default from 2000-01-01 to 2035-01-01" in doc
