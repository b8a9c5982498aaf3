"""The one app of the LMS example: groups (series), a teacher's agenda, notices from events."""
