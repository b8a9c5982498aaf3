"""Bookings: seats under contention, the bookable-sessions reads and a participant's agenda.

1. **Booking throughput** on PostgreSQL: 16 client processes (forked once,
   after the parent's engine was disposed, each then with its own pool and
   connection) book 200 sessions of capacity 20 (4,000 seats; 50 sessions with
   ``--quick``), each client picking random sessions until all are full (a
   flag per session, shared, tells the others which one a client was refused,
   so refusals stay near one per session). ``sessionkit``: ``kit.bookings.book``
   (``confirm=True``; since 2026-12-06 on the store's quick way, one
   transaction without a unit of work in two pipelined round trips,
   docs/sqlalchemy.md) over ``SqlAlchemyStore``, on
   an engine whose connections are opened with the store's lock bound and UTC
   (:data:`BOUNDED`, as docs/sqlalchemy.md shows), so its units send no
   ``set_config`` first; every contender uses the same engine.
   The floor, in the same interleaved rounds (:mod:`benchmarks.compare`) and
   on the very same tables: a hand-written psycopg loop, ``SELECT ... FOR
   UPDATE`` of the session, ``SELECT sum(seats)`` of its bookings taking
   seats, ``INSERT`` of the booking row, ``COMMIT`` (``ROLLBACK`` when full).
   A third contender splits the gap: sessionkit's own statements (caught
   from one ``kit.bookings.book``: the session's row lock and the ``INSERT
   ... SELECT`` that checks seats, participant and settling, after the
   ``set_config`` of the transaction's lock timeout on connections without
   it) sent on psycopg alone, so ``its statements /
   floor`` is the SQL's share and ``sessionkit / its statements`` the Python's.
   The bookings table holds a history first: 5,000 past sessions, full, so
   100,000 bookings, vacuumed and analyzed, as a live table is. Before every
   run (not timed) the bench sessions' bookings are deleted and the table
   vacuumed; after it every session must hold exactly 20 seats and the
   clients must report exactly 4,000 successes. Until 2026-12-01 each run
   began on a ``TRUNCATE``-d table instead: PostgreSQL then planned every
   prepared statement (psycopg prepares a statement after its fifth run) for
   a table of one page, and every check scanned the whole table as it filled,
   at every booking, three scans for sessionkit's ``INSERT ... SELECT``
   against the floor's one. Reported: bookings/s of each, client CPU per
   attempt, the ratios; aim within 1.5x of the floor. Over the aim, a
   cProfile of one client booking alone says where sessionkit's time goes.
   Needs ``SESSIONKIT_TEST_POSTGRES_URL``; 16 processes on a 2-core machine
   measure contention for the CPU as much as for the rows, on both sides
   alike (the CPU stays busy through every run of every contender).
   Later on 2026-12-06 (2a1f1a1) the quick way's statements went from
   psycopg's cursors, one round trip each (BEGIN, lock, insert, COMMIT), to
   two round trips in libpq's pipeline mode on psycopg's ``pgconn`` (BEGIN
   with the lock, the insert with the COMMIT): 1.25x (1.08-1.54) against
   1.54x (1.36-1.83) at that session's start, the floor at 1,994-2,264
   bookings/s. What showed the way, ad hoc: one client alone, psycopg's
   cursor cost about 26 us of Python per statement over libpq's own calls
   (53 against 27 us for a prepared one-row SELECT; 125 against 78 for
   BEGIN, statement, COMMIT), and sessionkit's statements pipelined so on
   psycopg alone filled the sessions in 0.62x the floor's time against 1.04x
   one by one (client CPU per attempt 0.18 against 0.33 ms). psycopg's own
   ``Pipeline`` had not helped on 2026-12-04 (below): its Python cost what
   the round trips saved. Since then "its statements alone" sends them one
   by one, so sessionkit / its statements is no longer the Python's share.
   On 2026-12-06 (3911bf2, ef46c6f, dd52ec0) the quick way: the same lock
   and checked insert sent without the unit of work around them, the
   capacity passed as read under the lock, the locked row in psycopg's
   binary format, and a session that is only full refused in place (one
   read) instead of by a second transaction of four statements. Runs of
   item 1 that day: 1.82x at the start (1.38-1.97, client CPU per attempt
   0.49 against 0.25 ms), then 1.56x, 1.59x, 1.53x, 1.64x, 1.54x and 1.71x
   (1.37-1.93; 0.45-0.57 against 0.24-0.30 ms), the machine's speed varying
   by a third within the hour. Measured ad hoc beside them, with the postgres processes' CPU read
   from /proc: under 16 clients each microsecond of a client's Python cost
   three to five times what it costs one client alone, the server's CPU per
   booking was 0.42-0.51 ms for sessionkit against 0.39-0.45 for its
   statements and 0.30-0.38 for the floor, and a busy loop of 0.25 ms per
   booking took the statements alone to 1.49x. Tried and dropped: the
   floor's own shape (read the seats, then insert a plain row: one more
   round trip, 1.82x), and client-side parameters sending both statements
   as two multi-statement queries (parsed and planned at every run).
   Later on 2026-12-05 (75ac7408), on a machine at a third of the morning's
   speed (the floor at 882-951 bookings/s), three runs: 1.63x (1.43-1.74),
   1.51x (1.33-1.88) and 1.56x (1.47-1.61), sessionkit / its statements
   1.62x each time. Two ways to save psycopg's BEGIN round trip were tried
   on one client (client and server CPU per booking, the server's read from
   /proc): BEGIN pipelined with the lock, 722 and 800 us against 551 and
   733; ``BEGIN; SELECT ... FOR UPDATE`` as one simple query, 662 and 933.
   Both dropped. One client's CPU per booking by phase: before the lock
   22%, the lock 16%, from it to the insert 27%, the insert 12%, to the
   commit 5%, the commit 8%, after it 10%.
   On 2026-12-05, each of a booking's statements got a cursor of its own,
   kept per pooled connection on psycopg (bbcda28): psycopg built a new
   Transformer for each new cursor or query, and looked up a dumper per
   parameter and a loader per column (26 for the lock) at every booking.
   One client alone, interleaved in one process: 470 against 510 us of CPU
   per booking; by callgrind (``PYTHONHASHSEED=0``, 350 less 50 bookings)
   1.10 against 1.19 million instructions. Item 1 alone, idle machine:
   1.79x (1.74-2.26) before it, 1.77x (1.72-2.49) and 1.77x (1.68-2.23)
   after, client CPU per attempt 0.68 against 0.65 and 0.70 ms, its
   statements alone 1.03-1.07x. The same day's breakdown of one client's
   CPU per lock-and-commit transaction (min of 7 loops): the statement on a
   reused psycopg cursor about 100 us, a new cursor 30 more, the pool's
   checkout and check-in 28, a Core connection 12, ``_direct.run`` 25, the
   unit of work 25, the repository and the session's values 16, the kit's
   transaction 16; the booking's own checks and values (``_admit``, the
   draft, the lifecycle's fire, the event) about 40 more. No part is more
   than a tenth of what the aim needs cut.
   On 2026-12-04, what the aim takes (ad hoc, not kept): sessionkit's
   statements on psycopg with a busy loop of a fixed CPU time per booking
   in place of its Python, in the same interleaved rounds as the kit and the
   floor. With 0.55 ms (about the kit's own Python now) it came to 1.50x
   with the loop before the lock and 1.63x inside it (the kit 1.66x); 0.40
   ms gave 1.60-1.61x (the kit 1.80x); 0.30 ms 1.41-1.43x (the kit 2.03x).
   So 1.5x needs the Python near 0.3 ms per booking, about 45% less, and
   moving work out of the lock is worth about 0.1x. psycopg's pipeline mode
   (BEGIN sent with the lock, the INSERT with the COMMIT) did not help: 1.14x
   and 1.27x against 1.13x for the same statements without it. Item 1 alone
   that day: 1.92x (1.60-2.05) on fb3422f and 1.93x (1.66-2.17) on 1050552,
   idle machine, 1,192 and 1,225 against 2,342 and 2,308 bookings/s, client
   CPU per attempt 0.95 and 0.96 against 0.38 and 0.39 ms; callgrind (one
   client, 400 less 100 bookings): 1.148 and 1.108 million instructions per
   booking.
   On 2026-12-03, later (the floor at 2,371-3,030 bookings/s), with the
   engine's connections opened with the lock bound and UTC (e91c7b8, so no
   ``set_config`` per unit), alternating with 4b412ef on an engine without:
   2.21x and 2.03x, 1,257 and 1,467 bookings/s, client CPU per attempt 0.92
   and 0.77 ms, its statements alone 1.10x and 1.08x; against 2.24x and
   2.25x, 1,161 and 1,211 bookings/s, 0.97 and 0.90 ms, 1.16x and 1.15x. The
   round trip was a tenth of the time; the Python's share stays 1.85-1.96x
   its own statements. An earlier, noisier pair (helpers running) gave 2.13x
   against 2.41x. One client alone: 400-465 us of CPU per booking against
   its statements' 217-257 and the floor's 239-321.
   On 2026-12-03 (a second sitting, the floor at 2,609-2,855 bookings/s), two
   changes, each alternated with the commit before it: the ``set_config`` of
   the lock bound on the driver's cursor instead of through Core (ba4ac0c)
   2.10x and 2.15x against 2.53x and 2.31x, client CPU per attempt 0.81-0.85
   against 0.93-1.06 ms; the checked insert's three subqueries made one
   aggregate (2ff0efa), its statements alone 1.17x and 1.19x against 1.30x
   and 1.31x, sessionkit 1.89x and 2.12x against 2.07x and 2.12x. What is
   left is the Python's share, 1.59-1.75x its own statements.
   Later on 2026-12-03, once a booking's lock timeout was set by a statement
   of its own before the lock (5d260de: a bound set inside the lock's
   statement came too late for the lock on its table), item 1 alone in one
   sitting on a slow, busy machine (the floor at 1,095-1,376 bookings/s):
   2.42x (2.16-2.69) and 2.05x (1.88-2.44) with it, 2.04x (1.77-2.19)
   without; its statements alone 1.28x and 1.17x against 1.15x. The round
   trip more is within the runs' spread.
   On 2026-12-03, after the booked session, the new booking and its status
   copy stopped being checked again (65fe760) and the cursor path asked the
   engine's dispatch for listeners (da0b807): one client alone, by
   callgrind, 1.13 million instructions per booking against 1.40 million
   on 4fa8ed3 (floor 0.46, counted the same day). Item 1 alone, alternating the two commits in
   one sitting (the floor at 1,340-1,770 bookings/s): da0b807 2.26x
   (1.84-2.33) and 1.93x (1.64-2.00), 772 and 786 bookings/s, client CPU
   per attempt 1.44 and 1.57 ms; 4fa8ed3 2.18x (1.80-2.47) and 1.93x
   (1.35-2.61), 858 and 728 bookings/s, 1.37 and 1.61 ms. The runs'
   spread is wider than the change; what moved is sessionkit against its
   own statements sent alone, 1.66x and 1.65x against 1.98x and 1.91x,
   while those statements ran at 1.05-1.21x the floor.
   On 2026-12-02, evening, after the booking's two statements moved to the
   driver's cursor beneath Core (``adapters/sqlalchemy/_direct.py``), item 1
   alone, alternating commits in one sitting (a slower machine: the floor
   at 1,300-1,550 bookings/s): 67d8914 1.94x (1.42-2.28) and 1.96x
   (1.76-2.19), 776 and 676 bookings/s, client CPU per attempt 1.47 and
   1.64 ms against the floor's 0.64 and 0.71 ms; 785e8b6 (through Core)
   2.46x (2.23-3.32) and 2.70x (2.00-2.87), 599 and 609 bookings/s, 2.09
   and 2.04 ms. After a9d046e (which also leaves the statements to Core
   under ``before_execute``/``after_execute``/``do_execute`` hooks; the
   checks cost about 7 us per booking), item 1 alone: 1.77x (1.50-2.13),
   755 against 1,322 bookings/s, 1.52 against 0.61 ms; its profile (now
   of the cursor path) gives ``sqlalchemy.engine`` 2.2% of the time. One client alone, by
   callgrind (instructions do not depend on the machine's speed): 1.91
   million instructions per booking through Core, 1.30 million on the
   cursor (1.35 million on a9d046e), 0.50 million for the floor. What is
   left above the floor's CPU: the unit of work's connection (pool checkout
   and check-in and a Core ``Connection`` per transaction, about 65 us
   against a bare psycopg transaction's 124 us, min of 25 blocks), the
   domain values, checks, lifecycle fire and event, and psycopg loading the
   26 columns of the session's row. The profile below is of the cursor path:
   the statement counter is removed before it.
   Later on 2026-12-02, on yet another machine (one client alone: 0.88 ms
   of CPU per booking against the floor's 0.37 ms and its statements'
   0.31 ms), item 1 alone on 7e20929: 3.03x (2.81-3.07), 796 against 2,406
   bookings/s, client CPU per attempt 1.56 against 0.37 ms, its statements
   alone 1.22x (1.18-1.31); 2bf3fd0 (before the type checks of that day's
   sweeps) right after it: 2.98x (2.66-3.34), 760 against 2,263, 1.62
   against 0.41 ms. The checks cost nothing measurable here.
   Measured on 2026-12-02 (2 cores, idle otherwise, a faster machine than
   the day before), item 1 alone on 0d6422a: 2.40x (2.28-2.88), 1,326
   against 3,180 bookings/s, client CPU per attempt 0.87 against 0.28 ms;
   its statements alone 2,649 bookings/s, 1.20x the floor (1.16-1.25), so
   the Python makes 2.00x. Again later that day on e693b58 (nothing in the
   booking path changed; the machine ran at half that speed, the floor at
   1,448 bookings/s): 2.30x (1.71-2.61), 594 bookings/s, client CPU per
   attempt 1.97 against 0.59 ms; its statements alone 1.08x (1.03-1.11).
   A third machine later that day (noisy: one client's CPU per booking
   ranged 0.7-1.3 ms from run to run), on c5d6203: 2.62x (2.38-3.02), 557
   against 1,469 bookings/s, and again 2.87x (2.52-3.27), its statements
   alone 1.17x and 1.31x; dbe8712 in the same hour 2.50x (2.09-3.34), its
   statements 1.03x. Nothing in the booking path changed between the two,
   and one client's CPU per booking could not tell them apart.
   Measured on 2026-12-01 (2 cores, idle otherwise), a full run of ``python
   -m benchmarks bookings`` on b2d46fc: 2.19x (1.93-2.30), 771 against 1,718
   bookings/s, client CPU per attempt 1.56 against 0.53 ms; sessionkit's
   statements alone 1,478 bookings/s, 1.08x the floor (1.04-1.17) with 0.52
   ms of client CPU, so sessionkit's Python makes 1.97x. Item 1 alone earlier
   that day: 2.19x (1.99-2.76), statements alone 1.13x. The SQL is at the
   floor; the gap is the code path per booking:
   SQLAlchemy Core executing two statements and the transaction, psycopg
   describing the 25 columns of the lock's row at each call (SQLAlchemy reads
   the description of every result), the unit of work, and the booking's
   domain values, checks and event, all run again on caches the other 15
   processes evicted (one client alone spends about 1.0 ms of CPU per booking
   against the floor's 0.55 ms; at 16 clients 1.4-1.7 ms against 0.6 ms).
   Ad hoc, with the CPU of the server's processes read from ``/proc``
   (emptied table): PostgreSQL spent 1.5-1.7 ms per sessionkit booking, 1.3
   ms for its statements alone and 0.9-1.1 ms for the floor's. Earlier
   figures, on the emptied table: 2.20x on 86beb48 (712 against 1,584
   bookings/s, client CPU 1.39 against 0.45 ms), 2.30x on eede9f8, 2.5x once
   units of work ran on a Core connection, 2.7x with the single write, 3.6x
   with 3 statements and an ORM session per unit of work, 4.8-5.3x with 8
   statements. Two experiments (not kept) bound what is left: running both
   statements on the psycopg cursor beneath Core, with SQLAlchemy's bind and
   result processors applied by hand, gained about a tenth; ``gc.freeze()``
   in every client changed nothing. On a slower 2-core machine: 1.8-2.4x,
   client CPU per attempt 2.0-2.4 ms against 0.7-0.9 ms.
2. **Bookable sessions** of one provider over 30 days (``kit.bookings.bookable``
   with ``resource=``), 500 sessions of that provider stored (made with
   ``kit.sessions.create_extra``) and 2,000 bookings and holds (confirmed,
   live and run-out holds, cancelled, waitlisted; Core ``executemany``, setup),
   in a SQLite file and, when available, PostgreSQL (twice: on a plain
   engine, whose units each send the ``set_config`` of the lock bound and
   the zone first, and on item 1's engine, whose connections start with
   both, :data:`BOUNDED`, as docs/sqlalchemy.md advises): p50 and p95 latency and
   SQL statements per call (SQLite's ``BEGIN IMMEDIATE`` included), against
   an absolute aim (p50 under 5 ms; over it, a cProfile of 50 calls says
   where the time goes). In the same interleaved rounds, the reference: the
   very ``SELECT`` sessionkit sent (caught from the engine, with its
   parameters) run on a bare DBAPI connection and its rows fetched, planned
   per call on PostgreSQL as sessionkit has it; its p50 and the ratio say how
   much of a figure is the machine's and how much the code above the
   statement. There is no capacity-aware free-slots query
   (``sessionkit.availability.free_slots`` knows working hours and busy
   spans, not seats), so ``bookable`` is the read measured. On 2026-12-04
   the listing went to the driver's cursor (numbered closed pairs, so the
   statement is rendered once; UTC instants from psycopg taken as they are):
   a loop of both, alternating with the commit before, gave 1.21x and 1.24x
   the bare statement against 1.40x and 1.32x, client CPU per call 1.10 and
   1.42 ms against 2.10 and 1.44 ms. Until then the statement counter
   stayed on the engine through the measured calls, and a listener sends
   them through Core (as it sends a booking's statements): 1.33-1.37x on
   both commits. With the counter removed, this bench alternating 85087fc
   and the change on PostgreSQL (one helper's tests running): 1.28x and
   1.28x against 1.22x and 1.21x, p50 5.81 and 5.14 ms against 5.48 and
   4.88 ms (the statement alone 3.94-4.43 ms). Then item 2 alone: SQLite
   4.71 ms (1.38x), PostgreSQL 5.21 ms (1.33x, counter still on), on item
   1's engine 4.75 ms (1.31x, the same). Before, that day, 7.14-7.76 ms on
   PostgreSQL, the statement alone 4.90-5.99 ms (a slower hour). Two full
   runs of item 2 with the counter removed: SQLite 4.62 and 4.56 ms (1.30x,
   1.32x), PostgreSQL 4.75 and 5.84 ms (1.20x, 1.21x; the statement alone
   3.93 and 4.61 ms), on item 1's engine 5.24 and 4.94 ms (1.20x, 1.21x):
   at the aim, not reliably under it, on a machine where the statement
   alone takes 3.9-4.6 ms. Tried and
   dropped that day: summing one resource's bookings per
   session in a subquery and joining the sums, 2.0 to 1.6 ms of execution
   for one teacher alone on PostgreSQL, but one teacher of 60 (item 4) went
   from 3.8 to 8.7 ms on SQLite and from 14 to 48 ms on PostgreSQL.
   On 2026-12-01
   the machine ran slower all afternoon (the bare statement took 3.7 ms on
   SQLite and 4.7-7.3 ms on PostgreSQL, against 2.9-3.0 and 3.8-3.9 ms the
   day before): a full run on b2d46fc gave SQLite 5.10 ms (1.38x the
   statement) and PostgreSQL 5.85 ms (1.24x), not under the aim; da50e7f
   and b2d46fc run alternately in one sitting gave the same ratios (SQLite
   1.36-1.40x, PostgreSQL 1.22-1.24x). Before, on
   86beb48 (2 cores, idle): a full run of ``python -m benchmarks bookings``,
   SQLite file p50 4.21 ms (p95 4.33), the statement alone 3.02 ms, 1.40x;
   PostgreSQL p50 5.00 ms (p95 5.83), the statement alone 3.92 ms, 1.28x, 2
   SQL statements per call (the lock bound, which also sets the
   transaction's ``TimeZone`` to UTC, and the listing): at the aim, not
   under it. Item 2 alone in the same sitting, where the bare statement
   takes 3.78-3.79 ms: PostgreSQL 4.79-4.86 ms (1.28x), SQLite 4.02-4.21 ms.
   The two changes of that day, each measured by runs of item 2 alone:
   building the listing straight into ``BookableSession``'s slots
   (``unchecked_many``: PostgreSQL 5.21-5.27 to 4.98-5.10 ms, SQLite 4.22 to
   4.02 ms) and the ``TimeZone`` (psycopg then reads UTC itself and nothing
   converts the 582 instants: PostgreSQL to 4.84-4.86 ms). Tried and
   dropped that day: grouping by the sessions' key alone (no change), and a
   ``LATERAL`` sum of each session's bookings (0.35 ms slower). Earlier
   (2 cores, one run of ``python -m benchmarks bookings`` on 643d4a3): SQLite
   file p50 4.82 ms (p95 7.68), the same SELECT from the driver alone 3.20
   ms, 1.49x; PostgreSQL p50 6.60 ms (p95 8.16), the statement alone 5.20
   ms, 1.30x, with 1 SQL statement per call (on that commit the listing sent
   no ``set_config('lock_timeout')`` first; 937776c sends it again, one
   round trip more). In the same sitting, separate runs of this item gave
   4.35-4.65 ms on SQLite and 5.96-6.54 ms on PostgreSQL; earlier that day,
   before the covering index, 4.37 ms on SQLite and 4.61 ms on PostgreSQL
   (the listing then sent no lock bound). The machine's speed drifted during the day (the
   bare PostgreSQL statement measured 2.9 ms hot at 05:20 and 4.7 ms hot at
   06:15), so compare only same-run ratios. What changed before those
   figures: the bookings' session index carries ``seats`` and
   ``hold_expires_at`` (migration 0013; on SQLite the statement alone went
   from about 3.7 to 2.95 ms in the same sitting), instants are converted
   without ``datetime.replace``, and the read sent no lock bound (undone by
   937776c). It took 20-21 ms on SQLite and 25-28 ms on PostgreSQL when it
   read whole sessions with a count and then their seats.
   On the slower machine of item 1: 8.9 ms on SQLite and 9.1 ms on
   PostgreSQL, where the statement alone, sent with the driver and its rows
   fetched, takes 5.3-5.8 ms (SQLite) and 5.2 ms (PostgreSQL, planned per
   call; 7.4 ms on a prepared generic plan): there the aim is out of reach of
   any code above the same statement. With the reference in the run, on that
   machine: 5.7-6.3 ms against the statement's 3.3-3.7 ms on SQLite (1.70x),
   8.6-9.0 ms against 5.5-6.2 ms on PostgreSQL (1.51-1.53x); a loop of pure
   Python there runs at two speeds, one twice the other, so single figures
   swing by that much from run to run. Since the seats of waitlisted
   bookings count as owed (not free for a newcomer, as ``book`` has it), 291
   of the 500 sessions are listed instead of 324 (the generator waitlists
   some bookings of sessions with seats free) and the statement also sums
   the waitlisted seats: about a quarter more work for SQLite (22.3 against
   17.9 million instructions per call, counted by callgrind), 7.0 ms against
   4.6 ms (1.53x) on SQLite and 9.1 against 6.6 ms (1.40x) on PostgreSQL.
3. **A participant's agenda** (``kit.bookings.agenda``, the next 7 days) in
   SQLite files with 10k and with 1M bookings stored (100k with ``--quick``),
   loaded straight into the adapter's tables with Core ``executemany`` (setup,
   not timed): every participant has one booking a day for 200 days, so a
   week's agenda is the same size in both files and only the table grows. p50
   of each, interleaved rounds, and their ratio; aim within 2x (the agenda
   index bounds the read). ``EXPLAIN QUERY PLAN`` of the statement the adapter
   sends shows which index serves it.
4. **A tenant's bookable sessions, no resource: one page**: the booking
   repository's ``bookable`` without ``resource``, ``limit=500`` (the page
   ``kit.bookings.bookable`` reads), in a unit of work of its own, over 60
   teachers x 500 sessions in 30 days (30,000 sessions, 16,775 with a seat
   free) and 120,000 bookings and holds (15 teachers and 30,000 with
   ``--quick``), loaded with Core ``executemany`` (setup, not timed). In a
   SQLite file before and after ``ANALYZE``, and without ``--quick`` in
   PostgreSQL and MariaDB (analyzed) when ``SESSIONKIT_TEST_POSTGRES_URL``
   and ``SESSIONKIT_TEST_MYSQL_URL`` are set. The page must be the 500
   sessions the rows say, by start then id, each with a seat remaining. In
   interleaved rounds: its p50 and p95, the same SELECT from the driver
   alone (as in 2), and one teacher's page (``resource=``, 294 sessions),
   which comes by key from the teacher's resource rows whatever the plan of
   the tenant's window. Aim: the page walks the ``(tenant, start_at, id)``
   index and stops at its end, no sort of the window: p50 within 3x of the
   teacher's page; SQLite's ``EXPLAIN QUERY PLAN`` and MariaDB's ``EXPLAIN``
   are printed and must show no temporary B-tree (filesort). Measured here
   (2 cores, two runs of this item alone on 937776c), as the page's p50 (p95),
   the statement alone (sessionkit / it), the teacher's page (tenant /
   teacher): SQLite without ``ANALYZE`` 7.73 and 7.90 ms (12.07, 11.51), 5.78
   and 5.82 ms (1.34x), 4.54 and 4.61 ms (1.70x); SQLite analyzed 6.68 and
   6.53 ms (8.60, 11.06), 4.78 and 4.63 ms (1.39x), 4.10 and 3.91 ms (1.63x,
   1.67x), 2 SQL statements per call (``BEGIN IMMEDIATE``, the page);
   PostgreSQL 14.96 and 14.00 ms (18.16, 17.55), 12.88 and 11.50 ms (1.19x,
   1.20x), 17.71 and 15.63 ms (0.85x, 0.86x), 2 SQL statements per call (the
   lock bound, the page); MariaDB 14.38 and 16.90 ms (20.98, 21.90), 12.43
   and 13.96 ms (1.20x, 1.23x), 10.38 and 12.73 ms (1.37x), 1 SQL statement
   per call. Every plan printed walked the start index with no sort. The
   statement of 4fbd180, which grouped by every column shown, sorted the
   whole window: patched in for one run of this item, SQLite 158 ms without
   ``ANALYZE`` (29.7x the teacher's page; it walked the tenant's sessions in
   primary-key order and sorted them, ``USE TEMP B-TREE FOR ORDER BY``) and
   196 ms analyzed (44.8x; ``USE TEMP B-TREE FOR GROUP BY`` and ``FOR ORDER
   BY``), MariaDB 784 ms (71.6x; ``Using temporary; Using filesort``),
   PostgreSQL 15.7 ms (0.88x, as now). Measured ad hoc on 30,000 sessions
   with another mix of bookings, before and after 9e45bd7: 330 against 11 ms
   on SQLite, 960 against 20 ms on MariaDB, about 10 ms both on PostgreSQL.
   The item takes about 80 s, PostgreSQL and MariaDB (loading included) just
   under 60 s of it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import statistics
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.engine import Connection, Engine

from benchmarks.bench_storage import (
    StatementCounter,
    fast_loader,
    postgres_url,
    profile_report,
    run_analyze,
    sqlite_engine,
)
from benchmarks.compare import clocked, interleave, percentiles
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.booking_rows import AGENDA_INDEX, bookings_table
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema
from sessionkit.errors import CapacityExceeded
from sessionkit.model.booking import SEAT_STATUSES, BookableSession
from sessionkit.model.session import ResourceRef
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan

TENANT = "acme"
NOW = datetime(2026, 3, 2, 6, tzinfo=UTC)
"""Every command's instant; the sessions of 1 and 2 start after it."""
B = bookings_table.c

