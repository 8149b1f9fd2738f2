"""Probes for orchestrators: liveness never touches the database, readiness always does."""

import asyncio
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .core.session import ReadSessionDep, SettingsDep

router = APIRouter(prefix="/health", tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]


@router.get("/live")
async def live() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": Health}},
)
async def ready(response: Response, settings: SettingsDep, session: ReadSessionDep) -> Health:
    try:
        async with asyncio.timeout(settings.health_check_timeout):
            await session.execute(text("SELECT 1"))
    except (OSError, SQLAlchemyError, TimeoutError):
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="unavailable")
    return Health(status="ok")
