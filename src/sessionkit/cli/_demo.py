"""``python -m sessionkit demo [PLATFORM]``: one of the rebuilt platforms, run on ``--db``.

Each platform's story lives in :mod:`sessionkit.demo`; this module picks it, its
default database and its ``now``, and sorts how a run that stops is said: a
failed step or due work (a provider's error too), a database that cannot be
opened or reached and one another run of a demo kept busy too long are status 1,
as a tick's; the demo's other refusals of its ``--db`` pass as they are (status 2).
"""

from __future__ import annotations

import argparse
import sys

from sessionkit.cli._args import Unreachable, WorkFailed, parse_aware
from sessionkit.cli._parser import DEMO_DBS
from sessionkit.errors import MeetingRoomsError, PaymentGatewayError
from sessionkit.zones import check_instant

__all__ = ["demo"]


def demo(args: argparse.Namespace) -> str:
    """``demo``: the chosen platform's story on its database, as text to print."""
    from sessionkit.demo import (
        DEMO_NOW,
        academy,
        coaching,
        coaching_story,
        consulting,
        consulting_story,
        marketplace_story,
        render,
    )

    now = {
        "consulting": consulting.DEMO_NOW,
        "coaching": coaching.DEMO_NOW,
        "academy": academy.DEMO_NOW,
    }.get(args.platform, DEMO_NOW)
    if args.now is not None:
        now = parse_aware(args.now, "--now")
        check_instant(now, "--now")  # named as given, not as the demo's clock reads it
    from sessionkit.demo._common import DatabaseUnreachable, DueWorkFailed, StepFailed
    from sessionkit.demo._run_lock import DemoBusy, demo_run

    db = DEMO_DBS[args.platform] if args.db is None else args.db
    try:
        # One run per database at a time: a second copy waits for the first, and says so.
        with demo_run(lambda line: print(f"sessionkit: {line}", file=sys.stderr, flush=True)):
            if args.platform == "marketplace":
                return marketplace_story.render(now, db=db)
            if args.platform == "consulting":
                return consulting_story.render(now, db=db)
            if args.platform == "coaching":
                return coaching_story.render(now, db=db)
            if args.platform == "academy":
                return academy.render(now, db=db)
            return render(now, db=db)
    except (DueWorkFailed, StepFailed) as exc:  # not bad usage: the next run may do it (status 1)
        raise WorkFailed(str(exc)) from None
    except (PaymentGatewayError, MeetingRoomsError) as exc:  # a provider's, as a step's
        raise WorkFailed(f"{exc}; the demo stopped there (running it again retries it)") from None
    except (DatabaseUnreachable, DemoBusy) as exc:  # as tick says it: status 1, nothing was done
        raise Unreachable(str(exc)) from None
