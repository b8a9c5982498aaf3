"""The LMS example's Django project."""
