"""``python -m sessionkit tick``: all due work done once, for cron, on a sessionkit database.

It opens only a database that holds sessionkit's tables: a SQLite file that does not
exist (which connecting would create empty), a database or schema that does not
exist, or one without the tables is a usage error (status 2); one that cannot be
opened or reached is :class:`~sessionkit.cli._args.Unreachable` (status 1), said in
one line before any work. The composition root: it wires the SQLAlchemy store.

``--budget SECONDS`` is measured on :func:`time.monotonic` from the command's start
and given to ``kit.tick`` as its ``should_stop``: no batch starts once it is spent,
the summary says "stopped early, more is due", and ``--until-idle`` ticks no more
(a tick that ended past it is followed by "tick: not started, the --budget was
spent; more may be due", not by another tick). That is no failure (status 0,
unless an item failed): the next run does the rest.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from sessionkit.cli._args import Unreachable, UsageError, parse_aware
from sessionkit.errors import SessionKitError
from sessionkit.model.text import check_id
from sessionkit.ports import SystemClock
from sessionkit.services.bookings import check_batch
from sessionkit.services.tick import MAX_TICK_BATCH, TICK_KINDS, TickReport
from sessionkit.zones import check_instant

if TYPE_CHECKING:  # the sqlalchemy extra, imported by the tick command alone
    from sqlalchemy.engine import Engine

__all__ = ["tick"]

_monotonic: Callable[[], float] = time.monotonic
"""The clock ``--budget`` is measured on (a test puts a fake one here)."""


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
    empty. A database that cannot be opened or reached is
    :class:`~sessionkit.cli._args.Unreachable`, said in one line as the demo says it
    (not once per kind of due work).
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
    from sessionkit.demo._database import arguments_refused

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
        raise UsageError(
            f"--db {url!r}{said}; tick works on a database that holds sessionkit's tables"
        )
    refusal = connect_refusal(engine)
    if refusal is not None:
        refused = arguments_refused(url, refusal)
        if refused is not None:  # the URL must change: running again cannot help
            raise UsageError(refused)
        database = refusal.missing_database
        if database is not None:
            raise UsageError(
                f"--db {url!r}: {database}, so it holds no sessionkit tables: create the "
                "database, then the tables (sessionkit.adapters.sqlalchemy.upgrade, or your "
                "migrations)"
            )
        raise Unreachable(
            f"--db {url!r}: the database cannot be opened or reached ({refusal.said}); "
            "nothing was done"
        )
    schema = missing_schema(engine)
    if schema is not None:
        raise UsageError(
            f"--db {url!r}: {schema}, so it holds no sessionkit tables: create the schema, "
            "then the tables (sessionkit.adapters.sqlalchemy.upgrade, or your migrations)"
        )
    try:
        with engine.connect() as connection:
            present = inspect(connection).has_table(sessions_table.name)
    except DBAPIError as exc:
        said = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise Unreachable(
            f"--db {url!r}: the database cannot be opened or reached ({said}); nothing was done"
        ) from None
    if not present:
        raise UsageError(
            f"--db {url!r} holds no sessionkit tables ({sessions_table.name} is missing): "
            "create them first (sessionkit.adapters.sqlalchemy.upgrade, or your migrations)"
        )


def tick(args: argparse.Namespace) -> tuple[str, int]:
    """``tick``: the due work done once (or until idle); its summary, and 1 if an item failed.

    With ``args.budget`` (seconds), no batch starts once that long has passed since
    this call, on the monotonic clock; the report then says ``more``.
    """
    should_stop: Callable[[], bool] | None = None
    if args.budget is not None:
        deadline: float = _monotonic() + args.budget  # from the start: the checks count

        def should_stop() -> bool:
            return _monotonic() >= deadline

    from sessionkit.demo._common import driver_hint, make_engine, shown_url, url_hint
    from sessionkit.demo._database_urls import masked_text

    shown = shown_url(args.db)  # in messages: a cron job's stderr goes to mail and logs
    if args.db == "memory":  # the demo's store: empty in a new process, so nothing is ever due
        raise UsageError(
            "--db 'memory': tick works on a database that holds sessionkit's tables; a store "
            "in memory is empty in each run (that --db is the demo's alone)"
        )
    try:
        from sqlalchemy.exc import ArgumentError

        from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
    except ImportError:  # pragma: no cover - the sqlalchemy extra is missing
        raise UsageError(
            f"--db {shown!r} needs SQLAlchemy: pip install 'sessionkit[sqlalchemy]'"
        ) from None
    from sessionkit.services import SessionKit
    from sessionkit.services.attendance import attendance_facts

    now = None
    if args.now is not None:
        now = parse_aware(args.now, "--now")
        check_instant(now, "--now")  # named as given, and before the database is opened
    try:
        engine = make_engine(args.db, shown)
    except SessionKitError:  # said by make_engine: arguments the driver would ignore or misread
        raise
    except (ArgumentError, ValueError) as exc:
        said = masked_text(str(exc), args.db)  # SQLAlchemy 2.0.5 quotes the text given
        raise UsageError(
            f"--db {shown!r} is not a SQLAlchemy database URL ({said}){url_hint(shown)}"
        ) from None
    except ImportError as exc:  # SQLAlchemy imports the URL's driver here
        raise UsageError(
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
                should_stop=should_stop,
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
            if not args.until_idle or report.idle or report.more:  # more: the budget is spent
                break
            # Spent by a tick that was not stopped (no batch was left to stop before): another
            # would read all that is due past the budget, so say it was not started instead.
            if should_stop is not None and should_stop():
                lines.append("tick: not started, the --budget was spent; more may be due")
                break
    finally:
        engine.dispose()
    return "\n".join(lines), 1 if failed else 0
