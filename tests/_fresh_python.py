"""Run code in a fresh interpreter, where nothing of sessionkit or Hypothesis is imported yet.

For the tests of what an import imports (``import sessionkit``, ``import hypothesis``
and sessionkit's ``hypothesis`` entry point): the test process has imported
everything long before.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def run_python(code: str, **env: str) -> list[str]:
    """Run ``code`` (dedented) in a fresh interpreter, ``env`` added; return its output's lines.

    A run that fails fails the test with its stderr (the traceback), which
    ``check=True``'s error left out.
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
        timeout=120,
    )
    assert done.returncode == 0, f"exit status {done.returncode}:\n{done.stderr}"
    return done.stdout.splitlines()
