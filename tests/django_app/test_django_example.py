"""The LMS example (``examples/django_lms``) passes its own tests, run by its ``manage.py``.

A subprocess: the example has settings of its own, and this process's Django is
configured already (by this directory's conftest).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "django_lms"


def test_the_lms_example_passes_its_tests_through_the_test_client() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "error"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), "test", "courses", "--noinput"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Ran 3 tests" in done.stderr
    assert done.stderr.rstrip().splitlines()[-2:] == [
        "OK",
        "Destroying test database for alias 'default'...",
    ]
