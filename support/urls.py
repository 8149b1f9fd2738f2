"""Database URLs: one way to take them apart and put them back together.

Standard library only: the kit's apps (bench/apps) import this module inside a rendered
project's virtual environment, which has none of the template's dev dependencies.
"""

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# What each driver needs in its URL to leave encryption off: a proxy that reads the
# protocol (support.pg_proxy) cannot read an encrypted connection.
ASYNCPG_NO_TLS = "ssl=disable"
LIBPQ_NO_TLS = "sslmode=disable&gssencmode=disable"

Query = list[tuple[str, str]]


def query_pairs(url: str) -> Query:
    """The (key, value) pairs of `url`'s query, in order."""
    return parse_qsl(urlsplit(url).query)


def rewrite(
    url: str,
    *,
    scheme: str | None = None,
    address: tuple[str, int] | None = None,
    database: str | None = None,
    query: Iterable[tuple[str, str]] | None = None,
) -> str:
    """`url` with the parts given replaced; user and password are always kept as they are."""
    parts = urlsplit(url)
    if scheme is not None:
        parts = parts._replace(scheme=scheme)
    if address is not None:
        credentials, at, _ = parts.netloc.rpartition("@")
        host, port = address
        parts = parts._replace(netloc=f"{credentials}{at}{host}:{port}")
    if database is not None:
        parts = parts._replace(path=f"/{database}")
    if query is not None:
        parts = parts._replace(query=urlencode(list(query)))
    return urlunsplit(parts)


def address(url: str) -> tuple[str, int]:
    """(host, port) of a PostgreSQL URL, with libpq's defaults for what it leaves out."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """A `postgresql+asyncpg://` URL of SQLAlchemy's as a DSN that asyncpg itself accepts."""
    # SQLAlchemy's asyncpg dialect takes `ssl=`; asyncpg's DSN spells it `sslmode=`.
    pairs = [
        ("sslmode" if key == "ssl" else key, value) for key, value in query_pairs(sqlalchemy_url)
    ]
    return rewrite(sqlalchemy_url, scheme="postgresql", query=pairs)


def psycopg_url(asyncpg_url: str) -> str:
    """A `postgresql+asyncpg://` URL for SQLAlchemy's psycopg 3 driver instead."""
    pairs = query_pairs(asyncpg_url)
    kept = [(key, value) for key, value in pairs if key != "ssl"]
    # asyncpg's `ssl=` means nothing to libpq: say the same in libpq's words.
    if ("ssl", "disable") in pairs:
        kept += parse_qsl(LIBPQ_NO_TLS)
    return rewrite(asyncpg_url, scheme="postgresql+psycopg", query=kept)
