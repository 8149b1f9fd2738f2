"""The PostgreSQL service behind a real PgBouncer in transaction mode, with several workers.

PgBouncer hands each transaction whichever server connection is free: what the driver
keeps per connection (prepared statements, session settings) is gone on the next
transaction. These tests run the service there with DATABASE_PGBOUNCER on, and once
with it off, to show what the setting prevents.
"""

import asyncio
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from support.pgbouncer import PgBouncer, pgbouncer
from support.postgres import PostgresServer
from support.project import Project
from support.pytest_output import NOT_PASSED, pytest_summary
from support.serve import Server

pytestmark = pytest.mark.postgres

# PgBouncer's server connections per database: fewer than the service's workers hold to
# it (WORKERS x DATABASE_POOL_SIZE), so PgBouncer multiplexes them.
BOUNCER_POOL = 4
WORKERS = 2
SERVICE_POOL = {"DATABASE_POOL_SIZE": "5", "DATABASE_MAX_OVERFLOW": "0"}


@pytest.fixture(scope="module")
def bouncer(postgres: PostgresServer) -> Iterator[PgBouncer]:
    with pgbouncer(postgres.admin_url, pool_size=BOUNCER_POOL) as running:
        yield running


@pytest.fixture(scope="module")
def service(
    postgres: PostgresServer, bouncer: PgBouncer, rendered: Callable[..., Path]
) -> tuple[Project, str]:
    """The example service, installed, its app going through PgBouncer and its migrations
    straight to PostgreSQL, as the generated README's "Scaling out" says."""
    project = Project.at(rendered(database="postgresql"))
    database = postgres.create_database("pgbouncer")
    direct = postgres.service_url(database)
    project.env["DATABASE_URL"] = bouncer.url(direct, database)
    project.env["DATABASE_PGBOUNCER"] = "true"
    project.env["DATABASE_MIGRATION_URL"] = direct
    project.sync()
    project.uv_run("alembic", "upgrade", "head")
    return project, database


