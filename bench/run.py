"""The whole benchmark: set up, serve, drive with wrk, count round trips, report."""

import argparse
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import lineup, machine, prepare, report, roundtrips, wrk
from bench.config import (
    PGBOUNCER_CONNECTIONS,
    PGBOUNCER_WORKERS,
    POOL_SIZE,
    POOL_TIMEOUT_S,
    SLOW_QUERY_S,
    THREADPOOL_SIZE,
    UPSTREAM_DELAY_S,
    budget,
)
from bench.prepare import Variant
from bench.report import Measurement
from bench.scenarios import IO_WAIT, NORMAL, PGBOUNCER, Scenario
from support.pgbouncer import ensure_installed as pgbouncer_installed
from support.pgbouncer import pgbouncer
from support.postgres import PostgresServer
from support.serve import Server

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def unwind_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C does, so that every server is stopped and every
    database dropped. (A run started in the background ignores Ctrl-C's SIGINT.)"""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


@dataclass(frozen=True)
class Options:
    rounds: int
    duration: float
    connections: list[int]
    warmup: float
    sqlite: bool
    keep: bool
    update_readme: bool


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """How long and how hard wrk drives each app: --rounds, --duration, --connections and
    --warmup, read back by `load_options`."""
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run")
    parser.add_argument(
        "--connections", default="8,64,256", help="wrk connection counts, comma-separated"
    )
    parser.add_argument("--warmup", type=float, default=1, help="seconds of warm-up per app")


def load_options(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    *,
    sqlite: bool,
    keep: bool,
    update_readme: bool,
) -> Options:
    """The options of `add_load_arguments`, checked (the parser exits with a message if one
    is out of range), with the run's own flags."""
    connections = args.connections.split(",")
    if not all(n.strip().isdigit() and int(n) > 0 for n in connections):
        parser.error(
            f"--connections takes positive integers, e.g. 8,64,256; got {args.connections}"
        )
    if args.rounds < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--rounds must be at least 1, --duration above 0 and --warmup not negative")
    return Options(
        rounds=args.rounds,
        duration=args.duration,
        connections=[int(n) for n in connections],
        warmup=args.warmup,
        sqlite=sqlite,
        keep=keep,
        update_readme=update_readme,
    )


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    add_load_arguments(parser)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 round, 2 s, 8 and 64 connections"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite variant")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--update-readme", action="store_true", help="put latest.md into README.md's markers"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.connections = 1, 2, "8,64"
    return load_options(
        parser, args, sqlite=not args.no_sqlite, keep=args.keep, update_readme=args.update_readme
    )


@dataclass
class Runner:
    options: Options
    wrk: str
    measurements: list[Measurement] = field(default_factory=list)
    # Called before every wrk run, e.g. to wait until the apps are idle.
    settle: Callable[[], None] | None = None

    def compare(
        self,
        database: str,
        scenarios: Sequence[Scenario],
        apps: dict[str, Server],
        connection_counts: Sequence[int] | None = None,
    ) -> None:
        """Every scenario at every connection count, the apps taking turns within a round.

        Interleaving per configuration spreads slow drifts of the machine (other load, the
        table growing, caches) over all apps instead of charging them to whichever ran last.
        The order rotates from round to round, so no app is always first.
        """
        names = list(apps)
        counts = list(connection_counts or self.options.connections)
        for scenario in scenarios:
            for connections in counts:
                if connections == counts[0] and self.options.warmup > 0:
                    for name in names:
                        wrk.run(
                            self.wrk,
                            apps[name].url,
                            scenario.name,
                            connections,
                            self.options.warmup,
                        )
                for round_ in range(self.options.rounds):
                    shift = round_ % len(names)
                    for name in names[shift:] + names[:shift]:
                        self.measure(database, scenario.name, name, apps[name], connections, round_)

    def measure(
        self,
        database: str,
        scenario: str,
        name: str,
        app: Server,
        connections: int,
        round_: int,
    ) -> None:
        """One wrk run of `scenario` (its script's name) against `app`, kept and printed."""
        if self.settle is not None:
            self.settle()
        result = wrk.run(self.wrk, app.url, scenario, connections, self.options.duration)
        self.measurements.append(
            Measurement(database, scenario, name, connections, round_ + 1, result)
        )
        print(
            f"  {database:10} {scenario:11} c={connections:<4} round {round_ + 1}"
            f" {name:8} {result.rps:9,.0f} rps  p99 {result.p99_ms:8.1f} ms"
            f"  errors {result.error_count}",
            flush=True,
        )


