"""The READMEs' commands work as written: each test runs those of a section, line by line, in
a scratch directory, with only the environment a user has (no variable the README does not
ask for), and fails where one does not.

A command that serves (`uv run uvicorn ...`) runs until `/health/live` answers, on a free
port instead of 8000; placeholders such as `/path/to/copier-async-fastapi` are filled in.
Nothing else is changed.
"""

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from support.postgres import PostgresServer
from support.render import TEMPLATE
from support.serve import Server, free_port
from tests.template_repo import GIT_IDENTITY, TemplateRepo, commit_all, git

README = TEMPLATE / "README.md"
PLACEHOLDER_TEMPLATE = "/path/to/copier-async-fastapi"
EXAMPLE_MIGRATION = "migrations/versions/2026_11_22_5f0c1a2b3d4e_create_authors_and_posts.py"


def section(readme: str, heading: str) -> str:
    """The text under `## heading` (a `**heading.**` paragraph: up to the next one)."""
    if heading.startswith("**"):
        match = re.search(rf"^{re.escape(heading)}(.*?)(?=^\*\*|^## |\Z)", readme, re.M | re.S)
    else:
        match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    assert match, f"the README has no section {heading!r}"
    return match.group(1)


def shell_blocks(text: str) -> list[list[str]]:
    """The commands of each ```sh block, one per line."""
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S)
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def user_environment() -> dict[str, str]:
    """What a user's shell has: HOME, a PATH without this checkout's virtual environment (so
    a bare `copier` is not found), a git identity, and the machine's own TLS set-up."""
    venv = Path(sys.prefix) / "bin"
    path = [entry for entry in os.environ["PATH"].split(os.pathsep) if Path(entry) != venv]
    env = {"HOME": os.environ["HOME"], "PATH": os.pathsep.join(path), **GIT_IDENTITY}
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "LANG"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


