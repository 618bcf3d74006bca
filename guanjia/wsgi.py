"""The WSGI application, warmed up: every URL module (and so every view and the libraries they
import) is loaded here, once. gunicorn runs with --preload, so its master loads this module
before it forks the workers, and a worker restarted by --max-requests starts warm instead of
spending a second of CPU importing on its first request (drills/load.py measured it)."""

import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanjia.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    import gc

    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.db import connections
    from django.urls import get_resolver

    from guanjia.core.checks import serious_problems

    get_resolver().url_patterns  # noqa: B018 -- imports every urls.py and its views
    # The prerequisites (a Chinese font, WeasyPrint's libraries, a private store that takes a
    # file; guanjia/core/checks.py): in production the server does not start without them,
    # elsewhere each is logged once.
    problems = serious_problems()
    for problem in problems:
        logging.getLogger("guanjia.checks").error("%s", problem)
    if problems and settings.PRODUCTION:
        raise ImproperlyConfigured("; ".join(str(p) for p in problems))
    # Nothing may hold a database connection across the fork (the workers would share it).
    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
    # What was loaded lives as long as the process: out of the collector's sight, so the
    # workers' collections do not walk it again and again (nor copy it on write after fork).
    gc.collect()
    gc.freeze()


_warm_up()
