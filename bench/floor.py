"""What one statement costs the client at each layer, against the CPU a target allows.

`uv run python -m bench.floor [--limit-rps N]` renders, installs and seeds the PostgreSQL
variant as the benchmark does, starts the kit's upstream stub, then runs
`bench/floor_probe.py` in the variant's interpreter: CPU per call of asyncpg alone, of
SQLAlchemy's async engine and session around a `SELECT 1`, of the service's post read, and
of a GET through the shipped HTTP client, httpx's own pool and aiohttp; then of a request
handed straight to the app (no server): the limit app's read of a post, and the service's
built up a layer at a time, from routing alone to the read session and a statement through
it. It prints how many times the limit app's CPU the service's read takes, against the
1 / 0.3 that the target allows (the server's share, the same for both apps, is left out of
both, so the ratio under load is a little lower). With `--limit-rps`
(the limit app's get_post figure from a run, say) it also prints the CPU per request that
0.3 times it leaves on one core, which the service's framework (routing, validation, the
response) must share with its database work.
"""

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench import lineup, prepare
from support.postgres import PostgresServer

# The target for get_post: the service at this share of the limit app's throughput.
GET_POST_SHARE = 0.3
# The probe's two reads of a post that the target compares.
LIMIT_READ = "limit app: GET a post, in-process"
SERVICE_READ = "service: GET a post, in-process"


def measure() -> dict[str, float]:
    server = PostgresServer.at()
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as directory:
        try:
            variant = prepare.postgres_variant(Path(directory), server)
            env = lineup.app_environment(variant, variant.database_url)
            with lineup.serve(lineup.UPSTREAM_STUB, variant, env) as upstream:
                output = variant.project.run(
                    str(variant.python),
                    "-m",
                    "bench.floor_probe",
                    env={
                        **env,
                        "PYTHONPATH": str(lineup.REPO),
                        "BENCH_UPSTREAM_URL": upstream.url,
                    },
                )
        finally:
            server.drop_all()
    # The probe prints its figures as one JSON line; anything else is a warning on stderr.
    line = next(line for line in output.splitlines() if line.startswith("{"))
    figures: dict[str, float] = json.loads(line)
    return figures


def report(figures: dict[str, float], limit_rps: float | None) -> str:
    lines = ["| call | client CPU, ms per call |", "|---|--:|"]
    lines += [f"| {step} | {ms:.3f} |" for step, ms in figures.items()]
    lines += [
        "",
        "Statements one at a time on a warm pool; HTTP calls 64 in flight, to the kit's stub;"
        " requests one at a time, straight to the app's ASGI callable.",
    ]
    read, limit_read = figures[SERVICE_READ], figures[LIMIT_READ]
    lines += [
        "",
        f"The service's read of a post takes {read / limit_read:.1f} times the limit app's CPU;"
        f" {GET_POST_SHARE:g} times the limit app's throughput allows {1 / GET_POST_SHARE:.1f}"
        " times.",
    ]
    if limit_rps:
        allowed = 1000 / (GET_POST_SHARE * limit_rps)
        lines += [
            "",
            f"{GET_POST_SHARE:g} times a limit app at {limit_rps:,.0f} requests/s on one core"
            f" leaves {allowed:.3f} ms of CPU per request, for the framework and the database"
            " work.",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--limit-rps", type=float, help="the limit app's get_post requests/s")
    args = parser.parse_args(argv)
    print(report(measure(), args.limit_rps))


if __name__ == "__main__":
    main()
