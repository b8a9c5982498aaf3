"""The five seed platforms' lifecycles, ready to use, and a registry to find them by name.

Transition names are public API. Each preset's ``description`` cites the seed
rules it encodes (the seeds are the platforms sessionkit must be able to
rebuild; see ``../shared/seeds/README.md`` in the project workspace).

This module owns the presets, their timings and :data:`PRESETS`. The
academy's conditions (:func:`individual_nobody_attended`,
:func:`circle_nobody_attended`, :data:`circle_only`) live in
``_academy_guards`` and :class:`LifecycleRegistry` in ``_registry``; both are
exported here under this module's name, as before they moved.

>>> sorted(PRESETS)
['academy', 'coaching', 'consulting', 'consulting_payment', 'lms', 'marketplace']
>>> get_lifecycle("lms").initial
'SCHEDULED'
"""

from __future__ import annotations

from datetime import timedelta

from sessionkit.lifecycle._academy_guards import (
    _is_circle,
    circle_nobody_attended,
    circle_only,
    individual_nobody_attended,
)
from sessionkit.lifecycle._registry import LifecycleRegistry
from sessionkit.lifecycle.guards import (
    has_started,
    individual_only,
    nobody_attended,
    roles,
)
from sessionkit.lifecycle.machine import ANY, Lifecycle, Status, Timer, Transition

__all__ = [
    "ACADEMY_ABSENT_AFTER",
    "ACADEMY_COMPLETE_AFTER",
    "ACADEMY_READY_BEFORE",
    "COACHING_MISSED_AFTER",
    "MARKETPLACE_RUNNERS",
    "PRESETS",
    "LifecycleRegistry",
    "academy",
    "circle_nobody_attended",
    "circle_only",
    "coaching",
    "consulting",
    "consulting_payment",
    "get_lifecycle",
    "individual_nobody_attended",
    "lms",
    "marketplace",
]

lms = Lifecycle(
    "lms",
    statuses=[
        Status("SCHEDULED", initial=True, busy=True, editable=True),
        Status("CONDUCTING", busy=True),
        Status("FINISHED", terminal=True, busy=True, counts_usage=True),
        Status("CANCELED", terminal=True, cancelled=True),
    ],
    transitions=[
        Transition("start", "SCHEDULED", "CONDUCTING"),
        Transition("finish", "CONDUCTING", "FINISHED"),
        Transition("cancel", ["SCHEDULED", "CONDUCTING"], "CANCELED"),
    ],
    description="""LMS "Sessions Module" (seed 000, NestJS).

    - Enum SessionStatus: SCHEDULED -> CONDUCTING -> FINISHED is the normal flow;
      SCHEDULED -> CANCELED, and CONDUCTING -> CANCELED ("rare, mid-session").
    - Update and delete are "only allowed for SCHEDULED status": only SCHEDULED is editable.
    - Sessions with status CONDUCTING or FINISHED "are never modified" and are
      kept by regeneration; canceling "triggers refund logic": CANCELED frees
      the teacher and does not count, FINISHED counts.
    - No timers: the seed's cron jobs only generate sessions; start and finish are manual.
    - Cancel "changes status to CANCELED", "triggers refund logic" and "emits
      SessionEvents.CANCELED": CANCELED is flagged ``cancelled``.
    """,
)
"""The LMS preset: SCHEDULED -[start]-> CONDUCTING -[finish]-> FINISHED, [cancel] -> CANCELED."""

ACADEMY_READY_BEFORE = timedelta(minutes=15)
"""Academy: how long before the start a session becomes READY (its meeting link appears)."""

ACADEMY_COMPLETE_AFTER = timedelta(minutes=10)
"""Academy: the buffer after the end before an ONGOING session completes on its own."""

ACADEMY_ABSENT_AFTER = timedelta(minutes=15)
"""Academy: the grace after the start before a READY individual session nobody joined is ABSENT."""


