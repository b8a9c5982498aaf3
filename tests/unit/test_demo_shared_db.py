"""All five demos in one database: tenants of their own, so they keep out of each other's way."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessionkit.cli import main

PLATFORMS = ("lms", "marketplace", "academy", "consulting", "coaching")


def _demo(capsys: pytest.CaptureFixture[str], platform: str, db: str) -> list[str]:
    assert main(["demo", platform, "--db", db]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out.splitlines()[1:]  # the first line names the database


def _counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, func, inspect, select, table

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {
                name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


def test_the_five_demos_share_one_database_and_each_rerun_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README: "all five may share one --db, each rerun still writing nothing twice".
    pytest.importorskip("sqlalchemy")
    shared = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    for platform in PLATFORMS:  # each reports as it does alone in a file of its own
        alone = f"sqlite:///{tmp_path / platform}.sqlite3"
        assert _demo(capsys, platform, shared) == _demo(capsys, platform, alone), platform
    counts = _counts(shared)
    assert counts["sessionkit_sessions"] == 90 + 32 + 28 + 9 + 6
    for platform in PLATFORMS:
        _demo(capsys, platform, shared)
    assert _counts(shared) == counts