# ---------------------------------------------------------------------------------- rows


def booking_row(
    booking_id: str,
    session_id: str,
    participant: str,
    span: tuple[datetime, datetime],
    status: str,
    *,
    hold_expires_at: datetime | None = None,
    position: int | None = None,
) -> dict[str, Any]:
    """A ``sessionkit_bookings`` row as the adapter writes it (checked against the table)."""
    kind, _, ident = participant.partition(":")
    return {
        "tenant": TENANT,
        "id": booking_id,
        "session_id": session_id,
        "participant_kind": kind,
        "participant_id": ident,
        "role": "attendee",
        "seats": 1,
        "status": status,
        "hold_expires_at": hold_expires_at,
        "session_start": span[0],
        "session_end": span[1],
        "position": position,
        "idempotency_key": None,
        "fingerprint": None,
        "version": 1,
        "created_at": NOW - timedelta(days=1),
        "created_by": "bench",
        "updated_at": None,
        "updated_by": None,
        "metadata": {},
    }


def session_row(session_id: str, span: tuple[datetime, datetime], capacity: int) -> dict[str, Any]:
    """A ``sessionkit_sessions`` row of a busy extra session without resources."""
    return {
        "tenant": TENANT,
        "id": session_id,
        "series_id": None,
        "schedule_item_id": None,
        "occurrence_key": None,
        "title": f"Class {session_id}",
        "start_at": span[0],
        "end_at": span[1],
        "tz": "UTC",
        "status": "SCHEDULED",
        "lifecycle": "lms",
        "busy": True,
        "capacity": capacity,
        "is_extra": True,
        "detached": False,
        "resources": [],
        "version": 1,
        "created_at": NOW - timedelta(days=30),
        "created_by": "bench",
        "updated_at": None,
        "updated_by": None,
        "metadata": {},
        "title_folded": f"class {session_id}",
    }


