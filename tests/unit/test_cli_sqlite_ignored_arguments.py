"""A SQLite URL argument that pysqlite would drop is refused under SQLAlchemy 2.0 too.

SQLAlchemy 2.0 (our floor is 2.0.5) drops ``mode=ro`` from ``sqlite:///x.db?mode=ro``
without a word, where 2.1 warns; the command line refused it only by that warning, so
at 2.0 the demo wrote to the file it was told to only read (found by ``nox -s lowest``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sessionkit.cli import main


@pytest.mark.parametrize("command", [["tick"], ["demo"]], ids=["tick", "demo"])
def test_mode_without_uri_is_refused_where_sqlalchemy_says_nothing(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = tmp_path / "demo.sqlite3"
    if command == ["tick"]:
        assert main(["demo", "--db", f"sqlite:///{file}"]) == 0
        capsys.readouterr()
    before = file.read_bytes() if file.exists() else None
    monkeypatch.setattr("sqlalchemy.util.warn", lambda *args, **kwargs: None)  # 2.0 is silent
    url = f"sqlite:///{file}?mode=ro&cache=shared"
    assert main([*command, "--db", url]) == 2
    said = (
        "Query string argument(s) 'cache', 'mode' are not accepted by the pysqlite driver and "
        "are being ignored; SQLite URI arguments require that 'uri=true' also be present in "
        "the URL; refused rather than ignored"
    )
    assert capsys.readouterr() == ("", f"sessionkit: error: --db {url!r}: {said}\n")
    assert (file.read_bytes() if file.exists() else None) == before
