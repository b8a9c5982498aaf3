"""Conflict detection: find_conflicts against a bare sort and an intervaltree detector.

Sessions are spread over 1,000 teachers, each teacher's week mostly in sequence
with about 1% double bookings, and handed over shuffled. Reported per size, from
five interleaved rounds (:mod:`benchmarks.compare`: medians, ratios per round):

* ``sort``: ``sorted(sessions, key=(teacher, start))``, the floor any detector
  pays to see and order its input (aim: find_conflicts within 3x of it);
* ``find_conflicts``;
* ``intervaltree``: one IntervalTree per teacher, built then queried once per
  session (aim: find_conflicts at least 10x faster); up to 100,000 sessions, as
  five rounds at 1M would take five minutes of the ten the whole run may use.

Then ConflictIndex point-query latency with 10k and with 1M indexed sessions
(aim: within 2x).
"""

from __future__ import annotations

import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from functools import partial
from operator import attrgetter

from intervaltree import IntervalTree

from benchmarks.compare import Contender, clocked, interleave, percentiles
from sessionkit.conflicts import ConflictIndex, find_conflicts
from sessionkit.timespan import TimeSpan

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
    tree_limit = 10_000 if quick else 100_000
    rounds = 5
    print(
        f"find_conflicts: {rounds} interleaved rounds per size, medians, ratios per round;"
        f" intervaltree up to {tree_limit:,} sessions (about a minute a round at 1M)"
    )
    print(
        f"{'sessions':>10} {'sort':>9} {'find':>9} {'find/sort':>9} {'(range)':>11}"
        f" {'tree':>9} {'tree/find':>9} {'(range)':>11}"
    )
    for n in sizes:
        sessions = make_sessions(n)
        found = detect_with_sessionkit(sessions)
        contenders: dict[str, Contender] = {
            "sort": clocked(partial(sort_floor, sessions)),
            "find": clocked(partial(detect_with_sessionkit, sessions)),
        }
        if n <= tree_limit:
            assert detect_with_intervaltree(sessions) == found
            contenders["tree"] = clocked(partial(detect_with_intervaltree, sessions))
        result = interleave(contenders, rounds)
        tree_text = ratio_text = spread_text = "-"
        if "tree" in contenders:
            tree_text = f"{result.median('tree'):8.3f}s"
            ratio_text = f"{result.ratio('tree', 'find'):8.1f}x"
            spread_text = result.spread("tree", "find")
        print(
            f"{n:>10,} {result.median('sort'):8.3f}s {result.median('find'):8.3f}s"
            f" {result.ratio('find', 'sort'):8.2f}x {result.spread('find', 'sort'):>11}"
            f" {tree_text:>9} {ratio_text:>9} {spread_text:>11}   ({found:,} conflicts)",
            flush=True,
        )


def index_prober(size: int, queries: int) -> Callable[[], list[float]]:
    """Build an index of ``size`` sessions; return a function timing ``queries`` point queries."""
    sessions = make_sessions(size, seed=5)
    index: ConflictIndex[int] = ConflictIndex()
    index.add_many((s.id, s.span, (s.teacher,)) for s in sessions)
    rng = random.Random(7)
    probes = []
    for _ in range(queries):
        template = rng.choice(sessions)
        shift = timedelta(minutes=15 * rng.randrange(-8, 8))
        probes.append((template.span.shift(shift), (template.teacher,)))
    clock = time.perf_counter_ns
    conflicts_with = index.conflicts_with

    def run() -> list[float]:
        samples = []
        for span, resources in probes:
            started = clock()
            conflicts_with(span, resources)
            samples.append((clock() - started) / 1000)
        return samples

    return run


def bench_index(quick: bool) -> None:
    small, large = (1_000, 20_000) if quick else (10_000, 1_000_000)
    queries = 2_000 if quick else 4_000
    rounds = 5
    probe = {"small": index_prober(small, queries), "large": index_prober(large, queries)}
    collected: dict[str, list[float]] = {"small": [], "large": []}

    def p50(name: str) -> Contender:
        def run() -> float:
            samples = probe[name]()
            collected[name].extend(samples)
            return statistics.median(samples)

        return run

    result = interleave({"small": p50("small"), "large": p50("large")}, rounds)
    print(
        f"ConflictIndex point query ({queries:,} queries, one teacher each, {rounds} interleaved"
        " rounds; p50 = median of the round medians, p95 over all queries):"
    )
    for name, size in (("small", small), ("large", large)):
        p95 = percentiles(collected[name])[1]
        print(f"  {size:>10,} indexed: p50 {result.median(name):6.1f} us   p95 {p95:6.1f} us")
    print(
        f"  ratio p50 {result.ratio('large', 'small'):.2f}x (range"
        f" {result.spread('large', 'small')}; aim: within 2x)",
        flush=True,
    )


def main(quick: bool) -> None:
    bench_find(quick)
    bench_index(quick)
