"""CPU per call of each layer a database request goes through, one call at a time.

Runs in the rendered PostgreSQL project's interpreter (`bench.floor` starts it there, with
BENCH_PACKAGE, DATABASE_URL and BENCH_UPSTREAM_URL set), on uvloop as uvicorn runs the
service, and prints one JSON object: milliseconds of this process's CPU per call, for each
step below. Statements run one at a time on a warm pool; HTTP calls run 64 at a time, as
under load, since a client's pool may cost more with many calls in flight. Either way the
figure is the client's work for a call, not its waiting: the servers run in other processes.

Then requests, one at a time, handed straight to an app's ASGI callable (no server, no
socket): the limit app's read of a post, and the service's, built up one layer at a time
through routes the kit mounts (bench/apps/service.py). Each figure is the app's own work
for a request; the server's share (uvicorn parsing and writing HTTP) is the same for every
app and is in none of them.
"""

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
import httpx
import uvloop
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from bench.apps import limit, service
from bench.apps.common import package_module, upstream_url
from bench.config import UPSTREAM_CLIENT_CONNECTIONS
from support.urls import asyncpg_dsn

Settings = package_module("core.settings").Settings
database = package_module("core.database")
posts = package_module("blog.posts")
PostRead = package_module("blog.schemas").PostRead
create_http_client = package_module("core.http").create_http_client

WARM_UP = 300
CALLS = 3_000
IN_FLIGHT = 64
POST_ID = 1


async def cpu_per_call(call: Callable[[], Awaitable[object]], in_flight: int = 1) -> float:
    """Milliseconds of this process's CPU per call, after a warm-up, `in_flight` at a time."""

    async def calls(n: int) -> None:
        for _ in range(n):
            await call()

    await asyncio.gather(*(calls(WARM_UP // in_flight + 1) for _ in range(in_flight)))
    began = time.process_time()
    await asyncio.gather(*(calls(CALLS // in_flight) for _ in range(in_flight)))
    return 1000 * (time.process_time() - began) / (CALLS // in_flight * in_flight)


async def measure() -> dict[str, float]:
    return {**await statements(), **await http_calls(), **await requests()}


async def statements() -> dict[str, float]:
    url = os.environ["DATABASE_URL"]
    engine = database.create_engine(Settings(database_url=url))
    read_sessionmaker = database.create_read_sessionmaker(engine)
    reads_only = engine.execution_options(isolation_level="AUTOCOMMIT")
    driver = await asyncpg.connect(asyncpg_dsn(url))

    async def driver_select_1() -> object:
        return await driver.fetchval("SELECT 1")

    async def connection_select_1() -> object:
        async with reads_only.connect() as connection:
            return await connection.scalar(text("SELECT 1"))

    async def session_select_1() -> object:
        async with read_sessionmaker() as session:
            return await session.scalar(text("SELECT 1"))

    async def service_post_read() -> object:
        async with read_sessionmaker() as session:
            post = await session.scalar(posts.POST_BY_ID, {"post_id": POST_ID})
            return PostRead.model_validate(post).model_dump_json()

    try:
        return {
            "asyncpg: SELECT 1": await cpu_per_call(driver_select_1),
            "SQLAlchemy AsyncConnection: SELECT 1": await cpu_per_call(connection_select_1),
            "SQLAlchemy AsyncSession: SELECT 1": await cpu_per_call(session_select_1),
            "the service's post read, to JSON": await cpu_per_call(service_post_read),
        }
    finally:
        await driver.close()
        await engine.dispose()


async def http_calls() -> dict[str, float]:
    url = f"{upstream_url()}/health/live"  # the stub answers this path at once
    shipped = create_http_client(Settings())
    plain = httpx.AsyncClient(limits=httpx.Limits(max_connections=UPSTREAM_CLIENT_CONNECTIONS))
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=UPSTREAM_CLIENT_CONNECTIONS)
    )

    async def through(client: httpx.AsyncClient) -> object:
        response = await client.get(url)
        return response.raise_for_status().content

    async def through_aiohttp() -> object:
        async with session.get(url) as response:
            response.raise_for_status()
            return await response.read()

    try:
        return {
            "GET, the shipped client (httpx on httpx-aiohttp)": await cpu_per_call(
                lambda: through(shipped), IN_FLIGHT
            ),
            "GET, httpx.AsyncClient on its own pool": await cpu_per_call(
                lambda: through(plain), IN_FLIGHT
            ),
            "GET, aiohttp.ClientSession": await cpu_per_call(through_aiohttp, IN_FLIGHT),
        }
    finally:
        await shipped.aclose()
        await plain.aclose()
        await session.close()


ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def get(app: ASGIApp, path: str) -> Callable[[], Awaitable[object]]:
    """A GET of `path`, as uvicorn would hand it to the app; fails unless answered 200.

    `app` is a LifespanManager's: it runs the app's lifespan as a server does, and hands
    every request the state that the lifespan yielded.
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench.floor")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def call() -> object:
        statuses: list[int] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        # A scope of its own per request, as a server builds one: the app writes into it.
        await app(dict(scope), receive, send)
        assert statuses == [200], f"GET {path}: {statuses}"
        return statuses

    return call


async def requests() -> dict[str, float]:
    # bench.floor compares the two reads of a post by these names.
    post = f"/api/v1/posts/{POST_ID}"
    figures = {}
    async with LifespanManager(limit.app) as manager:
        figures["limit app: GET a post, in-process"] = await cpu_per_call(get(manager.app, post))
    async with LifespanManager(service.create_app()) as manager:
        for step, path in [
            ("service: GET /health/live, in-process", "/health/live"),
            ("service: a route at the end of the route table", "/bench/layers/route"),
            ("service: + the read session, no statement", "/bench/layers/session"),
            ("service: + SELECT 1 through that session", "/bench/layers/select-1"),
            ("service: GET a post, in-process", post),
        ]:
            figures[step] = await cpu_per_call(get(manager.app, path))
    return figures


if __name__ == "__main__":
    print(json.dumps(uvloop.run(measure())))
