"""Two views over the kit: a group is created in the same transaction as the host's notice."""

from datetime import date, time, timedelta

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from courses.kit import get_kit
from courses.models import Notice
from sessionkit.errors import SessionKitError
from sessionkit.model.series import ScheduleItem
from sessionkit.model.session import ResourceRef
from sessionkit.recurrence import Recurrence

TENANT = "academy"


@csrf_exempt  # an example API; a real one authenticates
@require_POST
def create_group(request: HttpRequest) -> HttpResponse:
    """Create a weekly group: ``title``, ``teacher``, ``days`` (MO,WE), ``at`` (18:00), ``tz``."""
    form = request.POST
    try:
        hours, minutes = (int(part) for part in form["at"].split(":"))
        recurrence = Recurrence.weekly(
            days=tuple(form["days"].split(",")),
            at=time(hours, minutes),
            duration=timedelta(minutes=int(form.get("minutes", "90"))),
            tz=form.get("tz", "Europe/Berlin"),
            start=date.fromisoformat(form["start"]),
        )
        teacher = ResourceRef("teacher", form["teacher"])
        # The host's own write and sessionkit's commit or roll back together.
        with transaction.atomic():
            Notice.objects.create(text=f"group {form['title']} requested")
            series, report = get_kit().series.create(
                TENANT,
                actor="web",
                title=form["title"],
                items=[ScheduleItem("weekly", recurrence, [teacher])],
            )
    except (KeyError, ValueError, SessionKitError) as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse(
        {
            "id": series.id,
            "created": len(report.created),
            "skipped": [s.key.isoformat() for s in report.skipped],
        },
        status=201,
    )


@require_GET
def agenda(request: HttpRequest, teacher: str) -> HttpResponse:
    """The teacher's sessions in the next ``days`` (14) days, by start."""
    kit = get_kit()
    now = kit.context.clock.now()
    try:
        days = int(request.GET.get("days", "14"))
        if not 1 <= days <= 366:
            raise ValueError(f"days must be 1..366, got {days}")
        sessions = kit.queries.agenda(
            TENANT, ResourceRef("teacher", teacher), start=now, end=now + timedelta(days=days)
        )
    except (ValueError, SessionKitError) as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse(
        {
            "sessions": [
                {"id": s.id, "title": s.title, "start": s.start.isoformat(), "status": s.status}
                for s in sessions
            ]
        }
    )