academy = Lifecycle(
    "academy",
    statuses=[
        Status("UNSCHEDULED", initial=True, editable=True),
        Status("SCHEDULED", busy=True, editable=True),
        Status("READY", busy=True),
        Status("ONGOING", busy=True),
        Status("COMPLETED", terminal=True, busy=True, counts_usage=True),
        Status("ABSENT", terminal=True, busy=True, counts_usage=True, no_show=True),
        Status("CANCELLED", terminal=True, cancelled=True),
    ],
    scheduled="SCHEDULED",
    transitions=[
        Transition("schedule", "UNSCHEDULED", "SCHEDULED"),
        Transition("ready", "SCHEDULED", "READY", timer=Timer.before_start(ACADEMY_READY_BEFORE)),
        Transition("start", "READY", "ONGOING", description="the first participant joins"),
        Transition(
            "complete", "ONGOING", "COMPLETED", timer=Timer.after_end(ACADEMY_COMPLETE_AFTER)
        ),
        Transition(
            "mark_absent",
            "READY",
            "ABSENT",
            # Nobody is absent from a lesson that has not started: a teacher's button
            # before the start is refused, as coaching's miss is.
            guards=[individual_only, has_started],
            timer=Timer.after_start(ACADEMY_ABSENT_AFTER, condition=individual_nobody_attended),
        ),
        Transition(
            "cancel_unattended",
            "READY",
            "CANCELLED",
            guards=[circle_only],
            timer=Timer.after_end(ACADEMY_COMPLETE_AFTER, condition=circle_nobody_attended),
            description="nobody joined the circle",
        ),
        Transition("cancel", ANY, "CANCELLED"),
    ],
    description="""Quran academy (seed 002, Laravel): the 7-status lifecycle.

    - UNSCHEDULED -> SCHEDULED -> READY -> ONGOING -> COMPLETED; ABSENT
      "(individual only)"; CANCELLED "(any status)" -- any non-terminal one here.
    - "Create (status: UNSCHEDULED)", then "Schedule (status: SCHEDULED)" with a
      time: UNSCHEDULED is for a session without a time yet. A session that is
      created with its time (generated from a schedule) enters SCHEDULED
      (``scheduled="SCHEDULED"``, :attr:`~sessionkit.lifecycle.Lifecycle.entry_status`),
      so it is busy and gets the READY timer.
    - Auto-transitions: SCHEDULED -> READY "~15 min before" (the meeting link
      is generated at READY); READY -> ONGOING when the "first participant
      joins" (the host fires ``start``); ONGOING -> COMPLETED "auto, after
      duration + buffer" (the seed's query implies a 10-minute buffer).
    - ABSENT only for individual sessions: guarded by ``individual_only``
      (``capacity == 1``); circles cannot be marked absent. Nor can a lesson
      that has not started: ``mark_absent`` is also guarded by ``has_started``,
      so fired by hand before the start it is refused (``TransitionRefused``,
      ``allows_at`` the start). The clock marks a
      READY individual session ABSENT ``ACADEMY_ABSENT_AFTER`` (15 min) past
      its start if nobody attended (the ``attended`` fact, condition
      ``individual_nobody_attended``, which asks for the fact only of an
      individual session): pass ``facts=`` to ``advance``, or give the kit
      ``facts=attendance_facts()`` so presence and the teacher's overrides
      answer it (see ``docs/attendance.md``); a join meanwhile makes it ONGOING.
    - A circle nobody attended (nobody joined its room, no attendance
      reported, the teacher included) is not held, and must not stay READY with
      its room open for good: the clock cancels it (``cancel_unattended``,
      guarded by ``circle_only``) at its end plus the completion's buffer
      (``ACADEMY_COMPLETE_AFTER``, 10 min) if the ``attended`` fact is false
      (condition ``circle_nobody_attended``, whose name the change's reason
      carries). As any cancel, it uses no credit and closes its room; a circle
      someone joined is ONGOING by then, and completes.
    - Subscription impact: COMPLETED and ABSENT count, CANCELLED does not
      ("teacher cancelled"), nothing else does. CANCELLED is flagged ``cancelled``.
    """,
)
"""The academy preset (seed 002); timings in ACADEMY_READY_BEFORE and ACADEMY_COMPLETE_AFTER."""

