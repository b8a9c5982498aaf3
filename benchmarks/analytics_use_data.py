"""The attendance and usage part of ``bench_analytics``: its rows and its hand-written floors.

Rows (setup, not timed), for the sessions and bookings ``bench_analytics``
draws: every confirmed booking of a completed session gets presence (a join
up to 5 minutes early or 15 late, a leave up to 20 minutes before the end;
one in ten reconnects half-way; one in twenty never joins), one in fifty a
teacher's override, and a ledger entry on its client's monthly subscription
(one in ten returned). Every client has a subscription of 8 credits a month
from the start of the year.

The floors are what a person would write by hand for the same answers: the
attendance one derives the status in SQL too (the default thresholds written
in), so it returns one row per status, where ``kit.analytics`` returns one
row per record and derives the status in Python; the usage one is the same
``GROUP BY`` the store runs, rows fetched and nothing built.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sessionkit.adapters.sqlalchemy.attendance_rows import (
    override_values,
    overrides_table,
    presence_table,
    presence_values,
)
from sessionkit.adapters.sqlalchemy.usage_rows import (
    entry_values,
    subscription_values,
    subscriptions_table,
    usage_table,
)
from sessionkit.model.attendance import JOIN, LEAVE, AttendanceOverride, Presence
from sessionkit.model.usage import Subscription, UsageEntry

__all__ = [
    "SUBSCRIPTIONS",
    "TABLES",
    "attendance_floor",
    "subscription_rows",
    "use_rows",
    "usage_floor",
]

TABLES = (presence_table, overrides_table, subscriptions_table, usage_table)
"""The tables these rows go to, parents first (after ``bench_analytics``'s own)."""
SUBSCRIPTIONS = subscriptions_table
"""The table :func:`subscription_rows` fill, before the chunks of :func:`use_rows`."""

_START = datetime(2026, 1, 1, tzinfo=UTC)
_MIN = timedelta(minutes=1)


def _templates() -> tuple[dict[str, Any], ...]:
    presence = Presence(
        id="meet:e",
        tenant="t",
        session_id="s",
        participant="client:c0",
        action=JOIN,
        at=_START,
        received_at=_START,
    )
    override = AttendanceOverride(
        id="o",
        tenant="t",
        session_id="s",
        participant="client:c0",
        status="present",
        decided_at=_START,
    )
    plan = Subscription(
        id="sub",
        tenant="t",
        subscriber="client:c0",
        credits=8,
        starts=_START,
        created_at=_START,
    )
    entry = UsageEntry(
        id="u",
        tenant="t",
        subscription_id="sub",
        session_id="s",
        participant="client:c0",
        period="2026-01",
        used_by="s",
        consumed_at=_START,
    )
    return (
        presence_values(presence),
        override_values(override),
        entry_values(entry),
        subscription_values(plan),
    )


def subscription_rows(tenant: str, clients: int) -> list[dict[str, Any]]:
    """Return one monthly subscription per client ``c0`` ... of ``tenant``."""
    row = _templates()[3]
    return [
        row | {"tenant": tenant, "id": f"sub-c{n}", "subscriber": f"client:c{n}"}
        for n in range(clients)
    ]


def use_rows(
    rng: random.Random, sessions: list[dict[str, Any]], bookings: list[dict[str, Any]]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Return ``(table, rows)`` of the presence, overrides and usage of these bookings."""
    p_row, o_row, u_row, _ = _templates()
    by_id = {s["id"]: s for s in sessions}
    ps: list[dict[str, Any]] = []
    os: list[dict[str, Any]] = []
    us: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for booking in bookings:
        session = by_id[booking["session_id"]]
        if booking["status"] != "CONFIRMED" or session["status"] not in ("COMPLETED", "NO_SHOW"):
            continue
        pair = (booking["session_id"], booking["participant_id"])
        if pair in seen:
            continue  # a client drawn twice for one session: one record, one credit
        seen.add(pair)
        tenant, sid, bid = session["tenant"], session["id"], booking["id"]
        who = f"client:{booking['participant_id']}"
        start, end = session["start_at"], session["end_at"]
        moves: list[tuple[str, datetime]] = []
        if rng.random() >= 0.05:
            moves.append((JOIN, start + rng.randrange(-5, 16) * _MIN))
            if rng.random() < 0.1:
                half = start + 30 * _MIN
                moves += [(LEAVE, half), (JOIN, half + rng.randrange(0, 3) * _MIN)]
            moves.append((LEAVE, end - rng.randrange(0, 21) * _MIN))
        common = {"tenant": tenant, "session_id": sid, "participant": who}
        ps.extend(
            p_row | common | {"id": f"meet:{bid}-{n}", "action": action, "at": at}
            for n, (action, at) in enumerate(moves)
        )
        if rng.random() < 0.02:
            os.append(o_row | common | {"id": f"att-{bid}", "status": "present", "minutes": 60})
        us.append(
            u_row
            | common
            | {
                "id": f"u-{bid}",
                "subscription_id": f"sub-{booking['participant_id']}",
                "period": f"{start:%Y-%m}",
                "used_by": sid,
                "consumed_at": end,
                "reversed_at": end if rng.random() < 0.1 else None,
            }
        )
    return [(presence_table.name, ps), (overrides_table.name, os), (usage_table.name, us)]


def _micros(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"CAST(round(EXTRACT(EPOCH FROM {column}) * 1000000) AS BIGINT)"
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({column}, 21, 6) AS INTEGER))"
    )


def attendance_floor(dialect: str) -> str:
    """The attendance of the whole tenant by effective status and held or not, written by hand."""
    at, start, end = (_micros(dialect, c) for c in ("e.at", "e.start_at", "e.end_at"))
    clipped = f"CASE WHEN {at} < {start} THEN {start} WHEN {at} > {end} THEN {end} ELSE {at} END"
    ratio = (
        "CAST(x.attended AS DOUBLE PRECISION)" if dialect == "postgresql" else "x.attended * 1.0"
    )
    return f"""
WITH p0 AS (
  SELECT p.session_id, p.participant, p.action, p.at, p.id, s.start_at, s.end_at,
         MIN(p.action) OVER i AS lo, MAX(p.action) OVER i AS hi
  FROM sessionkit_presence p
  JOIN sessionkit_sessions s ON s.tenant = p.tenant AND s.id = p.session_id
  WHERE p.tenant = :t
  WINDOW i AS (PARTITION BY p.session_id, p.participant, p.at)
), e AS (
  SELECT session_id, participant, action, at, start_at, end_at,
         LAG(action) OVER w AS before, LEAD(action) OVER w AS after
  FROM p0 WHERE lo = hi
  WINDOW w AS (PARTITION BY session_id, participant ORDER BY at, id)
), x AS (
  SELECT session_id, participant,
    SUM(CASE WHEN action = 'leave' AND before = 'join' THEN {clipped}
             WHEN action = 'join' AND (before IS NULL OR before <> 'join') THEN -({clipped})
             ELSE 0 END)
    + SUM(CASE WHEN action = 'join' AND after IS NULL THEN {end} ELSE 0 END) AS attended,
    MIN(CASE WHEN action = 'join' THEN {at} END) AS first_join,
    MAX(CASE WHEN action = 'leave' AND before = 'join' THEN {at} END) AS last_leave,
    MAX(CASE WHEN action = 'join' AND after IS NULL THEN 1 ELSE 0 END) AS still_in,
    MIN({start}) AS s0, MIN({end}) AS s1
  FROM e GROUP BY session_id, participant
), people AS (
  SELECT session_id, participant FROM p0
  UNION SELECT session_id, participant FROM sessionkit_attendance_overrides WHERE tenant = :t
  UNION SELECT session_id, participant_kind || ':' || participant_id FROM sessionkit_bookings
        WHERE tenant = :t AND status = 'CONFIRMED'
)
SELECT COALESCE(o.status, CASE
    WHEN x.first_join IS NULL OR x.attended < 60000000 THEN 'absent'
    WHEN {ratio} / (x.s1 - x.s0) < 0.5 THEN 'partial'
    WHEN x.first_join > x.s0 + 300000000 THEN 'late'
    WHEN x.still_in = 0 AND x.last_leave < x.s1 - 300000000 THEN 'left_early'
    ELSE 'present' END),
  CASE WHEN s.status IN ('COMPLETED', 'FINISHED', 'NO_SHOW', 'MISSED', 'ABSENT') THEN 1 ELSE 0 END,
  count(*), SUM(COALESCE(o.minutes, COALESCE(x.attended, 0) / 60000000))
FROM people
JOIN sessionkit_sessions s ON s.tenant = :t AND s.id = people.session_id
LEFT JOIN x ON x.session_id = people.session_id AND x.participant = people.participant
LEFT JOIN sessionkit_attendance_overrides o
  ON o.tenant = :t AND o.session_id = people.session_id AND o.participant = people.participant
GROUP BY 1, 2
"""


def usage_floor() -> str:
    """Subscription use per subscription and period, written by hand."""
    return (
        "SELECT s.id, s.subscriber, s.credits, s.per, s.tz, s.starts, s.ends, u.period, "
        "SUM(CASE WHEN u.id IS NOT NULL AND u.reversed_at IS NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN u.reversed_at IS NOT NULL THEN 1 ELSE 0 END) "
        "FROM sessionkit_subscriptions s LEFT JOIN sessionkit_usage u "
        "ON u.tenant = s.tenant AND u.subscription_id = s.id WHERE s.tenant = :t "
        "GROUP BY s.id, s.subscriber, s.credits, s.per, s.tz, s.starts, s.ends, u.period"
    )
