"""The registry of lifecycles by name: :class:`LifecycleRegistry` and the check of what it holds.

Private to the lifecycle package: :mod:`sessionkit.lifecycle.presets` exports
:class:`LifecycleRegistry` under its own name (its ``__module__``, so reprs,
pickles and type hints read as before this module was split from it) and
builds :data:`~sessionkit.lifecycle.presets.PRESETS` with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import cast

import attrs

from sessionkit.errors import InvalidValue, UnknownLifecycle, WrongType
from sessionkit.lifecycle._checks import items
from sessionkit.lifecycle.machine import Lifecycle

__all__ = ["LifecycleRegistry"]


def _index(lifecycles: Iterable[Lifecycle]) -> dict[str, Lifecycle]:
    found = items(lifecycles, "lifecycles", "a collection of Lifecycle values")
    for index, lifecycle in enumerate(found):
        # Refused here, not when a series first asks the registry for its lifecycle.
        if not isinstance(lifecycle, Lifecycle):
            raise WrongType(lifecycle, name=f"lifecycles[{index}]", expected="a Lifecycle")
    by_name: dict[str, Lifecycle] = {}
    for lifecycle in cast("tuple[Lifecycle, ...]", found):
        known = by_name.setdefault(lifecycle.name, lifecycle)
        if known is not lifecycle:
            # Two definitions under one name: which one a stored session's name meant would
            # depend on their order. Replacing one is with_lifecycle's job, and says so.
            raise InvalidValue(
                f"two lifecycles are called {lifecycle.name!r}; a registry holds one per name"
                " (to replace one, use registry.with_lifecycle(new))",
                value=lifecycle.name,
                expected="lifecycles with distinct names",
            )
    return by_name


@attrs.frozen
class LifecycleRegistry:
    """An immutable name -> :class:`~sessionkit.lifecycle.Lifecycle` lookup.

    Hosts with their own lifecycles build one with :meth:`with_lifecycle` and
    hand it to whatever resolves a series' lifecycle name. Two different
    lifecycles of one name in ``lifecycles`` raise ``InvalidValue``.
    """

    _by_name: dict[str, Lifecycle] = attrs.field(converter=_index, alias="lifecycles")

    def get(self, name: str) -> Lifecycle:
        """Return the lifecycle called ``name``; raise ``UnknownLifecycle`` if there is none."""
        if not isinstance(name, str):
            raise WrongType(name, name="lifecycle", expected="a lifecycle name (str)")
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownLifecycle(name, list(self._by_name)) from None

    def with_lifecycle(self, lifecycle: Lifecycle) -> LifecycleRegistry:
        """Return a registry that also knows ``lifecycle`` (replacing one of the same name)."""
        name = lifecycle.name if isinstance(lifecycle, Lifecycle) else None
        kept = [lifecycle if known.name == name else known for known in self._by_name.values()]
        # Not a Lifecycle: appended, for _index to refuse it by its place.
        return LifecycleRegistry(kept if name in self._by_name else [*kept, lifecycle])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._by_name

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)
