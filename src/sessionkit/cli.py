"""Command line: ``python -m sessionkit expand RULE --start ... --tz ... --duration ...``.

``python -m sessionkit demo [--db URL] [--now ISO]`` schedules a small school (the LMS)
in a SQLite file (or any SQLAlchemy URL, or ``memory``) and prints its conflict
report and next week's agenda; running it again only tops up (sessionkit.demo).
``python -m sessionkit demo marketplace`` runs the tutoring marketplace instead
(slots, paid holds, waitlists, refunds; sessionkit.demo.marketplace) and
``python -m sessionkit demo consulting`` the consulting platform (public and
manual booking, payment status, bulk changes; sessionkit.demo.consulting) and
``python -m sessionkit demo coaching`` the coaching platform (contracts of N
sessions, reschedule requests both ways, completion with notes, no-shows,
progress; sessionkit.demo.coaching) and ``python -m sessionkit demo academy`` the
academy (a Quran circle and individual lessons whose statuses come from the
clock and the meeting room's joins; sessionkit.demo.academy), each in its own
SQLite file.

``python -m sessionkit tick --db URL [--tenant T] [--batch N] [--until-idle]``
does all due work once (for cron): rolling-window top-ups, reschedule
auto-approvals, timed transitions and hold expiry, with a progress line on
stderr and a summary on stdout; it exits 1 if some item failed (it stays due).
It works on a database that holds sessionkit's tables: a SQLite file that does
not exist, or a database without them, is refused (status 2), not created.

A demo whose tick fails an item (its ``report.failed``), or whose step meets an
error of host code (the coaching demo's fact provider's, the academy's meeting
provider's, the marketplace's payment provider's), says so in one line and exits
with status 1, as ``tick`` does. Bad arguments print one line to stderr and exit
with status 2; Ctrl-C prints one line and exits with status 130.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import unquote

from sessionkit.errors import (
    ExpansionLimitExceeded,
    MeetingRoomsError,
    PaymentGatewayError,
    SessionKitError,
    SkippedTime,
    WallTimeError,
)
from sessionkit.errors._base import shown
from sessionkit.model.text import check_id
from sessionkit.ports import SystemClock
from sessionkit.recurrence import MAX_CANDIDATES, Occurrence, Recurrence
from sessionkit.services.bookings import check_batch
from sessionkit.services.tick import MAX_TICK_BATCH, TICK_KINDS, TickReport
from sessionkit.zones import check_aware, check_instant, get_zone, local_date_start

if TYPE_CHECKING:  # the sqlalchemy extra, imported by the tick command alone
    from sqlalchemy.engine import Engine

__all__ = ["main", "parse_duration"]

_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$", re.ASCII)


_DEMO_DBS = {
    "lms": "sqlite:///sessionkit-demo.sqlite3",
    "marketplace": "sqlite:///sessionkit-marketplace.sqlite3",
    "consulting": "sqlite:///sessionkit-consulting.sqlite3",
    "coaching": "sqlite:///sessionkit-coaching.sqlite3",
    "academy": "sqlite:///sessionkit-academy.sqlite3",
}
"""Each demo platform's default database: its own SQLite file."""


class _UsageError(Exception):
    pass


class _Unreachable(Exception):
    """The tick's database cannot be reached: nothing was done, and the next run may do it."""