@contextmanager
def peak_server_connections(postgres: PostgresServer, database: str) -> Iterator[list[int]]:
    """Samples, while the block runs, how many sessions PostgreSQL has on `database`;
    yields a list that holds the highest count once the block is left."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], len(postgres.sessions(database)))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


async def mixed_load(server: Server, author_id: int, rounds: int, concurrency: int) -> list[int]:
    """Rounds of concurrent reads, lists and writes of posts; the status of each request."""
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
        post = {"title": "Hello", "body": "Behind the pooler.", "author_id": author_id}
        first = await client.post("/api/v1/posts", json=post)
        assert first.status_code == 201, first.text
        post_id = first.json()["id"]

        def request(index: int) -> "asyncio.Future[httpx.Response]":
            kind = index % 3
            if kind == 0:
                return asyncio.ensure_future(client.get(f"/api/v1/posts/{post_id}"))
            if kind == 1:
                return asyncio.ensure_future(client.get("/api/v1/posts", params={"limit": 5}))
            return asyncio.ensure_future(client.post("/api/v1/posts", json=post))

        statuses: list[int] = []
        for _ in range(rounds):
            responses = await asyncio.gather(*(request(i) for i in range(concurrency)))
            statuses += [response.status_code for response in responses]
        return statuses


def create_author(server: Server, email: str) -> int:
    with server.client() as client:
        response = client.post("/api/v1/authors", json={"name": "Ada", "email": email})
        assert response.status_code == 201, response.text
        author_id: int = response.json()["id"]
        return author_id


def test_its_test_suite_passes_through_pgbouncer(
    service: tuple[Project, str], bouncer: PgBouncer, postgres: PostgresServer
) -> None:
    project, database = service
    test_database = bouncer.url(postgres.service_url(database), f"{database}_test")
    # Twice: the second run meets the server connections the first left in PgBouncer's
    # pool, with whatever statements the first prepared on them.
    for _ in range(2):
        output = project.uv_run(
            "pytest", "-q", "-p", "no:cacheprovider", env={"TEST_DATABASE_URL": test_database}
        )
        summary = pytest_summary(output)

        assert summary["passed"] >= 10
        assert not set(summary) & NOT_PASSED, summary
        assert "prepared statement" not in output


def test_several_workers_take_a_mixed_load_within_the_bouncers_pool(
    service: tuple[Project, str], postgres: PostgresServer
) -> None:
    project, database = service
    with project.start("--workers", str(WORKERS), env=SERVICE_POOL) as server:
        author_id = create_author(server, "load@example.com")
        with peak_server_connections(postgres, database) as peak:
            statuses = asyncio.run(mixed_load(server, author_id, rounds=6, concurrency=48))
    log = server.log.read_text()

    assert len(statuses) == 6 * 48
    assert set(statuses) <= {200, 201}, sorted(set(statuses))
    assert "prepared statement" not in log
    assert log.count("Application startup complete") == WORKERS
    # More client connections than that reach PgBouncer; PostgreSQL sees its pool only.
    assert 0 < peak[0] <= BOUNCER_POOL, peak


def test_a_pgbouncer_restart_under_load_is_a_short_burst_of_503s(
    service: tuple[Project, str], bouncer: PgBouncer
) -> None:
    project, _database = service
    outcomes: list[tuple[float, int | str]] = []

    async def load(server: Server, seconds: float, restart_after: float) -> float:
        started = time.monotonic()

        async def worker(client: httpx.AsyncClient) -> None:
            while time.monotonic() - started < seconds:
                try:
                    outcome: int | str = (await client.get("/api/v1/posts")).status_code
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                outcomes.append((time.monotonic() - started, outcome))
                await asyncio.sleep(0.01)

        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            workers = [asyncio.create_task(worker(client)) for _ in range(8)]
            await asyncio.sleep(restart_after)
            await asyncio.to_thread(bouncer.restart)
            restarted_at = time.monotonic() - started
            await asyncio.gather(*workers)
        return restarted_at

    with project.start("--workers", str(WORKERS), env=SERVICE_POOL) as server:
        restarted_at = asyncio.run(load(server, seconds=8, restart_after=2))
        log = server.log.read_text()

    before = [outcome for at, outcome in outcomes if at < restarted_at - 0.5]
    failed = [(at, outcome) for at, outcome in outcomes if outcome != 200]
    last_second = [outcome for at, outcome in outcomes if at > 7]

    assert set(before) == {200}
    # Failures are 503s (the database is unavailable), never 500s nor dropped requests...
    assert {outcome for _, outcome in failed} <= {503}, failed
    # ...within a few seconds of the restart: each worker's dead pooled connections are
    # found out and replaced, without restarting the service.
    assert all(restarted_at - 0.5 <= at <= restarted_at + 3 for at, _ in failed), failed
    assert set(last_second) == {200}
    assert "prepared statement" not in log


def test_without_the_setting_pgbouncer_refuses_the_service(
    service: tuple[Project, str],
) -> None:
    project, _database = service
    env = {**SERVICE_POOL, "DATABASE_PGBOUNCER": "false"}
    with project.start(env=env) as server, server.client() as client:
        statuses = [client.get("/api/v1/posts").status_code for _ in range(3)]
        ready = client.get("/health/ready").status_code
    log = server.log.read_text()

    # The statement timeout sent as a startup parameter: PgBouncer closes the connection.
    assert statuses == [503] * 3
    assert ready == 503
    assert "unsupported startup parameter" in log


def test_replicas_starting_together_migrate_once(
    postgres: PostgresServer, service: tuple[Project, str]
) -> None:
    project, _database = service
    fresh = postgres.create_database("migrate_race")
    env = {**project.env, "DATABASE_MIGRATION_URL": postgres.service_url(fresh)}
    command = ["uv", "run", "--no-sync", "alembic", "upgrade", "head"]
    processes = [
        subprocess.Popen(
            command, cwd=project.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(6)
    ]
    outputs = [process.communicate(timeout=120)[0].decode() for process in processes]

    assert [process.returncode for process in processes] == [0] * 6, outputs
    # One of them applied the migration; the others found the database at head.
    assert sum("Running upgrade" in output for output in outputs) == 1, outputs
    with postgres.connect(fresh) as connection:
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
