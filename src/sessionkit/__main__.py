"""``python -m sessionkit``: see :mod:`sessionkit.cli`."""

from __future__ import annotations

import sys

from sessionkit._startup import INTERRUPTED, INTERRUPTED_STATUS, give_back_ctrl_c

try:
    from sessionkit.cli import main
except KeyboardInterrupt:  # Ctrl-C while importing: as main() says it, not a traceback
    sys.stderr.write(INTERRUPTED)
    sys.exit(INTERRUPTED_STATUS)

give_back_ctrl_c()  # main() says a Ctrl-C itself, once the commands run
sys.exit(main(prog="python -m sessionkit"))  # not "__main__.py", its file's name
