"""CPU per call of each layer a database request goes through, one call at a time.

Runs in the rendered PostgreSQL project's interpreter (`bench.floor` starts it there, with
BENCH_PACKAGE and DATABASE_URL set), on uvloop as uvicorn runs the service, and prints one
JSON object: milliseconds of this process's CPU per call, for each step below. Sequential
calls on a warm pool, so that the figure is the client's work for a call, not waiting: the
server's time is in another process.
"""

import json
import os
import time
from collections.abc import Awaitable, Callable

import asyncpg
import uvloop
from sqlalchemy import text

from bench.apps.common import package_module
from support.urls import asyncpg_dsn

Settings = package_module("core.settings").Settings
database = package_module("core.database")
posts = package_module("blog.posts")
PostRead = package_module("blog.schemas").PostRead

WARM_UP = 300
CALLS = 3_000
POST_ID = 1


async def cpu_per_call(call: Callable[[], Awaitable[object]]) -> float:
    """Milliseconds of this process's CPU per call, after a warm-up."""
    for _ in range(WARM_UP):
        await call()
    began = time.process_time()
    for _ in range(CALLS):
        await call()
    return 1000 * (time.process_time() - began) / CALLS


async def measure() -> dict[str, float]:
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


if __name__ == "__main__":
    print(json.dumps(uvloop.run(measure())))
