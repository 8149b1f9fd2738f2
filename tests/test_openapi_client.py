"""A client generated from the service's OpenAPI schema works, errors included."""

import importlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.project import Project
from support.serve import Server


@pytest.fixture(scope="module")
def service(rendered: Callable[..., Path]) -> Iterator[Server]:
    project = Project.at(rendered(with_example_api=True))
    project.sync()
    project.uv_run("alembic", "upgrade", "head")
    with project.start() as server:
        yield server


@pytest.fixture
def client_package(service: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The package openapi-python-client makes from the served schema, as a user runs it."""
    config = tmp_path / "config.yml"
    config.write_text("package_name_override: blog_client\n")
    subprocess.run(
        [
            "openapi-python-client",
            "generate",
            "--url",
            f"{service.url}/openapi.json",
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(tmp_path / "blog_client"),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
        timeout=300,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module("blog_client")


def test_the_example_api_through_a_generated_client(service: Server, client_package: Any) -> None:
    from blog_client.api.authors import authors_create_author, authors_get_author
    from blog_client.api.posts import posts_create_post, posts_delete_post, posts_get_post
    from blog_client.models import (
        AuthorCreate,
        AuthorRead,
        ConflictProblem,
        PostCreate,
        PostRead,
        Problem,
    )

    # Unknown statuses raise instead of passing unnoticed: every status seen must be documented.
    client = client_package.Client(base_url=service.url, raise_on_unexpected_status=True)
    with client:
        author = authors_create_author.sync(
            client=client, body=AuthorCreate(name="Ada", email="ada@example.com")
        )
        assert isinstance(author, AuthorRead)
        assert authors_get_author.sync(author.id, client=client) == author

        duplicate = authors_create_author.sync_detailed(
            client=client, body=AuthorCreate(name="Ada again", email="ada@example.com")
        )
        assert duplicate.status_code == 409
        assert isinstance(duplicate.parsed, ConflictProblem)
        assert duplicate.parsed.fields == ["email"]

        post = posts_create_post.sync(
            client=client, body=PostCreate(title="Hello", body="Text", author_id=author.id)
        )
        assert isinstance(post, PostRead)
        assert post.author == author
        assert posts_delete_post.sync_detailed(post.id, client=client).status_code == 204

        missing = posts_get_post.sync_detailed(post.id, client=client)
        assert missing.status_code == 404
        assert isinstance(missing.parsed, Problem)
        assert missing.parsed.detail == f"Post {post.id} not found"
        assert missing.parsed.status == 404
