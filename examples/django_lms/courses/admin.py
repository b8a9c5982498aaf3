"""The host's notices beside sessionkit's own admin (registered by sessionkit.contrib.django)."""

from django.contrib import admin

from courses.models import Notice

admin.site.register(Notice)
