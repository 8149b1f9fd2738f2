"""Errors the service raises on purpose, and how each becomes an HTTP response."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError


class NotFoundError(Exception):
    def __init__(self, resource: str, identifier: object) -> None:
        super().__init__(f"{resource} {identifier} not found")
        self.detail = str(self)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFoundError)
    async def not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(IntegrityError)
    async def conflict(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # The database message names tables and values; it stays out of the response.
        return JSONResponse(
            {"detail": "The request conflicts with data that already exists."},
            status_code=status.HTTP_409_CONFLICT,
        )
