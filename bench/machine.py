"""What the numbers were measured on, for the header of the results."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from support.postgres import PostgresServer

LIBRARIES = ["fastapi", "starlette", "pydantic", "sqlalchemy", "asyncpg", "psycopg", "uvicorn"]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


def postgres_version(server: PostgresServer) -> str:
    with server.connect() as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def app_python(python: Path) -> dict[str, str]:
    """The Python version and library versions in the rendered project's environment (those
    it has: a SQLite project has no asyncpg)."""
    script = (
        "import sys, importlib.metadata as m\n"
        "print('python', sys.version.split()[0])\n"
        f"for name in {LIBRARIES!r}:\n"
        "    try: print(name, m.version(name))\n"
        "    except m.PackageNotFoundError: pass\n"
    )
    output = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split(" ", 1) for line in output.splitlines())


def wrk_version(wrk: str) -> str:
    output = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return (output.stdout or output.stderr).split(" [", 1)[0].strip()


def describe(server: PostgresServer, python: Path, wrk: str) -> dict[str, object]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "postgresql": postgres_version(server),
        "versions": app_python(python),
        "wrk": wrk_version(wrk),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
