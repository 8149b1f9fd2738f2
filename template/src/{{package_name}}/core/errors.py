"""How errors become HTTP responses, in one place: RFC 9457 problem details.

Every error is an `application/problem+json` object: `type`, `title`, `status`, `detail`,
`instance` (the request's path) and `request_id`, which the response carries too as the
X-Request-ID header. A 422 adds `errors` (one per invalid field), a 409 adds `fields` (those
that conflict). Clients get no internals: no SQL, no traceback, no connection string. The
full story goes to the log, under the same request id.
"""

import json
import logging
import math
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .database_errors import database_unavailable, unique_fields

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
# How long a client should wait before retrying when the database is unavailable.
RETRY_AFTER_SECONDS = 5
# A 422 names what was wrong without sending the input back whole: strings are cut to this
# many characters, and arrays and objects are not echoed at all.
ECHOED_INPUT_CHARS = 100
# The parts of an error's location worth showing: field names and list indexes. pydantic
# also puts the validators a value went through there (`function-after[...]`), which are
# internals.
FIELD_NAME = re.compile(r"[A-Za-z_][\w.-]{0,99}")


class Problem(BaseModel):
    """An error response (RFC 9457). `type` is about:blank: the status says it all."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    request_id: str


class FieldError(BaseModel):
    type: str
    loc: list[str | int]
    msg: str
    input: str | int | float | bool | None = None


class ValidationProblem(Problem):
    errors: list[FieldError]


class ConflictProblem(Problem):
    fields: list[str]


# The body model of each error status a route may answer with, for the OpenAPI schema.
PROBLEM_MODELS: dict[int, type[Problem]] = {
    status.HTTP_409_CONFLICT: ConflictProblem,
    status.HTTP_422_UNPROCESSABLE_CONTENT: ValidationProblem,
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route or router that documents these error statuses."""
    return {
        code: {"model": PROBLEM_MODELS.get(code, Problem), "description": HTTPStatus(code).phrase}
        for code in statuses
    }


def use_problem_media_type(openapi: dict[str, Any]) -> None:
    """Document error responses as application/problem+json, the type they are sent with.

    FastAPI files every response model under the route's own media type (JSON).
    """
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if int(code) >= 400 and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def problem(
    code: int,
    detail: str,
    *,
    path: str,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """The one place an error response is built."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(code).phrase,
        "status": code,
        "detail": detail,
        "instance": path,
        "request_id": correlation_id.get() or "",
        **extensions,
    }
    # ASCII-escaped: echoed text may hold what UTF-8 cannot encode (an unpaired surrogate).
    content = json.dumps(body, ensure_ascii=True)
    return Response(content, status_code=code, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


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


def unavailable_response(path: str, exc: Exception) -> Response:
    logger.warning("Database unavailable: %r", exc)
    return problem(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "The database is unavailable; try again shortly.",
        path=path,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def internal_error_response(path: str, exc: Exception) -> Response:
    logger.error("Unhandled error", exc_info=exc)
    return problem(status.HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error.", path=path)


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
            await internal_error_response(scope["path"], exc)(scope, receive, send)


class ProblemContentTooLarge:
    """Makes the 413 of FastAPI's body limit for a too-large Content-Length a problem too.

    That limit refuses such a request before any route runs and answers it in plain text
    from outside every middleware an app can add, so this wraps the whole middleware stack
    (see main.py). A streamed body that outgrows the limit is refused with an HTTPException
    from inside the app, which the handler below answers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replacement: Response | None = None

        async def send_problem(message: Message) -> None:
            nonlocal replacement
            if message["type"] == "http.response.start" and message["status"] == 413:
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/plain"):
                    replacement = too_large_response(scope["path"])
            if replacement is None:
                await send(message)
            elif message["type"] == "http.response.start":
                await send({**message, "headers": replacement.raw_headers})
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": replacement.body})

        await self.app(scope, receive, send_problem)


def too_large_response(path: str) -> Response:
    return problem(
        status.HTTP_413_CONTENT_TOO_LARGE,
        "The request body is larger than the service accepts.",
        path=path,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return problem(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "The request is not valid; see errors.",
            path=request.url.path,
            errors=[field_error(error) for error in exc.errors()],
        )

    # Starlette's and FastAPI's own refusals: unknown route (404), wrong method (405), a
    # streamed body over the limit (413), and any HTTPException a route raises.
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == status.HTTP_413_CONTENT_TOO_LARGE:
            return too_large_response(request.url.path)
        return problem(exc.status_code, str(exc.detail), path=request.url.path, headers=exc.headers)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return problem(status.HTTP_404_NOT_FOUND, exc.detail, path=request.url.path)

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> Response:
        if fields := unique_fields(exc):
            detail = f"A record with this {', '.join(fields)} already exists."
        else:
            detail = "The request conflicts with the data as it stands."
        return problem(status.HTTP_409_CONFLICT, detail, path=request.url.path, fields=fields)

    # An UPDATE or DELETE of the ORM found its row gone: a concurrent request deleted it.
    @app.exception_handler(StaleDataError)
    async def changed_meanwhile(request: Request, _exc: StaleDataError) -> Response:
        return problem(
            status.HTTP_409_CONFLICT,
            "The record was changed or deleted by another request.",
            path=request.url.path,
            fields=[],
        )

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        if database_unavailable(exc):
            return unavailable_response(request.url.path, exc)
        return internal_error_response(request.url.path, exc)

    @app.exception_handler(PoolTimeoutError)
    async def pool_exhausted(request: Request, exc: PoolTimeoutError) -> Response:
        return unavailable_response(request.url.path, exc)
