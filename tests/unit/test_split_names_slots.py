"""What the split modules moved still reads from the public ones, as it did.

``sessionkit.testing.contract.queries`` keeps the tests of the plain reads in
the private ``_queries_reads`` mixin, which :class:`QueryContract` inherits;
``sessionkit.availability.slots`` keeps its public functions and the types of
their arguments, and its free-time arithmetic and slot grid in the private
``_free_time`` and ``_slot_grid``; ``sessionkit.contrib.plot`` keeps the
drawing, and the checks of its arguments and its time axis in the private
``_plot_checks`` and ``_plot_axis``, which import matplotlib on use only.
"""

from __future__ import annotations


def test_the_query_contract_keeps_its_tests_in_their_order() -> None:
    # Third-party stores subclass StorageContract: these tests stay QueryContract's, in order.
    from sessionkit.testing.contract import StorageContract
    from sessionkit.testing.contract.queries import QueryContract

    assert issubclass(StorageContract, QueryContract)
    # pytest collects the bases' tests first (reverse method-resolution order).
    tests = [
        name
        for klass in reversed(QueryContract.__mro__)
        for name in vars(klass)
        if name.startswith("test_")
    ]
    assert tests == [
        "test_busy_overlapping",
        "test_for_series",
        "test_due",
        "test_due_pages_and_due_tenants",
        "test_due_keeps_the_statuses_each_lifecycle_times",
        "test_claim_returns_the_tenants_records_by_id",
        "test_query_filters",
        "test_an_empty_any_of_list_matches_no_session",
        "test_query_filters_compare_exactly",
        "test_query_search_folds_unicode_case",
        "test_query_search_finds_titles_whatever_their_case",
        "test_query_sorts_with_id_as_tiebreaker",
        "test_offset_pages_with_totals",
        "test_an_offset_page_continues_with_its_cursor",
        "test_cursor_pages_through_everything_once",
        "test_cursor_paging_with_filters_and_an_exact_last_page",
        "test_a_cursor_survives_a_deleted_row",
    ]
    assert QueryContract.UNICODE_TITLES[0] == "İstanbul"


def test_slots_keeps_its_public_names() -> None:
    import typing
    from collections.abc import Mapping
    from datetime import datetime

    from sessionkit.availability import Calendar, slots
    from sessionkit.availability.slots import Buffers, Pairs  # importable, as before

    assert slots.__all__ == ["common_free_slots", "common_free_time", "free_slots", "free_time"]
    assert Calendar is slots.Calendar
    assert Pairs == list[tuple[datetime, datetime]]
    for public in (slots.free_time, slots.common_free_time, slots.free_slots):
        assert public.__module__ == "sessionkit.availability.slots", public
    # Annotations resolve in the module the functions name (Sphinx, FastAPI, Hypothesis).
    hints = typing.get_type_hints(slots.common_free_slots)
    assert hints["resources"] == Mapping[typing.Any, Calendar]
    assert hints["buffers"] == Buffers | None


def test_plot_keeps_its_names_and_its_matplotlib_optional() -> None:
    import subprocess
    import sys

    from sessionkit.contrib import plot

    assert plot.__all__ == ["CONFLICT_COLOR", "STATUS_COLORS", "timeline"]
    assert plot.timeline.__module__ == "sessionkit.contrib.plot"
    # Each module alone, as a lint or a type checker's plugin may import it: no matplotlib.
    code = (
        "import sys, sessionkit.contrib._plot_checks, sessionkit.contrib._plot_axis; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
