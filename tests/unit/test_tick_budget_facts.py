"""``kit.tick(should_stop=...)`` bounds the fact provider's time: asked before each page's facts.

The status pass asks the kit's fact provider about each page of candidate
sessions before it knows which are due; while the provider was down (each call
a timeout) no page had an item due, so no batch started and ``should_stop``
was never asked: a tick on a one-second budget read every page and asked the
provider about each (150 s of timeouts for ten sessions in pages of two), and
said no ``more``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWork
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
AT = NOW + timedelta(hours=1)


class Provider:
    """A fact provider whose every call takes ten seconds of :attr:`seconds`; down or up."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.down = True
        self.calls: list[int] = []

    def facts_for(
        self, sessions: Sequence[Session], uow: UnitOfWork
    ) -> Mapping[str, Mapping[str, object]]:
        self.seconds += 10
        self.calls.append(len(sessions))
        if self.down:
            raise TimeoutError("the attendance service did not answer")
        return {}


def test_a_tick_on_a_budget_stops_before_asking_a_slow_provider_about_the_next_page() -> None:
    provider = Provider()
    h = Harness.in_memory(NOW, facts=provider)
    for n in range(10):
        start = AT + timedelta(minutes=n)
        h.kit.sessions.create_extra(
            "acme", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
        )
    asked: list[float] = []

    def should_stop() -> bool:
        asked.append(provider.seconds)
        return provider.seconds >= 1

    report = h.kit.tick(now=AT, batch=2, kinds=["advance"], should_stop=should_stop)
    # The first page: asked together, then each alone (30 s); then it said stop.
    assert provider.calls == [2, 1, 1]
    assert asked == [0.0, 30.0]
    assert (report.advanced, len(report.failed), report.more) == (0, 2, True)
    assert "stopped early, more is due" in report.summary()
    provider.down = False
    rest = h.kit.tick(now=AT, batch=2, kinds=["advance"])
    assert (rest.advanced, rest.failed, rest.more) == (10, (), False)
