"""find_conflicts and ConflictIndex against a naive pairwise oracle."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from sessionkit.conflicts import Conflict, ConflictIndex, find_conflicts
from sessionkit.timespan import TimeSpan

BASE = datetime(2026, 3, 2, tzinfo=UTC)
RESOURCES = ("ana", "ben", "room")
ZERO = timedelta(0)
Pads = Mapping[Hashable, tuple[timedelta, timedelta]]

# Spans on a coarse 5-minute grid, so touching and identical spans are common.
spans = st.builds(
    lambda start, length: TimeSpan(
        BASE + timedelta(minutes=5 * start), BASE + timedelta(minutes=5 * (start + length))
    ),
    st.integers(0, 40),
    st.integers(1, 12),
)
resource_sets = st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=3)
items = st.lists(st.tuples(spans, resource_sets, st.booleans()), max_size=25)
pads = st.tuples(
    st.integers(0, 3).map(lambda n: timedelta(minutes=5 * n)),
    st.integers(0, 3).map(lambda n: timedelta(minutes=5 * n)),
)
buffers = st.dictionaries(st.sampled_from(RESOURCES), pads)

Item = tuple[TimeSpan, list[str], bool]


def padded_overlap(a: TimeSpan, b: TimeSpan, pad: tuple[timedelta, timedelta]) -> TimeSpan | None:
    before, after = pad
    return a.padded(before=before, after=after).intersection(b.padded(before=before, after=after))


def oracle(things: list[Item], pad_for: Pads) -> list[tuple[int, int, str, TimeSpan]]:
    """Every pair, every shared resource, in the documented order."""
    busy = [i for i, (_, _, active) in enumerate(things) if active]
    seen: list[str] = []
    for i in busy:
        for r in things[i][1]:
            if r not in seen:
                seen.append(r)
    found = []
    for x in busy:
        for y in busy:
            sx, sy = things[x][0], things[y][0]
            if (sx.start, sx.end, x) >= (sy.start, sy.end, y):
                continue
            for resource in dict.fromkeys(things[x][1]):
                if resource not in things[y][1]:
                    continue
                overlap = padded_overlap(sx, sy, pad_for.get(resource, (ZERO, ZERO)))
                if overlap is not None:
                    found.append((overlap.start, overlap.end, x, y, seen.index(resource), overlap))
    found.sort(key=lambda f: f[:5])
    return [(x, y, seen[rank], overlap) for _, _, x, y, rank, overlap in found]


@given(items, buffers)
def test_find_conflicts_equals_the_pairwise_oracle(things: list[Item], pad_for: Pads) -> None:
    positions = {id(item): i for i, item in enumerate(things)}
    got = find_conflicts(
        things,
        span=lambda item: item[0],
        resources=lambda item: item[1],
        buffers=pad_for,
        busy=lambda item: item[2],
    )
    assert [
        (positions[id(c.first)], positions[id(c.second)], c.resource, c.overlap) for c in got
    ] == oracle(things, pad_for)


@given(items, buffers)
def test_overlap_is_symmetric_and_inside_both_padded_spans(
    things: list[Item], pad_for: Pads
) -> None:
    conflicts: list[Conflict[Item]] = find_conflicts(
        things, span=lambda item: item[0], resources=lambda item: item[1], buffers=pad_for
    )
    for c in conflicts:
        pad = pad_for.get(c.resource, (ZERO, ZERO))
        assert padded_overlap(c.first[0], c.second[0], pad) == c.overlap
        assert padded_overlap(c.second[0], c.first[0], pad) == c.overlap
        assert (c.first[0].start, c.first[0].end) <= (c.second[0].start, c.second[0].end)
        assert c.resource in c.first[1]
        assert c.resource in c.second[1]


@given(items)
def test_reversing_the_input_finds_the_same_pairs(things: list[Item]) -> None:
    def pairs(seq: list[Item]) -> set[tuple[frozenset[int], str, TimeSpan]]:
        return {
            (frozenset((id(c.first), id(c.second))), str(c.resource), c.overlap)
            for c in find_conflicts(seq, span=lambda item: item[0], resources=lambda item: item[1])
        }

    assert pairs(things) == pairs(things[::-1])


class IndexMatchesOracle(RuleBasedStateMachine):
    """Random add/remove/query sequences: the index answers as a scan of a dict would."""

    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        self.pads: dict[Hashable, tuple[timedelta, timedelta]] = {
            "ana": (timedelta(minutes=5), ZERO),
            "room": (ZERO, timedelta(minutes=10)),
        }
        self.index: ConflictIndex[int] = ConflictIndex(buffers=self.pads)
        self.model: dict[int, tuple[TimeSpan, list[str]]] = {}
        self.order: dict[int, int] = {}
        self.added = 0

    @rule(target=keys, key=st.integers(0, 30), span=spans, resources=resource_sets)
    def add(self, key: int, span: TimeSpan, resources: list[str]) -> int:
        self.index.add(key, span, resources)
        self.model[key] = (span, resources)
        self.order[key] = self.added
        self.added += 1
        return key

    @rule(batch=st.lists(st.tuples(st.integers(0, 30), spans, resource_sets), max_size=5))
    def add_many(self, batch: list[tuple[int, TimeSpan, list[str]]]) -> None:
        self.index.add_many(batch)
        for key, span, resources in batch:
            self.model.pop(key, None)
            self.model[key] = (span, resources)
        # add_many numbers keys in the order of their last triple, like repeated add()
        last = {key: i for i, (key, _, _) in enumerate(batch)}
        for key in sorted(last, key=last.__getitem__):
            self.order[key] = self.added
            self.added += 1

    @rule(key=consumes(keys))
    def remove(self, key: int) -> None:
        if key in self.model:
            self.index.remove(key)
            del self.model[key]
        else:
            self.index.discard(key)
        assert key not in self.index

    @rule(span=spans, resources=resource_sets, exclude=st.sets(st.integers(0, 30), max_size=3))
    def query(self, span: TimeSpan, resources: list[str], exclude: set[int]) -> None:
        expected = sorted(
            (
                key
                for key, (other, owned) in self.model.items()
                if key not in exclude
                and any(
                    r in owned and padded_overlap(span, other, self.pads.get(r, (ZERO, ZERO)))
                    for r in resources
                )
            ),
            key=lambda key: (self.model[key][0].start, self.order[key]),
        )
        assert self.index.conflicts_with(span, resources, exclude=exclude) == expected

    @invariant()
    def sizes_agree(self) -> None:
        assert len(self.index) == len(self.model)


TestIndexMatchesOracle = IndexMatchesOracle.TestCase
