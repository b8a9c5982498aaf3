"""What a timed transition's condition is told: the instant, and the facts the caller knows.

A condition such as :func:`~sessionkit.lifecycle.nobody_attended` often needs
to know something the value does not hold (was anyone there? how many came?).
The caller of :meth:`~sessionkit.lifecycle.Lifecycle.advance` passes those
*facts*; the machine hands each condition a :class:`TransitionContext`, and a
condition reads a fact with :meth:`TransitionContext.fact`, which refuses
(:class:`~sessionkit.errors.MissingFact`) rather than guess when it was not given.

>>> from datetime import UTC, datetime
>>> context = TransitionContext(
...     now=datetime(2026, 3, 2, 17, 30, tzinfo=UTC),
...     facts={"attended": False},
...     lifecycle="coaching",
...     transition="miss",
...     value_id="s1",
... )
>>> context.fact("attended")
False
>>> from sessionkit.errors import MissingFact
>>> try:
...     context.fact("attendees")
... except MissingFact as error:
...     print(error.fact, error.lifecycle, error.transition, error.value_id)
attendees coaching miss s1
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from sessionkit.errors import MissingFact, WrongType
from sessionkit.lifecycle._values import check_facts

__all__ = ["TransitionContext"]


def _frozen(facts: Mapping[str, object] | None) -> Mapping[str, object]:
    return MappingProxyType(dict(check_facts(facts) or {}))


def _fact_name(name: object) -> str:
    if not isinstance(name, str):
        raise WrongType(name, name="fact", expected="a fact's name (text)")
    return name


@attrs.frozen(kw_only=True)
class TransitionContext:
    """The circumstances of one timed transition, as its condition sees them.

    ``now`` is the instant the transition is considered at (for the clock, the
    instant it fell due), in UTC. ``facts`` are what the caller passed as
    ``facts=`` (a read-only copy). ``lifecycle``, ``transition`` and
    ``value_id`` say whose condition is asking; they end up in
    :class:`~sessionkit.errors.MissingFact` when a fact is absent.
    """

    now: datetime
    facts: Mapping[str, object] = attrs.field(factory=dict, converter=_frozen, hash=False)
    lifecycle: str = ""
    transition: str = ""
    value_id: object = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The read-only ``facts`` (a mappingproxy) neither pickles nor deep-copies:
        # rebuild from a plain copy of them, as the constructor is given them.
        return _rebuilt, (
            self.now,
            dict(self.facts),
            self.lifecycle,
            self.transition,
            self.value_id,
        )

    def fact(self, name: str) -> Any:
        """Return the fact called ``name``; raise ``MissingFact`` if the caller did not give it."""
        try:
            return self.facts[_fact_name(name)]
        except KeyError:
            raise MissingFact(
                fact=name,
                lifecycle=self.lifecycle,
                transition=self.transition,
                value_id=self.value_id,
            ) from None

    def knows(self, name: str) -> bool:
        """Return whether the caller gave the fact called ``name``."""
        return _fact_name(name) in self.facts


# Named in every pickle of these values (a job queue may keep them across upgrades): keep
# this function's module and name.
def _rebuilt(
    now: datetime, facts: dict[str, object], lifecycle: str, transition: str, value_id: object
) -> TransitionContext:
    """A :class:`TransitionContext` unpickled or copied (its ``__reduce__``)."""
    return TransitionContext(
        now=now, facts=facts, lifecycle=lifecycle, transition=transition, value_id=value_id
    )
