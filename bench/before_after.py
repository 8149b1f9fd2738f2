"""`uv run python -m bench.before_after REF`: the service as the template rendered it at REF,
beside the service this checkout renders, on one machine in one run.

Requests per second move from machine to machine, and between runs on a shared one, so two
full runs on different days cannot show what a change gained. Here both services run side
by side as the generated README serves them in production, each on a database of its own
seeded alike, interleaved round by round as in the full run (`bench/run.py`), and the table
gives each scenario's median requests per second after over before.
"""

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import lineup, machine, prepare, report, wrk
from bench.config import MAX_OVERFLOW, POOL_SIZE, WRK_THREADS, WRK_TIMEOUT_S
from bench.prepare import Variant
from bench.report import Measurement, Row
from bench.run import (
    REPO,
    RESULTS,
    Options,
    Runner,
    add_load_arguments,
    load_options,
    unwind_on_sigterm,
)
from bench.scenarios import NORMAL
from support.postgres import PostgresServer
from support.serve import Server

DATABASES = ("sqlite", "postgresql")
BEFORE, AFTER = "before", "after"


@dataclass(frozen=True)
class Comparison:
    database: str
    scenario: str
    connections: int
    before: Row
    after: Row

    @property
    def after_over_before(self) -> float | None:
        return self.after.rps / self.before.rps if self.before.rps else None


def commit_of(ref: str) -> str:
    """The commit `ref` names in this repository; exits with a message if it names none."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        raise SystemExit(
            f"{ref!r} is not a commit of this repository: give a commit hash, a branch or a"
            " tag (CHANGELOG.md names each release's commit)."
        )
    return found.stdout.strip()


def parse(argv: Sequence[str] | None = None) -> tuple[str, list[str], Options]:
    parser = argparse.ArgumentParser(prog="python -m bench.before_after", description=__doc__)
    parser.add_argument("ref", help="the commit to compare with, e.g. a release's")
    parser.add_argument(
        "--database", choices=[*DATABASES, "both"], default="both", help="default: both"
    )
    add_load_arguments(parser)
    args = parser.parse_args(argv)
    databases = list(DATABASES) if args.database == "both" else [args.database]
    options = load_options(
        parser, args, sqlite="sqlite" in databases, keep=False, update_readme=False
    )
    return commit_of(args.ref), databases, options


def variants(root: Path, database: str, ref: str, server: PostgresServer) -> dict[str, Variant]:
    if database == "sqlite":
        return {
            BEFORE: prepare.sqlite_variant(root, ref, name=f"sqlite_{BEFORE}"),
            AFTER: prepare.sqlite_variant(root, name=f"sqlite_{AFTER}"),
        }
    return {
        BEFORE: prepare.postgres_variant(root, server, ref, name=f"postgresql_{BEFORE}"),
        AFTER: prepare.postgres_variant(root, server, name=f"postgresql_{AFTER}"),
    }


def drained(server: Server, timeout: float = 120) -> None:
    """Wait until `server` has served the requests that the last wrk run left behind.

    A server goes on serving a request whose client has gone, and a service many times
    slower than the other can take seconds to clear what wrk left queued, on the CPU that
    the next run measures. The readiness probe waits for a pooled connection behind those
    requests (the pool serves its waiters in order), so it answers 200 once they are done;
    until then it may answer 503, when its own time runs out.
    """
    deadline = time.monotonic() + timeout
    with server.client(timeout=timeout) as client:
        while client.get("/health/ready").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} was still busy after {timeout:g} s")
            time.sleep(0.1)


def compare(
    options: Options, wrk_path: str, database: str, services: dict[str, Variant]
) -> list[Measurement]:
    """Both services served at once, as in production, and driven in turns, each run
    starting once both are idle."""
    with ExitStack() as stack:
        apps = {}
        for name, variant in services.items():
            env = lineup.app_environment(variant, variant.database_url)
            app = lineup.App(name, lineup.SERVICE.target, lineup.SERVICE.options)
            apps[name] = stack.enter_context(lineup.serve(app, variant, env))

        def settle() -> None:
            for server in apps.values():
                drained(server)

        runner = Runner(options, wrk_path, settle=settle)
        runner.compare(database, NORMAL, apps)
        return runner.measurements


def comparisons(table: list[Row]) -> list[Comparison]:
    after = {(r.database, r.scenario, r.connections): r for r in table if r.app == AFTER}
    return [
        Comparison(
            r.database, r.scenario, r.connections, r, after[r.database, r.scenario, r.connections]
        )
        for r in table
        if r.app == BEFORE
    ]


def markdown(ref: str, found: list[Comparison], about: dict[str, object], options: Options) -> str:
    lines = [
        f"Measured {about['date']} on {about['cpu']}, {about['cores']} cores. before: the"
        f" template at {ref[:12]}; after: this checkout. Medians of {options.rounds} round(s)"
        f" of {options.duration:g} s, the two services interleaved, each run once both were"
        f" idle; each with pool_size={POOL_SIZE}, max_overflow={MAX_OVERFLOW}; wrk"
        f" -t{WRK_THREADS} --timeout {WRK_TIMEOUT_S}s.",
        "",
        "| db | scenario | conns | before RPS | after RPS | after/before | before p99 ms"
        " | after p99 ms | errors before | errors after |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for c in found:
        ratio = "" if c.after_over_before is None else f"{c.after_over_before:.2f}"
        lines.append(
            f"| {c.database} | {c.scenario} | {c.connections} | {c.before.rps:,.0f}"
            f" | {c.after.rps:,.0f} | {ratio} | {c.before.p99_ms:,.1f} | {c.after.p99_ms:,.1f}"
            f" | {c.before.errors} | {c.after.errors} |"
        )
    return "\n".join(lines) + "\n"


def run(ref: str, databases: list[str], options: Options) -> None:
    wrk_path = wrk.ensure_installed()
    server = PostgresServer.at()
    root = Path(tempfile.mkdtemp(prefix="bench-before-after-"))
    try:
        measurements: list[Measurement] = []
        pythons = []
        for database in databases:
            print(f"{database}: rendering {ref[:12]} and this checkout in {root} ...", flush=True)
            services = variants(root, database, ref, server)
            pythons.append(services[AFTER].python)
            measurements += compare(options, wrk_path, database, services)
        found = comparisons(report.rows(measurements, {}))
        about = machine.describe(server, pythons[-1], wrk_path)
        text = markdown(ref, found, about, options)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "before_after.md").write_text(text)
        data = {
            "ref": ref,
            "machine": about,
            "comparisons": [{**asdict(c), "after_over_before": c.after_over_before} for c in found],
        }
        (RESULTS / "before_after.json").write_text(json.dumps(data, indent=2) + "\n")
        print()
        print(text)
        print(f"Written: {RESULTS / 'before_after.md'} and before_after.json")
    finally:
        server.drop_all()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    unwind_on_sigterm()
    run(*parse())
