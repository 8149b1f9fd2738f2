"""What the generated test fixtures cost per test, on SQLite and on PostgreSQL.

In a rendered, synced project, three throwaway modules of N tests each are run with the
project's own pytest: tests that use no fixture, tests that use `session` (connection,
BEGIN, a session joined through a SAVEPOINT, ROLLBACK) and run one cheap query, and tests
that use `client` (the app with its lifespan and an HTTP client) and GET /health/live.

Two figures come out:
- wall clock: (median run of a fixture module - median run of the plain one) / N. It is
  what a user waits for, but it also carries the one-off session setup (creating the
  database, migrating it) spread over N tests;
- per test, from pytest's own timing of each test's setup, call and teardown phases
  (median over the tests, minus the plain tests' median): the per-test cost alone. A
  small plugin records the phases, because `--durations` prints them to 10 ms only.

    python -m bench.fixture_overhead [--tests 200] [--repeats 3]
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import copier

from support.postgres import PostgresServer
from support.project import Project
from support.render import render

# Targets for the transactional `session` fixture, per test; reported, not enforced.
TARGET_MS = {"sqlite": 5.0, "postgresql": 10.0}

# What is copied into the rendered project: three test modules that its own pytest runs
# (test_bench_<name>.py, each of BENCH_TESTS tests), and the plugin that times them. They
# are files of their own so that ruff checks them here and mypy in a rendered project.
FILES = Path(__file__).resolve().parent / "fixture_overhead_files"
MODULES = ["plain", "session", "client"]
TIMING_PLUGIN = FILES / "bench_timing.py"


def _per_test_ms(phases: dict[str, dict[str, float]]) -> float:
    """The median over tests of setup + call + teardown, in ms."""
    return statistics.median(sum(test.values()) for test in phases.values()) * 1000


def measure(project: Project, tests: int = 200, repeats: int = 3) -> dict[str, Any]:
    """Time the three modules `repeats` times each in `project`; return the figures."""
    directory = project.path / "tests"
    written = []
    results: dict[str, Any] = {
        "database": project.answers["database"],
        "tests": tests,
        "repeats": repeats,
        "wall_s": {},
        "per_test_ms": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as plugin_dir:
        shutil.copy(TIMING_PLUGIN, plugin_dir)
        phases_file = Path(plugin_dir, "phases.json")
        env = {
            "PYTHONPATH": os.pathsep.join(filter(None, [plugin_dir, os.environ.get("PYTHONPATH")])),
            "BENCH_PHASES_FILE": str(phases_file),
            "BENCH_TESTS": str(tests),
        }
        try:
            for name in MODULES:
                module = directory / f"test_bench_{name}.py"
                shutil.copy(FILES / module.name, module)
                written.append(module)
            for name in MODULES:
                walls, per_test = [], []
                # Modules take turns rather than running back to back, so a slow spell
                # on the machine is spread over all of them.
                for _ in range(repeats):
                    started = time.perf_counter()
                    project.uv_run(
                        "pytest", "-q", "-p", "no:cacheprovider", "-p", "bench_timing",
                        f"tests/test_bench_{name}.py", env=env,
                    )  # fmt: skip
                    walls.append(time.perf_counter() - started)
                    per_test.append(_per_test_ms(json.loads(phases_file.read_text())))
                results["wall_s"][name] = walls
                results["per_test_ms"][name] = per_test
        finally:
            for module in written:
                module.unlink(missing_ok=True)

    median_wall = {name: statistics.median(runs) for name, runs in results["wall_s"].items()}
    median_test = {name: statistics.median(ms) for name, ms in results["per_test_ms"].items()}
    results["median_wall_s"] = median_wall
    results["median_per_test_ms"] = median_test
    results["overhead_ms"] = {
        fixture: {
            "wall_clock": (median_wall[fixture] - median_wall["plain"]) / tests * 1000,
            "per_test": median_test[fixture] - median_test["plain"],
        }
        for fixture in ("session", "client")
    }
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{'database':<11} {'fixture':<8} {'wall/test ms':>12} {'pytest/test ms':>14}"
        f" {'target ms':>9}  runs (s; plain then fixture)",
    ]
    for result in results:
        database = result["database"]
        for fixture, overhead in result["overhead_ms"].items():
            target = f"{TARGET_MS[database]:.0f}" if fixture == "session" else "-"
            runs = " ".join(f"{s:.2f}" for s in result["wall_s"]["plain"])
            runs += " | " + " ".join(f"{s:.2f}" for s in result["wall_s"][fixture])
            lines.append(
                f"{database:<11} {fixture:<8} {overhead['wall_clock']:>12.2f}"
                f" {overhead['per_test']:>14.2f} {target:>9}  {runs}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--json", type=Path, help="also write the full results here")
    arguments = parser.parse_args()
    # Rendering the working tree, uncommitted edits included, is the point here.
    warnings.filterwarnings("ignore", category=copier.errors.DirtyLocalWarning)

    results = []
    postgres = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as workdir:
            for database in arguments.database or ["sqlite", "postgresql"]:
                project = Project.at(render(Path(workdir) / database, database=database))
                project.sync()
                if database == "postgresql":
                    postgres = postgres or PostgresServer.at()
                    name = postgres.create_database("bench")
                    project.env["DATABASE_URL"] = postgres.service_url(name)
                    project.env["TEST_DATABASE_URL"] = postgres.service_url(f"{name}_test")
                print(f"measuring {database} ...", file=sys.stderr, flush=True)
                results.append(measure(project, arguments.tests, arguments.repeats))
    finally:
        if postgres is not None:
            postgres.drop_all()
    print(table(results))
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
