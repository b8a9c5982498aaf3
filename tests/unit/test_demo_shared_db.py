"""All five demos in one database: tenants of their own, so they keep out of each other's way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sessionkit.cli import main

PLATFORMS = ("lms", "marketplace", "academy", "consulting", "coaching")

_LMS_IDS = re.compile(r"\bs\d{12}-(?=\d{4}\b)")
"""The lms demo's session ids in a database (``s202603020700-0001``; ``s0001`` in memory)."""


def _demo(capsys: pytest.CaptureFixture[str], platform: str, db: str) -> list[str]:
    assert main(["demo", platform, "--db", db]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    # The first line names the database; the lms demo's ids in one name the day it ran.
    return [_LMS_IDS.sub("s", line) for line in out.splitlines()[1:]]


def _rows(url: str) -> dict[str, list[str]]:
    """Every row of every table: a rerun that updates one (a version, a status) shows here."""
    from sqlalchemy import create_engine, inspect, select, table

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: sorted(map(repr, connection.execute(select("*").select_from(table(name)))))
                for name in inspect(connection).get_table_names()
            }
    finally:
        engine.dispose()


def test_the_five_demos_share_one_database_and_each_rerun_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README: "all five may share one --db, each rerun still writing nothing twice".
    pytest.importorskip("sqlalchemy")
    shared = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    for platform in PLATFORMS:
        # Each reports as it does alone: in memory, a store of its own (test_demo holds the
        # memory output to a SQLite file's), far cheaper than a file of its own each.
        assert _demo(capsys, platform, shared) == _demo(capsys, platform, "memory"), platform
    rows = _rows(shared)
    assert len(rows["sessionkit_sessions"]) == 90 + 32 + 28 + 9 + 6
    for platform in PLATFORMS:
        _demo(capsys, platform, shared)
    # Not a row added, removed or changed: row counts alone missed an update (a demo's tick
    # advancing another demo's sessions).
    assert _rows(shared) == rows
