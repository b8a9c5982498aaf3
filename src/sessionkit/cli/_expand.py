"""``python -m sessionkit expand``: a recurrence rule's occurrences in a window, printed.

The rule, its start, zone and duration and the window come from the flags; a limit
met or a wall time refused is said in the flags' terms (``--max-candidates``,
``--disambiguate``), not the Python arguments' the library's errors name.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime

from sessionkit.cli._args import UsageError, parse_bound, parse_duration, parse_exdate, parse_local
from sessionkit.errors import ExpansionLimitExceeded, SkippedTime, WallTimeError
from sessionkit.errors._base import shown
from sessionkit.recurrence import Occurrence, Recurrence
from sessionkit.zones import get_zone

__all__ = ["expand", "render"]


def _rows(occurrences: Sequence[Occurrence]) -> list[dict[str, str]]:
    return [
        {
            "key": occ.key.isoformat(),
            "local_start": occ.local_start.isoformat(),
            "local_end": occ.span.end.astimezone(occ.local_start.tzinfo).isoformat(),
            "utc_start": occ.span.start.isoformat(),
            "utc_end": occ.span.end.isoformat(),
        }
        for occ in occurrences
    ]


def render(occurrences: Sequence[Occurrence], fmt: str) -> str:
    """``occurrences`` as a table (the default), JSON or CSV (``fmt``), local and UTC."""
    rows = _rows(occurrences)
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=["key", "local_start", "local_end", "utc_start", "utc_end"]
        )
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    # Seconds are shown when any start or end has them (FREQ=SECONDLY, a --duration of 45s):
    # in minutes alone such rows read as the same occurrence printed again and again. Local
    # times too: 18:00:28 LMT (+00:53:28) is 17:07:00 UTC, whole minutes there only.
    local = [
        (occ.local_start, occ.span.end.astimezone(occ.local_start.tzinfo)) for occ in occurrences
    ]
    secs = any(
        t.second
        for occ, pair in zip(occurrences, local, strict=True)
        for t in (*pair, occ.span.start, occ.span.end)
    )
    walls = [(_wall(start, secs), _wall(end, secs)) for start, end in local]
    # A zone named by its offset (Kathmandu's "+0545", Lord Howe's "+1030") is longer
    # than an abbreviation; the columns widen for it rather than shift the rows.
    width = max([25, *(len(wall) for pair in walls for wall in pair)])
    lines = [
        f"{'#':>3}  {'local start':<{width}}  {'local end':<{width}}  {'UTC start':<20}  UTC end"
    ]
    for n, (occ, (start, end)) in enumerate(zip(occurrences, walls, strict=True), 1):
        lines.append(
            f"{n:>3}  {start:<{width}}  {end:<{width}}  "
            f"{_day_time(occ.span.start, secs) + 'Z':<20}  {_day_time(occ.span.end, secs)}Z"
        )
    lines.append(f"{len(occurrences)} occurrence(s)")
    return "\n".join(lines)


def expand(args: argparse.Namespace) -> str:
    """``expand``: the occurrences of ``args.rule`` in the window, as ``args.format`` asks."""
    tz = get_zone(args.tz).key
    exdates = [parse_exdate(text) for text in args.exdate]
    try:
        rec = Recurrence.from_rrule(
            args.rule,
            start=parse_local(args.start, "--start"),
            tz=tz,
            duration=parse_duration(args.duration),
            exdates=exdates,
            disambiguate=args.disambiguate,
        )
        lo = parse_bound(args.window_from, "--from", tz)
        hi = parse_bound(args.window_to, "--to", tz)
        if hi < lo:  # named by the flags, not as between()'s window of ISO instants
            raise UsageError(
                f"--to {args.window_to!r} (the window's end) is before --from {args.window_from!r}"
            )
        occurrences = list(rec.between(lo, hi, max_candidates=args.max_candidates))
    except ExpansionLimitExceeded as exc:  # its text names the Python options
        raise UsageError(
            f"expanding {shown(exc.rule)} examined more than {exc.limit:,} candidate dates;"
            " ask for a smaller window (--from, --to) or raise the limit (--max-candidates)"
        ) from None
    except WallTimeError as exc:  # its text names the Python argument, disambiguate=
        happens = "does not exist" if isinstance(exc, SkippedTime) else "happens twice"
        raise UsageError(
            f"{exc.local.isoformat()} {happens} in {exc.zone} (--disambiguate"
            f" {args.disambiguate}); choose --disambiguate compatible, earlier, later or skip"
        ) from None
    return render(occurrences, args.format)


def _wall(at: datetime, seconds: bool = False) -> str:
    """``Mon 2026-03-02 18:00 CET``: the weekday, :func:`_day_time` and the zone's name."""
    return f"{at:%a} {_day_time(at, seconds)} {at:%Z}"


def _day_time(at: datetime, seconds: bool = False) -> str:
    """``YYYY-MM-DD HH:MM`` (``:SS`` with ``seconds``) with a four-digit year.

    ``strftime('%Y')`` drops zeros before 1000.
    """
    return f"{at.year:04d}-{at:%m-%d %H:%M}" + (f":{at:%S}" if seconds else "")
