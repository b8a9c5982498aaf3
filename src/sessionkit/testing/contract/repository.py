"""The generic repository contract: the rules every kind's repository follows, for any kind.

Subclass :class:`RepositoryContract` once per (adapter, kind): name the
:attr:`~RepositoryContract.kind`, and say how to make a store and a record::

    class TestMemos(RepositoryContract[Memo]):
        kind = MEMOS

        def make_store(self, publisher):
            return InMemoryStore(publisher).unit_of_work

        def make_record(self, record_id, *, tenant=TENANT, variant=0):
            return Memo(record_id, tenant, text=f"memo {variant}", ref=f"ref-{variant}")

        def change(self, record):
            return attrs.evolve(record, text="changed")

        def collide(self, record, new_id):
            return attrs.evolve(record, id=new_id)  # shares the "ref" key

``sessionkit.testing.contract.kinds`` fills all of that in for the built-in
kinds but ``make_store`` (``SessionsRepositoryContract``, ``SeriesRepositoryContract``).

This module keeps the class and the generic tests; the kind (and the check of
a ``Test...`` subclass's), the hooks and the helpers the tests call are
:class:`~._repository_hooks.RepositoryHooks`', the class's base, kept apart by
the style's size limit.
"""

from __future__ import annotations

from typing import TypeVar

import attrs
import pytest

from sessionkit.errors import ConcurrentModification, Duplicate, NotFound
from sessionkit.ports import Record
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._repository_hooks import RepositoryHooks
from sessionkit.testing.contract._support import OTHER_TENANT, TENANT

__all__ = ["RepositoryContract"]

R = TypeVar("R", bound=Record)


