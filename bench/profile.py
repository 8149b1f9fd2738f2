"""Where a request's CPU goes: py-spy samples the service while wrk drives one scenario.

`uv run python -m bench.profile [--scenario get_post] [--connections 64] [--seconds 10]`
renders, installs and seeds the PostgreSQL variant as the benchmark does, serves the
service as its README does (access log on), warms it up, then samples it with py-spy
(from PyPI, installed into the rendered project) for as long as wrk drives it. It prints
where the samples fell: by package, then by frame, of the frame that was running. (Only the
running frame is counted: SQLAlchemy runs its part of a request in greenlets, whose stacks
py-spy cannot join to the request's, so what a step costs "with everything it calls"
would leave out the database work.)
"""

import argparse
import re
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import lineup, prepare, wrk
from bench.scenarios import NORMAL
from support.postgres import PostgresServer

SAMPLES_PER_SECOND = 200
# "frame (/…/site-packages/sqlalchemy/orm/session.py:3934)" -> "frame (sqlalchemy/orm/session.py)"
LOCATION = re.compile(r" \((?:.*/(?:site-packages|lib/python3\.\d+|src)/)?([^:]*)(?::\d+)?\)$")


@dataclass(frozen=True)
class Profile:
    samples: int
    running: Counter[str]

    def share(self, n: int) -> str:
        return f"{100 * n / self.samples:5.1f} %"

    def packages(self, top: int) -> list[str]:
        by_package: Counter[str] = Counter()
        for frame, n in self.running.items():
            location = frame.rpartition(" (")[2].rstrip(")")
            by_package[location.split("/")[0].removesuffix(".py")] += n
        rows = [f"| {name} | {self.share(n)} |" for name, n in by_package.most_common(top)]
        return ["| package | samples |", "|---|--:|", *rows]

    def frames(self, top: int) -> list[str]:
        rows = [f"| `{frame}` | {self.share(n)} |" for frame, n in self.running.most_common(top)]
        return ["| frame | samples |", "|---|--:|", *rows]


def frame_name(frame: str) -> str:
    return LOCATION.sub(r" (\1)", frame)


def read_collapsed(lines: Iterable[str]) -> Profile:
    """py-spy's raw output: one line per distinct stack, `frame;frame;… count`."""
    running: Counter[str] = Counter()
    samples = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue  # not a stack: a frame name broken over lines
        samples += int(count)
        running[frame_name(stack.rpartition(";")[2])] += int(count)
    return Profile(samples, running)


def record(py_spy: Path, pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    command = [
        str(py_spy),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        str(SAMPLES_PER_SECOND),
        "--format",
        "raw",
        "--nonblocking",
        "--output",
        str(output),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def profile(scenario_name: str, connections: int, seconds: float, top: int) -> str:
    scenario = next(s for s in NORMAL if s.name == scenario_name)
    wrk_path = wrk.ensure_installed()
    server = PostgresServer.at()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as directory:
        root = Path(directory)
        try:
            variant = prepare.postgres_variant(root, server)
            variant.project.run("uv", "pip", "install", "--python", str(variant.python), "py-spy")
            py_spy = variant.python.parent / "py-spy"
            env = lineup.app_environment(variant, variant.database_url)
            with lineup.serve(lineup.SERVICE, variant, env) as service:
                wrk.run(wrk_path, service.url, scenario.name, connections, 3)
                spy = record(py_spy, service.process.pid, seconds, root / "profile.txt")
                result = wrk.run(wrk_path, service.url, scenario.name, connections, seconds + 1)
                _, errors = spy.communicate(timeout=seconds + 60)
                if spy.returncode != 0:
                    raise RuntimeError(f"py-spy exited {spy.returncode}: {errors.decode()}")
            found = read_collapsed((root / "profile.txt").read_text().splitlines())
        finally:
            server.drop_all()
    return "\n".join(
        [
            f"{scenario.name}, {connections} connections: {result.rps:,.0f} requests/s while"
            f" sampled, {found.samples:,} samples of the service's CPU"
            f" ({SAMPLES_PER_SECOND}/s over {seconds:g} s).",
            "",
            "Where the CPU is spent, by package (the running frame's):",
            "",
            *found.packages(top),
            "",
            "Running frames:",
            "",
            *found.frames(top),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    names = [s.name for s in NORMAL]
    parser.add_argument("--scenario", choices=names, default="get_post")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10, help="seconds sampled")
    parser.add_argument("--top", type=int, default=25, help="frames listed per table")
    args = parser.parse_args(argv)
    if args.connections < 1 or args.seconds < 1 or args.top < 1:
        parser.error("--connections, --seconds and --top must be at least 1")
    print(profile(args.scenario, args.connections, args.seconds, args.top))


if __name__ == "__main__":
    main()
