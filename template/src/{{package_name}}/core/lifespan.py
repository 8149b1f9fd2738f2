"""What the application holds for its lifetime: settings, the engine, the session factories."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypedDict

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .database import create_engine, create_read_sessionmaker, create_sessionmaker
from .settings import Settings


class State(TypedDict):
    """Lifespan state; Starlette hands a copy of it to every request as `request.state`."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]


def create_lifespan(
    settings: Settings,
) -> Callable[[FastAPI], AbstractAsyncContextManager[State]]:
    """The app's lifespan: what runs at start-up and shutdown around the state it yields."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[State]:
        # Creating the engine opens no connection, so the service starts with its database down.
        engine = create_engine(settings)
        try:
            yield {
                "settings": settings,
                "sessionmaker": create_sessionmaker(engine),
                "read_sessionmaker": create_read_sessionmaker(engine),
            }
        finally:
            await engine.dispose()

    return lifespan