class _DueWorkFailed(Exception):
    """A demo's tick failed an item, or a step failed: it stopped there (status 1, as a tick's)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _positive_int(flag: str) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least 1, refused as ``flag`` otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise _UsageError(f"{flag} {text!r}: expected a whole number of at least 1")
        return value

    return parse


def parse_duration(text: str) -> timedelta:
    """Parse ``90m``, ``1h30m``, ``45s``, ``2h`` or ISO 8601 ``PT1H30M`` into a timedelta."""
    raw = text.strip()
    if raw.upper().startswith("PT"):
        raw = raw[2:].lower()
    match = _DURATION_RE.match(raw.lower())
    if not raw or match is None or not any(match.groups()):
        raise _UsageError(f"--duration {text!r}: expected e.g. 90m, 1h30m or PT1H30M")
    try:
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        value = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (OverflowError, ValueError):  # past timedelta's range, or too many digits for int()
        raise _UsageError(
            f"--duration {text!r}: too long, at most {timedelta.max.days} days"
        ) from None
    if value <= timedelta(0):
        raise _UsageError(f"--duration {text!r}: must be positive")
    return value


def _parse_local(
    text: str, flag: str, expected: str = "an ISO date-time such as 2026-03-02T18:00"
) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _UsageError(f"{flag} {text!r}: expected {expected}") from None
    return value


def _parse_aware(text: str, flag: str) -> datetime:
    """An instant: an ISO date-time with its offset (``--now``)."""
    example = "2026-04-06T07:00+00:00"
    value = _parse_local(text, flag, f"an ISO date-time with an offset, such as {example}")
    if value.tzinfo is None:
        raise _UsageError(f"{flag} {text!r}: give an offset, e.g. {example}")
    return value


def _parse_bound(text: str, flag: str, tz: str) -> datetime:
    """A window bound: a date (local midnight), a local date-time, or an aware date-time."""
    try:
        if "T" not in text and " " not in text:
            value = local_date_start(date.fromisoformat(text), tz)
        else:
            value = datetime.fromisoformat(text)
    except ValueError:
        raise _UsageError(
            f"{flag} {text!r}: expected a date (2026-03-01) or ISO date-time"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_zone(tz))
    # Checked here, so that a bound with no UTC equivalent is named by its flag, not
    # as the ``start`` or ``end`` argument of ``Recurrence.between`` it becomes.
    return check_aware(value, flag)


def _parse_exdate(text: str) -> datetime | date:
    """An excluded occurrence: a date, a local date-time, or an aware date-time.

    The forms of a window bound (:func:`_parse_bound`), told apart the same way,
    but a date stays a date and a local date-time stays local.
    """
    try:
        if "T" not in text and " " not in text:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise _UsageError(
            f"--exdate {text!r}: expected a date (2026-03-02) or a local date-time"
            " (2026-03-02T18:00 or 2026-03-02 18:00)"
        ) from None


_DESCRIPTION = """\
sessionkit's command line: expand a recurrence rule, run a demo of one of the
rebuilt platforms on a database, or do the due work once (for cron).
Bad arguments print one line to stderr and exit with status 2; a tick that
fails an item or cannot reach its database, or a demo that stops on a failed
step, exits with status 1 (running it again retries); Ctrl-C prints one line
and exits with status 130."""

_EXAMPLES = """\
examples:
  %(prog)s demo                 the LMS: a small school, in sessionkit-demo.sqlite3
  %(prog)s demo marketplace     also: consulting, coaching, academy
  %(prog)s demo --db postgresql+psycopg://localhost/school
  %(prog)s expand "FREQ=WEEKLY;BYDAY=MO,WE" --start 2026-03-02T18:00 \\
      --tz Europe/Berlin --duration 90m --from 2026-03-01 --to 2026-04-01
  %(prog)s tick --db sqlite:///sessionkit-demo.sqlite3 --until-idle

