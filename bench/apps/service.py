"""The generated async service with the kit's bench routes mounted on it.

Served as `uvicorn bench.apps.service:create_app --factory`: the service's own `create_app()`
builds the app exactly as `<package>.main:app` does, then the kit adds routes the generated
service must not carry, and an HTTP client for them in the lifespan state.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import aiohttp
import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.apps.common import package_module, upstream_url
from bench.config import SLOW_QUERY_S, UPSTREAM_CLIENT_CONNECTIONS

_main = package_module("main")
_posts = package_module("blog.posts")
_session = package_module("core.session")
IdPath = package_module("core.params").IdPath
PostRead = package_module("blog.schemas").PostRead

# The one place where the bench routes pick their session dependency.
# Both routes only read, as GET /api/v1/posts/{id} does.
BenchSession = _session.ReadSessionDep
# The session that writes, as POST /api/v1/posts gets it: for the write's layer below.
WriteSession = _session.SessionDep
# The service's own HTTP client (the PostgreSQL variant is rendered with_http_client).
ShippedClient = package_module("core.http").HttpClientDep

router = APIRouter(prefix="/bench")


@router.get("/upstream/posts/{post_id}", response_model=PostRead)
async def upstream_then_post(post_id: IdPath, request: Request, session: BenchSession) -> Any:
    # The upstream call comes first: the session has not touched the pool yet, so the wait
    # holds no database connection.
    client: httpx.AsyncClient = request.state.http
    response = await client.get(f"{upstream_url()}/posts/{post_id}")
    response.raise_for_status()
    # Then exactly what GET /api/v1/posts/{id} does.
    return await _posts.get_post(post_id, session)


@router.get("/upstream-shipped/posts/{post_id}", response_model=PostRead)
async def upstream_shipped_then_post(
    post_id: IdPath, client: ShippedClient, session: BenchSession
) -> Any:
    # As above, through the client the template ships (with_http_client: httpx's API on
    # aiohttp's pool), as a route of the service gets it.
    response = await client.get(f"{upstream_url()}/posts/{post_id}")
    response.raise_for_status()
    return await _posts.get_post(post_id, session)


@router.get("/upstream-aiohttp/posts/{post_id}", response_model=PostRead)
async def upstream_aiohttp_then_post(
    post_id: IdPath, request: Request, session: BenchSession
) -> Any:
    # As above, with aiohttp as the client (see bench.scenarios.UPSTREAM_AIOHTTP).
    client: aiohttp.ClientSession = request.state.aiohttp
    async with client.get(f"{upstream_url()}/posts/{post_id}") as response:
        response.raise_for_status()
        await response.read()
    return await _posts.get_post(post_id, session)


@router.get("/slow")
async def slow_query(session: BenchSession) -> dict[str, bool]:
    await session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": SLOW_QUERY_S})
    return {"ok": True}


# The layers of a read, one more per route, for bench.floor's in-process requests and
# bench.ceiling's under load: what the route table and FastAPI cost with no dependency, what
# the read session adds with no statement, and what one statement through it adds. Mounted
# last, like the bench routes above, so a request to them walks the whole route table, as one
# to the API's posts does.
@router.get("/layers/route")
async def layer_route() -> dict[str, bool]:
    return {"ok": True}


@router.get("/layers/session")
async def layer_session(session: BenchSession) -> dict[str, bool]:
    return {"ok": True}


@router.get("/layers/select-1")
async def layer_select_1(session: BenchSession) -> dict[str, bool]:
    await session.execute(text("SELECT 1"))
    return {"ok": True}


async def read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A Core connection from the engine the read session uses (autocommit), no session."""
    sessionmaker = await _session.get_read_sessionmaker(request)
    async with sessionmaker.kw["bind"].connect() as connection:
        yield connection


# The same statement through SQLAlchemy Core instead of the session: what is left of its
# cost without the ORM's session.
@router.get("/layers/connection-select-1")
async def layer_connection_select_1(
    connection: Annotated[AsyncConnection, Depends(read_connection, scope="function")],
) -> dict[str, bool]:
    await connection.execute(text("SELECT 1"))
    return {"ok": True}


# What a write costs before its own statement: the writing session's transaction, with one
# statement in it (BEGIN, SELECT 1, COMMIT: as many round trips as a new post's).
@router.get("/layers/write-select-1")
async def layer_write_select_1(session: WriteSession) -> dict[str, bool]:
    await session.execute(text("SELECT 1"))
    return {"ok": True}


def _with_http_client(app: FastAPI) -> None:
    """Wrap the service's lifespan so its state also holds the shared HTTP clients."""
    service_lifespan = app.router.lifespan_context
    limits = httpx.Limits(
        max_connections=UPSTREAM_CLIENT_CONNECTIONS,
        max_keepalive_connections=UPSTREAM_CLIENT_CONNECTIONS,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        connector = aiohttp.TCPConnector(limit=UPSTREAM_CLIENT_CONNECTIONS)
        async with (
            service_lifespan(app) as state,
            httpx.AsyncClient(limits=limits) as client,
            aiohttp.ClientSession(connector=connector) as aiohttp_client,
        ):
            yield {**(state or {}), "http": client, "aiohttp": aiohttp_client}

    app.router.lifespan_context = lifespan


def create_app() -> FastAPI:
    app: FastAPI = _main.create_app()
    app.include_router(router)
    _with_http_client(app)
    return app
