"""The admin, and the courses app's two pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("courses.urls")),
]
