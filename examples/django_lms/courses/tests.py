"""The LMS example through Django's test client: ``manage.py test courses``."""

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.test import TestCase

from courses.kit import get_kit
from courses.models import Notice
from sessionkit.contrib.django.models import SessionRecord


def next_monday() -> date:
    today: date = get_kit().context.clock.now().date()
    return today + timedelta(days=7 - today.weekday())


class LmsTest(TestCase):
    def create(self, **form: str) -> dict[str, Any]:
        fields = {"title": "Chemistry A", "teacher": "ana", "days": "MO,WE", "at": "18:00"}
        fields.update(start=next_monday().isoformat(), **form)
        response = self.client.post("/groups/", fields)
        assert response.status_code == 201, response.content
        return dict(response.json())

    def test_a_group_is_generated_and_shows_in_the_agenda(self) -> None:
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            created = self.create()
            # Not yet committed: sessionkit's events wait for the commit.
            assert Notice.objects.count() == 1
        assert len(callbacks) == 1
        assert created["created"] > 10  # two months of Mondays and Wednesdays
        assert SessionRecord.objects.count() == created["created"]
        # From now to the Sunday two weeks after next Monday: two Mondays, two Wednesdays.
        days = (next_monday() - get_kit().context.clock.now().date()).days + 13
        agenda = self.client.get("/agenda/ana/", {"days": str(days)}).json()["sessions"]
        assert [s["title"] for s in agenda] == ["Chemistry A"] * 4
        # The receiver of sessionkit's signal ran after the commit, beside the view's notice.
        texts = list(Notice.objects.order_by("pk").values_list("text", flat=True))
        assert texts[0] == "group Chemistry A requested"
        assert texts.count("SessionCreated") == created["created"]

    def test_a_clash_is_skipped_and_bad_input_refused(self) -> None:
        self.create()
        clash = self.create(title="Physics", days="MO")
        assert clash["created"] == 0
        assert len(clash["skipped"]) > 4
        refused = self.client.post("/groups/", {"title": "x", "teacher": "ana"})
        assert refused.status_code == 400
        for days in ("abc", "0", "100000"):  # each was a 500 with a debug page
            bad = self.client.get("/agenda/ana/", {"days": days})
            assert bad.status_code == 400, (days, bad.status_code)
            assert "error" in bad.json()

    def test_the_admin_lists_and_cancels_through_sessionkit(self) -> None:
        self.create()
        admin = User.objects.create_superuser("root", "root@example.com", "pw")
        self.client.force_login(admin)
        listing = self.client.get(
            "/admin/sessionkit/sessionrecord/", {"status__exact": "SCHEDULED"}
        )
        assert listing.status_code == 200
        first = SessionRecord.objects.order_by("start_at").first()
        assert first is not None
        self.client.post(
            "/admin/sessionkit/sessionrecord/",
            {"action": "cancel_sessions", "_selected_action": [first.pk]},
        )
        first.refresh_from_db()
        assert (first.status, first.version) == ("CANCELED", 2)
