"""A kind and its unique keys are checked when made, and sessionkit's own kind names are taken.

A new-user pass found each of these accepted and failing later: a misspelt
field at the first write (``AttributeError``), ``UniqueKey("name", "name")``
read as the letters n, a, m, e, two keys of one name reported as each other,
and a kind of one's own named ``"booking"`` handed sessionkit's booking
repository.
"""

from __future__ import annotations

from dataclasses import dataclass

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore, MemoryRepository
from sessionkit.adapters.memory import register as register_memory
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.ports import BOOKINGS, SESSIONS, Kind, Repository, UniqueKey, check_kind


@attrs.frozen
class Room:
    id: str
    tenant: str
    name: str
    seats: int
    session_id: str | None = None
    version: int = 1

    @property
    def label(self) -> str:
        return f"{self.name} ({self.seats})"


@dataclass(frozen=True)
class Desk:
    id: str
    tenant: str
    code: str
    version: int = 1


class Loose:
    """Neither attrs nor a dataclass: its fields cannot be known before a record exists."""


def test_a_unique_key_takes_a_tuple_of_field_names() -> None:
    with pytest.raises(WrongType, match="read as its letters") as letters:
        UniqueKey("name", "name")  # type: ignore[arg-type]
    assert letters.value.expected.startswith("a tuple of field names, such as ('name',)")
    with pytest.raises(InvalidValue, match="are none") as empty:
        UniqueKey("name", ())
    assert empty.value.value == ()
    with pytest.raises(WrongType):
        UniqueKey("name", ("name", 3))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="blank"):
        UniqueKey(" ", ("name",))
    assert UniqueKey("name", ["name", "seats"]).fields == ("name", "seats")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"unique": (UniqueKey("name", ("nmae",)),)}, "nmae"),
        ({"parents": {"sesion_id": SESSIONS}}, "sesion_id"),
    ],
    ids=["unique key", "parent"],
)
def test_a_kind_refuses_a_field_its_records_have_not(
    options: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue, match=f"names '{field}', which Room has not") as caught:
        Kind("room", Room, **options)  # type: ignore[arg-type]
    assert caught.value.value == field
    assert caught.value.expected.startswith("a field of Room: id, name, seats, session_id")


def test_a_kind_takes_fields_properties_and_dataclasses_and_leaves_other_classes_be() -> None:
    rooms: Kind[Repository[Room]] = Kind(
        "room",
        Room,
        unique=(UniqueKey("name", ("name",)), UniqueKey("label", ("label",))),
        parents={"session_id": SESSIONS},
    )
    assert [key.name for key in rooms.unique] == ["name", "label"]
    Kind("desk", Desk, unique=(UniqueKey("code", ("code",)),))
    with pytest.raises(InvalidValue, match="Desk has not"):
        Kind("desk", Desk, unique=(UniqueKey("code", ("cod",)),))
    Kind("loose", Loose, unique=(UniqueKey("any", ("anything",)),))


def test_a_kind_refuses_two_unique_keys_of_one_name_and_values_of_other_types() -> None:
    with pytest.raises(InvalidValue, match="two unique keys called 'name'") as twice:
        Kind("room", Room, unique=(UniqueKey("name", ("name",)), UniqueKey("name", ("seats",))))
    assert twice.value.value == "name"
    with pytest.raises(WrongType, match="UniqueKey"):
        Kind("room", Room, unique=("name",))  # type: ignore[arg-type]
    with pytest.raises(WrongType, match="a class"):
        Kind("room", Room("r", "t", "n", 1))  # type: ignore[arg-type]
    with pytest.raises(WrongType, match="a Kind"):
        Kind("room", Room, parents={"session_id": "session"})  # type: ignore[dict-item]
    with pytest.raises(InvalidValue, match="blank"):
        Kind("", Room)


@pytest.mark.parametrize("parents", [[("session_id", SESSIONS)], None, "session_id"])
def test_parents_that_are_no_mapping_are_wrong_type(parents: object) -> None:
    """A list of pairs (or None) was met with a bare AttributeError: no ``.items()``."""
    with pytest.raises(
        WrongType, match=r"^Kind\.parents must be a mapping of field names to Kinds"
    ):
        Kind("room", Room, parents=parents)  # type: ignore[arg-type]


def test_sessionkits_own_kind_names_are_taken_in_the_memory_store() -> None:
    mine: Kind[Repository[Room]] = Kind("booking", Room)
    with pytest.raises(InvalidValue, match="kind name 'booking' is sessionkit's own") as caught:
        check_kind(mine)
    assert caught.value.value == "booking"
    assert check_kind(BOOKINGS) is BOOKINGS
    with InMemoryStore().unit_of_work() as uow, pytest.raises(InvalidValue, match="booking"):
        uow.repository(mine)
    with pytest.raises(InvalidValue, match="booking"):
        register_memory(mine, MemoryRepository)
    with InMemoryStore().unit_of_work() as uow:
        assert uow.repository(BOOKINGS) is uow.bookings
        assert uow.repository(Kind("room", Room)).kind.name == "room"
    with pytest.raises(WrongType, match="Kind"):
        check_kind("booking")
