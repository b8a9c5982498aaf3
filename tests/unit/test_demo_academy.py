"""``python -m sessionkit demo academy``: deterministic, rerunnable, its own SQLite file."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sessionkit.cli import main
from sessionkit.demo.academy import render
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan


def test_academy_plays_the_first_monday_from_the_clock_and_the_room(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "academy", "--db", "memory"]) == 0
    out = capsys.readouterr().out
    # Named by its command, as marketplace, consulting and coaching are (it said "sessionkit demo:",
    # as the LMS does).
    assert out.startswith(
        "sessionkit demo academy: a Quran academy in memory; now is Mon 2026-03-02 06:00"
    )
    for line in (
        "Mon 15:45  tick: Hifz circle -> READY",
        "Mon 16:12  presence: 4 recorded, 4 duplicates ignored; Hifz circle -> ONGOING",
        "Mon 17:10  tick: Hifz circle -> COMPLETED",
        "Mon 19:15  tick: Tajweed with Khalid -> ABSENT",
        "student:yusuf    partial     20 min / present  / present 60 min",
        "student:sara     late        48 min / -        / late 48 min",
        "student:khalid   absent       0 min / -        / absent 0 min",
        "Tue 10:00  teacher: Mariam's lesson of 09 Mar cancelled (no credit), a makeup on Thursday",
        "Thu 18:55  tick: Tajweed makeup -> COMPLETED",
        # Mariam's lesson held on 2 March and the one cancelled on 9 March, told apart.
        "QSE-1-000001  Hifz circle Mon 02 Mar 16:00 COMPLETED",
        "QSE-1-000010  Tajweed with Mariam Mon 02 Mar 18:00 COMPLETED",
        "QSE-1-000011  Tajweed with Mariam Mon 09 Mar 18:00 CANCELLED",
        # Mariam: her Monday lesson and the makeup of the cancelled one; Khalid: ABSENT counts.
        "student:mariam   used 2 of 4, 2 left",
        "student:khalid   used 1 of 4, 3 left",
        "student:omar     used 1 of 8, 7 left",
        # The analytics: attended minutes by student, and subscription use per period.
        "  student:khalid         1       0    0          0       0      1        0     100%",
        "  student:sara           1       0    1          0       0      0       48       0%",
        "  student:yusuf          1       1    0          0       0      0       60       0%",
        "  all: 344 attended minutes in 8 records, no-show rate 12% of 8 held",
        "  student:mariam   sub-mariam    2026-03        4     2         0          2",
        "  all: 6 of 32 credits used",
        (
            "Meeting room calls (from lifecycle events): ensure Hifz circle (02 Mar), "
            "close Hifz circle (02 Mar), ensure Tajweed with Mariam (02 Mar), "
            "ensure Tajweed with Khalid (02 Mar), close Tajweed with Mariam (02 Mar), "
            "close Tajweed with Khalid (02 Mar), close Tajweed with Mariam (09 Mar), "
            "ensure Tajweed makeup (05 Mar), close Tajweed makeup (05 Mar)"
        ),
    ):
        assert line in out


def test_a_rerun_on_the_same_database_writes_nothing_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'academy.sqlite3'}"
    first = render(db=url)
    engine = create_engine(url)

    def counts() -> tuple[int, ...]:
        with engine.connect() as c:
            return tuple(
                int(c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())  # fixed names
                for t in (
                    "sessionkit_sessions",
                    "sessionkit_bookings",
                    "sessionkit_presence",
                    "sessionkit_attendance_overrides",
                    "sessionkit_usage",
                    "sessionkit_session_codes",
                )
            )

    before = counts()
    second = render(db=url)
    assert counts() == before
    assert before[2] == 14  # fourteen distinct presence events, each delivered twice
    assert before[4] == 6  # one credit per student and COMPLETED / ABSENT session
    assert "already played: every session has moved on (nothing written)" in second
    assert (
        first.split("Sessions and attendance")[1].split("Meeting room")[0]
        == (second.split("Sessions and attendance")[1].split("Meeting room")[0])
    )
    # The analytics read what the first run wrote, and the rerun added nothing to count.
    assert (
        first.split("Attendance (kit.analytics")[1] == second.split("Attendance (kit.analytics")[1]
    )
    engine.dispose()


def test_another_now_reads_the_subscriptions_of_the_month_played() -> None:
    # --now moves the first Monday to 1 June: the credits it used are June's, not those of
    # the default run's March (which read 0 used of every subscription).
    out = render(datetime(2026, 6, 1, 6, tzinfo=UTC))
    for line in (
        "  QSE-1-000011  Tajweed with Mariam Mon 08 Jun 18:00 CANCELLED",
        "Subscriptions in June (a credit per COMPLETED or ABSENT session, once):",
        "  student:mariam   used 2 of 4, 2 left",
        "  student:khalid   used 1 of 4, 3 left",
        "Subscription use (kit.analytics.usage, from the ledger; June, monthly credits):",
        "  student:mariam   sub-mariam    2026-06        4     2         0          2",
        "  all: 6 of 32 credits used",
    ):
        assert line in out
    assert "March" not in out


def test_a_tick_that_fails_an_item_stops_the_demo_with_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # advance_due reports a session it could not do and goes on (here the meeting provider is
    # down when the circle gets READY); the demo read only what it did, printed its story
    # as a success and exited 0.
    def down(_rooms: FakeMeetingRooms, *, tenant: str, session_id: str, span: TimeSpan) -> None:
        raise ConnectionError("meeting provider down")

    monkeypatch.setattr(FakeMeetingRooms, "ensure_room", down)
    assert main(["demo", "academy", "--db", "memory"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    said = re.fullmatch(
        r"sessionkit: error: the demo could not do its due work: advance_due failed for "
        r"'(\w+)' \(MeetingRoomsError: session '\1' of tenant 'itqan' entered READY \(stored\), "
        r"but the meeting provider failed to open its room: ConnectionError\('meeting provider "
        r"down'\); .+\); the demo stopped there \(running it again retries it\)\n",
        err,
    )
    assert said is not None, err


def test_a_rerun_after_a_tick_failed_plays_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the error says: the demo stopped there, and running it again retries it.
    db = f"sqlite:///{tmp_path / 'academy.sqlite3'}"

    def down(_rooms: FakeMeetingRooms, *, tenant: str, session_id: str, span: TimeSpan) -> None:
        raise ConnectionError("meeting provider down")

    with monkeypatch.context() as patched:
        patched.setattr(FakeMeetingRooms, "ensure_room", down)
        assert main(["demo", "academy", "--db", db]) == 1
    capsys.readouterr()
    assert main(["demo", "academy", "--db", db]) == 0
    again = capsys.readouterr().out.removesuffix("\n")
    assert again.split("Sessions and attendance")[1] == render().split("Sessions and attendance")[1]


def test_a_meeting_provider_failing_a_join_stops_the_demo_in_one_line_and_a_rerun_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The story calls the meeting provider itself to play the joins (not from the tick): its
    # error, one not sessionkit's, left the demo as a traceback.
    db = f"sqlite:///{tmp_path / 'academy.sqlite3'}"

    def down(_rooms: FakeMeetingRooms, *args: object, **kwargs: object) -> None:
        raise RuntimeError("meeting provider down")

    with monkeypatch.context() as patched:
        patched.setattr(FakeMeetingRooms, "join", down)
        assert main(["demo", "academy", "--db", db]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    said = re.fullmatch(
        r"sessionkit: error: the demo could not do its step: meeting rooms join failed for "
        r"'\w+' \(RuntimeError: meeting provider down\); the demo stopped there \(running it "
        r"again retries it\)\n",
        err,
    )
    assert said is not None, err
    assert main(["demo", "academy", "--db", db]) == 0
    again = capsys.readouterr().out.removesuffix("\n")
    assert "Mon 16:12  presence: 4 recorded, 4 duplicates ignored; Hifz circle -> ONGOING" in again
    assert again.split("Sessions and attendance")[1] == render().split("Sessions and attendance")[1]


def test_a_meeting_provider_failing_a_cancels_close_stops_the_demo_with_status_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The teacher's cancel is stored, then the RoomKeeper's close_room fails: its
    # MeetingRoomsError passed the step as a bad argument would (status 2), where the tick's
    # own room failures stop the demo with status 1.
    db = f"sqlite:///{tmp_path / 'academy.sqlite3'}"
    close_room = FakeMeetingRooms.close_room

    def down_for_a_cancel(rooms: FakeMeetingRooms, *, tenant: str, session_id: str) -> None:
        if not rooms.is_open(tenant, session_id):  # the cancelled lesson's: never opened
            raise ConnectionError("meeting provider down")
        close_room(rooms, tenant=tenant, session_id=session_id)

    with monkeypatch.context() as patched:
        patched.setattr(FakeMeetingRooms, "close_room", down_for_a_cancel)
        assert main(["demo", "academy", "--db", db]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    said = re.fullmatch(
        r"sessionkit: error: the demo could not do its step: kit.sessions.cancel failed for "
        r"'(\w+)' \(MeetingRoomsError: session '\1' of tenant 'itqan' entered CANCELLED "
        r"\(stored\), but the meeting provider failed to close its room: ConnectionError\("
        r"'meeting provider down'\); .+\); the demo stopped there \(running it again retries "
        r"it\)\n",
        err,
    )
    assert said is not None, err
    assert main(["demo", "academy", "--db", db]) == 0  # the rest played; the cancel not again
    again = capsys.readouterr().out.removesuffix("\n")
    assert "cancelled (no credit)" not in again
    full = render()
    assert (
        again.split("Sessions and attendance")[1].split("Meeting room calls")[0]
        == (full.split("Sessions and attendance")[1].split("Meeting room calls")[0])
    )
    assert again.split("\n\n")[-1] == full.split("\n\n")[-1]  # the analytics
