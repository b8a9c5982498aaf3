"""Recurrence expansion: sessionkit against raw dateutil.rrule, measured in the same run.

Three parts, after the "Speed" section of issue 2:

1. *Bulk expansion*: 10,000 distinct weekly rules (twelve zones, two or three
   days a week, local times 06:00-21:45) over one year, about 1.3 million
   occurrences. Reported in occurrences per second for

   * ``sessionkit``: ``Recurrence.between``, full ``Occurrence`` values;
   * ``dateutil``: ``rrule`` with the same zone-aware DTSTART, bare datetimes;
   * ``arith``: a bare loop, wall clock + 7 days then ``replace(tzinfo=zone)``.

   Aim: sessionkit at least 2x dateutil. Before timing, the instants of a sample
   of the rules are checked against dateutil's. In the same rounds: the same
   expansion with the window bounds in Europe/Berlin instead of UTC (aim: about
   the same time), and building the 10,000 ``Recurrence`` values against
   building the 10,000 dateutil ``rrule`` objects.
2. *Jump to the window*: ``between`` over two months for rules without COUNT
   that started twenty years ago and last week (aim: about the same cost), and
   dateutil's own ``between`` on a window two years out from DTSTART against the
   same window near DTSTART (aim: sessionkit's 20-year-old rule 20x faster than
   dateutil's two-years-out window). Per call, over batches of about 40 ms.
3. *The candidate cap*: rules that never match, and MINUTELY over a century
   (which must raise ``ExpansionLimitExceeded``), finish in bounded time.

Every compared figure comes from :mod:`benchmarks.compare`: at least five
interleaved rounds, medians, and ratios taken per round (median of the per-round
ratios). The garbage collector stays on, as in real use.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from benchmarks.compare import clocked, consume, interleave, per_call
from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.recurrence import MAX_CANDIDATES, WEEKDAYS, Recurrence

ZONES: Final = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Europe/London",
    "Asia/Kolkata",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "America/Chicago",
    "Europe/Paris",
    "Australia/Lord_Howe",
)
DAY_CODES: Final = (
    du.weekday(0),
    du.weekday(1),
    du.weekday(2),
    du.weekday(3),
    du.weekday(4),
    du.weekday(5),
    du.weekday(6),
)
YEAR_LO: Final = datetime(2025, 12, 31, tzinfo=UTC)
YEAR_HI: Final = datetime(2027, 1, 1, tzinfo=UTC)
WEEK: Final = timedelta(days=7)
SECOND: Final = timedelta(seconds=1)


def us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f}"


# --------------------------------------------------------------------------- 1. bulk weekly


class WeeklySpec(NamedTuple):
    """One weekly rule, as each contender receives it."""

    zone: str
    days: tuple[int, ...]
    at: clock_time
    start: date
    minutes: int


def make_specs(n: int, seed: int = 11) -> list[WeeklySpec]:
    rng = random.Random(seed)
    seen: set[WeeklySpec] = set()
    specs: list[WeeklySpec] = []
    while len(specs) < n:
        spec = WeeklySpec(
            zone=rng.choice(ZONES),
            days=tuple(sorted(rng.sample(range(7), rng.choice((2, 3))))),
            at=clock_time(rng.randrange(6, 22), rng.choice((0, 15, 30, 45))),
            start=date(2026, 1, 1) + timedelta(days=rng.randrange(7)),
            minutes=rng.choice((45, 60, 90)),
        )
        if spec not in seen:
            seen.add(spec)
            specs.append(spec)
    return specs


def build_sessionkit(specs: Sequence[WeeklySpec]) -> list[Recurrence]:
    return [
        Recurrence.weekly(
            days=tuple(WEEKDAYS[d] for d in s.days),
            at=s.at,
            duration=timedelta(minutes=s.minutes),
            tz=s.zone,
            start=s.start,
        )
        for s in specs
    ]


def build_dateutil(specs: Sequence[WeeklySpec]) -> list[du.rrule]:
    until = YEAR_HI - SECOND  # UNTIL is inclusive, the window half-open
    return [
        du.rrule(
            du.WEEKLY,
            dtstart=datetime.combine(s.start, s.at, tzinfo=ZoneInfo(s.zone)),
            byweekday=[DAY_CODES[d] for d in s.days],
            until=until,
        )
        for s in specs
    ]


def run_sessionkit(
    recs: Sequence[Recurrence], lo: datetime = YEAR_LO, hi: datetime = YEAR_HI
) -> None:
    for rec in recs:
        consume(rec.between(lo, hi))


def run_dateutil(rules: Sequence[du.rrule]) -> None:
    for rule in rules:
        consume(iter(rule))


def arith_one(spec: WeeklySpec) -> Iterator[datetime]:
    """The floor: naive wall clock + 7 days, then attach the zone (no gap/fold policy)."""
    zone = ZoneInfo(spec.zone)
    start = datetime.combine(spec.start, spec.at)
    limit = YEAR_HI.astimezone(zone).replace(tzinfo=None)
    base = datetime.combine(spec.start - timedelta(days=spec.start.weekday()), spec.at)
    deltas = [timedelta(days=d) for d in spec.days]
    while base < limit:
        for delta in deltas:
            wall = base + delta
            if start <= wall < limit:
                yield wall.replace(tzinfo=zone)
        base += WEEK


def run_arith(specs: Sequence[WeeklySpec]) -> None:
    for spec in specs:
        consume(arith_one(spec))


def check_sample(
    specs: Sequence[WeeklySpec], recs: Sequence[Recurrence], rules: Sequence[du.rrule], step: int
) -> tuple[int, int]:
    """Assert equal instants for every ``step``-th rule; return (rules checked, occurrences)."""
    checked = total = 0
    for i in range(0, len(specs), step):
        ours = [occ.span.start for occ in recs[i].between(YEAR_LO, YEAR_HI)]
        theirs = [moment.astimezone(UTC) for moment in rules[i]]
        floor = [moment.astimezone(UTC) for moment in arith_one(specs[i])]
        assert ours == theirs, (specs[i], len(ours), len(theirs))
        assert floor == theirs, specs[i]
        checked += 1
        total += len(ours)
    return checked, total


def bench_bulk(quick: bool) -> None:
    n = 300 if quick else 10_000
    rounds = 5
    specs = make_specs(n)
    recs = build_sessionkit(specs)
    rules = build_dateutil(specs)
    checked, sample_occurrences = check_sample(specs, recs, rules, step=1 if quick else 20)
    occurrences = sum(1 for rec in recs for _ in rec.between(YEAR_LO, YEAR_HI))
    berlin = ZoneInfo("Europe/Berlin")
    named_lo, named_hi = YEAR_LO.astimezone(berlin), YEAR_HI.astimezone(berlin)
    found = interleave(
        {
            "sessionkit": clocked(lambda: run_sessionkit(recs)),
            "sk, Berlin bounds": clocked(lambda: run_sessionkit(recs, named_lo, named_hi)),
            "dateutil": clocked(lambda: run_dateutil(rules)),
            "arith": clocked(lambda: run_arith(specs)),
            "build sk": clocked(lambda: build_sessionkit(specs)),
            "build du": clocked(lambda: build_dateutil(specs)),
        },
        rounds,
    )
    print(
        f"1. {n:,} distinct weekly rules, {len(ZONES)} zones, over one year: "
        f"{occurrences:,} occurrences; {rounds} interleaved rounds, medians, ratios per round"
    )
    print(f"   instants equal to dateutil's for {checked:,} rules ({sample_occurrences:,} occ.)")
    print(f"   {'':<18} {'seconds':>8} {'occ/s':>12} {'dateutil / it':>14} {'(range)':>12}")
    for name in ("sessionkit", "sk, Berlin bounds", "dateutil", "arith"):
        seconds = found.median(name)
        print(
            f"   {name:<18} {seconds:8.3f} {occurrences / seconds:12,.0f}"
            f" {found.ratio('dateutil', name):13.2f}x {found.spread('dateutil', name):>12}"
        )
    speed = found.ratio("dateutil", "sessionkit")
    print(
        f"   sessionkit / dateutil speed: {speed:.2f}x"
        f" (aim >= 2x: {'met' if speed >= 2 else 'MISSED'});"
        f" sessionkit takes {found.ratio('sessionkit', 'arith'):.2f}x the arithmetic floor"
    )
    named = found.ratio("sk, Berlin bounds", "sessionkit")
    print(
        f"   window bounds in Europe/Berlin instead of UTC: {named:.2f}x the time"
        f" (range {found.spread('sk, Berlin bounds', 'sessionkit')}; aim: about 1)"
    )
    build = found.ratio("build sk", "build du")
    print(
        f"   building the {n:,} rules: Recurrence.weekly {found.median('build sk'):.3f}s,"
        f" dateutil rrule {found.median('build du'):.3f}s: {build:.2f}x dateutil"
        f" (range {found.spread('build sk', 'build du')})",
        flush=True,
    )


# --------------------------------------------------------------------------- 2. jump


JUMP_RULES: Final = (
    ("FREQ=DAILY", "DAILY"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "WEEKLY"),
    ("FREQ=MONTHLY;BYDAY=1FR", "MONTHLY"),
    ("FREQ=MONTHLY;BYMONTHDAY=15", "MONTHLY"),
    ("FREQ=YEARLY;BYMONTH=6;BYDAY=MO", "YEARLY"),
    ("FREQ=DAILY;BYHOUR=9,17", "DAILY"),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "MONTHLY"),
)
JUMP_ZONE: Final = "Europe/Berlin"
OLD_START: Final = datetime(2006, 6, 1, 10, 0)  # twenty years before the window
NEW_START: Final = datetime(2026, 5, 25, 10, 0)  # last week
WINDOW: Final = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))
DU_NEAR: Final = (datetime(2006, 6, 1, tzinfo=UTC), datetime(2006, 8, 1, tzinfo=UTC))
DU_FAR: Final = (datetime(2008, 6, 1, tzinfo=UTC), datetime(2008, 8, 1, tzinfo=UTC))


def dateutil_rule(text: str, start: datetime) -> du.rrule:
    rule = du.rrulestr(text, dtstart=start.replace(tzinfo=ZoneInfo(JUMP_ZONE)))
    assert isinstance(rule, du.rrule)
    return rule


def recurrence(text: str, start: datetime) -> Recurrence:
    return Recurrence.from_rrule(text, start=start, tz=JUMP_ZONE, duration=timedelta(hours=1))


def sk_between(rec: Recurrence, lo: datetime, hi: datetime) -> None:
    consume(rec.between(lo, hi))


def bench_jump(quick: bool) -> None:
    rounds, min_time = (5, 0.01) if quick else (5, 0.04)
    lo, hi = WINDOW
    near_lo, near_hi = DU_NEAR
    far_lo, far_hi = DU_FAR
    print(
        f"\n2. between() over two months ({lo:%Y-%m-%d}..{hi:%Y-%m-%d}), {JUMP_ZONE} 10:00,"
        f" us per call ({rounds} interleaved rounds, medians; ratios per round)"
    )
    print(
        f"   sk old = DTSTART {OLD_START:%Y-%m-%d} (20 years back), sk new = {NEW_START:%Y-%m-%d};"
        f" du = dateutil rrule.between with DTSTART {OLD_START:%Y-%m-%d} on the window"
        f" near DTSTART ({DU_NEAR[0]:%Y-%m}) and two years out ({DU_FAR[0]:%Y-%m})"
    )
    header = (
        f"   {'rule':<46} {'path':<8} {'occ':>4} {'sk old':>9} {'sk new':>9} {'old/new':>8}"
        f" {'du near':>9} {'du +2y':>9} {'du 2y/near':>10} {'du 2y/sk old':>12}"
    )
    print(header)
    worst_same = 0.0
    met: list[str] = []
    missed: list[str] = []
    for text, _freq in JUMP_RULES:
        old, new = recurrence(text, OLD_START), recurrence(text, NEW_START)
        du_old = dateutil_rule(text, OLD_START)
        ours = [occ.span.start for occ in old.between(lo, hi)]
        theirs = [m.astimezone(UTC) for m in du_old.between(lo, hi, inc=True) if m < hi]
        assert ours == theirs, (text, ours, theirs)
        assert [occ.span.start for occ in new.between(lo, hi)] == ours, text
        path = old._plan.fast or "dateutil"
        found = interleave(
            {
                "old": per_call(partial(sk_between, old, lo, hi), min_time),
                "new": per_call(partial(sk_between, new, lo, hi), min_time),
                "near": per_call(partial(du_old.between, near_lo, near_hi), min_time),
                "far": per_call(partial(du_old.between, far_lo, far_hi), min_time),
            },
            rounds,
        )
        t_old, t_new = found.median("old"), found.median("new")
        t_near, t_far = found.median("near"), found.median("far")
        old_new, far_old = found.ratio("old", "new"), found.ratio("far", "old")
        far_near = found.ratio("far", "near")
        worst_same = max(worst_same, old_new)
        (met if far_old >= 20 else missed).append(f"{text} ({far_old:.1f}x)")
        print(
            f"   {text:<46} {path:<8} {len(ours):>4} {us(t_old)} {us(t_new)} {old_new:7.2f}x"
            f" {us(t_near)} {us(t_far)} {far_near:9.1f}x {far_old:11.1f}x",
            flush=True,
        )
    print(f"   worst old/new: {worst_same:.2f}x (aim: about 1)")
    print(f"   du 2y / sk old >= 20x met for: {', '.join(met) or 'none'}")
    print(f"   ... MISSED for: {', '.join(missed) or 'none'}", flush=True)


# --------------------------------------------------------------------------- 3. cap


CENTURY: Final = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2126, 1, 1, tzinfo=UTC))
TO_9999: Final = (datetime(2026, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
CAP_CASES: Final = (
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", "century", CENTURY),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", "2 months", WINDOW),
    ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31;BYDAY=MO", "century", CENTURY),
    ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31;BYDAY=MO", "2 months", WINDOW),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "century", CENTURY),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "to 9999", TO_9999),
    ("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=31", "century", CENTURY),
    ("FREQ=MINUTELY", "century", CENTURY),
)


def bench_cap(quick: bool) -> None:
    cap = 100_000 if quick else MAX_CANDIDATES
    print(f"\n3. The candidate cap (max_candidates={cap:,}), one between() call each")
    print(f"   {'rule':<46} {'window':<9} {'path':<8} {'outcome':<40} {'seconds':>8}")
    for text, label, (lo, hi) in CAP_CASES:
        rec = Recurrence.from_rrule(
            text, start=datetime(2026, 1, 1, 9), tz="Europe/Berlin", duration=timedelta(hours=1)
        )
        gc.collect()
        yielded = 0
        began = time.perf_counter()
        try:
            for _ in rec.between(lo, hi, max_candidates=cap):
                yielded += 1
        except ExpansionLimitExceeded:
            outcome = f"ExpansionLimitExceeded after {yielded:,} occ"
        else:
            outcome = f"finished, {yielded:,} occurrences"
        seconds = time.perf_counter() - began
        if text == "FREQ=MINUTELY":
            assert outcome.startswith("ExpansionLimitExceeded"), outcome
        if "BYMONTHDAY=31" in text:
            assert yielded == 0, text
        path = rec._plan.fast or "dateutil"
        print(f"   {text:<46} {label:<9} {path:<8} {outcome:<40} {seconds:8.3f}", flush=True)


def main(quick: bool) -> None:
    bench_bulk(quick)
    bench_jump(quick)
    bench_cap(quick)
