"""Drive an app with wrk and read the JSON line that the scenario's done() prints."""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config import WRK_THREADS, WRK_TIMEOUT_S
from support import debian

SCRIPTS = Path(__file__).resolve().parent / "wrk"


@dataclass(frozen=True)
class Result:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "duration_s": self.duration_s,
            "rps": self.rps,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "errors": self.errors,
        }


def ensure_installed() -> str:
    """The path of wrk, installing Debian's package first if it is missing."""
    return debian.ensure_installed("wrk", "wrk")


def run(wrk: str, url: str, script: str, connections: int, duration: float) -> Result:
    """One wrk run of `script` (a file in bench/wrk without .lua) against `url`."""
    command = [
        wrk,
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{duration:g}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        "-s",
        f"{script}.lua",
        url,
    ]
    # From the scripts' folder, so that their `require("report")` finds report.lua.
    completed = subprocess.run(
        command, cwd=SCRIPTS, capture_output=True, text=True, check=False, timeout=duration + 120
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(
            f"`{' '.join(command)}` exited {completed.returncode}:\n"
            f"{completed.stdout}{completed.stderr}"
        )
    data = json.loads(lines[-1])
    return Result(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=data["errors"],
    )
