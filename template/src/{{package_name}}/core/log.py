"""One logging configuration for the service, uvicorn, SQLAlchemy and Alembic alike.

Every record goes through one handler on the root logger, which stamps it with the id of
the request it belongs to (asgi-correlation-id's filter) and writes it as a JSON object per
line or as a line for people to read (`LOG_FORMAT`). Access lines come from
`AccessLogMiddleware`, with the request's duration, which uvicorn's own access line lacks.
"""

import logging
import sys
import time

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import Settings

HANDLER_NAME = "service"
JSON_FIELDS = ["levelname", "name", "message", "correlation_id"]
JSON_NAMES = {
    "levelname": "level",
    "name": "logger",
    "correlation_id": "request_id",
    "exc_info": "traceback",
}
# uvicorn adds a copy of some messages with terminal colour codes: not for a JSON line.
JSON_SKIPPED = [*RESERVED_ATTRS, "color_message"]
CONSOLE_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(correlation_id)s] %(message)s"

access_logger = logging.getLogger("access")


def configure_logging(settings: Settings) -> None:
    """Route all logging through the service's handler, at `LOG_LEVEL`; idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(CorrelationIdFilter(default_value="-"))
    formatter = (
        JsonFormatter(
            JSON_FIELDS, rename_fields=JSON_NAMES, reserved_attrs=JSON_SKIPPED, timestamp="time"
        )
        if settings.log_as_json
        else logging.Formatter(CONSOLE_FORMAT)
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # uvicorn configures its loggers before it imports the app: hand them to the root, at
    # LOG_LEVEL rather than uvicorn's --log-level.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # The middleware below logs each request once, with its duration.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # DATABASE_ECHO's statements go through the handler above too: SQLAlchemy adds a
    # handler of its own, writing plain lines to stdout, only to a logger that has none.
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    if not engine_logger.handlers:
        engine_logger.addHandler(logging.NullHandler())


class AccessLogMiddleware:
    """Logs one line per HTTP request: method, path, status and duration in milliseconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless a response starts: the server answers an escaped error so

        async def send_watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_watched)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                duration_ms = round((time.perf_counter() - start) * 1000, 3)
                access_logger.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    scope["path"],
                    status,
                    duration_ms,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": duration_ms,
                    },
                )