def check_columns() -> None:
    """The hand-made rows name exactly the tables' columns (so they track the schema)."""
    span = (NOW, NOW)
    assert set(booking_row("b", "s", "k:i", span, "CONFIRMED")) == set(bookings_table.c.keys())
    missing = set(sessions_table.c.keys()) - set(session_row("s", span, 1))
    assert missing <= {"group_key"}, missing
    assert set(resource_row("s", "k:i", span)) == set(session_resources_table.c.keys())


def seats_per_session(engine: Engine, session_ids: Sequence[str]) -> dict[str, int]:
    """The seats the sessions' bookings take (all bookings here are confirmed)."""
    statement = (
        select(B.session_id, func.sum(B.seats))
        .where(
            B.tenant == TENANT,
            B.session_id.in_(session_ids),
            B.status.in_(sorted(SEAT_STATUSES)),
        )
        .group_by(B.session_id)
    )
    with engine.connect() as connection:
        return {session_id: int(seats) for session_id, seats in connection.execute(statement)}


# ---------------------------------------------------------------------------------- 1. throughput

CLIENTS = 16
CAPACITY = 20
BOUNDED = "-c lock_timeout=10s -c TimeZone=UTC"
"""The connections' own lock bound and zone, the store's (docs/sqlalchemy.md, "Lock waits")."""
HISTORY = 5_000
"""Past sessions, each full: 100,000 bookings in the table before any run."""


