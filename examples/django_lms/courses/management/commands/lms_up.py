"""``manage.py lms_up``: migrate, seed a group and an admin (admin/admin), then serve."""

from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test import Client

from courses.kit import get_kit
from sessionkit.contrib.django.models import SeriesRecord


class Command(BaseCommand):
    help = "Set the LMS example up and run it on http://127.0.0.1:8000/admin/ (admin/admin)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-serve", action="store_true", help="set up only")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve")

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        call_command("migrate", verbosity=0)
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "admin")
        if not SeriesRecord.objects.exists():
            today = get_kit().context.clock.now().date()
            form = {"title": "Chemistry A", "teacher": "ana", "days": "MO,WE", "at": "18:00"}
            response = Client().post("/groups/", {**form, "start": today.isoformat()})
            self.stdout.write(f"seeded Chemistry A: {response.json()}")
        if not options["no_serve"]:
            call_command("runserver", options["addrport"], use_reloader=False)
