"""Conflict detection: find_conflicts against a bare sort and an intervaltree detector.

Sessions are spread over 1,000 teachers, each teacher's week mostly in sequence
with about 1% double bookings, and handed over shuffled. Reported per size:

* ``sort``: ``sorted(sessions, key=(teacher, start))``, the floor any detector
  pays to see and order its input (aim: find_conflicts within 3x of it);
* ``find_conflicts``;
* ``intervaltree``: one IntervalTree per teacher, built then queried once per
  session (aim: find_conflicts at least 10x faster).

Then ConflictIndex point-query latency with 10k and with 1M indexed sessions
(aim: within 2x).
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar

from intervaltree import IntervalTree

from sessionkit.conflicts import ConflictIndex, find_conflicts
from sessionkit.timespan import TimeSpan

T = TypeVar("T")
TEACHERS = 1000
BASE = datetime(2026, 1, 5, 8, tzinfo=UTC)


class Session:
    """A minimal session, as an application would hand one over."""

    __slots__ = ("id", "span", "teacher")

    def __init__(self, key: int, teacher: str, span: TimeSpan) -> None:
        self.id = key
        self.teacher = teacher
        self.span = span


def make_sessions(n: int, seed: int = 3) -> list[Session]:
    rng = random.Random(seed)
    per_teacher = max(1, n // TEACHERS)
    sessions: list[Session] = []
    for t in range(TEACHERS):
        teacher = f"teacher-{t:04d}"
        at = BASE + timedelta(minutes=15 * rng.randrange(0, 96))
        for _ in range(per_teacher):
            length = timedelta(minutes=rng.choice((45, 60, 90)))
            gap = timedelta(minutes=rng.choice((0, 15, 30, 60, 120)))
            if rng.random() < 0.01:  # a double booking
                gap = -timedelta(minutes=30)
            start = at + gap
            sessions.append(Session(len(sessions), teacher, TimeSpan(start, start + length)))
            at = max(at, start + length)
            if len(sessions) >= n:
                break
        if len(sessions) >= n:
            break
    rng.shuffle(sessions)
    return sessions


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def by_teacher(session: Session) -> tuple[str]:
    return (session.teacher,)


def detect_with_sessionkit(sessions: list[Session]) -> int:
    return len(find_conflicts(sessions, span=attrgetter("span"), resources=by_teacher))


def sort_floor(sessions: list[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.teacher, s.span.start))


def detect_with_intervaltree(sessions: list[Session]) -> int:
    """The usual Python answer: a tree per resource, then one overlap query per item."""
    grouped: defaultdict[Hashable, list[tuple[float, float, int]]] = defaultdict(list)
    for s in sessions:
        grouped[s.teacher].append((s.span.start.timestamp(), s.span.end.timestamp(), s.id))
    pairs = 0
    for entries in grouped.values():
        tree = IntervalTree.from_tuples(entries)
        for begin, end, key in entries:
            for other in tree.overlap(begin, end):
                if other.data > key:
                    pairs += 1
    return pairs


def bench_find(quick: bool) -> None:
    sizes = (2_000, 10_000) if quick else (10_000, 100_000, 1_000_000)
    tree_limit = 10_000 if quick else 1_000_000
    print(f"{'sessions':>10} {'sort':>9} {'find':>9} {'find/sort':>9} {'tree':>9} {'tree/find':>9}")
    for n in sizes:
        sessions = make_sessions(n)
        repeat = 3 if n <= 100_000 else 1
        floor, _ = timed(partial(sort_floor, sessions), repeat)
        found_time, found = timed(partial(detect_with_sessionkit, sessions), repeat)
        tree_text = ratio_text = "-"
        if n <= tree_limit:
            tree_time, tree_found = timed(partial(detect_with_intervaltree, sessions))
            assert tree_found == found, (tree_found, found)
            tree_text = f"{tree_time:8.3f}s"
            ratio_text = f"{tree_time / found_time:8.1f}x"
        print(
            f"{n:>10,} {floor:8.3f}s {found_time:8.3f}s {found_time / floor:8.2f}x"
            f" {tree_text:>9} {ratio_text:>9}   ({found:,} conflicts)",
            flush=True,
        )


def index_latency(size: int, queries: int) -> tuple[float, float]:
    sessions = make_sessions(size, seed=5)
    index: ConflictIndex[int] = ConflictIndex()
    index.add_many((s.id, s.span, (s.teacher,)) for s in sessions)
    rng = random.Random(7)
    probes = []
    for _ in range(queries):
        template = rng.choice(sessions)
        shift = timedelta(minutes=15 * rng.randrange(-8, 8))
        probes.append((template.span.shift(shift), (template.teacher,)))
    samples = []
    clock = time.perf_counter_ns
    conflicts_with = index.conflicts_with
    for span, resources in probes:
        started = clock()
        conflicts_with(span, resources)
        samples.append(clock() - started)
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.95)] / 1000


def bench_index(quick: bool) -> None:
    small, large = (1_000, 20_000) if quick else (10_000, 1_000_000)
    queries = 2_000 if quick else 20_000
    small_p50, small_p95 = index_latency(small, queries)
    large_p50, large_p95 = index_latency(large, queries)
    print(f"ConflictIndex point query ({queries:,} queries, one teacher each):")
    print(f"  {small:>10,} indexed: p50 {small_p50:6.1f} us   p95 {small_p95:6.1f} us")
    print(f"  {large:>10,} indexed: p50 {large_p50:6.1f} us   p95 {large_p95:6.1f} us")
    print(f"  ratio p50 {large_p50 / small_p50:.2f}x (aim: within 2x)", flush=True)


def main(quick: bool) -> None:
    bench_find(quick)
    bench_index(quick)
