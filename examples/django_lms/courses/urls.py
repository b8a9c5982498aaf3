"""Create a group; read a teacher's agenda."""

from django.urls import path

from courses import views

urlpatterns = [
    path("groups/", views.create_group, name="create-group"),
    path("agenda/<str:teacher>/", views.agenda, name="agenda"),
]
