"""The one way every benchmark compares contenders: interleaved rounds, per-round ratios.

The machine is shared and noisy, so a figure is never set against a reference
measured at another moment. :func:`interleave` runs the contenders in rounds
(A B C, then C B A, ...: each round runs every contender once, alternating the
order so that none always runs first), at least :data:`MIN_ROUNDS` rounds. A
figure is the median over the rounds; a ratio is the median of the per-round
ratios, so a burst of load that hits one round hits both sides of its ratio.

A contender is a callable returning one measurement (usually seconds). Wrap a
plain function with :func:`clocked` (wall time of one call) or :func:`per_call`
(seconds per call over a batch calibrated once). A contender that needs untimed
setup (a fresh database) times its own work and returns that.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Final

import attrs

MIN_ROUNDS: Final = 5

Contender = Callable[[], float]


def consume(iterator: Iterable[object]) -> None:
    """Exhaust an iterator without keeping its items."""
    deque(iterator, maxlen=0)


def clocked(fn: Callable[[], object]) -> Contender:
    """A contender timing one call of ``fn`` (garbage collected before, collector left on)."""

    def run() -> float:
        gc.collect()
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    return run


def per_call(fn: Callable[[], object], min_time: float) -> Contender:
    """A contender timing a batch of calls of ``fn`` lasting about ``min_time``; seconds per call.

    The batch size is calibrated once, on the first round, and then kept, so
    every round does the same work.
    """
    number = 0

    def batch(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            fn()
        return time.perf_counter() - started

    def run() -> float:
        nonlocal number
        if number == 0:
            number = 1
            while (elapsed := batch(number)) < min_time:
                number = max(number * 2, int(number * min_time / max(elapsed, 1e-9) * 1.2))
        return batch(number) / number

    return run


@attrs.frozen
class Rounds:
    """The measurements of interleaved rounds, per contender, in round order."""

    samples: Mapping[str, list[float]]

    @property
    def rounds(self) -> int:
        """How many rounds ran."""
        return len(next(iter(self.samples.values())))

    def median(self, name: str) -> float:
        """The median measurement of ``name`` over the rounds."""
        return statistics.median(self.samples[name])

    def ratios(self, name: str, reference: str) -> list[float]:
        """``name / reference`` in each round."""
        return [a / b for a, b in zip(self.samples[name], self.samples[reference], strict=True)]

    def ratio(self, name: str, reference: str) -> float:
        """The median of the per-round ratios ``name / reference``."""
        return statistics.median(self.ratios(name, reference))

    def spread(self, name: str, reference: str) -> str:
        """The per-round ratios' range, e.g. ``1.8-2.3``, to show how noisy the figure is."""
        values = self.ratios(name, reference)
        return f"{min(values):.2f}-{max(values):.2f}"


def interleave(contenders: Mapping[str, Contender], rounds: int = MIN_ROUNDS) -> Rounds:
    """Run the contenders in ``rounds`` interleaved rounds (at least :data:`MIN_ROUNDS`)."""
    if rounds < MIN_ROUNDS:
        raise ValueError(f"at least {MIN_ROUNDS} rounds, got {rounds}")
    order = list(contenders)
    samples: dict[str, list[float]] = {name: [] for name in order}
    for round_number in range(rounds):
        for name in order if round_number % 2 == 0 else reversed(order):
            samples[name].append(contenders[name]())
    return Rounds(samples)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """The median and the 95th percentile of ``samples``."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95)]
