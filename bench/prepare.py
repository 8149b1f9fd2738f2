"""Render a variant of the template, install it, and give it a migrated, seeded database."""

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bench.config import AUTHORS, POSTS
from support.postgres import PostgresServer
from support.project import Project
from support.render import render

# What the kit's own apps need in the rendered project's virtual environment, beyond the
# service's dependencies: the limit app's JSON encoder and the sync service's driver.
BENCH_PACKAGES = ["aiohttp", "orjson", "psycopg[binary]"]

SEED_AUTHORS = f"""
    INSERT INTO authors (name, email)
    SELECT 'Author ' || i, 'author' || i || '@example.com' FROM generate_series(1, {AUTHORS}) AS i
"""
# Posts of a realistic size (~0.5 kB), spread evenly over the authors.
SEED_POSTS = f"""
    INSERT INTO posts (title, body, author_id)
    SELECT 'Post ' || i, repeat('Lorem ipsum dolor sit amet. ', 20), 1 + (i - 1) % {AUTHORS}
    FROM generate_series(1, {POSTS}) AS i
"""
# SQLite has neither generate_series nor repeat(): count with a recursive CTE, and repeat
# the text by replacing each of 20 characters that printf repeats.
SQLITE_SEED = f"""
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {POSTS})
    INSERT INTO authors (name, email)
    SELECT 'Author ' || i, 'author' || i || '@example.com' FROM n WHERE i <= {AUTHORS};
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {POSTS})
    INSERT INTO posts (title, body, author_id)
    SELECT 'Post ' || i, replace(printf('%.20c', '_'), '_', 'Lorem ipsum dolor sit amet. '),
           1 + (i - 1) % {AUTHORS}
    FROM n;
"""


@dataclass
class Variant:
    project: Project
    database_url: str

    @property
    def python(self) -> Path:
        return self.project.path / ".venv" / "bin" / "python"


def install(destination: Path, database: str, vcs_ref: str = "HEAD") -> Project:
    """Render the template (at `vcs_ref`) with `database`, `uv sync` it, add the bench-only
    packages.

    The PostgreSQL variant has the shipped HTTP client too, for the upstream scenarios.
    """
    project = Project.at(
        render(
            destination,
            vcs_ref=vcs_ref,
            database=database,
            with_http_client=database == "postgresql",
        )
    )
    project.run("uv", "sync")
    python = str(project.path / ".venv" / "bin" / "python")
    project.run("uv", "pip", "install", "--python", python, *BENCH_PACKAGES)
    return project


def migrate(project: Project, database_url: str) -> None:
    project.uv_run("alembic", "upgrade", "head", env={"DATABASE_URL": database_url})


def postgres_variant(
    root: Path, server: PostgresServer, vcs_ref: str = "HEAD", name: str = "postgresql"
) -> Variant:
    """The PostgreSQL variant in `root / name`, on a database of its own."""
    project = install(root / name, "postgresql", vcs_ref)
    database = server.create_database(f"bench_{name}")
    url = server.service_url(database)
    migrate(project, url)
    with server.connect(database) as connection:
        connection.execute(SEED_AUTHORS)
        connection.execute(SEED_POSTS)
        connection.execute("ANALYZE")
    return Variant(project, url)


def sqlite_variant(root: Path, vcs_ref: str = "HEAD", name: str = "sqlite") -> Variant:
    """The SQLite variant in `root / name`, its database file inside the project."""
    project = install(root / name, "sqlite", vcs_ref)
    path = project.path / "bench.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(project, url)
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(SQLITE_SEED)
    return Variant(project, url)