@attrs.frozen
class Outcome:
    """One client's run: seats it got, refusals it met, its CPU seconds (or its error)."""

    booked: int = 0
    refused: int = 0
    cpu: float = 0.0
    error: str | None = None


Booker = Callable[[str, str], bool]
"""Books one seat of a session for a participant: True, or False when the session is full."""


def kit_booker(kit: SessionKit) -> Booker:
    def book(session_id: str, participant: str) -> bool:
        try:
            kit.bookings.book(TENANT, session_id, participant, actor="bench", confirm=True)
        except CapacityExceeded:
            return False
        return True

    return book


LOCK_SQL = (
    "SELECT capacity, start_at, end_at FROM sessionkit_sessions"
    " WHERE tenant = %s AND id = %s FOR UPDATE"
)
TAKEN_SQL = (
    "SELECT coalesce(sum(seats), 0) FROM sessionkit_bookings"
    " WHERE tenant = %s AND session_id = %s AND status = ANY(%s)"
    " AND (hold_expires_at IS NULL OR hold_expires_at > %s)"
)
COLUMNS = list(booking_row("b", "s", "k:i", (NOW, NOW), "CONFIRMED"))
QUOTED = ", ".join(f'"{column}"' for column in COLUMNS)
INSERT_SQL = (
    f"INSERT INTO sessionkit_bookings ({QUOTED}) VALUES ({', '.join('%s' for _ in COLUMNS)})"
)


@contextlib.contextmanager
def raw_booker(engine: Engine) -> Iterator[Booker]:
    """The floor: psycopg alone on one connection, three statements and a commit per booking."""
    from psycopg.types.json import Jsonb  # only with PostgreSQL

    fairy = engine.raw_connection()  # from the pool: the search path of the schema is set
    try:
        connection: Any = fairy.driver_connection
        cursor = connection.cursor()
        seat_statuses = sorted(SEAT_STATUSES)

        def book(session_id: str, participant: str) -> bool:
            cursor.execute(LOCK_SQL, (TENANT, session_id))
            capacity, start, end = cursor.fetchone()
            cursor.execute(TAKEN_SQL, (TENANT, session_id, seat_statuses, NOW))
            (taken,) = cursor.fetchone()
            if taken + 1 > capacity:
                connection.rollback()
                return False
            row = booking_row(uuid.uuid4().hex, session_id, participant, (start, end), "CONFIRMED")
            row["created_at"] = NOW
            row["metadata"] = Jsonb({})
            cursor.execute(INSERT_SQL, [row[c] for c in COLUMNS])
            connection.commit()
            return True

        yield book
    finally:
        fairy.close()


@attrs.frozen
class Statements:
    """The statements one ``kit.bookings.book`` hands the driver, with their parameters.

    ``bound``: the ``set_config`` of the transaction's lock timeout (and zone)
    that comes first on PostgreSQL, or ``None``.
    """

    lock: str
    lock_parameters: dict[str, Any]
    insert: str
    insert_parameters: dict[str, Any]
    bound: str | None = None
    bound_parameters: dict[str, Any] = attrs.field(factory=dict)