@contextmanager
def serve_all(
    variant: Variant, env: dict[str, str], apps: list[lineup.App]
) -> Iterator[dict[str, Server]]:
    """All of `apps` at once, by name; every one stopped on leaving, whatever happens."""
    with ExitStack() as stack:
        yield {app.name: stack.enter_context(lineup.serve(app, variant, env)) for app in apps}


def count_round_trips(
    server: PostgresServer, variant: Variant, env: dict[str, str]
) -> dict[tuple[str, str, str], float]:
    """(database, app, scenario) -> round trips per request, from a separate, untimed pass."""
    plan = [
        (lineup.SERVICE_WITH_BENCH_ROUTES, [*NORMAL, *IO_WAIT]),
        (lineup.LIMIT, list(NORMAL)),
        (lineup.SYNC, [*NORMAL, *IO_WAIT]),
    ]
    counts: dict[tuple[str, str, str], float] = {}
    for app, scenarios in plan:

        def start(url: str, app: lineup.App = app) -> AbstractContextManager[Server]:
            return lineup.serve(app, variant, {**env, "DATABASE_URL": url})

        found = roundtrips.count_round_trips(variant.database_url, server.address, start, scenarios)
        counts.update({("postgresql", app.name, name): n for name, n in found.items()})
    return counts


def notes(options: Options, table: list[report.Row]) -> list[str]:
    late = [
        f"{r.database}/{r.scenario}/{r.app} at {r.connections}"
        for r in table
        if r.past_pool_timeout
    ]
    return [
        f"Medians of {options.rounds} round(s) of {options.duration:g} s per app and"
        f" configuration, apps interleaved (order rotated each round); {options.warmup:g} s"
        " warm-up per app and scenario. wrk runs on the same machine as the apps and"
        " PostgreSQL.",
        "service, for live/get_post/list_posts/create_post: `uvicorn <package>.main:app`, one"
        " worker, ENVIRONMENT=production, as the generated README serves it (access log on);"
        " for upstream/slow: the same app from its `create_app()` plus the kit's /bench routes"
        " (`bench.apps.service:create_app --factory`). Round trips are counted on the latter.",
        "limit: bare ASGI app, asyncpg pool, orjson, the same SQL; sync: FastAPI `def` routes"
        f" in a {THREADPOOL_SIZE}-thread pool, sync SQLAlchemy on psycopg 3, each route in its"
        " own transaction (reads in autocommit, as the service's). Same uvicorn, same pool budget"
        " for all.",
        f"upstream: the route waits on a stub that answers after {UPSTREAM_DELAY_S * 1000:g} ms"
        " (httpx.AsyncClient / shared httpx.Client, 1024 connections allowed), then reads one"
        " post; upstream_aiohttp: the same with aiohttp as the async service's client;"
        " upstream_shipped: the same through the client the template ships (with_http_client:"
        " httpx on aiohttp's pool)."
        f" slow: `SELECT pg_sleep({SLOW_QUERY_S:g})`, so at most"
        f" {POOL_SIZE / SLOW_QUERY_S:,.0f} requests/s with {POOL_SIZE} connections.",
        "errors: wrk's connect/read/write/timeout errors plus responses with status >= 400"
        " (all rounds). ⚠ in max ms: a request took longer than the pool timeout"
        f" ({POOL_TIMEOUT_S:g} s): " + (", ".join(late) if late else "none did."),
        "DB round trips/req: ReadyForQuery messages per request on a warm pool, counted"
        " through support/pg_proxy.py.",
        "service+pgbouncer: the service (DATABASE_PGBOUNCER=true) through PgBouncer"
        f" (Debian package) in transaction mode with {POOL_SIZE} server connections, one"
        f" worker and {PGBOUNCER_WORKERS} workers ({POOL_SIZE} connections to PgBouncer each),"
        f" get_post and create_post at {PGBOUNCER_CONNECTIONS} connections; compare with the"
        " service's direct rows. PgBouncer shares the machine's cores with everything else.",
        "no-access-log: the service with LOG_LEVEL=WARNING, so without its JSON access line"
        " per request.",
        "service/limit, async/sync and logged/unlogged (service over no-access-log): ratios"
        " of median RPS (on the service's rows).",
    ]


