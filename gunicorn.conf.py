"""Gunicorn's settings for the dashboard; gunicorn reads ./gunicorn.conf.py when started from
here (`make serve`, docs/deploy.md). Each is overridden on the command line or in
GUNICORN_CMD_ARGS as usual."""

from __future__ import annotations

import io
import os

from convai_dashboard.env import env_bool
from convai_dashboard.logformat import JSON_LOG_FORMATTER

wsgi_app = "convai_dashboard.wsgi:application"
# 127.0.0.1:8000 unless told otherwise (--bind): the reverse proxy in front is the way in.
# Processes, each with threads, so that a request waiting on Convai (at most CONVAI_PAGE_TIMEOUT)
# or on the database holds up no other. WEB_CONCURRENCY is gunicorn's usual variable.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = 4
# Longer than any page may take (a page waits on Convai at most CONVAI_PAGE_TIMEOUT).
timeout = 60
graceful_timeout = 30
# No control socket (gunicornc): a supervisor's signals restart and reload it, and two instances
# on one machine would otherwise share its default path.
control_socket_disable = True
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'

if env_bool("DJANGO_LOG_JSON", False):
    # Gunicorn's own lines (start, stop, worker restarts, one per request) as JSON on stdout too.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": JSON_LOG_FORMATTER},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
            }
        },
        "root": {"level": "INFO", "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }


def on_starting(server: object) -> None:
    """Django's system checks, before any worker starts: manage.py runs them, gunicorn does
    not, and a malformed CONVAI_KEY_ENCRYPTION_KEYS (accounts.E001) would otherwise show only
    on the first page that reads a key. A failed check stops gunicorn, naming it."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convai_dashboard.settings")
    django.setup()
    # Its "no issues" line is not for stdout, which carries JSON lines; problems are raised,
    # and warnings go to stderr.
    call_command("check", stdout=io.StringIO())