class RepositoryContract(RepositoryHooks[R]):
    """The generic rules of :class:`~sessionkit.ports.Repository`, for one kind.

    Implement :attr:`kind`, :meth:`make_store`, :meth:`make_record` and
    :meth:`change`; :meth:`prepare` and :meth:`collide` are optional. The
    ``store`` and ``publisher`` fixtures, ``dispose_store`` and ``pending``
    work as in :class:`~sessionkit.testing.contract.StorageContract`.
    """

    # ------------------------------------------------------------------ get, get_many

    def test_add_then_get_returns_an_equal_record(self, store: Factory) -> None:
        """A stored record comes back equal, at version 1."""
        record = self.make_record("a")
        self.keep(store, record)
        with store() as uow:
            got = self.repo(uow).get(TENANT, "a")
        assert got == record
        assert got.version == 1

    @pytest.mark.parametrize("tenant", [TENANT, OTHER_TENANT])
    def test_get_of_a_missing_id_raises_the_kinds_not_found(
        self, store: Factory, tenant: str
    ) -> None:
        """An unknown id, or another tenant's, raises the kind's own ``NotFound``."""
        self.keep(store, self.make_record("a"))
        asked = "nope" if tenant == TENANT else "a"
        with store() as uow, pytest.raises(NotFound) as caught:
            self.repo(uow).get(tenant, asked)
        assert type(caught.value) is self._missing_error()
        assert isinstance(caught.value, LookupError)
        assert (caught.value.kind, caught.value.record_id, caught.value.tenant) == (
            self.kind.name,
            asked,
            tenant,
        )

    def test_get_many_returns_found_ids_once_in_the_order_asked(self, store: Factory) -> None:
        """``get_many`` skips missing ids and repeats, keeping the order first asked."""
        records = [self.make_record(i, variant=n) for n, i in enumerate(("a", "b", "c"))]
        self.keep(store, *records)
        with store() as uow:
            repo = self.repo(uow)
            assert [r.id for r in repo.get_many(TENANT, iter(["c", "missing", "a", "c"]))] == [
                "c",
                "a",
            ]
            assert repo.get_many(TENANT, []) == []
            assert repo.get_many(OTHER_TENANT, ["a", "b"]) == []

    def test_ids_differing_in_case_are_two_records(self, store: Factory) -> None:
        """Ids compare exactly: ``"a"`` and ``"A"`` are two records, each found by its own id.

        As Python compares ``str``, never folding case as a database's default
        collation may (MySQL's ``utf8mb4_general_ci`` calls them one key).
        """
        lower, upper = self.make_record("a", variant=0), self.make_record("A", variant=1)
        self.keep(store, lower, upper)
        with store() as uow:
            repo = self.repo(uow)
            assert (repo.get(TENANT, "a"), repo.get(TENANT, "A")) == (lower, upper)
            assert [r.id for r in repo.get_many(TENANT, ["A", "a"])] == ["A", "a"]

    # ------------------------------------------------------------------ add, add_many

    def test_add_of_a_taken_id_raises_the_kinds_duplicate(self, store: Factory) -> None:
        """A second record with a stored id: the kind's ``Duplicate``, key "id", the stored one."""
        first = self.make_record("a")
        self.keep(store, first)
        again = self.make_record("a", variant=1)
        with store() as uow:
            with pytest.raises(Duplicate) as caught:
                self.repo(uow).add(again)
            assert type(caught.value) is self._duplicate_error(again)
            assert isinstance(caught.value, ValueError)
            error = caught.value
            assert (error.kind, error.record_id, error.tenant, error.key) == (
                self.kind.name,
                "a",
                TENANT,
                "id",
            )
            assert error.existing == first
            assert self.repo(uow).get(TENANT, "a") == first

    def test_add_of_a_taken_unique_key_raises_the_kinds_duplicate(self, store: Factory) -> None:
        """A record sharing a stored one's unique key: the kind's ``Duplicate`` naming the key."""
        first = self.make_record("a")
        twin = self._collision(first, "b")
        self.keep(store, first)
        with store() as uow:
            with pytest.raises(Duplicate) as caught:
                self.repo(uow).add(twin)
            assert type(caught.value) is self._duplicate_error(twin)
            assert (caught.value.key, caught.value.record_id) == (self.kind.unique[0].name, "b")
            assert caught.value.existing == first
        assert self.ids(store, TENANT, ["a", "b"]) == ["a"]

    def test_a_unique_key_is_unique_per_tenant(self, store: Factory) -> None:
        """Another tenant's record sharing a unique key is stored: keys are the tenant's own.

        A constraint over every tenant would let one tenant's value block another's.
        """
        first = self.make_record("a")
        theirs = attrs.evolve(self._collision(first, "b"), tenant=OTHER_TENANT)  # type: ignore[misc]  # attrs record
        self.keep(store, first, theirs)
        with store() as uow:
            assert self.repo(uow).get(TENANT, "a") == first
            assert self.repo(uow).get(OTHER_TENANT, "b") == theirs
        assert self.ids(store, TENANT, ["a", "b"]) == ["a"]

    def test_add_many_stores_a_batch(self, store: Factory) -> None:
        """``add_many`` stores every record (and an empty batch is fine)."""
        batch = [self.make_record(f"r{n}", variant=n) for n in range(4)]
        with store() as uow:
            self.prepare(uow, batch)
            self.repo(uow).add_many(batch)
            self.repo(uow).add_many([])
            uow.commit()
        with store() as uow:
            assert self.repo(uow).get_many(TENANT, [r.id for r in batch]) == batch

    @pytest.mark.parametrize("where", ["id-in-batch", "id-in-storage", "key-in-batch"])
    def test_add_many_is_all_or_none(self, store: Factory, where: str) -> None:
        """One duplicate (with storage or inside the batch): nothing of the batch is stored."""
        stored = self.make_record("old", variant=9)
        self.keep(store, stored)
        good = [self.make_record("n1", variant=1), self.make_record("n2", variant=2)]
        if where == "id-in-batch":
            bad = self.make_record("n1", variant=3)
        elif where == "id-in-storage":
            bad = self.make_record("old", variant=3)
        else:
            bad = self._collision(good[0], "n3")
        with store() as uow:
            before = self.make_record("before", variant=5)
            self.prepare(uow, [before, *good, bad])
            self.repo(uow).add(before)
            with pytest.raises(Duplicate) as caught:
                self.repo(uow).add_many([*good, bad, self.make_record("n4", variant=4)])
            assert type(caught.value) is self._duplicate_error(bad)
            assert self.repo(uow).get_many(TENANT, ["n1", "n2", "n3", "n4"]) == []
            assert self.repo(uow).get(TENANT, "old") == stored
            uow.commit()
        assert self.ids(store, TENANT, ["old", "before", "n1", "n2", "n3", "n4"]) == [
            "old",
            "before",
        ]

    # ------------------------------------------------------------------ update, delete

    def test_update_stores_and_returns_the_next_version(self, store: Factory) -> None:
        """``update`` returns and stores the record with version + 1, each time."""
        original = self.make_record("a")
        self.keep(store, original)
        changed = self.change(original)
        assert changed != original, "change() must change a field"
        with store() as uow:
            returned = self.repo(uow).update(changed, expected_version=1)
            assert returned == attrs.evolve(changed, version=2)  # type: ignore[misc]  # attrs record
            assert self.repo(uow).get(TENANT, "a") == returned
            again = self.repo(uow).update(self.change(returned), expected_version=2)
            assert again.version == 3
            uow.commit()
        with store() as uow:
            assert self.repo(uow).get(TENANT, "a") == again

    def test_update_with_a_stale_version_writes_nothing(self, store: Factory) -> None:
        """A stale expected version: ``ConcurrentModification`` naming both, nothing written."""
        original = self.make_record("a")
        self.keep(store, original)
        with store() as uow:
            with pytest.raises(ConcurrentModification) as caught:
                self.repo(uow).update(self.change(original), expected_version=2)
            assert isinstance(caught.value, RuntimeError)
            assert (caught.value.record_id, caught.value.expected, caught.value.actual) == (
                "a",
                2,
                1,
            )
            assert self.repo(uow).get(TENANT, "a") == original
            uow.commit()
        with store() as uow:
            assert self.repo(uow).get(TENANT, "a") == original

    def test_update_of_a_missing_id_raises_not_found(self, store: Factory) -> None:
        """Updating an unknown id raises the kind's ``NotFound``."""
        ghost = self.make_record("ghost")
        with store() as uow:
            self.prepare(uow, [ghost])
            with pytest.raises(NotFound) as caught:
                self.repo(uow).update(ghost, expected_version=1)
        assert type(caught.value) is self._missing_error()
        assert (caught.value.record_id, caught.value.tenant) == ("ghost", TENANT)

    def test_update_onto_another_records_unique_key(self, store: Factory) -> None:
        """Taking another record's unique key on update: the kind's ``Duplicate``, unchanged."""
        a, b = self.make_record("a"), self.make_record("b", variant=1)
        twin = self._collision(a, "b")
        self.keep(store, a, b)
        with store() as uow:
            with pytest.raises(Duplicate) as caught:
                self.repo(uow).update(twin, expected_version=1)
            assert (caught.value.key, caught.value.existing) == (self.kind.unique[0].name, a)
            assert self.repo(uow).get(TENANT, "b") == b

    def test_delete_removes_the_record_and_frees_its_id(self, store: Factory) -> None:
        """A deleted record is gone, and its id may be used again."""
        self.keep(store, self.make_record("a"))
        with store() as uow:
            self.repo(uow).delete(TENANT, "a", expected_version=1)
            with pytest.raises(NotFound):
                self.repo(uow).get(TENANT, "a")
            uow.commit()
        again = self.make_record("a", variant=1)
        self.keep(store, again)
        with store() as uow:
            assert self.repo(uow).get(TENANT, "a") == again

    def test_delete_with_a_stale_version_or_a_missing_id(self, store: Factory) -> None:
        """``delete`` raises ``ConcurrentModification`` or ``NotFound`` and deletes nothing."""
        self.keep(store, self.make_record("a"))
        with store() as uow:
            with pytest.raises(ConcurrentModification) as stale:
                self.repo(uow).delete(TENANT, "a", expected_version=7)
            assert (stale.value.record_id, stale.value.expected, stale.value.actual) == ("a", 7, 1)
            with pytest.raises(NotFound) as missing:
                self.repo(uow).delete(TENANT, "b", expected_version=1)
            assert type(missing.value) is self._missing_error()
            uow.commit()
        assert self.ids(store, TENANT, ["a"]) == ["a"]

    # ------------------------------------------------------------------ tenancy, units

    def test_tenants_are_isolated_both_ways(self, store: Factory) -> None:
        """One id in two tenants: each reads its own; reads and writes across are NotFound."""
        mine = self.make_record("a")
        theirs = self.make_record("a", tenant=OTHER_TENANT, variant=1)
        only_mine = self.make_record("m", variant=2)
        only_theirs = self.make_record("t", tenant=OTHER_TENANT, variant=3)
        self.keep(store, mine, theirs, only_mine, only_theirs)
        with store() as uow:
            repo = self.repo(uow)
            assert repo.get(TENANT, "a") == mine
            assert repo.get(OTHER_TENANT, "a") == theirs
            for record, other in ((only_mine, OTHER_TENANT), (only_theirs, TENANT)):
                with pytest.raises(NotFound):
                    repo.get(other, record.id)
                assert repo.get_many(other, [record.id]) == []
                foreign = attrs.evolve(record, tenant=other)  # type: ignore[misc]  # attrs record
                with pytest.raises(NotFound):
                    repo.update(self.change(foreign), expected_version=1)
                with pytest.raises(NotFound):
                    repo.delete(other, record.id, expected_version=1)
            repo.delete(OTHER_TENANT, "a", expected_version=1)
            uow.commit()
        with store() as uow:
            assert self.repo(uow).get_many(TENANT, ["a", "m", "t"]) == [mine, only_mine]
            assert self.repo(uow).get_many(OTHER_TENANT, ["a", "m", "t"]) == [only_theirs]

    def test_claim_is_scoped_by_tenant(self, store: Factory) -> None:
        """``claim`` returns the tenant's own records asked for, by id, as stored; no other's.

        Another tenant's records are left out even under the same ids, and a
        claim by the other tenant returns its own.
        """
        mine_b, mine_a = self.make_record("b"), self.make_record("a", variant=1)
        theirs_a = self.make_record("a", tenant=OTHER_TENANT, variant=2)
        theirs_c = self.make_record("c", tenant=OTHER_TENANT, variant=3)
        self.keep(store, mine_b, mine_a, theirs_a, theirs_c)
        with store() as uow:
            assert self.repo(uow).claim(TENANT, ["c", "b", "missing", "a"]) == [mine_a, mine_b]
            assert self.repo(uow).claim(TENANT, ["c"]) == []
        with store() as uow:
            assert self.repo(uow).claim(OTHER_TENANT, ["b", "c", "a"]) == [theirs_a, theirs_c]

    def test_a_failed_write_leaves_the_unit_usable(self, store: Factory) -> None:
        """Refused writes change nothing; earlier and later writes of the unit still commit."""
        first = self.make_record("a")
        self.keep(store, first)
        later = [self.make_record("b", variant=1), self.make_record("c", variant=2)]
        with store() as uow:
            self.prepare(uow, later)
            self.repo(uow).add(later[0])
            with pytest.raises(Duplicate):
                self.repo(uow).add(self.make_record("a", variant=3))
            with pytest.raises(ConcurrentModification):
                self.repo(uow).update(self.change(first), expected_version=5)
            with pytest.raises(NotFound):
                self.repo(uow).delete(TENANT, "zz", expected_version=1)
            self.repo(uow).add(later[1])
            uow.commit()
        with store() as uow:
            assert self.repo(uow).get_many(TENANT, ["a", "b", "c"]) == [first, *later]

    def test_rollback_undoes_adds_updates_and_deletes(self, store: Factory) -> None:
        """An exception (or ``rollback``) takes back every write since the last commit."""
        a, b = self.make_record("a"), self.make_record("b", variant=1)
        self.keep(store, a, b)

        def doomed() -> None:
            with store() as uow:
                fresh = self.make_record("c", variant=2)
                self.prepare(uow, [fresh])
                self.repo(uow).add(fresh)
                self.repo(uow).update(self.change(a), expected_version=1)
                self.repo(uow).delete(TENANT, "b", expected_version=1)
                raise KeyError("boom")

        with pytest.raises(KeyError):
            doomed()
        with store() as uow:
            fourth = self.make_record("d", variant=3)
            self.prepare(uow, [fourth])
            self.repo(uow).add_many([fourth])
            uow.rollback()
            assert self.repo(uow).get_many(TENANT, ["a", "b", "c", "d"]) == [a, b]

    def test_the_unit_hands_out_one_repository_per_kind(self, store: Factory) -> None:
        """``uow.repository(kind)`` returns the same object every time in one unit."""
        with store() as uow:
            assert uow.repository(self.kind) is uow.repository(self.kind)
