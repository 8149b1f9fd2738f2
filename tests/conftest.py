import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from support.postgres import ADMIN_URL, LEFT_BEHIND, UNREACHABLE, PostgresServer
from support.render import render

# Files the update tests copy into a generated service, where its own pytest runs them.
collect_ignore = ["user_edits/files"]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Send the tests that share a module's fixture to the same pytest-xdist worker.

    A module-scoped fixture (a service rendered, installed and migrated once for all of a
    module's tests) is built again on every worker that runs one of its tests. So each test
    joins the group of the module-scoped fixtures it uses, one group per parameter where such
    a fixture has several (one service per variant); tests that use none go wherever a worker
    is free. The suite runs with `--dist loadgroup` (pyproject.toml).
    """
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        callspec = getattr(item, "callspec", None)
        shared = sorted(
            # The parameter's index tells the fixture's instances apart.
            f"{name}[{callspec.indices[name]}]" if callspec and name in callspec.indices else name
            for name, definitions in item._fixtureinfo.name2fixturedefs.items()
            if definitions[-1].scope == "module"
        )
        if shared:
            module = item.nodeid.partition("::")[0]
            item.add_marker(pytest.mark.xdist_group(f"{module}:{','.join(shared)}"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL server; its absence fails the test, it never skips it.

    Every database of the run is dropped at its end, and any other that appeared meanwhile
    fails the run: tests must name what they create (or have created) with the run's prefix.
    """
    try:
        server = PostgresServer.at()
    except psycopg.OperationalError as error:
        pytest.fail(UNREACHABLE.format(url=ADMIN_URL, error=error), pytrace=False)
    before = server.all_databases()
    yield server
    server.drop_all()
    if left := server.left_behind(before):
        names = "\n".join(f"  {name}" for name in sorted(left))
        pytest.fail(LEFT_BEHIND.format(prefix=server.prefix, names=names), pytrace=False)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """`rendered(**answers)`: a project of the caller's own, rendered with `answers`.

    Each distinct set of answers is rendered once per run; every call gets a fresh copy of
    that pristine render, so a caller may write into it (`.env`, `uv sync`, ...).
    """
    pristine: dict[str, Path] = {}

    def rendered_copy(**answers: Any) -> Path:
        key = repr(sorted(answers.items()))
        if key not in pristine:
            pristine[key] = render(tmp_path_factory.mktemp("pristine"), **answers)
        copy = tmp_path_factory.mktemp("rendered")
        shutil.copytree(pristine[key], copy, dirs_exist_ok=True)
        return copy

    return rendered_copy
