"""The apps a run compares, and how each one is served."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from bench import servers
from bench.config import MAX_OVERFLOW, POOL_SIZE
from bench.prepare import Variant


@dataclass(frozen=True)
class App:
    name: str
    target: str  # "{package}" stands for the rendered package
    options: tuple[str, ...] = ()


# The generated service exactly as its README serves it in production.
SERVICE = App("service", "{package}.main:app", ("--timeout-graceful-shutdown", "30"))
# The same service built by its own create_app(), plus the kit's /bench routes.
SERVICE_WITH_BENCH_ROUTES = App(
    "service", "bench.apps.service:create_app", ("--factory", "--timeout-graceful-shutdown", "30")
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
    }


@contextmanager
def serve(app: App, variant: Variant, env: Mapping[str, str]) -> Iterator[servers.Server]:
    target = app.target.format(package=variant.project.package)
    with servers.uvicorn(
        app.name, variant.python, target, cwd=variant.project.path, env=env, options=app.options
    ) as server:
        yield server
