"""How errors become HTTP responses, in one place.

Clients get a status that says what to do next and a body without internals: no SQL, no
traceback, no connection string. The full story goes to the log, under the request id that
the response carries too (header X-Request-ID).
"""

import json
import logging
import math
import re
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .database_errors import database_unavailable, unique_fields

logger = logging.getLogger(__name__)

# How long a client should wait before retrying when the database is unavailable.
RETRY_AFTER_SECONDS = 5
# A 422 names what was wrong without sending the input back whole: strings are cut to this
# many characters, and arrays and objects are not echoed at all.
ECHOED_INPUT_CHARS = 100
# The parts of an error's location worth showing: field names and list indexes. pydantic
# also puts the validators a value went through there (`function-after[...]`), which are
# internals.
FIELD_NAME = re.compile(r"[A-Za-z_][\w.-]{0,99}")


class NotFoundError(Exception):
    def __init__(self, resource: str, identifier: object) -> None:
        super().__init__(f"{resource} {identifier} not found")
        self.detail = str(self)


def _json_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)  # NaN and infinity are not JSON
    return isinstance(value, bool | int | None)


def field_error(error: Any) -> dict[str, Any]:
    """One of pydantic's errors, as a client may see it: bounded, and valid JSON."""
    location: list[str | int] = []
    for part in error["loc"]:
        if not isinstance(part, int) and not FIELD_NAME.fullmatch(str(part)):
            break
        location.append(part)
    shown = {"type": error["type"], "loc": location, "msg": str(error["msg"])}
    value = error.get("input")
    if isinstance(value, str):
        shown["input"] = value[:ECHOED_INPUT_CHARS]
    elif _json_scalar(value):
        shown["input"] = value
    return shown


def unavailable_response(exc: Exception) -> JSONResponse:
    request_id = correlation_id.get() or ""
    logger.warning("Database unavailable in request %s: %r", request_id, exc)
    return JSONResponse(
        {"detail": "The database is unavailable; try again shortly.", "request_id": request_id},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def internal_error_response(exc: Exception) -> JSONResponse:
    request_id = correlation_id.get() or ""
    logger.error("Unhandled error in request %s", request_id, exc_info=exc)
    return JSONResponse(
        {"detail": "Internal server error.", "request_id": request_id},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


class InternalErrorMiddleware:
    """Answers an exception that no handler took with a clean 500, and ends it there.

    Starlette's last resort for such errors sends its 500 and then re-raises, so that the
    server drops the connection under a client that keeps it alive; a 500 from here leaves
    the connection usable. Installed inside the request-id middleware, so the 500 carries
    the X-Request-ID header and its log line the same id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_watched(message: Message) -> None:
            nonlocal response_started
            response_started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_watched)
        except Exception as exc:
            if response_started:
                raise
            await internal_error_response(exc)(scope, receive, send)


class JsonContentTooLarge:
    """Gives the 413 of FastAPI's body limit for a too-large Content-Length a JSON body.

    That limit refuses such a request before any route runs and answers it in plain text
    from outside every middleware an app can add, so this wraps the whole middleware stack
    (see main.py). A streamed body that outgrows the limit is refused by FastAPI's own
    handler, already in JSON.
    """

    BODY = json.dumps({"detail": "Content Too Large"}).encode()

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replacing = False

        async def send_json(message: Message) -> None:
            nonlocal replacing
            if message["type"] == "http.response.start" and message["status"] == 413:
                headers = dict(message.get("headers", []))
                replacing = headers.get(b"content-type", b"").startswith(b"text/plain")
            if not replacing:
                await send(message)
            elif message["type"] == "http.response.start":
                json_headers = [(b"content-type", b"application/json")]
                json_headers.append((b"content-length", str(len(self.BODY)).encode()))
                await send({**message, "headers": json_headers})
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": self.BODY})

        await self.app(scope, receive, send_json)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> Response:
        detail = [field_error(error) for error in exc.errors()]
        # ASCII-escaped: echoed text may hold what UTF-8 cannot encode (an unpaired surrogate).
        body = json.dumps({"detail": detail}, ensure_ascii=True)
        return Response(
            body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, media_type="application/json"
        )

    @app.exception_handler(NotFoundError)
    async def not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(IntegrityError)
    async def conflict(_request: Request, exc: IntegrityError) -> JSONResponse:
        if fields := unique_fields(exc):
            detail = f"A record with this {', '.join(fields)} already exists."
        else:
            detail = "The request conflicts with the data as it stands."
        return JSONResponse(
            {"detail": detail, "fields": fields}, status_code=status.HTTP_409_CONFLICT
        )

    # An UPDATE or DELETE of the ORM found its row gone: a concurrent request deleted it.
    @app.exception_handler(StaleDataError)
    async def changed_meanwhile(_request: Request, _exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            {"detail": "The record was changed or deleted by another request.", "fields": []},
            status_code=status.HTTP_409_CONFLICT,
        )

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        if database_unavailable(exc):
            return unavailable_response(exc)
        return internal_error_response(exc)

    @app.exception_handler(PoolTimeoutError)
    async def pool_exhausted(_request: Request, exc: PoolTimeoutError) -> JSONResponse:
        return unavailable_response(exc)
