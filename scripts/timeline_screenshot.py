"""Draw docs/img/timeline.png: the demo academy's first three days, a lane per teacher.

Run ``PYTHONPATH=src python scripts/timeline_screenshot.py`` after changing the
demo or :mod:`sessionkit.contrib.plot`. The demo's generator refuses the one
clash it meets (Ana in Berlin and in New York at the same hour), so the
picture adds that refused occurrence back as a proposal, to show how a
conflict is drawn.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import attrs

from sessionkit.contrib.plot import timeline
from sessionkit.demo.lms import DEMO_NOW, TENANT, build_academy
from sessionkit.model.query import SessionQuery

OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "timeline.png"


def main() -> int:
    """Write the picture; return the process's exit status."""
    kit, reports = build_academy()
    start, end = DEMO_NOW, DEMO_NOW + timedelta(days=3)
    page = kit.queries.list(TENANT, SessionQuery(start_from=start, start_to=end, limit=500))
    sessions = list(page.items)
    # Two sessions changed since: one done, one canceled, to show status colours.
    sessions[0] = attrs.evolve(sessions[0], status="COMPLETED")
    sessions[3] = attrs.evolve(sessions[3], status="CANCELED", busy=False)
    clash = next(s for r in reports if r is not None for s in r.conflicts if s.span.start < end)
    proposal = attrs.evolve(
        clash.blocking,
        id="proposed",
        title="Chemistry (NY)",
        span=clash.span,
        tz="America/New_York",
        status="PENDING",
    )
    sessions.append(proposal)
    timeline(
        sessions,
        by="teacher",
        tz="Europe/Berlin",
        title="Demo academy: Monday to Wednesday per teacher (one refused clash added back)",
        width=11,
        save=OUT,
        dpi=90,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
