"""The round-trip counter (support/pg_proxy.py), against a real PostgreSQL through real drivers.

The counts are exact on purpose: a proxy that miscounts by one makes every count built on it
(tests/test_round_trips.py, the benchmarks) wrong by one per request.
"""

import asyncio
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

import asyncpg
import psycopg
import pytest

from support.pg_proxy import RoundTripProxy, ServerStream
from support.postgres import PostgresServer
from support.urls import LIBPQ_NO_TLS

SSL_REQUEST = struct.pack("!II", 8, 80877103)


def message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + struct.pack("!I", 4 + len(body)) + body


def through(proxy: RoundTripProxy, postgres: PostgresServer) -> str:
    """The admin URL, via the proxy, without encryption (the proxy must read the stream)."""
    return proxy.url(postgres.admin_url, LIBPQ_NO_TLS)


@pytest.fixture
def proxy(postgres: PostgresServer) -> Iterator[RoundTripProxy]:
    with RoundTripProxy(postgres.address) as proxy:
        yield proxy


# The stream parser, fed the pieces TCP might deliver.

STARTUP = message(b"R", struct.pack("!I", 0)) + message(b"S", b"a\0b\0") + message(b"Z", b"I")
QUERY = message(b"T", b"x" * 30) + message(b"D", b"y" * 20) + message(b"C", b"SELECT 1\0")
ANSWER = QUERY + message(b"Z", b"I")


@pytest.mark.parametrize("piece", [1, 2, 3, 5, 7, 64, 10_000])
def test_parser_counts_the_same_however_the_stream_is_cut(piece: int) -> None:
    stream = b"N" + STARTUP + ANSWER * 3
    server = ServerStream()
    for start in range(0, len(stream), piece):
        server.feed(stream[start : start + piece])
    assert server.round_trips == 3
    assert not server.unreadable


def test_parser_skips_the_refusals_of_ssl_and_gssapi_encryption() -> None:
    server = ServerStream()
    server.feed(b"N")
    server.feed(b"N" + STARTUP + ANSWER)
    assert server.round_trips == 1


def test_parser_skips_bodies_without_reading_them() -> None:
    # A DataRow whose body holds a 'Z' header must not count as a ReadyForQuery.
    server = ServerStream()
    server.feed(STARTUP + message(b"D", message(b"Z", b"I") * 1000) + message(b"Z", b"I"))
    assert server.round_trips == 1


@pytest.mark.parametrize("answer", [b"S", b"G", b"\x16\x03\x03"])
def test_parser_gives_up_on_encrypted_streams(answer: bytes) -> None:
    server = ServerStream()
    server.feed(answer + ANSWER * 2)
    assert server.unreadable
    assert server.round_trips == 0


# The proxy, between real clients and a stand-in upstream.


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


class TlsWilling(socketserver.BaseRequestHandler):
    """Accepts an SSLRequest as a server with TLS would, then sends what TLS looks like."""

    def handle(self) -> None:
        assert self.request.recv(8) == SSL_REQUEST
        self.request.sendall(b"S")
        self.request.recv(4096)
        self.request.sendall(b"\x16\x03\x03" + ANSWER * 2)


@contextmanager
def stand_in(handler: type[socketserver.BaseRequestHandler]) -> Iterator[tuple[str, int]]:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield "127.0.0.1", server.server_address[1]
        finally:
            server.shutdown()


def receive_all(sock: socket.socket) -> bytes:
    received = b""
    while data := sock.recv(65536):
        received += data
    return received


def test_proxy_forwards_bytes_unchanged_both_ways() -> None:
    sent = bytes(range(256)) * 4000
    with stand_in(Echo) as address, RoundTripProxy(address) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port)) as sock:

            def send() -> None:
                sock.sendall(sent)
                sock.shutdown(socket.SHUT_WR)

            sender = threading.Thread(target=send)
            sender.start()
            received = receive_all(sock)
            sender.join()
        assert received == sent
        assert proxy.connections() == 1


def test_proxy_counts_encrypted_connections_apart() -> None:
    with stand_in(TlsWilling) as address, RoundTripProxy(address) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
            sock.sendall(SSL_REQUEST)
            assert sock.recv(1) == b"S"
            sock.sendall(b"\x16\x03\x01 a ClientHello")
            sock.shutdown(socket.SHUT_WR)
            receive_all(sock)
        assert proxy.tls_connections() == 1
        assert proxy.round_trips() == 0


def test_a_paused_proxy_holds_every_byte_and_socket_until_resumed() -> None:
    with stand_in(Echo) as address, RoundTripProxy(address) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port)) as before:
            before.sendall(b"warm")
            assert before.recv(4) == b"warm"
            proxy.pause()
            before.sendall(b"held")
            # Opened while paused: accepted, and as silent as the one opened before.
            during = socket.create_connection(("127.0.0.1", proxy.port))
            with during:
                during.sendall(b"late")
                for sock in (before, during):
                    sock.settimeout(0.5)
                    with pytest.raises(TimeoutError):
                        sock.recv(4)
                proxy.resume()
                for sock, sent in ((before, b"held"), (during, b"late")):
                    sock.settimeout(5)
                    assert sock.recv(4) == sent
        assert proxy.connections() == 2


