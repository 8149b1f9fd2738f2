"""The generated README documents what ships: the containers' services, the workflow's steps."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.shipping import EVERY, WORKFLOW, Answers, run_steps


def readme_section(readme: str, heading: str) -> str | None:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    return match.group(1) if match else None


@pytest.mark.parametrize("answers", EVERY)
def test_readme_documents_what_ships(rendered: Callable[..., Path], answers: Answers) -> None:
    project = rendered(**answers)
    readme = (project / "README.md").read_text()
    containers = readme_section(readme, "Run in containers")
    ci = readme_section(readme, "Continuous integration")

    assert ".pre-commit-config.yaml" in readme
    assert "pre-commit install" in readme

    if answers["with_docker"]:
        assert containers is not None
        assert "docker compose up" in containers
        services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
        for service in services:
            assert f"`{service}`" in containers, service
    else:
        assert containers is None
        assert "docker" not in readme.lower()

    if answers["ci"] == "github":
        assert ci is not None
        assert str(WORKFLOW) in ci
        # The commands the README lists are the workflow's steps, in the same order.
        block = re.search(r"```sh\n(.*?)```", ci, re.S)
        assert block is not None
        listed = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
        workflow = yaml.safe_load((project / WORKFLOW).read_text())
        assert listed == run_steps(workflow)
        versions = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
        assert ", ".join(versions) in ci
    else:
        assert ci is None
        assert ".github" not in readme


@pytest.mark.parametrize("answers", EVERY)
def test_scaling_out_matches_the_settings_and_compose(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    project = rendered(**answers)
    readme = (project / "README.md").read_text()
    scaling = readme_section(readme, "Scaling out")
    if answers["database"] != "postgresql":
        assert scaling is None
        return
    assert scaling is not None
    settings = next(project.glob("src/*/core/settings.py")).read_text()
    # Every setting the section names is one the service reads (or uvicorn's own).
    named = set(re.findall(r"`((?:DATABASE|WEB)_[A-Z_]+)=?", scaling))
    assert {"DATABASE_PGBOUNCER", "DATABASE_MIGRATION_URL", "WEB_CONCURRENCY"} <= named
    for name in named - {"WEB_CONCURRENCY"}:
        assert f"    {name.lower()}:" in settings, name

    if answers["with_docker"]:
        services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
        app, bouncer = services["app"]["environment"], services["pgbouncer"]["environment"]
        for key in ("WEB_CONCURRENCY", "DATABASE_POOL_SIZE"):
            assert f"`{key}={app[key]}`" in scaling, key
        for key in ("POOL_MODE", "DEFAULT_POOL_SIZE", "MAX_CLIENT_CONN"):
            assert f"`{key}={bouncer[key]}`" in scaling, key
        # The budget arithmetic is that of the compose file.
        clients = int(app["WEB_CONCURRENCY"]) * int(app["DATABASE_POOL_SIZE"])
        budget = f"1 x {app['WEB_CONCURRENCY']} x ({app['DATABASE_POOL_SIZE']} + 0) = {clients}"
        assert budget in scaling
        assert f"at most {bouncer['DEFAULT_POOL_SIZE']} server connections" in scaling
