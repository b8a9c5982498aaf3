"""Storage adapters: implementations of the ports in :mod:`sessionkit.ports`.

``sessionkit.adapters.memory`` keeps everything in process (notebooks, small
apps, tests); ``sessionkit.adapters.sqlalchemy`` stores sessions in a
relational database. Both pass :mod:`sessionkit.testing.contract`. The core
never imports this package; a composition root picks one and hands its unit of
work factory to the services.
"""
