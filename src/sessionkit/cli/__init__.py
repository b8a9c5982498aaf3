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

``python -m sessionkit tick --db URL [--tenant T] [--batch N] [--until-idle]
[--budget SECONDS]`` does all due work once (for cron): rolling-window top-ups,
reschedule auto-approvals, timed transitions and hold expiry, with a progress
line on stderr and a summary on stdout; ``--budget`` stops it between batches
(the summary says more is due; status 0 unless an item failed). It works on a
database that holds sessionkit's tables: a SQLite file that does not exist, or a
database without them, is refused, not created.

Every command says an error in one line on stderr, and exits with the same
status for the same kind of failure: 2 when the command line is wrong (a bad
argument, a ``--db`` that is no database URL, names a driver that is not
installed, gives query arguments its driver refuses, or names a database,
schema, file or tables that are not there),
as argparse does; 1 when the work could not be done and running the command
again may do it (a database that cannot be opened or reached, a storage fault
or a concurrent writer while working, a tick's failed item, a demo's failed
step or provider call, output that could not be written); 130 on Ctrl-C.

The package's modules: ``_args`` (the errors behind those statuses, and the
values' parsers), ``_parser`` (argparse), ``_expand``, ``_demo`` and ``_tick``
(one command each); :func:`main` here runs them and sorts their errors.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from sessionkit.cli._args import Unreachable, UsageError, WorkFailed, parse_duration
from sessionkit.cli._demo import demo as _demo
from sessionkit.cli._expand import expand as _expand
from sessionkit.cli._parser import build_parser as _build_parser
from sessionkit.cli._tick import tick as _tick
from sessionkit.errors import ConcurrentModification, SessionKitError, StorageError

__all__ = ["main", "parse_duration"]


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


def _masked(said: str, db: str | None) -> str:
    """``said`` without ``--db``'s password, whatever words SQLAlchemy or a driver put in it.

    A cron job's stderr goes to mail and logs; the messages mask the URL they
    name, and this masks what they quote (SQLAlchemy 2.0.5 quoted the text given).
    """
    if not db:
        return said
    from sessionkit.demo._database_urls import masked_text

    return masked_text(said, db)


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run the command line; returns the exit status.

    0 ok; 1 the work could not be done (a tick's or a demo's failed items, a demo's failed
    step, a database that cannot be opened or reached, a storage fault or a concurrent
    writer while working, output that could not be written); 2 bad usage (arguments, or a
    ``--db`` naming no usable database); 130 interrupted (Ctrl-C).

    ``prog`` is the command as ``--help`` shows it: ``None`` for the name it was run by
    (the file name of ``sys.argv[0]``, as argparse reads it: the installed script's
    ``sessionkit``); ``python -m sessionkit``, whose file is ``__main__.py``, passes its own.
    """
    lost_ctrl_c = _LostCtrlC(sys.unraisablehook)
    sys.unraisablehook = lost_ctrl_c
    db: str | None = None  # the --db given, whose password no error may show
    try:
        args = _build_parser(prog).parse_args(argv)  # a Ctrl-C while it builds is said as any other
        db = getattr(args, "db", None)
        status = 0
        if args.command == "tick":
            output, status = _tick(args)
        else:
            output = _demo(args) if args.command == "demo" else _expand(args)
        if lost_ctrl_c.pressed:  # said as the Ctrl-C it was, not as work done in full
            raise KeyboardInterrupt
    except UsageError as exc:
        print(f"sessionkit: error: {_masked(str(exc), db)}", file=sys.stderr)
        return 2
    # Not the arguments': the database or the work failed, and the next run may succeed
    # (a demo's store refusing a write as a tick's failed item is, not as a bad --db).
    except (Unreachable, WorkFailed, StorageError, ConcurrentModification) as exc:
        print(f"sessionkit: error: {_masked(str(exc), db)}", file=sys.stderr)
        return 1
    except SessionKitError as exc:  # a value the arguments gave, refused by the library
        print(f"sessionkit: error: {_masked(str(exc), db)}", file=sys.stderr)
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
