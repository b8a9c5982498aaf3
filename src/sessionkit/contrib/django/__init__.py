"""sessionkit as an installable Django app: ORM models, a store joining ``transaction.atomic()``.

Add ``"sessionkit.contrib.django"`` to ``INSTALLED_APPS`` and run ``manage.py migrate``;
then wire :class:`~sessionkit.contrib.django.store.DjangoStore` into a
:class:`~sessionkit.services.app.SessionKit`. The models, the store and the admin are in
their own modules (they need a configured Django), so importing this package needs
nothing but Django itself. See ``docs/django.md``.
"""
