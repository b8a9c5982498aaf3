"""Recurrence: RFC 5545 rules expanded in local wall-clock time of an IANA zone."""