@dataclass
class Shell:
    """Runs README lines in order, following their `cd`s, as a user's terminal would."""

    cwd: Path
    logs: Path
    env: dict[str, str] = field(default_factory=user_environment)
    placeholders: Mapping[str, str] = field(default_factory=dict)

    def run_all(self, lines: list[str]) -> None:
        for line in lines:
            self.run(line)

    def run(self, line: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        for placeholder, value in self.placeholders.items():
            line = line.replace(placeholder, value)
        words = shlex.split(line, comments=True)
        if words[:1] == ["cd"] and len(words) == 2:
            self.cwd = (self.cwd / words[1]).resolve()
            assert self.cwd.is_dir(), f"`{line}`: no such directory"
            return subprocess.CompletedProcess(words, 0, "", "")
        if "uvicorn" in words:
            self.serve(words)
            return subprocess.CompletedProcess(words, 0, "", "")
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", line],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if check:
            assert result.returncode == 0, (
                f"`{line}` (in {self.cwd}) exited {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def serve(self, words: list[str]) -> None:
        """Start the server as written, on a free port; wait until it is live; stop it."""
        env = dict(self.env)
        while "=" in words[0]:
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        port = free_port()
        log = self.logs / f"uvicorn-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [*words, "--host", "127.0.0.1", "--port", str(port)],
                cwd=self.cwd,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # --reload runs the app in a child: stop them together
            )
        server = Server("uvicorn", f"http://127.0.0.1:{port}", process, log)
        try:
            server.wait_until_live(timeout=120)
        finally:
            server.stop()
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def answers(project: Path) -> dict[str, object]:
    recorded: dict[str, object] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return recorded


def release_a_change(template: TemplateRepo, version: str) -> None:
    template.edit(
        "template/src/{{package_name}}/health.py",
        lambda text: text.replace("Probes for orchestrators", "Health probes"),
    )
    template.release(version)


@pytest.mark.postgres
def test_the_readme_commands_work_as_written(tmp_path: Path, postgres: PostgresServer) -> None:
    readme = README.read_text()
    # A clone of this repository whose newest release is the code under test.
    template = TemplateRepo.with_history(tmp_path / "copier-async-fastapi")
    git(template.path, "tag", "99.0.0")
    logs = tmp_path / "logs"
    logs.mkdir()
    shell = Shell(template.path, logs, placeholders={PLACEHOLDER_TEMPLATE: str(template.path)})

    # Quick start: its first block (the second runs this suite).
    shell.run_all(shell_blocks(section(readme, "Quick start"))[0])
    service = tmp_path / "my-service"
    assert answers(service)["_src_path"] == str(template.path)
    assert (service / "my_service.db").is_file()
    assert git(service, "status", "--porcelain") == ""

    # Options: answers on the command line, the template recorded where update finds it.
    shell.cwd = template.path
    options, repair = shell_blocks(section(readme, "Options"))
    shell.run_all(options)
    acme = tmp_path / "acme-orders"
    assert answers(acme)["database"] == "postgresql"
    assert answers(acme)["_src_path"] == str(template.path)

    # A recorded path that is relative fails to update; the repair makes it work again.
    shell.cwd = service
    recorded = service / ".copier-answers.yml"
    recorded.write_text(re.sub(r"(?m)^_src_path: .*$", "_src_path: .", recorded.read_text()))
    commit_all(service, "A relative template path")
    assert shell.run("uvx copier update --defaults", check=False).returncode != 0
    shell.run_all(repair)
    assert answers(service)["_src_path"] == str(template.path)

    # Updating: to a new release, as the section's block says.
    release_a_change(template, "99.1.0")
    updating = section(readme, "Updating a generated service")
    shell.run_all(shell_blocks(updating)[0])
    assert answers(service)["_commit"] == "99.1.0"
    assert "Health probes" in (service / "src/my_service/health.py").read_text()
    assert git(service, "status", "--porcelain") == ""

    # Dropping the example API: its code goes, its migration stays, Alembic drops its tables.
    shell.run_all(shell_blocks(section(readme, "**Dropping the example API.**"))[0])
    # (What is left of blog/ is the interpreter's git-ignored __pycache__.)
    assert list((service / "src/my_service/blog").rglob("*.py")) == []
    assert (service / EXAMPLE_MIGRATION).is_file()
    shell.run("uv run alembic check")
    commit_all(service, "Without the example API")

    # Outgrowing SQLite: the switch, then the old database file stays ignored.
    shell.run_all(shell_blocks(section(readme, "**Outgrowing SQLite.**"))[0])
    assert answers(service)["database"] == "postgresql"
    commit_all(service, "On PostgreSQL")
    assert "my_service.db" not in git(service, "ls-files").split()
    assert git(service, "status", "--porcelain") == ""

    # The generated README of the PostgreSQL service: run, migrate, test. The database is
    # new on the server (the first migration creates it), the settings come from the
    # environment, which the README allows beside `.env`.
    shell.cwd = acme
    shell.env["DATABASE_URL"] = postgres.service_url(f"{postgres.prefix}_acme")
    shell.env["TEST_DATABASE_URL"] = postgres.service_url(f"{postgres.prefix}_acme_test")
    run_generated_readme(shell, acme)
    assert f"{postgres.prefix}_acme" in postgres.databases()


def run_generated_readme(shell: Shell, project: Path) -> None:
    readme = (project / "README.md").read_text()
    for heading in ("Run", "Migrate", "Test"):
        shell.run_all(shell_blocks(section(readme, heading))[0])
    assert git(project, "log", "--oneline").strip()


def test_the_generated_readme_commands_work_as_written(
    tmp_path: Path, rendered: Callable[..., Path]
) -> None:
    project = rendered()
    logs = tmp_path / "logs"
    logs.mkdir()

    run_generated_readme(Shell(project, logs), project)

    package = answers(project)["package_name"]
    assert (project / f"{package}.db").is_file()
    # Everything but the revision that Migrate made is committed (or ignored, as the
    # database file is).
    made = list((project / "migrations/versions").glob("*_add_tags.py"))
    assert len(made) == 1
    status = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert status == [f"?? {made[0].relative_to(project)}"]
