"""Ctrl-C while ``python -m sessionkit`` imports the package is main()'s one line and 130.

``python -m sessionkit`` imports the package (its errors; the rest on first use)
before its ``__main__``, whose ``try`` covers the CLI's own import only (most of
the start-up time): a Ctrl-C before it was a traceback and the status of a
process killed by SIGINT. Each test presses Ctrl-C at a set point, not after a
delay: a ``sitecustomize`` on the child's path sends SIGINT to the child itself
when a given module starts importing, and records which handler Ctrl-C then had.
The ``sessionkit`` console script, an installer's script for the entry point
pyproject.toml declares, is held to the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import _sessionkit_cli
from sessionkit import _startup

ROOT = Path(__file__).resolve().parents[2]

_CTRL_C = """\
import os, signal, sys

# As a terminal leaves it, even under a parent that ignores SIGINT (a background job).
signal.signal(signal.SIGINT, signal.default_int_handler)


class CtrlC:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(CtrlC)
            with open({record!r}, "w") as record:
                record.write(signal.getsignal(signal.SIGINT).__name__)
            {kill}
        return None


sys.meta_path.insert(0, CtrlC)
"""


_KILL = "os.kill(os.getpid(), signal.SIGINT)"
_KILL_DROPPING = (
    "try:\n                {kill}\n            except BaseException:\n                pass"
)


def _run(
    tmp_path: Path, at: str, *args: str, dropping: bool = False
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``python *args`` pressing Ctrl-C as module ``at`` starts importing.

    With ``dropping``, the code Ctrl-C interrupts drops any exception it raises.
    Return the process and the name of the SIGINT handler at that moment.
    """
    record = tmp_path / "handler.txt"
    record.unlink(missing_ok=True)  # an earlier run's
    kill = _KILL_DROPPING.format(kill=_KILL) if dropping else _KILL
    (tmp_path / "sitecustomize.py").write_text(
        _CTRL_C.format(module=at, record=str(record), kill=kill)
    )
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=120,
        check=False,
    )
    return done, record.read_text() if record.exists() else "(never imported)"


@pytest.mark.parametrize(
    "at",
    [
        "sessionkit.errors",  # the package's first import: it was a traceback
        "sessionkit.services.analytics",  # deep in the import of what the CLI uses
        "sessionkit.cli",  # __main__ importing the CLI, as before
    ],
)
def test_ctrl_c_while_the_package_imports_is_one_line_and_130(tmp_path: Path, at: str) -> None:
    done, handler = _run(tmp_path, at, "-m", "sessionkit", "expand", "--help")
    assert (done.returncode, done.stderr, done.stdout) == (130, "sessionkit: interrupted\n", "")
    assert handler == "_interrupted"


def test_ctrl_c_while_the_package_imports_stops_it_even_where_the_import_drops_errors(
    tmp_path: Path,
) -> None:
    # Ctrl-C was a SystemExit raised wherever the import was, and code there could drop it
    # (seen inside compile() of a module without its .pyc): the line was said, the command
    # then ran to its end with status 0. Here the import's own code drops every exception.
    done, handler = _run(
        tmp_path,
        "sessionkit.services.analytics",
        "-m",
        "sessionkit",
        "expand",
        "--help",
        dropping=True,
    )
    assert (done.returncode, done.stderr, done.stdout) == (130, "sessionkit: interrupted\n", "")
    assert handler == "_interrupted"


def test_ctrl_c_once_a_command_runs_is_a_keyboard_interrupt_main_says_the_same(
    tmp_path: Path,
) -> None:
    # Handed back before main(): a command stopped by Ctrl-C stops as its code says (the
    # demos' rerun depends on it), and main() says it in the same line.
    done, handler = _run(tmp_path, "sessionkit.demo", "-m", "sessionkit", "demo")
    assert (done.returncode, done.stderr, done.stdout) == (130, "sessionkit: interrupted\n", "")
    assert handler == "default_int_handler"


def test_a_program_importing_sessionkit_keeps_its_ctrl_c(tmp_path: Path) -> None:
    # python -m of another module that imports sessionkit: Ctrl-C is its KeyboardInterrupt.
    app = tmp_path / "someapp"
    app.mkdir()
    (app / "__init__.py").write_text("import sessionkit\n")
    (app / "__main__.py").write_text("print('ran')\n")
    done, handler = _run(tmp_path, "sessionkit.errors", "-m", "someapp")
    assert handler == "default_int_handler"
    assert done.returncode != 130
    assert done.stderr.endswith("KeyboardInterrupt\n")
    assert "sessionkit: interrupted" not in done.stderr
    code = "import signal, sessionkit; print(signal.getsignal(signal.SIGINT).__name__)"
    done, handler = _run(tmp_path, "no.such.module", "-c", code)
    assert (done.returncode, done.stdout, handler) == (
        0,
        "default_int_handler\n",
        "(never imported)",
    )


def _console_script(tmp_path: Path) -> Path:
    """Write the script an installer writes for the ``sessionkit`` entry point; return it.

    As pip's (distlib's) script reads, from the entry point pyproject.toml declares.
    """
    with (ROOT / "pyproject.toml").open("rb") as project:
        entry = tomllib.load(project)["project"]["scripts"]["sessionkit"]
    module, _, function = entry.partition(":")
    script = tmp_path / "bin" / "sessionkit"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        "import re\n"
        "import sys\n"
        f"from {module} import {function}\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        f"    sys.exit({function}())\n"
    )
    return script


@pytest.mark.parametrize(
    "at", ["sessionkit.errors", "sessionkit.services.analytics", "sessionkit.cli"]
)
def test_ctrl_c_while_the_console_script_imports_is_one_line_and_130(
    tmp_path: Path, at: str
) -> None:
    # The script imported sessionkit.cli, and with it the package, before any try: a traceback.
    script = _console_script(tmp_path)
    done, handler = _run(tmp_path, at, str(script), "expand", "--help")
    assert (done.returncode, done.stderr, done.stdout) == (130, "sessionkit: interrupted\n", "")
    assert handler == "default_int_handler"  # a KeyboardInterrupt, caught around the import


def test_the_console_script_runs_its_commands_and_says_a_later_ctrl_c_as_main_does(
    tmp_path: Path,
) -> None:
    script = _console_script(tmp_path)
    done, handler = _run(tmp_path, "no.such.module", str(script), "expand", "--help")
    assert (done.returncode, done.stderr, handler) == (0, "", "(never imported)")
    assert done.stdout.startswith("usage: sessionkit expand [-h] --start START")
    done, handler = _run(tmp_path, "sessionkit.demo", str(script), "demo")
    assert (done.returncode, done.stderr, done.stdout) == (130, "sessionkit: interrupted\n", "")
    assert handler == "default_int_handler"


def test_the_console_script_says_what_python_m_says() -> None:
    assert (_sessionkit_cli._INTERRUPTED, _sessionkit_cli._INTERRUPTED_STATUS) == (
        _startup.INTERRUPTED,
        _startup.INTERRUPTED_STATUS,
    )
