"""Drive an app with wrk and read the JSON line that the scenario's done() prints."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config import WRK_THREADS, WRK_TIMEOUT_S

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
    if found := shutil.which("wrk"):
        return found
    print("wrk is missing: installing it with apt-get", flush=True)
    install = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        # A fresh machine has no package lists yet.
        subprocess.run(["apt-get", "update"], capture_output=True, check=True)
        subprocess.run(install, capture_output=True, check=True)
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("apt-get installed wrk, but it is not on PATH")
    return found


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
