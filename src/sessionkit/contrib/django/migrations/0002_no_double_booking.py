"""PostgreSQL: the exclusion constraint on busy resource rows (a no-op on other databases)."""

from django.db import migrations

from sessionkit.contrib.django._postgres import ExcludeDoubleBooking


class Migration(migrations.Migration):
    """Written by hand: Django has no vendor-conditional ``AddConstraint``."""

    dependencies = [("sessionkit", "0001_initial")]

    operations = [ExcludeDoubleBooking()]
