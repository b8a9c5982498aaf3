"""Frames: ``to_pandas`` / ``to_polars`` of N sessions against a frame built from raw rows.

The sessions are generated in memory (``Session.unchecked``: 1,000 teachers,
two zones, three statuses, 45-minute lessons) and handed over as a list.
Contenders, in five interleaved rounds per size (:mod:`benchmarks.compare`:
medians, ratios per round):

* ``raw``: the floor. ``pd.DataFrame(rows, columns=...)`` of tuples already
  holding the 18 values a session record has (built before timing), what a
  person pays to get the same data into pandas by hand, with pandas' own
  inference and none of the dtypes ``to_pandas`` sets (string, category,
  microsecond UTC datetimes);
* ``to_pandas``: from the sessions, reading each column through the schema
  and typing it;
* ``raw_pl`` and ``to_polars``: the same pair for polars
  (``pl.DataFrame(rows, orient="row")``), below 1,000,000 sessions only.

Sizes: 10,000 with ``--quick``, 10,000 and 100,000 by default (the ratio at
100,000 is the figure to report), 1,000,000 as well with
``python -m benchmarks.bench_frames --million`` (about 2 GB of memory and a
few minutes).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from functools import partial

import pandas as pd
import polars as pl

from benchmarks.compare import clocked, interleave
from sessionkit.contrib.frames import to_pandas, to_polars
from sessionkit.model.records import SESSION
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

BASE = datetime(2026, 1, 5, 8, tzinfo=UTC)
ZONES = ("Europe/Berlin", "America/New_York")
STATUSES = ("SCHEDULED", "COMPLETED", "CANCELED")
POLARS_UP_TO = 1_000_000
"""Sizes from this one on time the pandas pair only."""


def sessions(n: int) -> list[Session]:
    """Return ``n`` sessions spread over 1,000 teachers."""
    teachers = [(ResourceRef("teacher", f"t{k:04d}"),) for k in range(1000)]
    length = timedelta(minutes=45)
    out = []
    for i in range(n):
        start = BASE + timedelta(hours=i // 1000)
        out.append(
            Session.unchecked(
                id=f"s{i:07d}",
                tenant="bench",
                title=f"Lesson {i % 50}",
                span=TimeSpan.unchecked(start, start + length),
                tz=ZONES[i % 2],
                status=STATUSES[i % 3],
                lifecycle="lms",
                busy=i % 3 != 2,
                created_at=BASE,
                resources=teachers[i % 1000],
                series_id=f"g{i % 1000}",
                occurrence_key=start.replace(tzinfo=None),
            )
        )
    return out


def raw_rows(values: list[Session]) -> list[tuple[object, ...]]:
    """Return each session's record values as a plain tuple (the floor's input)."""
    return [tuple(row.values()) for row in SESSION.records(values)]


def bench(sizes: list[int]) -> None:
    """Print, per size, the medians and the per-round ratios of both pairs."""
    names = list(SESSION.names)
    print(
        "to_pandas / to_polars of N sessions against a frame from raw tuples "
        "(5 interleaved rounds, medians, ratio = median of per-round ratios):"
    )
    print(
        f"{'sessions':>10} {'raw':>9} {'to_pandas':>10} {'ratio':>7} {'range':>11}"
        f" {'raw_pl':>9} {'to_polars':>10} {'ratio':>7} {'range':>11}"
    )
    for n in sizes:
        values = sessions(n)
        rows = raw_rows(values)
        check = to_pandas(values)
        assert len(check) == n
        assert list(check.columns) == names
        assert str(check["start"].dtype) == "datetime64[us, UTC]"
        assert check["id"].iloc[-1] == values[-1].id
        assert n >= POLARS_UP_TO or to_polars(values).height == n
        del check
        contenders = {
            "raw": clocked(partial(pd.DataFrame, rows, columns=names)),
            "to_pandas": clocked(partial(to_pandas, values)),
        }
        # polars from row tuples takes minutes per round at 1M; the pandas pair is the figure.
        with_polars = n < POLARS_UP_TO
        if with_polars:
            contenders["raw_pl"] = clocked(partial(pl.DataFrame, rows, schema=names, orient="row"))
            contenders["to_polars"] = clocked(partial(to_polars, values))
        result = interleave(contenders)
        polars_text = (
            f" {result.median('raw_pl'):8.3f}s {result.median('to_polars'):9.3f}s"
            f" {result.ratio('to_polars', 'raw_pl'):6.2f}x"
            f" {result.spread('to_polars', 'raw_pl'):>11}"
            if with_polars
            else f" {'-':>9} {'-':>10} {'-':>7} {'-':>11}"
        )
        print(
            f"{n:>10,} {result.median('raw'):8.3f}s {result.median('to_pandas'):9.3f}s"
            f" {result.ratio('to_pandas', 'raw'):6.2f}x {result.spread('to_pandas', 'raw'):>11}"
            + polars_text,
            flush=True,
        )


def main(quick: bool, *, million: bool = False) -> None:
    """Run the sizes for ``quick`` (10k), the default (10k, 100k) or ``million`` (+1M)."""
    sizes = [10_000] if quick else [10_000, 100_000]
    if million:
        sizes.append(1_000_000)
    bench(sizes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_frames")
    parser.add_argument("--quick", action="store_true", help="10,000 sessions only")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 sessions")
    args = parser.parse_args()
    main(args.quick, million=args.million)
    sys.exit(0)