"%(prog)s COMMAND --help" describes each command."""


def _build_parser(prog: str | None) -> _Parser:
    parser = _Parser(
        prog=prog,
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    expand = commands.add_parser(
        "expand",
        help="print the occurrences of a recurrence rule in a window",
        description="Expand an RFC 5545 rule in an IANA zone and print its occurrences.",
    )
    expand.add_argument("rule", help='e.g. "FREQ=WEEKLY;BYDAY=MO,WE" (RRULE: prefix optional)')
    expand.add_argument(
        "--start",
        required=True,
        help="local DTSTART, e.g. 2026-03-02T18:00 (with an offset: that instant, in --tz)",
    )
    expand.add_argument("--tz", required=True, help="IANA zone, e.g. Europe/Berlin")
    expand.add_argument("--duration", required=True, help="e.g. 90m, 1h30m, PT1H30M")
    expand.add_argument("--from", dest="window_from", required=True, help="window start (date)")
    expand.add_argument("--to", dest="window_to", required=True, help="window end, exclusive")
    expand.add_argument(
        "--exdate", action="append", default=[], help="local date-time or date to exclude"
    )
    expand.add_argument(
        "--disambiguate",
        default="compatible",
        choices=("compatible", "earlier", "later", "raise", "skip"),
        help="local times in DST gaps/folds (default: RFC 5545)",
    )
    expand.add_argument("--format", choices=("table", "json", "csv"), default="table")
    expand.add_argument(
        "--max-candidates",
        type=_positive_int("--max-candidates"),
        default=MAX_CANDIDATES,
        metavar="N",
        help=f"the expansion's candidate dates at most (default: {MAX_CANDIDATES:,})",
    )
    demo = commands.add_parser(
        "demo",
        help="schedule a small school (or one of the rebuilt platforms: marketplace, "
        "consulting, coaching, academy) in a database and report",
        description="lms (the default): build three teachers and six groups in two time "
        "zones, materialise two months, and print the conflict report and next week's agenda. "
        "marketplace: tutors publish weekly 1-to-1 and group slots, students hold and pay for "
        "seats, cancel and wait for them; prints slots, bookings, free seats, money and an "
        "agenda. consulting: two consultants (a tenant each) take public bookings paid by "
        "card and add sessions paid by hand, cancel with refunds and mark sessions completed "
        "and paid in bulk; prints each consultant's dashboard. coaching: a contract of six "
        "sessions between a student and a coach, reschedule requests both ways, completion "
        "with notes, a missed session; prints progress and rates. academy: a Quran circle and "
        "individual lessons whose READY / ONGOING / COMPLETED / ABSENT come from the clock and "
        "the meeting room's joins, with a teacher's attendance override. Running any of them "
        "again on "
        "the same database writes nothing twice.",
    )
    demo.add_argument(
        "platform",
        nargs="?",
        default="lms",
        choices=tuple(_DEMO_DBS),
        help="which platform to run (default: lms)",
    )
    demo.add_argument(
        "--db",
        default=None,
        help="SQLAlchemy URL (default: sessionkit-demo.sqlite3, sessionkit-marketplace.sqlite3, "
        "sessionkit-consulting.sqlite3, sessionkit-coaching.sqlite3 or "
        "sessionkit-academy.sqlite3, in the current "
        "directory), or 'memory'",
    )
    demo.add_argument(
        "--now",
        default=None,
        help="the demo's 'now' as an aware ISO date-time (default 2026-03-02T07:00Z; "
        "consulting: 2026-03-02T04:30Z; coaching: 2026-03-02T14:00Z; academy: "
        "2026-03-02T06:00Z); a later one makes the rolling window refill once less than "
        "its buffer is left ahead (the LMS keeps four weeks: about a month later), and the "
        "marketplace then removes the slots nobody booked, so it is not played at an earlier "
        "--now on that database again",
    )
    tick = commands.add_parser(
        "tick",
        help="do all due work once (top-ups, auto-approvals, timers, hold expiry), for cron",
        description="Run SessionKit.tick against a database set up by sessionkit's migrations, "
        "with the preset lifecycles: claimed batches, so several ticks may run at once. A "
        "progress line goes to stderr, a summary to stdout; exit status 1 if an item failed.",
    )
    tick.add_argument("--db", required=True, help="SQLAlchemy URL of the sessionkit database")
    tick.add_argument("--tenant", default=None, help="only this tenant (default: all)")
    tick.add_argument("--batch", type=int, default=200, help="items per unit of work (1..1000)")
    tick.add_argument(
        "--kind",
        action="append",
        default=None,
        choices=TICK_KINDS,
        help="only this kind of work (repeatable; default: all)",
    )
    tick.add_argument(
        "--until-idle", action="store_true", help="tick again until a tick finds nothing to do"
    )
    tick.add_argument("--now", default=None, help="the tick's instant, aware ISO (default: now)")
    # As --help shows the commands; without it a bare "python -m sessionkit" was told only
    # "the following arguments are required: command", naming none of them.
    commands.metavar = "{" + ",".join(commands.choices) + "}"
    return parser


def _sqlite_uri_file(name: str) -> str | None:
    """The file SQLite opens for ``name`` in URI mode; ``None`` for a database in memory.

    As SQLite reads it (https://www.sqlite.org/uri.html): a name that does not
    start with ``file:`` is a plain file name; else an optional ``//authority``,
    then the path up to ``?`` or ``#`` and ``key=value`` pairs joined by ``&``,
    all %-escaped. ``mode=memory``, the path ``:memory:`` and an empty path (a
    private temporary database) open no file of that name.
    """
    path, mode = name, None
    if name.startswith("file:"):
        rest = name.removeprefix("file:").partition("#")[0]
        if rest.startswith("//"):  # the authority, empty or localhost, ends at the path's "/"
            slash = rest.find("/", 2)
            rest = rest[slash:] if slash >= 0 else ""
        path, _, query = rest.partition("?")
        path = unquote(path)
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            if unquote(key) == "mode":
                mode = unquote(value)
    if mode == "memory" or path in ("", ":memory:"):
        return None
    return path


def _check_tables(engine: Engine, url: str) -> None:
    """Refuse a database without sessionkit's tables (a mistyped path, say) in one line.

    ``url`` is the URL as messages show it, its password masked
    (:func:`~sessionkit.demo._common.shown_url`).

    A SQLite file that does not exist (named by its path, or by a ``file:``
    URI with ``uri=true``) is refused before connecting, which would create it
    empty. A database that cannot be opened or reached is :class:`_Unreachable`,
    said in one line as the demo says it (not once per kind of due work).
    """
    from sqlalchemy import inspect
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.util import asbool

    from sessionkit.adapters.sqlalchemy.rows import sessions_table
    from sessionkit.demo._common import (
        check_database_named,
        check_sync_driver,
        connect_refusal,
        missing_schema,
    )

    check_database_named(engine, url)
    check_sync_driver(engine, url)
    database = engine.url.database
    uri = asbool(engine.url.query.get("uri", False))  # as SQLAlchemy's pysqlite reads it
    path: str | None = None
    if engine.dialect.name != "sqlite":
        missing = False
    elif uri:  # a file: URI opens (and creates) the file its path names, unless in memory
        arguments, _ = engine.dialect.create_connect_args(engine.url)  # what sqlite3 is given
        path = _sqlite_uri_file(arguments[0])
        missing = path is not None and not Path(path).is_file()
    else:
        path = database if database and database != ":memory:" else None
        missing = path is None or not Path(path).is_file()
    if missing:
        said = (
            " names a directory, not a SQLite file"
            if path is not None and Path(path).is_dir()
            else ": no such SQLite file"
        )
        raise _UsageError(
            f"--db {url!r}{said}; tick works on a database that holds sessionkit's tables"
        )
    refusal = connect_refusal(engine)
    if refusal is not None:
        database = refusal.missing_database
        if database is not None:
            raise _UsageError(
                f"--db {url!r}: {database}, so it holds no sessionkit tables: create the "
                "database, then the tables (sessionkit.adapters.sqlalchemy.upgrade, or your "
                "migrations)"
            )
        raise _Unreachable(
            f"--db {url!r}: the database cannot be opened or reached ({refusal.said}); "
            "nothing was done"
        )
    schema = missing_schema(engine)
    if schema is not None:
        raise _UsageError(
            f"--db {url!r}: {schema}, so it holds no sessionkit tables: create the schema, "
            "then the tables (sessionkit.adapters.sqlalchemy.upgrade, or your migrations)"
        )
    try:
        with engine.connect() as connection:
            present = inspect(connection).has_table(sessions_table.name)
    except DBAPIError as exc:
        said = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise _Unreachable(
            f"--db {url!r}: the database cannot be opened or reached ({said}); nothing was done"
        ) from None
    if not present:
        raise _UsageError(
            f"--db {url!r} holds no sessionkit tables ({sessions_table.name} is missing): "
            "create them first (sessionkit.adapters.sqlalchemy.upgrade, or your migrations)"
        )


def _tick(args: argparse.Namespace) -> tuple[str, int]:
    from sessionkit.demo._common import driver_hint, make_engine, shown_url, url_hint

    shown = shown_url(args.db)  # in messages: a cron job's stderr goes to mail and logs
    if args.db == "memory":  # the demo's store: empty in a new process, so nothing is ever due
        raise _UsageError(
            "--db 'memory': tick works on a database that holds sessionkit's tables; a store "
            "in memory is empty in each run (that --db is the demo's alone)"
        )
    try:
        from sqlalchemy.exc import ArgumentError

        from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
    except ImportError:  # pragma: no cover - the sqlalchemy extra is missing
        raise _UsageError(
            f"--db {shown!r} needs SQLAlchemy: pip install 'sessionkit[sqlalchemy]'"
        ) from None
    from sessionkit.services import SessionKit
    from sessionkit.services.attendance import attendance_facts

    now = None
    if args.now is not None:
        now = _parse_aware(args.now, "--now")
        check_instant(now, "--now")  # named as given, and before the database is opened
    try:
        engine = make_engine(args.db, shown)
    except SessionKitError:  # said by make_engine: arguments the driver would ignore or misread
        raise
    except (ArgumentError, ValueError) as exc:
        raise _UsageError(
            f"--db {shown!r} is not a SQLAlchemy database URL ({exc}){url_hint(shown)}"
        ) from None
    except ImportError as exc:  # SQLAlchemy imports the URL's driver here
        raise _UsageError(
            f"--db {shown!r}: its database driver is not installed ({exc}){driver_hint(shown)}"
        ) from None
    try:
        # The arguments first, as the tick checks them, then the database they name.
        if args.tenant is not None:
            check_id(args.tenant, "--tenant")  # the tenant's rules, named as the flag
        check_batch(args.batch, "--batch", MAX_TICK_BATCH)
        _check_tables(engine, shown)
    except BaseException:
        engine.dispose()
        raise
    # The stored presence log gives the lifecycles' attended facts (the academy's ABSENT,
    # the coaching no-show): without them a timer that asks would fail its item.
    kit = SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work, clock=SystemClock(), facts=attendance_facts()
    )
    live = sys.stderr.isatty()

    def progress(report: TickReport) -> None:
        line = (
            f"tick: {report.batches:,} batches, {report.done:,} done, {len(report.failed):,} failed"
        )
        if live:
            print(f"\r{line}", end="", file=sys.stderr, flush=True)

    lines: list[str] = []
    failed = 0
    try:
        while True:
            report = kit.tick(
                args.tenant,
                now=now,
                batch=args.batch,
                kinds=args.kind or TICK_KINDS,
                progress=progress,
            )
            line = (
                f"tick: {report.batches:,} batches, {report.done:,} done, "
                f"{len(report.failed):,} failed"
            )
            # On a terminal over the progress line (the last one says the same), not after it.
            print(f"\r{line}" if live else line, file=sys.stderr)
            lines.append(f"{report.now.isoformat()}: {report.summary()}")
            failed += len(report.failed)
            lines.extend(
                f"  failed {f.kind} {f.tenant}/{f.item_id}: {f.error}" for f in report.failed
            )
            if not args.until_idle or report.idle:
                break
    finally:
        engine.dispose()
    return "\n".join(lines), 1 if failed else 0


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


def _render(occurrences: Sequence[Occurrence], fmt: str) -> str:
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


def _expand(args: argparse.Namespace) -> str:
    tz = get_zone(args.tz).key
    exdates = [_parse_exdate(text) for text in args.exdate]
    try:
        rec = Recurrence.from_rrule(
            args.rule,
            start=_parse_local(args.start, "--start"),
            tz=tz,
            duration=parse_duration(args.duration),
            exdates=exdates,
            disambiguate=args.disambiguate,
        )
        lo = _parse_bound(args.window_from, "--from", tz)
        hi = _parse_bound(args.window_to, "--to", tz)
        if hi < lo:  # named by the flags, not as between()'s window of ISO instants
            raise _UsageError(
                f"--to {args.window_to!r} (the window's end) is before --from {args.window_from!r}"
            )
        occurrences = list(rec.between(lo, hi, max_candidates=args.max_candidates))
    except ExpansionLimitExceeded as exc:  # its text names the Python options
        raise _UsageError(
            f"expanding {shown(exc.rule)} examined more than {exc.limit:,} candidate dates;"
            " ask for a smaller window (--from, --to) or raise the limit (--max-candidates)"
        ) from None
    except WallTimeError as exc:  # its text names the Python argument, disambiguate=
        happens = "does not exist" if isinstance(exc, SkippedTime) else "happens twice"
        raise _UsageError(
            f"{exc.local.isoformat()} {happens} in {exc.zone} (--disambiguate"
            f" {args.disambiguate}); choose --disambiguate compatible, earlier, later or skip"
        ) from None
    return _render(occurrences, args.format)


def _demo(args: argparse.Namespace) -> str:
    from sessionkit.demo import (
        DEMO_NOW,
        academy,
        coaching,
        coaching_story,
        consulting,
        consulting_story,
        marketplace_story,
        render,
    )

    now = {
        "consulting": consulting.DEMO_NOW,
        "coaching": coaching.DEMO_NOW,
        "academy": academy.DEMO_NOW,
    }.get(args.platform, DEMO_NOW)
    if args.now is not None:
        now = _parse_aware(args.now, "--now")
        check_instant(now, "--now")  # named as given, not as the demo's clock reads it
    from sessionkit.demo._common import DueWorkFailed, StepFailed

    db = _DEMO_DBS[args.platform] if args.db is None else args.db
    try:
        if args.platform == "marketplace":
            return marketplace_story.render(now, db=db)
        if args.platform == "consulting":
            return consulting_story.render(now, db=db)
        if args.platform == "coaching":
            return coaching_story.render(now, db=db)
        if args.platform == "academy":
            return academy.render(now, db=db)
        return render(now, db=db)
    except (DueWorkFailed, StepFailed) as exc:  # not bad usage: the next run may do it (status 1)
        raise _DueWorkFailed(str(exc)) from None
    except (PaymentGatewayError, MeetingRoomsError) as exc:  # a provider's, as a step's
        raise _DueWorkFailed(
            f"{exc}; the demo stopped there (running it again retries it)"
        ) from None


def _wall(at: datetime, seconds: bool = False) -> str:
    """``Mon 2026-03-02 18:00 CET``: the weekday, :func:`_day_time` and the zone's name."""
    return f"{at:%a} {_day_time(at, seconds)} {at:%Z}"


def _day_time(at: datetime, seconds: bool = False) -> str:
    """``YYYY-MM-DD HH:MM`` (``:SS`` with ``seconds``) with a four-digit year.

    ``strftime('%Y')`` drops zeros before 1000.
    """
    return f"{at.year:04d}-{at:%m-%d %H:%M}" + (f":{at:%S}" if seconds else "")


class _LostCtrlC:
    """A ``sys.unraisablehook`` that notes a Ctrl-C Python could not raise.

    Ctrl-C raises ``KeyboardInterrupt`` in whatever code runs, and in a garbage
    collector's callback (SQLAlchemy's, say) Python cannot raise it: it printed
    "Exception ignored in ..." with a traceback, and the command ran on to status 0.
    Such a Ctrl-C is noted in :attr:`pressed` instead; other errors go to ``previous``.
    """

    def __init__(self, previous: Callable[[sys.UnraisableHookArgs], object]) -> None:
        self.previous = previous
        self.pressed = False

    def __call__(self, unraisable: sys.UnraisableHookArgs) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            self.pressed = True
        else:
            self.previous(unraisable)


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run the command line; returns the exit status.

    0 ok, 1 a tick (or a demo's) failed items, a demo's step failed, or a tick could not
    reach its database (or the output could not be written), 2 bad usage, 130 interrupted
    (Ctrl-C).

    ``prog`` is the command as ``--help`` shows it: ``None`` for the name it was run by
    (the file name of ``sys.argv[0]``, as argparse reads it: the installed script's
    ``sessionkit``); ``python -m sessionkit``, whose file is ``__main__.py``, passes its own.
    """
    lost_ctrl_c = _LostCtrlC(sys.unraisablehook)
    sys.unraisablehook = lost_ctrl_c
    try:
        args = _build_parser(prog).parse_args(argv)  # a Ctrl-C while it builds is said as any other
        status = 0
        if args.command == "tick":
            output, status = _tick(args)
        else:
            output = _demo(args) if args.command == "demo" else _expand(args)
        if lost_ctrl_c.pressed:  # said as the Ctrl-C it was, not as work done in full
            raise KeyboardInterrupt
    except _UsageError as exc:
        print(f"sessionkit: error: {exc}", file=sys.stderr)
        return 2
    except (_Unreachable, _DueWorkFailed) as exc:  # as failed items: the next run may do them
        print(f"sessionkit: error: {exc}", file=sys.stderr)
        return 1
    except SessionKitError as exc:
        print(f"sessionkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback; 128 + SIGINT, as shells say
        print("sessionkit: interrupted", file=sys.stderr)
        return 130
    finally:
        sys.unraisablehook = lost_ctrl_c.previous
    try:
        print(output)
        sys.stdout.flush()  # a full disk is found here, not in the flush at exit
    except BrokenPipeError:  # e.g. piped into `head`: not an error of ours
        sys.stdout = None  # silence the flush at exit
    except OSError as exc:  # the output could not be written (a full disk): said in one line
        sys.stdout = None
        print(f"sessionkit: error: the output could not be written ({exc})", file=sys.stderr)
        return 1
    return status
