"""Free slots: one provider over 30 days, and the common slots of 50 providers.

One provider in Berlin with weekday hours 08:00-12:00 and 13:00-20:00 plus
Saturday mornings, 500 busy sessions in the 30 days (the window crosses the
March DST change), 60-minute slots on a 15-minute grid with a 10-minute buffer,
12 hours' notice and a 28-day horizon: median and p95 of ``free_slots``
(aim: p50 under 5 ms, p95 under 20 ms). Absolute latencies against fixed aims,
not comparisons, so no reference runs beside them. Then ``common_free_slots`` for 50 such
providers with different hours, a blocked day each and 20 bookings each.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall

from benchmarks.compare import percentiles
from sessionkit.availability import Availability, common_free_slots, free_slots
from sessionkit.timespan import TimeSpan

START = datetime(2026, 3, 15, tzinfo=UTC)
END = START + timedelta(days=30)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")


def provider(rng: random.Random) -> Availability:
    first = rng.choice((7, 8, 9))
    last = rng.choice((17, 18, 20))
    hours = {day: [(wall(first), wall(12)), (wall(13), wall(last))] for day in WEEKDAYS}
    hours["SA"] = [(wall(9), wall(13))]
    return Availability.weekly(hours, tz="Europe/Berlin").with_blocked_date(
        (START + timedelta(days=rng.randrange(30))).date()
    )


def bookings(rng: random.Random, count: int) -> list[TimeSpan]:
    spans = []
    for _ in range(count):
        start = START + timedelta(minutes=15 * rng.randrange(0, 30 * 96))
        spans.append(TimeSpan(start, start + timedelta(minutes=rng.choice((30, 45, 60)))))
    return spans


WINDOW = (START, END)
DURATION = timedelta(minutes=60)
STEP = timedelta(minutes=15)
BUFFER = timedelta(minutes=10)
NOTICE = timedelta(hours=12)
HORIZON = timedelta(days=28)


def bench_one(quick: bool) -> None:
    rng = random.Random(11)
    hours = provider(rng)
    busy = bookings(rng, 500)
    runs = 50 if quick else 500
    samples = []
    slots: list[TimeSpan] = []
    for _ in range(runs):
        started = time.perf_counter()
        slots = free_slots(
            hours,
            busy,
            window=WINDOW,
            duration=DURATION,
            step=STEP,
            buffer_after=BUFFER,
            min_notice=NOTICE,
            horizon=HORIZON,
            now=START,
        )
        samples.append(time.perf_counter() - started)
    p50, p95 = (seconds * 1000 for seconds in percentiles(samples))
    print(
        f"free_slots, 1 provider, 30 days, 500 busy, 15-min step ({runs} runs): "
        f"p50 {p50:.2f} ms  p95 {p95:.2f} ms  ({len(slots)} slots; aim p50 < 5, p95 < 20)",
        flush=True,
    )


def bench_common(quick: bool) -> None:
    rng = random.Random(13)
    count = 10 if quick else 50
    # Twenty bookings each: with more, 50 random calendars share no hour at all.
    resources = {f"tutor-{i}": (provider(rng), bookings(rng, 20)) for i in range(count)}
    runs = 10 if quick else 100
    samples = []
    slots: list[TimeSpan] = []
    for _ in range(runs):
        started = time.perf_counter()
        slots = common_free_slots(
            resources,
            window=WINDOW,
            duration=DURATION,
            step=STEP,
            buffer_after=BUFFER,
            min_notice=NOTICE,
            horizon=HORIZON,
            now=START,
        )
        samples.append(time.perf_counter() - started)
    p50, p95 = (seconds * 1000 for seconds in percentiles(samples))
    print(
        f"common_free_slots, {count} providers, 30 days, 20 busy each ({runs} runs): "
        f"p50 {p50:.2f} ms  p95 {p95:.2f} ms  ({len(slots)} common slots)",
        flush=True,
    )


def main(quick: bool) -> None:
    bench_one(quick)
    bench_common(quick)
