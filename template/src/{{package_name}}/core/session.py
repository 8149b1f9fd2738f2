"""The per-request database sessions: one that writes, one that only reads."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .settings import Settings


# The lookups below are `async def` although they never wait: FastAPI runs a plain `def`
# dependency in its threadpool, a thread hop per request for a dictionary lookup.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.state.settings
    return settings


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker
    return sessionmaker


async def get_read_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.read_sessionmaker
    return sessionmaker


async def get_session(
    sessionmaker: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)],
) -> AsyncIterator[AsyncSession]:
    # Leaving the block closes the session: what is not committed is rolled back and the
    # connection goes back to the pool. That holds after an error and when the request is
    # cancelled mid-query (a client that disconnects, a timeout): SQLAlchemy then discards
    # the connection rather than return it to the pool in an unknown state.
    async with sessionmaker() as session:
        yield session
        await session.commit()


async def get_read_session(
    sessionmaker: Annotated[async_sessionmaker[AsyncSession], Depends(get_read_sessionmaker)],
) -> AsyncIterator[AsyncSession]:
    # Nothing to commit: a route that reads only needs its connection back in the pool.
    async with sessionmaker() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit above runs when the route returns, before the response is
# sent, so a failed commit becomes an error response instead of a lost write behind a 2xx.
# Background tasks run after that and must open their own session from the sessionmaker.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# For routes that only read: see create_read_sessionmaker for what it saves and what it
# gives up. Released when the route returns, before the response is sent, like SessionDep.
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
