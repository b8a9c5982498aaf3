"""Tools for testing code built on sessionkit.

- ``sessionkit.testing.strategies``: Hypothesis strategies (needs Hypothesis,
  install ``sessionkit[test]``).
- ``sessionkit.testing.hostile``: Hypothesis strategies for hostile input (wrong
  types, extreme datetimes, huge and odd strings, pathological rules), the
  ones sessionkit's fuzz suite calls every public command with.
- ``sessionkit.testing.clocks``: ``ManualClock`` and ``RecordingPublisher``.
- ``sessionkit.testing.harness``: ``Harness.in_memory(now)``, a SessionKit wired
  to a fresh in-memory store, and ``StaticLinks``.
- ``sessionkit.testing.rooms``: ``FakeMeetingRooms``, an in-memory meeting provider
  that plays joins and leaves and hands over their presence events.
- ``sessionkit.testing.contract``: the storage contract for adapters
  (``StorageContract``, and ``RepositoryContract`` for any kind).
"""
