"""A demo played in this process, as ``python -m sessionkit`` would play it in ``cwd``.

A rerun in a subprocess proved nothing the first (subprocess) play had not: it cost an
interpreter start and sessionkit's imports, seconds each on CI.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

from sessionkit.cli import main


def play_in_process(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``main(argv)`` run in ``cwd``; its status, stdout and stderr, as a subprocess's."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return subprocess.CompletedProcess(list(argv), code, out.getvalue(), err.getvalue())
