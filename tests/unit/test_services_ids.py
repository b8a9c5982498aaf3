"""The kit's id source takes back an id drawn for a booking never stored (the quick way's)."""

from __future__ import annotations

import itertools
import threading

from sessionkit.services._ids import IdSource


def _counter() -> IdSource:
    numbers = itertools.count(1)
    return IdSource(lambda: f"id-{next(numbers):04d}")


def test_an_id_given_back_is_drawn_next_then_the_source_goes_on() -> None:
    ids = _counter()
    first, second = ids(), ids()
    ids.give_back(second)
    assert [first, ids(), ids()] == ["id-0001", "id-0002", "id-0003"]


def test_ids_given_back_come_out_oldest_first() -> None:
    ids = _counter()
    drawn = [ids() for _ in range(3)]
    for record_id in reversed(drawn):
        ids.give_back(record_id)
    assert [ids() for _ in range(4)] == ["id-0003", "id-0002", "id-0001", "id-0004"]


def test_threads_never_draw_an_id_given_back_twice() -> None:
    ids = _counter()
    given = [ids() for _ in range(200)]
    for record_id in given:
        ids.give_back(record_id)
    drawn: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def draw() -> None:
        start.wait()
        mine = [ids() for _ in range(50)]
        with lock:
            drawn.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(drawn) == len(set(drawn)) == 400
    assert set(given) <= set(drawn)
