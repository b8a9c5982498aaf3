"""``outcomes(as_of=...)`` counts no presence after ``as_of`` as an attendance record then.

The presence itself was left out of the attendance read at ``as_of`` (e03a4152),
but it still made the session one "with attendance records": with none by then,
everyone read absent, a no-show, where a session without records leaves the
outcome to its status (a no-show status makes everyone a no-show, another none).
"""

from __future__ import annotations

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.attendance import JOIN, LEAVE
from sessionkit.services import SessionKit

from ._attendance_support import MIN, START, T, lesson_kit, presence


def _told(kit: SessionKit, lesson: str, minutes: int) -> list[tuple[object, ...]]:
    """Each outcome as of ``minutes`` past 17:00: participant, attendance, outcome."""
    found = kit.attendance.outcomes(T, lesson, as_of=START + minutes * MIN)
    return [(str(o.participant), o.attendance, o.outcome) for o in found]


def test_presence_after_as_of_is_no_attendance_record_then() -> None:
    # The only presence, ana's at 17:48, is after as_of (17:46, past the 17:45 end): with no
    # records by then the status alone decides, and SCHEDULED decides nothing. The later
    # presence made it "recorded" and ana absent, a no-show.
    for action in (JOIN, LEAVE):
        kit, lesson = lesson_kit(InMemoryStore().unit_of_work)
        kit.bookings.book(T, lesson, "student:ana", actor="admin", confirm=True)
        kit.attendance.record_presence(
            T, [presence(1, "student:ana", action, 48, lesson)], now=START + 50 * MIN
        )
        assert [p.at for p in kit.attendance.presence(T, lesson)] == [START + 48 * MIN]
        assert _told(kit, lesson, 46) == [("student:ana", None, None)]
        # From 17:48 on it is a record: ana, absent in the 17:00-17:45 lesson, a no-show.
        assert _told(kit, lesson, 48) == [("student:ana", "absent", "no_show")]
