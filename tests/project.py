"""Render the template and work in the rendered project as a user would."""

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import httpx
import yaml

TEMPLATE = Path(__file__).resolve().parents[1]


def render(destination: Path, **data: Any) -> Path:
    # vcs_ref="HEAD" renders the working tree under test (uncommitted changes included);
    # without it Copier would render the latest release tag instead.
    copier.run_copy(
        str(TEMPLATE), destination, data=data, defaults=True, vcs_ref="HEAD", quiet=True
    )
    return destination


def tool_environment() -> dict[str, str]:
    """The environment for uv and the rendered project's tools."""
    # A rendered project's databases are the ones a test gives it (in its `.env` or in
    # Project.env), never those of the shell the tests run in: a TEST_DATABASE_URL there
    # would send every generated test suite to one database, which each one recreates.
    inherited = {"VIRTUAL_ENV", "DATABASE_URL", "TEST_DATABASE_URL"}
    env = {key: value for key, value in os.environ.items() if key not in inherited}
    # uv may not download interpreters here: fail fast instead of hanging on the network.
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    # pyenv's shims only answer for the versions it has selected (and a pyenv-installed uv
    # runs with PYENV_VERSION set to one), so add every installed CPython 3.11+ for uv to
    # find: a rendered project may require 3.12 or 3.13. The first entry stays the default.
    versions_dir = Path(env.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if versions_dir.is_dir():
        selected = [name for name in env.get("PYENV_VERSION", "").split(":") if name]
        installed = sorted(
            (
                path.name
                for path in versions_dir.iterdir()
                if re.fullmatch(r"3\.1[1-9]\.\d+", path.name)
            ),
            key=lambda name: tuple(int(part) for part in name.split(".")),
        )
        env["PYENV_VERSION"] = ":".join(selected + [v for v in installed if v not in selected])
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Project:
    path: Path
    answers: Mapping[str, Any]
    env: dict[str, str] = field(default_factory=tool_environment)

    @classmethod
    def at(cls, path: Path) -> "Project":
        """The project rendered at `path`, with the answers Copier recorded there."""
        return cls(path, yaml.safe_load((path / ".copier-answers.yml").read_text()))

    @property
    def package(self) -> str:
        return str(self.answers["package_name"])

    def run(self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 900) -> str:
        """Run a command in the project; fail the test with its output if it fails."""
        result = subprocess.run(
            args,
            cwd=self.path,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"`{' '.join(args)}` exited {result.returncode}:\n{output}"
        return output

    def uv_run(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        return self.run("uv", "run", "--no-sync", *args, env=env)

    @contextmanager
    def start(
        self, *uvicorn_args: str, env: Mapping[str, str] | None = None, timeout: float = 60
    ) -> Iterator["Server"]:
        """Start the service with uvicorn, as its README says; stop it on leaving."""
        port = free_port()
        log = self.path / f"uvicorn-{port}.log"
        command = ["uv", "run", "--no-sync", "uvicorn", f"{self.package}.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(port), *uvicorn_args]
        with log.open("w") as output:
            process = subprocess.Popen(
                command,
                cwd=self.path,
                env={**self.env, **(env or {})},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Server(process, f"http://127.0.0.1:{port}", log)
        try:
            server.wait_until_live(timeout)
            yield server
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)

    @contextmanager
    def serve(self, timeout: float = 60) -> Iterator[httpx.Client]:
        """Start the service; yield a client for it."""
        with self.start(timeout=timeout) as server, server.client() as client:
            yield client


@dataclass
class Server:
    process: "subprocess.Popen[bytes]"
    url: str
    log: Path

    def client(self, timeout: float = 10) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def wait_until_live(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while True:
                assert self.process.poll() is None, f"uvicorn exited:\n{self.log.read_text()}"
                try:
                    client.get("/health/live")
                    return
                except httpx.TransportError:
                    assert time.monotonic() < deadline, (
                        f"uvicorn never answered:\n{self.log.read_text()}"
                    )
                    time.sleep(0.2)


# Anything but a pass on pytest's closing line: a skip is not allowed either.
NOT_PASSED = {"failed", "error", "errors", "skipped", "deselected", "xfailed", "xpassed"}


def pytest_summary(output: str) -> dict[str, int]:
    """Counts from pytest's closing line, e.g. {"passed": 26, "skipped": 1}.

    Searched for rather than taken as the last line: stderr (interleaved in `output`) may
    carry messages printed after it.
    """
    closing = re.findall(r"^=*\s*(\d+ \w+.* in [\d.]+s)\b.*$", output, re.MULTILINE)
    assert closing, f"no pytest summary in:\n{output}"
    return {word: int(count) for count, word in re.findall(r"(\d+) (\w+)", closing[-1])}