consulting = Lifecycle(
    "consulting",
    statuses=[
        Status("PENDING", initial=True, busy=True, editable=True),
        Status("CONFIRMED", busy=True, editable=True),
        Status("COMPLETED", terminal=True, busy=True, counts_usage=True),
        Status("CANCELLED", terminal=True, cancelled=True),
        Status("NO_SHOW", terminal=True, busy=True, counts_usage=True, no_show=True),
    ],
    transitions=[
        Transition("confirm", "PENDING", "CONFIRMED"),
        # A consultation is held, or missed, only once its time has come.
        Transition("complete", "CONFIRMED", "COMPLETED", guards=[has_started]),
        Transition("cancel", ["PENDING", "CONFIRMED"], "CANCELLED"),
        Transition("no_show", "CONFIRMED", "NO_SHOW", guards=[has_started]),
    ],
    description="""Consulting platform (seed 003): the session status.

    - Status enum PENDING, CONFIRMED, COMPLETED, CANCELLED, NO_SHOW; flow
      PENDING -> CONFIRMED -> COMPLETED, with CANCELLED and NO_SHOW branching
      off; a pending booking can be cancelled too (DELETE /sessions/:id).
    - Consultants set statuses by hand (dropdowns, bulk "mark completed"): no timers.
      ``complete`` and ``no_show`` are guarded by ``has_started``: a session is
      held, or missed, only once its time has come, so a future session is
      never counted as held (completion rates); before its start both are
      refused (``TransitionRefused``) with a reason naming the start.
    - Bookings hold the consultant's time while PENDING or CONFIRMED, and the
      session can still be edited (PUT /sessions/:id) in those statuses.
    - Payment is a separate status on the same session: see ``consulting_payment``.
    - DELETE /api/sessions/:id "Cancel session": CANCELLED is flagged ``cancelled``.
    """,
)
"""The consulting preset (seed 003), session status; payment lives in ``consulting_payment``."""

consulting_payment = Lifecycle(
    "consulting_payment",
    statuses=[
        Status("PENDING", initial=True),
        Status("PAID"),
        Status("FAILED", terminal=True),
        Status("REFUNDED", terminal=True),
    ],
    transitions=[
        Transition("pay", "PENDING", "PAID"),
        Transition("fail", "PENDING", "FAILED"),
        Transition("refund", "PAID", "REFUNDED"),
    ],
    field="payment_status",
    subject="payment",
    description="""Consulting platform (seed 003): the payment status, a lifecycle of its own.

    - paymentStatus enum PENDING, PAID, FAILED, REFUNDED. The seed's "Payment
      Status Flow" draws PENDING -> PAID and branches FAILED and REFUNDED off
      PENDING; a refund returns money that was paid, so here REFUNDED follows
      PAID (PAID -> REFUNDED), and PENDING -> FAILED.
    - Bulk operations include "mark paid" (``pay`` by hand); "Refund processing".
    - Its subject is ``"payment"``: it drives a ``payment_status`` field (the
      seed keeps it beside ``status`` on the session row), never a session's
      scheduling status, so the services refuse it as a session lifecycle
      (:meth:`~sessionkit.lifecycle.Lifecycle.check_subject`). Its statuses have
      no scheduling flags (they say nothing about time).
    """,
)
"""The consulting payment preset (seed 003); works on the ``payment_status`` field."""

COACHING_MISSED_AFTER = timedelta(minutes=30)
"""Coaching: how long after the start an unattended session is marked MISSED."""

coaching = Lifecycle(
    "coaching",
    statuses=[
        Status("SCHEDULED", initial=True, busy=True, editable=True),
        Status("COMPLETED", terminal=True, busy=True, counts_usage=True),
        Status("CANCELLED", terminal=True, cancelled=True),
        Status("MISSED", terminal=True, busy=True, no_show=True),
    ],
    transitions=[
        # "Optional notes up to 1000 characters", by either side.
        Transition("complete", "SCHEDULED", "COMPLETED", guards=[has_started], max_notes=1000),
        Transition("cancel", "SCHEDULED", "CANCELLED"),
        Transition(
            "miss",
            "SCHEDULED",
            "MISSED",
            guards=[has_started],
            timer=Timer.after_start(COACHING_MISSED_AFTER, condition=nobody_attended),
        ),
    ],
    description="""Coaching platform (seed 004, Flask).

    - States: "Scheduled - Session is planned and confirmed", "Completed -
      Session finished successfully", "Cancelled - Session cancelled with
      notice", "Missed - Session missed without notice". ("Reschedule
      Requested - Pending reschedule approval" is a request beside the
      session, not one of its statuses: it comes with the policies issue.)
    - Completion: "only scheduled sessions can be completed", "session must be
      in the past" (guard ``has_started``), "either student or coach can complete".
    - Cancellation: "can cancel any scheduled session", "immediate cancellation
      (no approval needed)"; "cancelled sessions don't count toward
      completion" and "no refund for cancelled sessions". CANCELLED is
      flagged ``cancelled`` and counts no usage.
    - No-show: "session past scheduled time but not completed", "no
      communication from either party", "automatic marking after 30 minutes":
      a timer at start + 30 min (``COACHING_MISSED_AFTER``) with the condition
      ``nobody_attended``, which reads the ``attended`` fact. The host knows
      attendance, so it passes it: ``coaching.advance(s, now,
      facts={"attended": False})``; without it ``advance`` raises
      :class:`~sessionkit.errors.MissingFact` naming ``"attended"`` rather
      than mark an attended session MISSED. A host with no attendance data
      uses the seed's plain rule instead:
      ``coaching.replace_transition("miss", timer=Timer.after_start(COACHING_MISSED_AFTER))``.
      Also POST /sessions/<id>/missed by hand (``fire("miss")``, no condition
      but ``has_started``: a session is missed only once its time has come,
      "session past scheduled time but not completed").
    - "No payment for missed sessions": MISSED counts no usage.
    - MISSED is terminal and ``complete`` does not leave it: "only scheduled
      sessions can be completed", and a no-show is by definition a session
      "not completed"; the automatic mark now needs the host to say nobody
      attended, so a session someone attended stays SCHEDULED and can be
      completed. (Undoing a mistaken manual mark is not a seed rule; a host
      that wants it derives a lifecycle with its own transition.)
    - Only scheduled sessions "can be modified" (rescheduled): only SCHEDULED
      is editable. "Confirm session (coach)" sets ``confirmed_by_coach``, a
      flag beside the status, not a transition.
    """,
)
"""The coaching preset (seed 004); the MISSED timing is COACHING_MISSED_AFTER."""

