"""What the split modules moved still reads from the public ones, as it did.

``sessionkit.testing.contract.queries`` keeps the tests of the plain reads in
the private ``_queries_reads`` mixin, which :class:`QueryContract` inherits.
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
