"""The host's own model: a notice per sessionkit event, written after the commit."""

from __future__ import annotations

from datetime import datetime

from django.db import models


class Notice(models.Model):
    """What a notification service would send: one line per committed event."""

    text: models.CharField[str, str] = models.CharField(max_length=255)
    created: models.DateTimeField[datetime, datetime] = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.text
