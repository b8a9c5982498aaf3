"""The notebook extras stay optional: importing sessionkit loads no pandas, polars or matplotlib."""

from __future__ import annotations

import subprocess
import sys


def test_core_and_contrib_modules_import_no_frame_or_plot_library() -> None:
    code = (
        "import sys, sessionkit, sessionkit.model.records, sessionkit.model.html, "
        "sessionkit.services, sessionkit.contrib.frames, sessionkit.contrib.plot; "
        "print(sorted(m for m in ('pandas', 'polars', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
