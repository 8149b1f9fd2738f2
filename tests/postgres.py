"""A real PostgreSQL server for the template's tests; never a mock."""

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import psycopg
from psycopg import sql

ADMIN_URL = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

UNREACHABLE = """\
PostgreSQL is not reachable at {url}: {error}
Start a server, or set POSTGRES_URL to an admin URL of one
(e.g. postgresql://postgres@127.0.0.1:5432/postgres).
To run without the PostgreSQL cases on purpose, deselect them: pytest -m "not postgres"."""


@dataclass
class PostgresServer:
    """Creates uniquely named databases for one test run, and drops them all afterwards."""

    admin_url: str
    prefix: str

    @classmethod
    def connect(cls, admin_url: str = ADMIN_URL) -> "PostgresServer":
        with psycopg.connect(admin_url, connect_timeout=5):
            pass
        return cls(admin_url, prefix=f"tpl_{uuid4().hex[:8]}")

    def _execute(self, statement: sql.Composable) -> list[tuple[object, ...]]:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def service_url(self, database: str) -> str:
        """The URL a generated service uses for `database` (asyncpg driver)."""
        parts = urlsplit(self.admin_url)._replace(scheme="postgresql+asyncpg", path=f"/{database}")
        return urlunsplit(parts)

    def create_database(self, suffix: str) -> str:
        name = f"{self.prefix}_{suffix}"
        self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def databases(self) -> list[str]:
        rows = self._execute(
            sql.SQL("SELECT datname FROM pg_database WHERE datname LIKE {}").format(
                sql.Literal(f"{self.prefix}\\_%")
            )
        )
        return [str(row[0]) for row in rows]

    def drop_all(self) -> None:
        for name in self.databases():
            self._execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