def run(options: Options) -> None:
    wrk_path = wrk.ensure_installed()
    pgbouncer_installed()
    server = PostgresServer.at()
    root = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        print(f"Rendering and installing the variants in {root} ...", flush=True)
        postgres = prepare.postgres_variant(root, server)
        sqlite = prepare.sqlite_variant(root) if options.sqlite else None
        runner = Runner(options, wrk_path)
        env = lineup.app_environment(postgres, postgres.database_url)
        with lineup.serve(lineup.UPSTREAM_STUB, postgres, env) as upstream:
            env["BENCH_UPSTREAM_URL"] = upstream.url
            print("PostgreSQL: service, without access log, limit app, sync service", flush=True)
            normal = [lineup.SERVICE, lineup.SERVICE_UNLOGGED, lineup.LIMIT, lineup.SYNC]
            with serve_all(postgres, env, normal) as apps:
                runner.compare("postgresql", NORMAL, apps)
            print("PostgreSQL, waiting on IO: service, sync service", flush=True)
            with serve_all(postgres, env, [lineup.SERVICE_WITH_BENCH_ROUTES, lineup.SYNC]) as apps:
                runner.compare("postgresql", IO_WAIT, apps)
            print(f"PostgreSQL through PgBouncer: service, 1 and {PGBOUNCER_WORKERS} workers")
            with pgbouncer(server.admin_url, pool_size=POOL_SIZE) as bouncer:
                bounced = {
                    **env,
                    "DATABASE_URL": bouncer.url(postgres.database_url),
                    "DATABASE_PGBOUNCER": "true",
                }
                behind = [lineup.SERVICE_PGBOUNCER, lineup.SERVICE_PGBOUNCER_WORKERS]
                with serve_all(postgres, bounced, behind) as apps:
                    runner.compare("postgresql", PGBOUNCER, apps, [PGBOUNCER_CONNECTIONS])
            print("Counting round trips ...", flush=True)
            round_trips = count_round_trips(server, postgres, env)
        if sqlite is not None:
            print("SQLite: service, without access log", flush=True)
            sqlite_env = lineup.app_environment(sqlite, sqlite.database_url)
            with serve_all(sqlite, sqlite_env, [lineup.SERVICE, lineup.SERVICE_UNLOGGED]) as apps:
                runner.compare("sqlite", NORMAL, apps)

        table = report.rows(runner.measurements, round_trips)
        settings = {
            "rounds": options.rounds,
            "duration_s": options.duration,
            "connections": options.connections,
            "budget": budget(),
        }
        text = report.write(
            RESULTS,
            table,
            runner.measurements,
            machine.describe(server, postgres.python, wrk_path),
            notes(options, table),
            settings,
        )
        print()
        print(text)
        print(f"Written: {RESULTS / 'latest.md'} and latest.json")
        if options.update_readme:
            report.update_readme(REPO / "README.md", text)
            print("README.md updated between the bench markers.")
    finally:
        server.drop_all()
        if options.keep:
            print(f"Kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
