"""sessionkit's events arrive as a Django signal once the transaction committed."""

from typing import Any

from django.dispatch import receiver

from courses.models import Notice
from sessionkit.contrib.django.signals import events_committed


@receiver(events_committed)
def keep_notices(sender: object, events: tuple[Any, ...], **kwargs: Any) -> None:  # noqa: ARG001
    Notice.objects.bulk_create(Notice(text=type(event).__name__) for event in events)