def test_proxy_closes_its_port_on_exit() -> None:
    with stand_in(Echo) as address:
        with RoundTripProxy(address) as proxy:
            port = proxy.port
            # A connection still open when the proxy stops is closed by it.
            lingering = socket.create_connection(("127.0.0.1", port))
        with lingering:
            lingering.settimeout(5)
            # Closed if it was accepted, reset if it still waited in the listen queue;
            # either way not left hanging (a timeout here fails the test).
            with suppress(ConnectionResetError):
                assert lingering.recv(1) == b""
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


# Through real drivers to PostgreSQL.


@pytest.mark.postgres
def test_psycopg_autocommit_costs_one_round_trip_a_query(
    proxy: RoundTripProxy, postgres: PostgresServer
) -> None:
    with psycopg.connect(through(proxy, postgres), autocommit=True) as connection:
        # The startup's ReadyForQuery is not a round trip of the client's.
        assert proxy.round_trips() == 0
        for _ in range(3):
            assert connection.execute("SELECT 1").fetchone() == (1,)
        assert proxy.round_trips() == 3
    # psycopg sends each query as Parse/Bind/Describe/Execute/Sync: no Flush, no extra wait
    # (below its prepare_threshold of 5 executions, nothing is prepared).
    assert proxy.flushes() == 0
    assert proxy.connections() == 1


@pytest.mark.postgres
def test_psycopg_transaction_costs_begin_query_and_commit(
    proxy: RoundTripProxy, postgres: PostgresServer
) -> None:
    with psycopg.connect(through(proxy, postgres)) as connection:
        connection.execute("SELECT 1").fetchone()
        assert proxy.round_trips() == 2  # psycopg sends BEGIN on its own first, then SELECT
        connection.commit()
        assert proxy.round_trips() == 3  # COMMIT


@pytest.mark.postgres
def test_a_large_result_split_across_reads_is_still_one_round_trip(
    proxy: RoundTripProxy, postgres: PostgresServer
) -> None:
    with psycopg.connect(through(proxy, postgres), autocommit=True) as connection:
        rows = connection.execute("SELECT repeat('Z', 100) FROM generate_series(1, 50000)")
        assert len(rows.fetchall()) == 50_000
        # An error still ends in one ReadyForQuery.
        with pytest.raises(psycopg.errors.DivisionByZero):
            connection.execute("SELECT 1/0")
    assert proxy.round_trips() == 2


@pytest.mark.postgres
def test_asyncpg_prepares_a_statement_once_per_connection(
    proxy: RoundTripProxy, postgres: PostgresServer
) -> None:
    parts = urlsplit(postgres.admin_url)
    counts: list[tuple[int, int]] = []

    def note() -> None:
        counts.append((proxy.round_trips(), proxy.flushes()))

    async def fetch() -> None:
        connection = await asyncpg.connect(
            host="127.0.0.1",
            port=proxy.port,
            user=parts.username,
            database=parts.path.lstrip("/"),
            ssl=False,
        )
        try:
            note()
            for value in range(3):
                assert await connection.fetchval("SELECT $1::int", value) == value
                note()
            statement = await connection.prepare("SELECT $1::int + 1")
            note()
            assert await statement.fetchval(1) == 2
            note()
        finally:
            await connection.close()

    asyncio.run(fetch())
    # (ReadyForQuery, Flush) after connecting, each fetch, the prepare and its execution.
    # The first fetch prepares (Parse/Describe/Flush, no ReadyForQuery) and then executes
    # (Bind/Execute/Sync): two waits. Later fetches hit asyncpg's statement cache: one each.
    # An explicit prepare is the Flush round trip alone.
    assert counts == [(0, 0), (1, 1), (2, 1), (3, 1), (3, 2), (4, 2)]
    assert proxy.connections() == 1


@pytest.mark.postgres
def test_every_connection_is_counted(proxy: RoundTripProxy, postgres: PostgresServer) -> None:
    url = through(proxy, postgres)
    for _ in range(3):
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("SELECT 1")
    assert proxy.connections() == 3
    assert proxy.round_trips() == 3
    assert proxy.tls_connections() == 0


@pytest.mark.postgres
def test_a_client_that_asks_for_tls_is_counted_as_it_should(
    proxy: RoundTripProxy, postgres: PostgresServer
) -> None:
    # libpq's default sslmode=prefer sends an SSLRequest first. A server without TLS
    # answers 'N', which the proxy skips; one with TLS answers 'S', and the connection
    # cannot be read.
    with psycopg.connect(postgres.admin_url, autocommit=True) as probe:
        server_has_tls = probe.execute("SHOW ssl").fetchone() == ("on",)
    url = through(proxy, postgres).replace("sslmode=disable", "sslmode=prefer")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT 1")
    if server_has_tls:
        assert (proxy.tls_connections(), proxy.round_trips()) == (1, 0)
    else:
        assert (proxy.tls_connections(), proxy.round_trips()) == (0, 1)