MARKETPLACE_RUNNERS: tuple[str, ...] = ("provider", "host", "admin")
"""The roles that start and end a marketplace slot: its tutor, acting as the slot's
``provider`` (the seed's "instructor"), or the platform's staff (``host``, ``admin``): the
roles the FastAPI router's default ``staff_roles`` are, so no other caller gains a slot's
transitions there."""

marketplace = Lifecycle(
    "marketplace",
    statuses=[
        Status("OPEN", initial=True, busy=True, editable=True),
        Status("IN_PROGRESS", busy=True),
        Status("COMPLETED", terminal=True, busy=True, counts_usage=True),
        Status("CANCELLED", terminal=True, cancelled=True),
    ],
    transitions=[
        Transition(
            "start",
            "OPEN",
            "IN_PROGRESS",
            guards=[roles(*MARKETPLACE_RUNNERS)],
            description="the tutor starts the session",
        ),
        Transition(
            "end",
            "IN_PROGRESS",
            "COMPLETED",
            guards=[roles(*MARKETPLACE_RUNNERS)],
            description="the tutor ends it",
        ),
        Transition("cancel", ["OPEN", "IN_PROGRESS"], "CANCELLED"),
    ],
    description="""Teaching & scheduling marketplace (seed 001): a tutor's slot, whose seats
    are taken by bookings.

    - OPEN: published; busy (the tutor cannot overlap it, the slot takes
      bookings) and editable, so an unbooked slot can change: "modification
      allowed only if no bookings exist" is the booking rules' ``lock_booked``.
    - "Booking remains tentative until payment confirmation" belongs to each
      booking, not to the slot: a held booking
      (:data:`~sessionkit.model.booking.BOOKING_LIFECYCLE`) takes its seats
      until its hold expires; the slot stays OPEN.
    - "Instructor starts session -> IN_PROGRESS", "instructor ends session -> COMPLETED":
      both guarded by role (:data:`MARKETPLACE_RUNNERS`: the tutor as
      ``provider``, or the platform's staff); a student, or a call naming no
      role, is refused (``TransitionRefused``).
    - "Instructor Cancel": cancelling the slot cancels every booking in it (one
      event each); CANCELLED is flagged ``cancelled``, frees the tutor and
      counts no usage.
    - "Expired, unbooked slots are automatically removable":
      ``kit.bookings.remove_unbooked``.
    """,
)
"""The marketplace preset (seed 001): OPEN -> IN_PROGRESS -> COMPLETED, or CANCELLED."""


PRESETS = LifecycleRegistry([lms, academy, consulting, consulting_payment, coaching, marketplace])
"""The six preset lifecycles by name."""


def get_lifecycle(name: str) -> Lifecycle:
    """Return the preset lifecycle called ``name``; raise ``UnknownLifecycle`` if there is none."""
    return PRESETS.get(name)


# Show (and pickle, within a pickled lifecycle) what moved to private modules under this
# public path, as before the split.
_moved: object
for _moved in (individual_nobody_attended, _is_circle, circle_nobody_attended, LifecycleRegistry):
    _moved.__module__ = __name__
del _moved
