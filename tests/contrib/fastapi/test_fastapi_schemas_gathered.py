"""``schemas`` gathers every request and response model of the bookings' module."""

from __future__ import annotations

from pydantic import BaseModel

from sessionkit.contrib.fastapi import booking_schemas, schemas


def test_every_booking_model_is_one_schemas_exports() -> None:
    models = {
        name
        for name in booking_schemas.__all__
        if isinstance(getattr(booking_schemas, name), type)
        and issubclass(getattr(booking_schemas, name), BaseModel)
    }
    assert "BookingSeatsCancel" in models
    assert sorted(models - set(schemas.__all__)) == []
    assert all(getattr(schemas, name) is getattr(booking_schemas, name) for name in models)
