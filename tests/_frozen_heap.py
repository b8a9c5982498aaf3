"""Let a test's ``gc.collect()`` look only at the objects the test made.

In the whole suite the heap holds tens of millions of objects, and each full collection
walked them all: 8 s a call on CI under load, for a test that takes 0.1 s alone.
``gc.freeze()`` sets the objects that exist already aside (the collector treats them as
alive until ``gc.unfreeze()``), so a collection examines only what the test made since.

This can only keep more alive, never collect more: a test that asserts something was
collected, or that no finaliser raised, proves no less.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Within, ``gc.collect()`` examines only objects made within; unfrozen on leaving.

    ``gc.unfreeze()`` thaws everything, also what tests/conftest.py froze after collection;
    that is frozen again on leaving (after a collection, so only what is alive is set aside).
    """
    suite_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if suite_frozen:
            gc.collect()
            gc.freeze()
