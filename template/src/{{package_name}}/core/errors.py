"""How errors become HTTP responses, in one place.

Clients get a status that says what to do next and a body without internals: no SQL, no
traceback, no connection string. The full story goes to the log, under the request id that
the response carries too (header X-Request-ID).
"""

import json
import logging

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from .database_errors import database_unavailable, unique_fields

logger = logging.getLogger(__name__)

# How long a client should wait before retrying when the database is unavailable.
RETRY_AFTER_SECONDS = 5


class NotFoundError(Exception):
    def __init__(self, resource: str, identifier: object) -> None:
        super().__init__(f"{resource} {identifier} not found")
        self.detail = str(self)


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
        # Starlette sends this response outside the middleware that adds the header.
        headers={"X-Request-ID": request_id},
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own 422 body, but ASCII-escaped: the input it echoes back may hold text
        # that cannot be encoded as UTF-8 (an unpaired surrogate), which would become a 500.
        body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

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

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        if database_unavailable(exc):
            return unavailable_response(exc)
        return internal_error_response(exc)

    @app.exception_handler(PoolTimeoutError)
    async def pool_exhausted(_request: Request, exc: PoolTimeoutError) -> JSONResponse:
        return unavailable_response(exc)

    # Failures to connect (refused, unreachable, DNS, connect timeout) are not wrapped by
    # SQLAlchemy: they arrive as OSError.
    @app.exception_handler(OSError)
    async def connection_failed(_request: Request, exc: OSError) -> JSONResponse:
        return unavailable_response(exc)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return internal_error_response(exc)
