"""Ctrl-C while ``python -m sessionkit`` imports the package: one line and status 130.

``python -m sessionkit`` imports the package (this module and the errors: the rest
is imported on first use) before it runs ``__main__``, whose ``try`` covers the
CLI's own import only (most of the start-up time): a Ctrl-C in between was a
traceback, where a later one is ``main()``'s one line, and one during the CLI's
import a ``KeyboardInterrupt`` that code being imported could drop. The package
imports this module first; while ``-m`` looks for its module, ``sys.argv[0]`` is
``"-m"`` (as the ``-m`` documentation says), and when that module is sessionkit,
Ctrl-C says what ``main()`` says and exits 130 until ``__main__`` gives
``KeyboardInterrupt`` back before calling ``main()``. A program importing
sessionkit, ``python -m`` of another module included, is left alone. The
``sessionkit`` console script needs none of this: its entry point, outside the
package (``src/_sessionkit_cli.py``), imports the package inside a ``try``.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import NoReturn

INTERRUPTED = "sessionkit: interrupted\n"
"""What the CLI writes to stderr when Ctrl-C stops it."""
INTERRUPTED_STATUS = 130
"""Its exit status: 128 + SIGINT, as shells say."""


def _interrupted(_signum: int, _frame: FrameType | None) -> NoReturn:
    # Not SystemExit: raised from a signal handler it lands in whatever code is running, and
    # an import can lose it (seen inside compile() of a module without its .pyc), which left
    # the line said and the command run on, with status 0. Nothing is open or written yet.
    sys.stderr.write(INTERRUPTED)
    sys.stderr.flush()
    os._exit(INTERRUPTED_STATUS)


def started_as_main() -> bool:
    """Whether this is ``python -m sessionkit`` looking for its ``__main__``."""
    if sys.argv[:1] != ["-m"]:  # only while -m looks for its module
        return False
    args = sys.orig_argv[1:]
    for n, arg in enumerate(args):
        if arg == "-m":
            return args[n + 1 : n + 2] == ["sessionkit"]
        if arg.startswith("-m"):
            return arg == "-msessionkit"
    return False  # -m among other flags (python -Bm): Ctrl-C is a traceback, as before


def give_back_ctrl_c() -> None:
    """Make Ctrl-C a ``KeyboardInterrupt`` again, if :func:`started_as_main` took it."""
    if signal.getsignal(signal.SIGINT) is _interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)


# Not if SIGINT is ignored (a background job) or handled already (an embedding program).
if started_as_main() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted)
