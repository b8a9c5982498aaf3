"""The ``sessionkit`` console script: Ctrl-C while it imports the package is one line and 130.

An installer's script for an entry point imports the entry point's module
before it calls the function, outside any ``try``: pointed at
``sessionkit.cli:main``, it imported the whole package first (most of its
start-up time), where a Ctrl-C was a traceback. This module is outside the
package, so importing it costs nothing; :func:`main` imports the package
inside its ``try``, and Ctrl-C then says what ``python -m sessionkit`` says
(``sessionkit._startup``). Once the commands run, ``sessionkit.cli.main`` says
a Ctrl-C itself.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

# sessionkit._startup's INTERRUPTED and INTERRUPTED_STATUS, written out: importing them would
# import the package outside the try. A test holds the two the same.
_INTERRUPTED = "sessionkit: interrupted\n"
_INTERRUPTED_STATUS = 130


def main() -> int:
    """Run the command line (:func:`sessionkit.cli.main`); return its exit status."""
    try:
        from sessionkit.cli import main as run  # in the try, on purpose
    except KeyboardInterrupt:  # Ctrl-C while importing: as main() says it, not a traceback
        sys.stderr.write(_INTERRUPTED)
        return _INTERRUPTED_STATUS
    return run()
