"""How close the service's reads and writes can come to the limit app, under load.

`uv run python -m bench.ceiling` serves the limit app and the service with the kit's routes
(production settings, access log on, as in the full run) and drives them with wrk at 64
connections, in interleaved rounds. For get_post: the limit app's read of a post, and the
service's routes that add one layer at a time (bench/apps/service.py): routing alone, then
the read session with no statement, then one `SELECT 1` through it; the same statement
through a Core connection instead of the session; then the service's own read of a post.
For create_post: the limit app's write, a `SELECT 1` in the transaction of the service's
writing session (as many round trips as the write), and the service's write.

Each layer's requests/s over the limit app's is the most that any route built on that layer
can reach: a route that does more work on top only goes slower. Where a layer already falls
below the share a target asks for, no route built on it meets the target, whatever the
route does. Results go to `bench/results/ceiling.md` and `ceiling.json`.
"""

import argparse
import json
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import lineup, machine, prepare, report, wrk
from bench.config import MAX_OVERFLOW, POOL_SIZE, POOL_TIMEOUT_S, WRK_THREADS, WRK_TIMEOUT_S
from bench.floor import GET_POST_SHARE
from bench.report import Row
from bench.run import (
    RESULTS,
    Options,
    Runner,
    add_load_arguments,
    load_options,
    serve_all,
    unwind_on_sigterm,
)
from support.postgres import PostgresServer
from support.serve import Server

# The target for create_post: the service at this share of the limit app's throughput.
CREATE_POST_SHARE = 0.2


@dataclass(frozen=True)
class Probe:
    app: str  # the name the app is served under
    script: str  # bench/wrk/<script>.lua
    label: str


@dataclass(frozen=True)
class Target:
    """A scenario's target share of the limit app, and the service's layers beneath it."""

    scenario: str  # the limit app's and the service's wrk script
    share: float
    layers: tuple[Probe, ...]

    @property
    def limit(self) -> Probe:
        return Probe("limit", self.scenario, f"limit app: {self.scenario}")

    @property
    def service(self) -> Probe:
        return Probe("service", self.scenario, f"service: {self.scenario}")

    @property
    def probes(self) -> tuple[Probe, ...]:
        return (self.limit, *self.layers, self.service)


ROUTE = Probe("service", "layer_route", "service: a route, no dependency")
READ_SESSION = Probe("service", "layer_session", "service: + the read session, no statement")
READ_SELECT_1 = Probe(
    "service", "layer_select_1", "service: + a `SELECT 1` through the read session"
)
# Not a layer of the read: the same statement through SQLAlchemy Core, with no session.
CONNECTION_SELECT_1 = Probe(
    "service", "layer_connection_select_1", "service: a `SELECT 1` through a Core connection"
)
WRITE_SELECT_1 = Probe(
    "service", "layer_write_select_1", "service: a `SELECT 1` in the writing session's transaction"
)
# list_posts is left out: the limit app's page is heavy enough that one statement through the
# session does not bound it, and the writes here would grow the table that a page counts.
TARGETS = (
    Target("get_post", GET_POST_SHARE, (ROUTE, READ_SESSION, READ_SELECT_1, CONNECTION_SELECT_1)),
    Target("create_post", CREATE_POST_SHARE, (WRITE_SELECT_1,)),
)
PROBES = tuple(dict.fromkeys(probe for target in TARGETS for probe in target.probes))
# The database every probe runs on, as the measurements name it.
DATABASE = "postgresql"


def drive(runner: Runner, apps: dict[str, Server]) -> None:
    """Every probe once a round, the order rotated each round so that none always leads."""
    (connections,) = runner.options.connections
    if runner.options.warmup > 0:
        for probe in PROBES:
            wrk.run(
                runner.wrk, apps[probe.app].url, probe.script, connections, runner.options.warmup
            )
    for round_ in range(runner.options.rounds):
        shift = round_ % len(PROBES)
        for probe in PROBES[shift:] + PROBES[:shift]:
            runner.measure(DATABASE, probe.script, probe.app, apps[probe.app], connections, round_)


def markdown(rows: dict[Probe, Row], about: dict[str, Any], options: Options) -> str:
    lines = [
        report.measured_on(about),
        "",
        f"wrk at {options.connections[0]} connections, medians of {options.rounds} interleaved"
        f" round(s) of {options.duration:g} s (wrk -t{WRK_THREADS} --timeout {WRK_TIMEOUT_S}s)."
        f" Both apps: pool_size={POOL_SIZE}, max_overflow={MAX_OVERFLOW},"
        f" pool_timeout={POOL_TIMEOUT_S:g} s; the service with production settings and its"
        " access log on, as in the full run. A layer's share of the limit app is the most that"
        " a route doing more on top of it can reach.",
    ]
    for target in TARGETS:
        limit_rps = rows[target.limit].rps
        lines += [
            "",
            f"{target.scenario}: the target asks for {target.share:g} times the limit app"
            f" ({target.share * limit_rps:,.0f} requests/s here).",
            "",
            "| request | RPS | p50 ms | p99 ms | errors | share of the limit app | target |",
            "|---|--:|--:|--:|--:|--:|---|",
        ]
        for probe in target.probes:
            row = rows[probe]
            share = row.rps / limit_rps
            verdict = "" if probe == target.limit else "above" if share >= target.share else "below"
            lines.append(
                f"| {probe.label} | {row.rps:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f}"
                f" | {row.errors} | {share:.2f} | {verdict} |"
            )
    return "\n".join(lines) + "\n"


def write(runner: Runner, about: dict[str, Any]) -> str:
    """ceiling.md and ceiling.json from the runner's measurements; returns the Markdown."""
    table = {(row.app, row.scenario): row for row in report.rows(runner.measurements, {})}
    rows = {probe: table[(probe.app, probe.script)] for probe in PROBES}
    text = markdown(rows, about, runner.options)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ceiling.md").write_text(text)
    data = {
        "machine": about,
        "settings": {
            "connections": runner.options.connections[0],
            "rounds": runner.options.rounds,
            "duration_s": runner.options.duration,
            "pool_size": POOL_SIZE,
            "max_overflow": MAX_OVERFLOW,
        },
        "rows": [{"probe": probe.label, **asdict(row)} for probe, row in rows.items()],
        "runs": [{**asdict(m), "result": m.result.as_dict()} for m in runner.measurements],
    }
    (RESULTS / "ceiling.json").write_text(json.dumps(data, indent=2) + "\n")
    return text


def run(options: Options) -> None:
    runner = Runner(options, wrk.ensure_installed())
    server = PostgresServer.at()
    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as directory:
        try:
            variant = prepare.postgres_variant(Path(directory), server)
            env = lineup.app_environment(variant, variant.database_url)
            served = [lineup.LIMIT, lineup.SERVICE_WITH_BENCH_ROUTES]
            with serve_all(variant, env, served) as apps:
                drive(runner, apps)
            about = machine.describe(server, variant.python, runner.wrk)
        finally:
            server.drop_all()
    text = write(runner, about)
    print()
    print(text)
    print(f"Written: {RESULTS / 'ceiling.md'} and ceiling.json")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    add_load_arguments(parser)
    parser.set_defaults(connections="64")
    args = parser.parse_args(argv)
    options = load_options(parser, args, sqlite=False, keep=False, update_readme=False)
    if len(options.connections) != 1:
        parser.error(f"--connections takes one count here, e.g. 64; got {args.connections}")
    run(options)


if __name__ == "__main__":
    unwind_on_sigterm()
    main()
