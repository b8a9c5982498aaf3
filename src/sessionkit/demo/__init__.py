"""``python -m sessionkit demo``: the seed platforms rebuilt on sessionkit, one module each.

- :mod:`sessionkit.demo.lms` (``demo``): a small academy, groups generated from weekly
  schedules in two zones, with one deliberate teacher clash (seed 000).
- :mod:`sessionkit.demo.marketplace` (``demo marketplace``): tutors publish 1-to-1 and group
  slots, students hold and pay for seats, cancel (refunded) and wait for seats (seed 001).
- :mod:`sessionkit.demo.consulting` (``demo consulting``): consultants, a tenant each, take
  public bookings paid by card, add sessions paid by hand, cancel with refunds, mark sessions
  completed and paid in bulk, and read their dashboards (seed 003).

The LMS demo's names are re-exported here, as they were when the demo was one module.
"""

from __future__ import annotations

from sessionkit.demo._common import FixedClock, open_store
from sessionkit.demo.lms import DEFAULT_DB, DEMO_NOW, build_academy, render

__all__ = ["DEFAULT_DB", "DEMO_NOW", "FixedClock", "build_academy", "open_store", "render"]
