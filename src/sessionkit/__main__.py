"""``python -m sessionkit``: see :mod:`sessionkit.cli`."""

from __future__ import annotations

import sys

try:
    from sessionkit.cli import main
except KeyboardInterrupt:  # Ctrl-C while importing: as main() says it, not a traceback
    sys.stderr.write("sessionkit: interrupted\n")
    sys.exit(130)

sys.exit(main())
