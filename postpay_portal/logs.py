"""Structured logs (R35): structlog renders every record, the project's own and those of
Django, Celery and other libraries that log through the standard library.

``json_lines=True`` (production, ``DJANGO_DEBUG=0``): one JSON object per line, with the
context bound for the request or task (``request_id``, ``user_id``, ``task_id``) and the ids
a service adds (``order_id``, ``operation_id``). ``False`` (``make run``): readable text.

Imported by the settings module: no Django imports here.
"""

import os
import sys

import structlog

# Applied to structlog's own events and to records of standard-library loggers alike.
SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def json_lines_from_env():
    """JSON unless ``DJANGO_LOG_FORMAT=text``; the default follows ``DJANGO_DEBUG`` (text
    when 1). Read by the settings and by gunicorn's config, which runs before Django."""
    debug = os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    return os.environ.get("DJANGO_LOG_FORMAT", "text" if debug else "json").strip().lower() != "text"


def _formatter(json_lines):
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderers(json_lines)],
        "foreign_pre_chain": SHARED_PROCESSORS,
    }


def _renderers(json_lines):
    if json_lines:
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    return [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]


def logging_config(*, json_lines, level="INFO"):
    """The ``LOGGING`` dict: one console handler whose formatter is structlog's."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structlog": _formatter(json_lines)},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structlog"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django gives these their own plain-text handlers; route them through ours.
            "django": {"level": level},
            "django.server": {"handlers": ["console"], "level": level, "propagate": False},
            "django.db.backends": {"level": "INFO"},
        },
    }


def gunicorn_logconfig(*, json_lines):
    """gunicorn's own lines (start-up, worker timeouts, access log if asked) in the same
    format, for ``gunicorn.conf.py``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structlog": _formatter(json_lines)},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structlog", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def configure_structlog():
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
