"""The apps a run compares, and how each one is served."""

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import MAX_OVERFLOW, PGBOUNCER_WORKERS, POOL_SIZE, UPSTREAM_CLIENT_CONNECTIONS
from bench.prepare import Variant
from support.serve import Server, uvicorn

# On the apps' PYTHONPATH, so that uvicorn can import bench.apps (and what they import).
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class App:
    name: str
    target: str  # "{package}" stands for the rendered package
    options: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)


# The generated service exactly as its README serves it in production.
SERVICE = App("service", "{package}.main:app", ("--timeout-graceful-shutdown", "30"))
# The same service built by its own create_app(), plus the kit's /bench routes.
SERVICE_WITH_BENCH_ROUTES = App(
    "service", "bench.apps.service:create_app", ("--factory", "--timeout-graceful-shutdown", "30")
)
# The service again, through PgBouncer, with one worker and with several: what the pooler
# costs, and what more processes buy back on this machine.
SERVICE_PGBOUNCER = App(
    "service+pgbouncer", "{package}.main:app", ("--timeout-graceful-shutdown", "30")
)
SERVICE_PGBOUNCER_WORKERS = App(
    f"service+pgbouncer {PGBOUNCER_WORKERS}w",
    "{package}.main:app",
    ("--workers", str(PGBOUNCER_WORKERS), "--timeout-graceful-shutdown", "30"),
)
# The service logging warnings only: no access line per request. Beside SERVICE, what the
# JSON access line costs.
SERVICE_UNLOGGED = App(
    "no-access-log",
    "{package}.main:app",
    ("--timeout-graceful-shutdown", "30"),
    env={"LOG_LEVEL": "WARNING"},
)
LIMIT = App("limit", "bench.apps.limit:app")
SYNC = App("sync", "bench.apps.sync_service:create_app", ("--factory",))
UPSTREAM_STUB = App("upstream", "bench.apps.upstream:app", ("--lifespan", "off"))


def app_environment(variant: Variant, database_url: str) -> dict[str, str]:
    """What every app gets: the service's production settings and the shared pool budget."""
    return {
        **variant.project.env,
        "ENVIRONMENT": "production",
        "DATABASE_URL": database_url,
        "DATABASE_POOL_SIZE": str(POOL_SIZE),
        "DATABASE_MAX_OVERFLOW": str(MAX_OVERFLOW),
        "BENCH_PACKAGE": variant.project.package,
        # The shipped HTTP client may hold as many connections as the kit's own clients.
        "HTTP_CLIENT_MAX_CONNECTIONS": str(UPSTREAM_CLIENT_CONNECTIONS),
    }


def serve(app: App, variant: Variant, env: Mapping[str, str]) -> AbstractContextManager[Server]:
    """Serve `app` with the rendered project's uvicorn (one worker unless its options say
    otherwise) on a free port.

    A session of its own: a Ctrl-C in the terminal reaches the kit only, which then stops
    each server in order instead of having them all die mid-request.
    """
    return uvicorn(
        app.name,
        [str(variant.python), "-m", "uvicorn"],
        app.target.format(package=variant.project.package),
        cwd=variant.project.path,
        env={**env, **app.env, "PYTHONPATH": str(REPO)},
        options=app.options,
        stop_timeout=15,
        own_session=True,
    )
