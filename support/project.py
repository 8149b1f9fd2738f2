"""A rendered project, worked in as a user would: run its tools, serve it."""

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from support.environment import tool_environment
from support.serve import Server, uvicorn


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

    def sync(self) -> str:
        """`uv sync` on the lowest Python the service claims to support."""
        return self.run("uv", "sync", "--python", str(self.answers["python_version"]))

    def start(
        self, *uvicorn_args: str, env: Mapping[str, str] | None = None, timeout: float = 60
    ) -> AbstractContextManager[Server]:
        """Start the service with uvicorn, as its README says; stop it on leaving."""
        return uvicorn(
            "uvicorn",
            ["uv", "run", "--no-sync", "uvicorn"],
            f"{self.package}.main:app",
            cwd=self.path,
            env={**self.env, **(env or {})},
            options=uvicorn_args,
            timeout=timeout,
        )

    @contextmanager
    def serve(self, timeout: float = 60) -> Iterator[httpx.Client]:
        """Start the service; yield a client for it."""
        with self.start(timeout=timeout) as server, server.client() as client:
            yield client
