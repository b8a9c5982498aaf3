"""The value strategies split into modules: every import path stands."""

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
