"""The command line's argparse parser: its commands, their flags, help and examples.

Every usage error argparse finds is raised as :class:`~sessionkit.cli._args.UsageError`
(one line, status 2), not printed with the usage as argparse's ``error`` would.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from sessionkit.cli._args import UsageError, positive_int, positive_seconds
from sessionkit.recurrence import MAX_CANDIDATES
from sessionkit.services.tick import TICK_KINDS

__all__ = ["DEMO_DBS", "Parser", "build_parser"]

DEMO_DBS = {
    "lms": "sqlite:///sessionkit-demo.sqlite3",
    "marketplace": "sqlite:///sessionkit-marketplace.sqlite3",
    "consulting": "sqlite:///sessionkit-consulting.sqlite3",
    "coaching": "sqlite:///sessionkit-coaching.sqlite3",
    "academy": "sqlite:///sessionkit-academy.sqlite3",
}
"""Each demo platform's default database: its own SQLite file."""


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are raised as :class:`UsageError`, said by ``main``."""

    def error(self, message: str) -> NoReturn:
        """Raise ``message`` as a :class:`UsageError`."""
        raise UsageError(message)


_DESCRIPTION = """\
sessionkit's command line: expand a recurrence rule, run a demo of one of the
rebuilt platforms on a database, or do the due work once (for cron).
Every command says an error in one line on stderr. Exit status 2: the
command line is wrong (a bad argument, a --db that is no database URL or names
a database, file or tables that are not there); 1: the work could not be done
(a database that cannot be opened or reached, a storage fault while working, a
tick's failed item, a demo's failed step; running it again retries); 130:
Ctrl-C."""

_EXAMPLES = """\
examples:
  %(prog)s demo                 the LMS: a small school, in sessionkit-demo.sqlite3
  %(prog)s demo marketplace     also: consulting, coaching, academy
  %(prog)s demo --db postgresql+psycopg://localhost/school
  %(prog)s expand "FREQ=WEEKLY;BYDAY=MO,WE" --start 2026-03-02T18:00 \\
      --tz Europe/Berlin --duration 90m --from 2026-03-01 --to 2026-04-01
  %(prog)s tick --db sqlite:///sessionkit-demo.sqlite3 --until-idle --budget 50

"%(prog)s COMMAND --help" describes each command."""


def build_parser(prog: str | None) -> Parser:
    """The command line's parser (``expand``, ``demo``, ``tick``), ``prog`` as ``--help`` says."""
    parser = Parser(
        prog=prog,
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
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
        type=positive_int("--max-candidates"),
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
        choices=tuple(DEMO_DBS),
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
        "progress line goes to stderr, a summary to stdout; exit status 1 if an item failed. "
        "With --budget it stops between batches once the budget is spent, its summary says "
        "'stopped early, more is due', and it exits 0 (unless an item failed): the next run "
        "does the rest.",
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
    tick.add_argument(
        "--budget",
        type=positive_seconds("--budget"),
        default=None,
        metavar="SECONDS",
        help="start no batch once SECONDS (a number above 0) have passed since the command "
        "started, on the monotonic clock; a batch started runs to its end (default: no limit)",
    )
    # As --help shows the commands; without it a bare "python -m sessionkit" was told only
    # "the following arguments are required: command", naming none of them.
    commands.metavar = "{" + ",".join(commands.choices) + "}"
    return parser
