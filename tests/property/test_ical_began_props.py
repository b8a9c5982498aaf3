"""A stored series created after its rule's start exports what the kit has, and only that.

export_series moves DTSTART to the first occurrence from where generation began (and
lessens a COUNT): read back, the calendar gives exactly the kit's sessions (moved ones as
overrides, cancelled ones left out), across DST changes in the series' zone, for every
reading of a gap or fold, rules of BYSETPOS, BYMONTHDAY, COUNT and UNTIL (UTC or local),
open and closed series; two rules of one DTSTART with EXDATEs and RDATEs on both sides of
the series' creation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import example, given
from hypothesis import strategies as st

from sessionkit.contrib.ical import export_series, read_ical
from sessionkit.lifecycle import PRESETS
from sessionkit.model.series import ScheduleItem, SeriesStatus
from sessionkit.recurrence import Recurrence
from sessionkit.testing.harness import Harness

RULES = (
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=DAILY;BYHOUR=1,2,3",
    "FREQ=DAILY;BYHOUR=2;BYMINUTE=0,30",
    "FREQ=HOURLY;INTERVAL=5",
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;BYDAY=SU,WE",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH,SA;BYSETPOS=-2;WKST=SU",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=-1,15",
    "FREQ=MONTHLY;INTERVAL=2;BYDAY=2SU",
    "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
)
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC")
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@st.composite
def _endings(draw: st.DrawFn, start: datetime) -> str:
    kind = draw(st.sampled_from(("none", "count", "utc", "local")))
    if kind == "count":
        return f";COUNT={draw(st.integers(1, 40))}"
    if kind == "none":
        return ""
    until = start + timedelta(days=draw(st.integers(1, 200)), hours=draw(st.integers(0, 23)))
    return f";UNTIL={until:%Y%m%dT%H%M%S}{'Z' if kind == 'utc' else ''}"


@given(
    rule=st.sampled_from(RULES),
    tz=st.sampled_from(ZONES),
    start=st.datetimes(datetime(2025, 9, 1), datetime(2026, 11, 28)).map(
        lambda d: d.replace(minute=d.minute // 30 * 30, second=0, microsecond=0)
    ),
    ending=st.data(),
    lag=st.timedeltas(timedelta(0), timedelta(days=90)),
    reading=st.sampled_from(("compatible", "earlier", "later")),
    moved=st.none() | st.integers(0, 5),
    cancelled=st.none() | st.integers(0, 5),
    closed_after=st.none() | st.integers(1, 20),
)
@example(  # the kit's first class, read "earlier", is before creation on the gap day
    rule="FREQ=DAILY",
    tz="Europe/Berlin",
    start=datetime(2026, 3, 20, 2, 30),
    ending=None,
    lag=datetime(2026, 3, 29, 0, 45) - datetime(2026, 3, 20, 2, 30),
    reading="earlier",
    moved=None,
    cancelled=None,
    closed_after=None,
)
@example(  # created in New York's fold, between its two readings of 01:30
    rule="FREQ=DAILY;COUNT=20",
    tz="America/New_York",
    start=datetime(2026, 10, 25, 1, 30),
    ending=None,
    lag=datetime(2026, 11, 1, 5, 45) - datetime(2026, 10, 25, 1, 30),
    reading="later",
    moved=0,
    cancelled=None,
    closed_after=None,
)
def test_a_series_created_late_exports_what_the_kit_has(
    rule: str,
    tz: str,
    start: datetime,
    ending: st.DataObject | None,
    lag: timedelta,
    reading: str,
    moved: int | None,
    cancelled: int | None,
    closed_after: int | None,
) -> None:
    text_rule = rule + (ending.draw(_endings(start)) if ending is not None else "")
    length = timedelta(minutes=30) if "HOURLY" in rule else timedelta(hours=1)
    rec = Recurrence.from_rrule(
        text_rule,
        start=start,
        tz=tz,
        duration=length,
        disambiguate=reading,  # type: ignore[arg-type]  # one of the Literal's values
    )
    h = Harness.in_memory(start.replace(tzinfo=UTC) + lag)
    series = h.kit.series.create("acme", actor="a", title="T", items=[ScheduleItem("i", rec)])[0]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    if moved is not None and moved < len(sessions):
        s, by = sessions[moved], timedelta(minutes=45)
        h.kit.sessions.update("acme", s.id, actor="a", start=s.start + by, end=s.end + by)
    if cancelled is not None and cancelled < len(sessions) and cancelled != moved:
        h.kit.sessions.cancel("acme", sessions[cancelled].id, actor="a")
    if closed_after is not None:
        h.clock.advance(timedelta(days=closed_after))
        h.kit.series.close("acme", series.id, actor="a")
    series = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions)
    if not sessions:
        # None yet (the rule's first is beyond the window): the rule is written as it is.
        # Spent before the series was created, or closed with none left: nothing is.
        ahead = next(rec.between(series.created_at, _LATEST), None) is not None
        written = series.status != SeriesStatus.CLOSED and ahead
        assert ("BEGIN:VEVENT" in text) == written
        assert ("BEGIN:VEVENT" in export_series(series)) == written
        return
    # Up to where generation has gone: later occurrences are the open rule's to come. Not
    # to the last session's end, which may be past it: an occurrence starting before that
    # end but after generated_until has no session yet, and the rule rightly gives it.
    hi = series.generated_until or sessions[-1].end
    got = [(o.span.start, o.span.end) for o in read_ical(text).occurrences(_EARLIEST, hi)]
    assert got == [
        (s.start, s.end)
        for s in sessions
        if s.start < hi and not PRESETS.get(s.lifecycle).status(s.status).cancelled
    ]


@given(
    rules=st.lists(st.sampled_from(RULES), min_size=2, max_size=2),
    tz=st.sampled_from(ZONES),
    start=st.datetimes(datetime(2025, 9, 1), datetime(2026, 11, 28)).map(
        lambda d: d.replace(minute=0, second=0, microsecond=0)
    ),
    endings=st.data(),
    lag=st.timedeltas(timedelta(0), timedelta(days=90)),
    rdates=st.lists(st.integers(-10 * 24, 120 * 24), max_size=3),
    exdates=st.lists(st.integers(0, 40), max_size=3),
    closed_after=st.none() | st.integers(1, 20),
)
@example(  # an RDATE before creation, the rules' own first after it: the kit never had it
    rules=["FREQ=WEEKLY", "FREQ=DAILY;INTERVAL=3"],
    tz="Europe/Berlin",
    start=datetime(2026, 3, 2, 18),
    endings=None,
    lag=timedelta(days=-2),
    rdates=[-24],
    exdates=[],
    closed_after=None,
)
def test_two_rules_with_rdates_and_exdates_export_what_the_kit_has(
    rules: list[str],
    tz: str,
    start: datetime,
    endings: st.DataObject | None,
    lag: timedelta,
    rdates: list[int],
    exdates: list[int],
    closed_after: int | None,
) -> None:
    # Two rules of one DTSTART (one VEVENT, unless RDATEs part them), either of which may be
    # spent before the series was created, with EXDATEs and RDATEs on both sides of it.
    now = start.replace(tzinfo=UTC) + lag
    texts = [r + (endings.draw(_endings(start)) if endings is not None else "") for r in rules]
    bare = [
        Recurrence.from_rrule(t, start=start, tz=tz, duration=timedelta(hours=1)) for t in texts
    ]
    occurrences = sorted(
        {o.span.start for b in bare for o in b.between(_EARLIEST, now + timedelta(days=120))}
    )
    ex = sorted({occurrences[i] for i in exdates if i < len(occurrences)})
    rd = sorted(
        {now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=h) for h in rdates}
    )
    items = [
        ScheduleItem(f"i{n}", attrs.evolve(b, exdates=ex, rdates=rd if n == 0 else ()))
        for n, b in enumerate(bare)
    ]
    h = Harness.in_memory(now)
    series = h.kit.series.create("acme", actor="a", title="T", items=items)[0]
    if closed_after is not None:
        h.clock.advance(timedelta(days=closed_after))
        h.kit.series.close("acme", series.id, actor="a")
    series = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions)
    hi = series.generated_until or (sessions[-1].end if sessions else now)
    got = [(o.span.start, o.span.end) for o in read_ical(text).occurrences(_EARLIEST, hi)]
    if sessions:
        assert got == [(s.start, s.end) for s in sessions if s.start < hi]