def caught_statements(engine: Engine, session_id: str) -> Statements:
    """Book one seat of ``session_id`` through sessionkit and keep what it sent."""
    sent: list[tuple[str, Any]] = []

    def seen(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert kit_booker(kit)(session_id, "student:caught")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    bound: tuple[str, Any] | None = None
    if len(sent) == 3 and "set_config" in sent[0][0]:
        bound = sent.pop(0)
    assert len(sent) == 2, [statement[:60] for statement, _ in sent]
    (lock, lock_parameters), (insert_sql, insert_parameters) = sent
    assert lock.rstrip().endswith("FOR UPDATE"), lock
    assert insert_sql.startswith("INSERT"), insert_sql
    return Statements(
        lock,
        dict(lock_parameters),
        insert_sql,
        dict(insert_parameters),
        None if bound is None else bound[0],
        {} if bound is None else dict(bound[1]),
    )


@contextlib.contextmanager
def statements_booker(engine: Engine, statements: Statements) -> Iterator[Booker]:
    """sessionkit's own statements on psycopg alone: its SQL without its Python.

    The ``set_config`` of the lock timeout, the lock and the ``INSERT ... SELECT``
    that checks the seats, the participant and the settling, sent as ``kit.bookings.book``
    sent them, with the new booking's id, session, span and participant put
    in; no row inserted means the session is full (nothing else refuses here).
    """
    fairy = engine.raw_connection()
    try:
        connection: Any = fairy.driver_connection
        cursor = connection.cursor()
        span_at: list[int] = []  # where the session's start and end are in the lock's row

        def book(session_id: str, participant: str) -> bool:
            if statements.bound is not None:
                cursor.execute(statements.bound, statements.bound_parameters)
            lock_parameters = {**statements.lock_parameters, "session_id": session_id}
            cursor.execute(statements.lock, lock_parameters)
            row = cursor.fetchone()
            if not span_at:
                names = [column.name for column in cursor.description]
                span_at.extend((names.index("start_at"), names.index("end_at")))
            kind, _, ident = participant.partition(":")
            parameters = {
                **statements.insert_parameters,
                "id": uuid.uuid4().hex,
                "session_id": session_id,
                "participant_kind": kind,
                "participant_id": ident,
                "session_start": row[span_at[0]],
                "session_end": row[span_at[1]],
            }
            cursor.execute(statements.insert, parameters)
            if cursor.rowcount != 1:
                connection.rollback()
                return False
            connection.commit()
            return True

        yield book
    finally:
        fairy.close()


def fill(
    book: Booker, session_ids: Sequence[str], full: Any, rng: random.Random, client: int
) -> Outcome:
    """Book random sessions until every one is full.

    ``full`` is shared by the clients: a session one of them was refused is
    skipped by the others, so refusals stay near one per session.
    """
    open_at = list(range(len(session_ids)))
    booked = refused = 0
    started = time.process_time()
    while open_at:
        pick = rng.randrange(len(open_at))
        at = open_at[pick]
        if not full[at]:
            if book(session_ids[at], f"student:c{client:02d}-{booked + refused:05d}"):
                booked += 1
                continue
            refused += 1
            full[at] = 1
        open_at[pick] = open_at[-1]
        open_at.pop()
    return Outcome(booked, refused, time.process_time() - started)


@attrs.frozen
class Pool:
    """The client processes and what the parent talks to them with."""

    processes: list[Any]
    tasks: list[Any]
    results: Any
    start: Any
    full: Any
    """One flag per session, shared: 1 once a client was refused a seat in it."""
    statements: Statements


def client_main(client: int, engine: Engine, session_ids: list[str], pool: Pool) -> None:
    """A client process: one run per task, after the start barrier, until ``None``."""
    # Forked after the parent disposed of the engine: this pool is the process's own.
    engine.dispose(close=False)
    store = SqlAlchemyStore(engine)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
    with engine.connect():  # a warm connection, so no run pays for connecting
        pass
    while (task := pool.tasks[client].get()) is not None:
        contender, round_number = task
        rng = random.Random(round_number * 1000 + client)
        try:
            with contextlib.ExitStack() as stack:
                if contender == "sessionkit":
                    book = kit_booker(kit)
                elif contender == "statements":
                    book = stack.enter_context(statements_booker(engine, pool.statements))
                else:
                    book = stack.enter_context(raw_booker(engine))
                pool.start.wait()
                outcome = fill(book, session_ids, pool.full, rng, client)
        except Exception:  # noqa: BLE001  # reported to the parent, which raises
            outcome = Outcome(error=traceback.format_exc())
        pool.results.put(outcome)


def start_clients(engine: Engine, session_ids: list[str], statements: Statements) -> Pool:
    context = multiprocessing.get_context("fork")
    engine.dispose()  # no connection of the parent's may be shared with a child
    tasks = [context.Queue() for _ in range(CLIENTS)]
    results = context.Queue()
    full = context.Array("b", len(session_ids), lock=False)
    pool = Pool([], tasks, results, context.Barrier(CLIENTS + 1), full, statements)
    for client in range(CLIENTS):
        process = context.Process(
            target=client_main, args=(client, engine, session_ids, pool), daemon=True
        )
        process.start()
        pool.processes.append(process)
    return pool


def stop_clients(pool: Pool) -> None:
    for task_queue in pool.tasks:
        task_queue.put(None)
    for process in pool.processes:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


@attrs.define
class Tally:
    """Outcomes and CPU of every run of one contender."""

    refusals: list[int] = attrs.Factory(list)
    cpu_per_attempt: list[float] = attrs.Factory(list)


def timed_run(
    engine: Engine, pool: Pool, contender: str, session_ids: list[str], tally: Tally
) -> Callable[[], float]:
    """A contender: empty the bookings, let every client fill the sessions; wall seconds."""
    rounds = iter(range(1_000_000))

    def run() -> float:
        empty_sessions(engine, session_ids)
        number = next(rounds)
        pool.full[:] = bytes(len(session_ids))
        for task_queue in pool.tasks:
            task_queue.put((contender, number))
        pool.start.wait(timeout=120)
        started = time.perf_counter()
        outcomes: list[Outcome] = [pool.results.get(timeout=600) for _ in range(CLIENTS)]
        elapsed = time.perf_counter() - started
        errors = [o.error for o in outcomes if o.error is not None]
        if errors:
            raise RuntimeError(f"a {contender} client failed:\n{errors[0]}")
        seats = seats_per_session(engine, session_ids)
        booked = sum(o.booked for o in outcomes)
        # Exactness: no session over its capacity, and every seat taken (clients stop
        # only once they saw every session full).
        assert max(seats.values()) <= CAPACITY, (contender, max(seats.values()))
        assert seats == dict.fromkeys(session_ids, CAPACITY), contender
        assert booked == len(session_ids) * CAPACITY, (contender, booked)
        refused = sum(o.refused for o in outcomes)
        tally.refusals.append(refused)
        tally.cpu_per_attempt.append(sum(o.cpu for o in outcomes) / (booked + refused))
        return elapsed

    return run


def load_history(engine: Engine, sessions: int) -> None:
    """``sessions`` past sessions, each full of confirmed bookings, vacuumed and analyzed.

    A live bookings table has history and statistics. On an emptied one,
    PostgreSQL plans the prepared statements of both contenders for a table of
    one page and then scans the whole table as it fills, at every booking.
    """
    first = NOW - timedelta(days=400)
    with engine.begin() as connection:
        for batch in range(0, sessions, 1_000):
            session_rows: list[dict[str, Any]] = []
            booking_rows: list[dict[str, Any]] = []
            for n in range(batch, min(batch + 1_000, sessions)):
                start = first + timedelta(hours=n)
                span = (start, start + timedelta(minutes=50))
                session_id = f"past{n:05d}"
                session_rows.append(session_row(session_id, span, CAPACITY))
                booking_rows.extend(
                    booking_row(
                        f"{session_id}-{seat:02d}",
                        session_id,
                        f"student:h{(n * CAPACITY + seat) % 5_000:04d}",
                        span,
                        "CONFIRMED",
                    )
                    for seat in range(CAPACITY)
                )
            connection.execute(insert(sessions_table), session_rows)
            connection.execute(insert(bookings_table), booking_rows)
    vacuum(engine, "VACUUM ANALYZE")


def vacuum(engine: Engine, command: str = "VACUUM") -> None:
    """Run ``command`` on the bookings table (outside a transaction, as VACUUM must)."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql(f"{command} sessionkit_bookings")


def empty_sessions(engine: Engine, session_ids: Sequence[str]) -> None:
    """Delete the sessions' bookings and vacuum (not timed): every run starts on the same table."""
    with engine.begin() as connection:
        connection.execute(
            delete(bookings_table).where(B.tenant == TENANT, B.session_id.in_(session_ids))
        )
    vacuum(engine)


def make_sessions(engine: Engine, count: int, capacity: int) -> list[str]:
    """``count`` one-hour sessions of one teacher over the next days, through the services."""
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    ids = []
    for n in range(count):
        start = NOW + timedelta(days=1 + n // 10, hours=2 + n % 10)
        session = kit.sessions.create_extra(
            TENANT,
            actor="bench",
            start=start,
            end=start + timedelta(minutes=50),
            resources=["teacher:t0001"],
            lifecycle="lms",
            capacity=capacity,
        )
        ids.append(session.id)
    return ids


def profile_one_client(engine: Engine, session_ids: list[str]) -> None:
    """Where one client's booking time goes, alone, on the same (emptied) tables."""
    empty_sessions(engine, session_ids)
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    counter = StatementCounter(engine)
    book = kit_booker(kit)
    book(session_ids[0], "student:warm")
    before = counter.count
    book(session_ids[0], "student:counted")
    statements = counter.count - before
    # Profiled as the clients ran: a listener of the statements turns the quick way off.
    counter.stop()
    wanted = min(len(session_ids) * CAPACITY - 2, 600)
    picks = [session_ids[n % len(session_ids)] for n in range(wanted)]
    print(
        f"    one kit.bookings.book sends {statements} SQL statements (counted the long way,"
        " which a statement listener makes it take: the quick way sends the same; BEGIN and"
        " COMMIT not counted); the floor sends 3"
    )
    profile_report(
        lambda: [book(session_id, f"student:p{n}") for n, session_id in enumerate(picks)],
        f"{wanted} bookings by one client",
        (
            ("services/booking_making.py", "book"),
            ("services/booking_making.py", "_book_quickly"),
            ("services/booking_making.py", "admit"),
            ("sqlalchemy/_quick.py", "book_quickly"),
            ("sqlalchemy/_quick.py", "quick_ready"),
            ("sqlalchemy/_quick.py", "_sent"),
            ("sqlalchemy/_quick.py", "_refused"),
            ("sqlalchemy/_quick.py", "_ended"),
            ("services/_context.py", "transaction"),
            ("services/_seats.py", "settle"),
        ),
    )


def bench_throughput(quick: bool) -> None:
    count = 50 if quick else 200
    seats = count * CAPACITY
    print(
        f"1. Booking throughput, PostgreSQL: {CLIENTS} client processes fill {count} sessions of"
        f" capacity {CAPACITY} ({seats:,} seats); interleaved rounds, bookings emptied before each"
    )
    url = postgres_url()
    if url is None:
        return
    with postgres_schema(url, connect_args={"options": BOUNDED}) as engine:
        session_ids = make_sessions(engine, count, CAPACITY)
        load_history(engine, HISTORY)
        # Statistics, as autovacuum keeps them on a live database: without them PostgreSQL
        # guesses that ``tenant = ...`` alone picks one row, and both contenders' lock of
        # the session scanned the tenant's every session instead of the primary key.
        run_analyze(engine)
        statements = caught_statements(engine, session_ids[0])
        pool = start_clients(engine, session_ids, statements)
        try:
            tallies = {"sessionkit": Tally(), "statements": Tally(), "floor": Tally()}
            found = interleave(
                {
                    name: timed_run(engine, pool, name, session_ids, tally)
                    for name, tally in tallies.items()
                }
            )
        finally:
            stop_clients(pool)
        ratio = found.ratio("sessionkit", "floor")
        labels = {
            "sessionkit": "kit.bookings.book (PostgreSQL's quick way)",
            "statements": f"its {2 + (statements.bound is not None)} statements, psycopg cursors",
            "floor": "raw psycopg: FOR UPDATE, sum, INSERT, COMMIT",
        }
        print(f"  {'contender':<46} {'bookings/s':>10} {'refused':>8} {'client CPU/attempt':>19}")
        for name, label in labels.items():
            tally = tallies[name]
            print(
                f"  {label:<46} {seats / found.median(name):10,.0f}"
                f" {statistics.median(tally.refusals):8,.0f}"
                f" {statistics.median(tally.cpu_per_attempt) * 1e3:16.2f} ms"
            )
        spread = found.spread("sessionkit", "floor")
        verdict = "met" if ratio <= 1.5 else "NOT met"
        print(
            f"  sessionkit / floor (time to fill): {ratio:.2f}x ({spread} over {found.rounds}"
            f" rounds); aim within 1.5x: {verdict}; every run left exactly {CAPACITY} seats"
            " in each session"
        )
        print(
            "  its statements alone / floor (the SQL's share):"
            f" {found.ratio('statements', 'floor'):.2f}x"
            f" ({found.spread('statements', 'floor')});"
            " sessionkit (pipelined) / its statements one by one:"
            f" {found.ratio('sessionkit', 'statements'):.2f}x"
        )
        if ratio > 1.5:
            profile_one_client(engine, session_ids)


# ---------------------------------------------------------------------------------- 2. bookable

PROVIDER = "teacher:t0001"
WINDOW_DAYS = 30


def provider_sessions(
    kit: SessionKit, count: int
) -> list[tuple[str, tuple[datetime, datetime], int]]:
    """``count`` sessions of :data:`PROVIDER`, 30 minutes apart from 07:00 UTC, over 30 days."""
    rng = random.Random(5)
    per_day = -(-count // WINDOW_DAYS)
    made = []
    for n in range(count):
        start = NOW + timedelta(days=n // per_day, hours=1, minutes=30 * (n % per_day))
        capacity = rng.choice((1, 2, 4, 6, 8))
        session = kit.sessions.create_extra(
            TENANT,
            actor="bench",
            start=start,
            end=start + timedelta(minutes=25),
            resources=[PROVIDER],
            lifecycle="lms",
            capacity=capacity,
        )
        made.append((session.id, (session.start, session.end), capacity))
    return made


def bookings_for(
    sessions: list[tuple[str, tuple[datetime, datetime], int]], count: int
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """``count`` bookings and holds of ``sessions``, never over a capacity; rows, seats taken.

    The seats taken leave out the waitlisted bookings' seats; :func:`bookings_owed` counts those.
    """
    rng = random.Random(6)
    taken = {session_id: 0 for session_id, _, _ in sessions}
    queued: dict[str, int] = {}
    rows = []
    for n in range(count):
        session_id, span, capacity = sessions[rng.randrange(len(sessions))]
        status = rng.choices(
            ("CONFIRMED", "HELD", "RUN_OUT", "CANCELLED", "EXPIRED", "WAITLISTED"),
            weights=(45, 20, 10, 10, 5, 10),
        )[0]
        expires = None
        if status in ("CONFIRMED", "HELD") and taken[session_id] >= capacity:
            status = "WAITLISTED"
        if status == "HELD":
            expires = NOW + timedelta(minutes=15)
        elif status == "RUN_OUT":
            status, expires = "HELD", NOW - timedelta(minutes=5)  # takes no seat any more
        position = None
        if status == "WAITLISTED":
            position = queued[session_id] = queued.get(session_id, 0) + 1
        if expires is None or expires > NOW:
            taken[session_id] += status in ("CONFIRMED", "HELD")
        row = booking_row(f"b{n:06d}", session_id, f"student:s{n:05d}", span, status)
        row.update(hold_expires_at=expires, position=position)
        rows.append(row)
    return rows, taken


def captured_read(engine: Engine, read: Callable[[], object]) -> tuple[str, Any]:
    """The SQL string and parameters ``read()`` hands the driver to read the bookings."""
    sent: list[tuple[str, Any]] = []

    def seen(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "sessionkit_bookings" in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(sent) == 1, [statement[:60] for statement, _ in sent]
    return sent[0]


def driver_reader(engine: Engine, statement: str, parameters: Any) -> Callable[[], list[Any]]:
    """Send ``statement`` straight on a DBAPI connection and fetch every row (no transaction
    of sessionkit's, no SQLAlchemy; PostgreSQL plans it per call, as sessionkit has it)."""
    driver: Any = engine.raw_connection().driver_connection
    options = {"prepare": False} if engine.dialect.name == "postgresql" else {}

    def read() -> list[Any]:
        cursor = driver.cursor()
        try:
            cursor.execute(statement, parameters, **options)
            rows: list[Any] = cursor.fetchall()
        finally:
            cursor.close()
        driver.commit()
        return rows

    return read


def bookings_owed(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The seats of the waitlisted bookings among ``rows``, per session: free for no newcomer."""
    owed: dict[str, int] = {}
    for row in rows:
        if row["status"] == "WAITLISTED":
            owed[row["session_id"]] = owed.get(row["session_id"], 0) + row["seats"]
    return owed


def bench_bookable_on(name: str, engine: Engine, quick: bool) -> None:
    store = SqlAlchemyStore(engine)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
    sessions = provider_sessions(kit, 500)
    rows, taken = bookings_for(sessions, 2_000)
    with engine.begin() as connection:
        connection.execute(insert(bookings_table), rows)
    run_analyze(engine)
    end = NOW + timedelta(days=WINDOW_DAYS)

    def bookable() -> list[Any]:
        return kit.bookings.bookable(TENANT, start=NOW, end=end, resource=PROVIDER)

    found = bookable()
    owed = bookings_owed(rows)
    expected = {s for s, _, capacity in sessions if taken[s] + owed.get(s, 0) < capacity}
    assert {b.session_id for b in found} == expected, name
    assert all(b.taken == taken[b.session_id] for b in found), name
    counter = StatementCounter(engine)
    before = counter.count
    bookable()
    statements = counter.count - before
    counter.stop()  # a listener on the engine sends the listing through Core (_direct)
    statement = driver_reader(engine, *captured_read(engine, bookable))
    assert len(statement()) == len(found), name
    measured = interleave(
        {"sessionkit": clocked(bookable), "statement": clocked(statement)},
        rounds=100 if quick else 400,
    )
    p50, p95 = percentiles(measured.samples["sessionkit"])
    alone, _ = percentiles(measured.samples["statement"])
    overhead = measured.ratio("sessionkit", "statement")
    print(
        f"  {name:<12} {len(found):>4} of 500 bookable   p50 {p50 * 1e3:6.2f} ms"
        f"   p95 {p95 * 1e3:6.2f} ms   {statements} SQL statements per call"
        f"   aim p50 under 5 ms: {'met' if p50 < 5e-3 else 'NOT met'}\n"
        f"  {'':<12} the same SELECT from the driver alone (rows fetched)"
        f" p50 {alone * 1e3:6.2f} ms; sessionkit / it {overhead:.2f}x"
        f" ({measured.spread('sessionkit', 'statement')} over {measured.rounds} rounds)",
        flush=True,
    )
    if p50 >= 5e-3:
        profile_report(
            lambda: [bookable() for _ in range(50)],
            f"50 bookable calls on {name}",
            (
                ("services/booking_queries.py", "bookable"),
                ("sqlalchemy/_booking_reads.py", "bookable"),
                ("services/_context.py", "transaction"),
            ),
        )


def bench_bookable(quick: bool, tmp: Path) -> None:
    print(
        f"\n2. Bookable sessions of one provider over {WINDOW_DAYS} days: 500 of its sessions"
        " and 2,000 bookings and holds stored (an absolute aim; the same SELECT from the"
        " driver alone as a reference)"
    )
    path = tmp / "bookable.sqlite3"
    engine = sqlite_engine(path)
    create_schema(engine)
    try:
        bench_bookable_on("SQLite file", engine, quick)
    finally:
        engine.dispose()
    url = postgres_url()
    if url is not None:
        with postgres_schema(url) as engine:
            bench_bookable_on("PostgreSQL", engine, quick)
        # The engine docs/sqlalchemy.md advises ("Lock waits"), item 1's: no set_config per unit.
        with postgres_schema(url, connect_args={"options": BOUNDED}) as engine:
            bench_bookable_on("PG, bounded", engine, quick)


# ---------------------------------------------------------------------------------- 3. agenda

DAYS = 200
"""Every participant has one booking a day over this many days."""
SEATS_PER_SESSION = 20
AGENDA_NOW = NOW + timedelta(days=DAYS // 2)


def agenda_rows(participants: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Sessions of 20 and one booking a day per participant: ("session" | "booking", row)."""
    rng = random.Random(participants)
    per_day = -(-participants // SEATS_PER_SESSION)
    statuses = ("CONFIRMED",) * 17 + ("CANCELLED",) * 2 + ("HELD",)
    for day in range(DAYS):
        midnight = NOW.replace(hour=0) + timedelta(days=day)
        spans = []
        for k in range(per_day):
            start = midnight + timedelta(hours=7 + k % 12, minutes=30 * (k // 12 % 2))
            spans.append((start, start + timedelta(minutes=45)))
            yield "session", session_row(f"s{day:03d}-{k:04d}", spans[-1], SEATS_PER_SESSION)
        for p in range(participants):
            k = (p + day) % participants // SEATS_PER_SESSION
            status = rng.choice(statuses)
            expires = midnight + timedelta(hours=rng.randrange(0, 48)) if status == "HELD" else None
            row = booking_row(
                f"b{day:03d}-{p:06d}",
                f"s{day:03d}-{k:04d}",
                f"student:p{p:06d}",
                spans[k],
                status,
                hold_expires_at=expires,
            )
            yield "booking", row


def load_agenda(engine: Engine, bookings: int) -> None:
    """Insert sessions and ``bookings`` bookings with Core executemany (setup, not timed)."""
    batches: dict[str, list[dict[str, Any]]] = {"session": [], "booking": []}

    def flush(connection: Connection) -> None:
        # Sessions first: the bookings point at them.
        for table, batch in (
            (sessions_table, batches["session"]),
            (bookings_table, batches["booking"]),
        ):
            if batch:
                connection.execute(insert(table), batch)
                batch.clear()

    with engine.begin() as connection:
        for kind, row in agenda_rows(bookings // DAYS):
            batches[kind].append(row)
            if len(batches[kind]) >= 20_000:
                flush(connection)
        flush(connection)
    run_analyze(engine)


class Agenda:
    """The agenda reads of one SQLite file."""

    def __init__(self, engine: Engine, reader: Engine, bookings: int, probes: int) -> None:
        self.engine = engine
        self.reader = reader
        """A plain engine on the same file, for EXPLAIN (no sessionkit hooks)."""
        self.kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
        rng = random.Random(bookings)
        people = bookings // DAYS
        self.probes = [f"student:p{rng.randrange(people):06d}" for _ in range(probes)]

    def agenda(self, participant: str) -> list[Any]:
        return self.kit.bookings.agenda(TENANT, participant, days=7, now=AGENDA_NOW)

    def median_call(self) -> float:
        """Median seconds per agenda call over the probes."""
        samples = []
        clock = time.perf_counter
        for participant in self.probes:
            started = clock()
            self.agenda(participant)
            samples.append(clock() - started)
        return statistics.median(samples)

    def statements(self) -> int:
        counter = StatementCounter(self.engine)
        self.agenda(self.probes[0])
        counter.stop()
        return counter.count

    def plan(self) -> list[str]:
        """``EXPLAIN QUERY PLAN`` of the bookings query the adapter sends for an agenda."""
        seen: list[tuple[str, Any]] = []

        def record(
            _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
        ) -> None:
            seen.append((statement, parameters))

        event.listen(self.engine, "before_cursor_execute", record)
        try:
            self.agenda(self.probes[0])
        finally:
            event.remove(self.engine, "before_cursor_execute", record)
        statement, parameters = next(
            (s, p) for s, p in seen if "FROM sessionkit_bookings" in s and s.startswith("SELECT")
        )
        with self.reader.connect() as connection:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return [str(row[3]) for row in rows]


@contextlib.contextmanager
def agenda_file(tmp: Path, bookings: int, probes: int) -> Iterator[tuple[Agenda, float]]:
    path = tmp / f"agenda-{bookings}.sqlite3"
    engine = sqlite_engine(path)
    create_schema(engine)
    loader = fast_loader(path)
    try:
        started = time.perf_counter()
        load_agenda(loader, bookings)
        yield Agenda(engine, loader, bookings, probes), time.perf_counter() - started
    finally:
        loader.dispose()
        engine.dispose()
        path.unlink()


def bench_agenda(quick: bool, tmp: Path) -> None:
    small, large = (10_000, 100_000) if quick else (10_000, 1_000_000)
    probes = 100 if quick else 200
    print(
        f"\n3. A participant's agenda (next 7 days) in SQLite files with {small:,} and"
        f" {large:,} bookings: interleaved rounds of {probes} agendas each, medians"
    )
    with (
        agenda_file(tmp, small, probes) as (few, _),
        agenda_file(tmp, large, probes) as (many, load_time),
    ):
        sizes = [statistics.median(len(a.agenda(p)) for p in a.probes) for a in (few, many)]
        found = interleave({"small": few.median_call, "large": many.median_call})
        ratio = found.ratio("large", "small")
        print(f"  {large:,} bookings loaded with Core executemany in {load_time:.1f} s (setup)")
        print(
            f"  p50 per agenda: {found.median('small') * 1e6:7.1f} us at {small:,},"
            f" {found.median('large') * 1e6:7.1f} us at {large:,} (median bookings per agenda:"
            f" {sizes[0]:g}, {sizes[1]:g}); {many.statements()} SQL statements per call"
        )
        print(
            f"  {large:,} / {small:,}: {ratio:.2f}x ({found.spread('large', 'small')});"
            f" aim within 2x: {'met' if ratio <= 2 else 'NOT met'}"
        )
        plan = many.plan()
        used = any(AGENDA_INDEX in line for line in plan)
        print(f"  the agenda query at {large:,}, as SQLite plans it (agenda index used: {used}):")
        for line in plan:
            print(f"    {line}")


# ---------------------------------------------------------------------------------- 4. tenant page

TEACHERS = 60
PER_TEACHER = 500
PER_DAY = 17
"""A teacher's sessions a day, half an hour apart from 07:00 UTC: 500 in 30 days."""
PAGE = 500
"""Sessions per page, as ``kit.bookings.bookable`` reads them (its ``MAX_BOOKINGS_PAGE``)."""
PROBED = 7
"""The teacher whose page is the reference: it comes by key from the teacher's rows."""
MYSQL_VARIABLE = "SESSIONKIT_TEST_MYSQL_URL"

Made = list[tuple[str, tuple[datetime, datetime], int]]
"""Sessions as (id, span, capacity), as :func:`bookings_for` takes them."""
Listing = list[tuple[str, int, int]]
"""Bookable sessions by start then id: (session id, seats taken, seats remaining)."""


def teacher(t: int) -> str:
    """The resource of teacher number ``t``."""
    return f"teacher:t{t:04d}"


def tenant_rows(teachers: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Made]:
    """Every teacher's sessions: session rows, their resource rows, (id, span, capacity)."""
    rng = random.Random(teachers)
    sessions: list[dict[str, Any]] = []
    resources: list[dict[str, Any]] = []
    made: Made = []
    for t in range(teachers):
        for n in range(PER_TEACHER):
            start = NOW + timedelta(days=n // PER_DAY, hours=1, minutes=30 * (n % PER_DAY))
            span = (start, start + timedelta(minutes=25))
            session_id = f"s{t:03d}-{n:04d}"
            capacity = rng.choice((1, 2, 4, 6, 8))
            row = session_row(session_id, span, capacity)
            row["resources"] = [teacher(t)]
            sessions.append(row)
            resources.append(resource_row(session_id, teacher(t), span))
            made.append((session_id, span, capacity))
    return sessions, resources, made


def resource_row(session_id: str, resource: str, span: tuple[datetime, datetime]) -> dict[str, Any]:
    """A ``sessionkit_session_resources`` row of a busy session shorter than ``LONG_SPAN``."""
    return {
        "tenant": TENANT,
        "session_id": session_id,
        "resource": resource,
        "start_at": span[0],
        "end_at": span[1],
        "busy": True,
        "long_span": False,
    }


def load_tenant(engine: Engine, teachers: int, bookings: int) -> Listing:
    """Insert the tenant's sessions and ``bookings`` bookings with Core executemany (setup).

    Returns what a listing of the whole window must show, worked out from the rows.
    """
    sessions, resources, made = tenant_rows(teachers)
    rows, taken = bookings_for(made, bookings)
    with engine.begin() as connection:
        for table, batch in (
            (sessions_table, sessions),
            (session_resources_table, resources),
            (bookings_table, rows),
        ):
            for first in range(0, len(batch), 20_000):
                connection.execute(insert(table), batch[first : first + 20_000])
    owed = bookings_owed(rows)
    return [
        (session_id, taken[session_id], capacity - taken[session_id] - owed.get(session_id, 0))
        for session_id, _, capacity in sorted(made, key=lambda s: (s[1][0], s[0]))
        if taken[session_id] + owed.get(session_id, 0) < capacity
    ]


def analyze(engine: Engine) -> None:
    """Gather the tables' statistics, as a live database has them."""
    if engine.dialect.name != "mysql":
        run_analyze(engine)
        return
    names = ", ".join(t.name for t in (sessions_table, session_resources_table, bookings_table))
    with engine.begin() as connection:
        connection.exec_driver_sql(f"ANALYZE TABLE {names}").all()


def query_plan(reader: Engine, statement: str, parameters: Any) -> list[str]:
    """How the database plans ``statement``: SQLite's ``EXPLAIN QUERY PLAN`` lines; MariaDB's
    ``EXPLAIN`` rows as table, index and extra."""
    with reader.connect() as connection:
        if reader.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return [str(row[3]) for row in rows]
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        return [f"{row.table}: {row.type} on {row.key}; {row.Extra}" for row in rows]


def bench_tenant_page_on(
    name: str, engine: Engine, expected: Listing, rounds: int, reader: Engine | None = None
) -> None:
    """Time one page of the tenant's window against the statement alone and a teacher's page.

    With ``reader`` (a plain engine on the same database), the database's plan
    of the page's statement is printed too.
    """
    store = SqlAlchemyStore(engine)
    window = TimeSpan(NOW, NOW + timedelta(days=WINDOW_DAYS))

    def page(resource: ResourceRef | None = None) -> list[BookableSession]:
        with store.unit_of_work() as uow:
            return uow.bookings.bookable(
                TENANT, window=window, at=NOW, resource=resource, limit=PAGE
            )

    def teacher_page() -> list[BookableSession]:
        return page(ResourceRef.parse(teacher(PROBED)))

    found = page()
    assert len(found) == PAGE, (name, len(found))
    assert all(b.remaining >= 1 for b in found), name
    keys = [(b.start, b.session_id) for b in found]
    assert keys == sorted(keys), name
    shown = [(b.session_id, b.taken, b.remaining) for b in found]
    assert shown == expected[:PAGE], name
    own = [row for row in expected if row[0].startswith(f"s{PROBED:03d}-")]
    assert [(b.session_id, b.taken, b.remaining) for b in teacher_page()] == own[:PAGE], name
    counter = StatementCounter(engine)
    before = counter.count
    page()
    statements = counter.count - before
    counter.stop()  # a listener on the engine sends the listing through Core (_direct)
    sent = captured_read(engine, page)
    statement = driver_reader(engine, *sent)
    assert len(statement()) == PAGE, name
    measured = interleave(
        {
            "sessionkit": clocked(page),
            "statement": clocked(statement),
            "teacher": clocked(teacher_page),
        },
        rounds=rounds,
    )
    p50, p95 = percentiles(measured.samples["sessionkit"])
    alone = measured.median("statement")
    mine = measured.median("teacher")
    ratio = measured.ratio("sessionkit", "teacher")
    print(
        f"  {name:<24} page of {PAGE} of {len(expected):,} bookable   p50 {p50 * 1e3:6.2f} ms"
        f"   p95 {p95 * 1e3:6.2f} ms   {statements} SQL statements per call\n"
        f"  {'':<24} the same SELECT from the driver alone (rows fetched) p50"
        f" {alone * 1e3:6.2f} ms; sessionkit / it {measured.ratio('sessionkit', 'statement'):.2f}x"
        f" ({measured.spread('sessionkit', 'statement')})\n"
        f"  {'':<24} one teacher's page ({len(own)} sessions) p50 {mine * 1e3:6.2f} ms;"
        f" tenant / teacher {ratio:.2f}x ({measured.spread('sessionkit', 'teacher')} over"
        f" {measured.rounds} rounds); aim within 3x: {'met' if ratio <= 3 else 'NOT met'}",
        flush=True,
    )
    if reader is not None:
        plan = query_plan(reader, *sent)
        if reader.dialect.name == "sqlite":
            sorts = [line for line in plan if "TEMP B-TREE" in line]
            verdict = "none, as aimed" if not sorts else "NOT as aimed: " + "; ".join(sorts)
        else:
            sorts = [line for line in plan if "filesort" in line or "temporary" in line]
            verdict = "none, as aimed" if not sorts else "NOT as aimed"
        print(f"  {'':<24} the page's SELECT as planned (sorts: {verdict}):")
        for line in plan:
            print(f"  {'':<24}   {line}")


def mysql_url() -> str | None:
    """MariaDB's (or MySQL's) URL, or ``None`` (with a note) when it is not set."""
    url = os.environ.get(MYSQL_VARIABLE)
    if not url:
        print(f"  (MariaDB skipped: set {MYSQL_VARIABLE}, e.g. mysql+pymysql://...)")
    return url or None


def bench_tenant_page(quick: bool, tmp: Path) -> None:
    teachers, bookings = (15, 30_000) if quick else (TEACHERS, 120_000)
    rounds = 30 if quick else 60
    print(
        f"\n4. A tenant's bookable sessions, no resource: one page of {PAGE} of {teachers}"
        f" teachers x {PER_TEACHER} sessions over {WINDOW_DAYS} days, {bookings:,} bookings and"
        " holds stored; the same SELECT from the driver alone and one teacher's page as"
        " references (aim: the page walks the start index, no sort of the window: within 3x"
        " of the teacher's page)"
    )
    path = tmp / "tenant.sqlite3"
    engine = sqlite_engine(path)
    create_schema(engine)
    loader = fast_loader(path)
    try:
        started = time.perf_counter()
        expected = load_tenant(loader, teachers, bookings)
        print(
            f"  {teachers * PER_TEACHER:,} sessions and {bookings:,} bookings loaded with Core"
            f" executemany in {time.perf_counter() - started:.1f} s (setup)"
        )
        bench_tenant_page_on("SQLite file, no ANALYZE", engine, expected, rounds, loader)
        analyze(loader)
        engine.dispose()  # new connections, which read the statistics
        bench_tenant_page_on("SQLite file, analyzed", engine, expected, rounds, loader)
    finally:
        loader.dispose()
        engine.dispose()
        path.unlink()
    if quick:
        print("  (PostgreSQL and MariaDB not run with --quick)")
        return
    url = postgres_url()
    if url is not None:
        with postgres_schema(url) as server:
            expected = load_tenant(server, teachers, bookings)
            analyze(server)
            bench_tenant_page_on("PostgreSQL, analyzed", server, expected, rounds)
    url = mysql_url()
    if url is not None:
        with mysql_database(url) as server:
            expected = load_tenant(server, teachers, bookings)
            analyze(server)
            bench_tenant_page_on("MariaDB, analyzed", server, expected, rounds, server)


def main(quick: bool) -> None:
    check_columns()
    bench_throughput(quick)
    with tempfile.TemporaryDirectory(prefix="sessionkit-bench-") as directory:
        tmp = Path(directory)
        bench_bookable(quick, tmp)
        bench_agenda(quick, tmp)
        bench_tenant_page(quick, tmp)
