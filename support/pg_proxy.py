"""A TCP proxy in front of PostgreSQL that counts round trips, whatever the driver.

A round trip is one ReadyForQuery message ('Z') from the server: it ends every simple
Query and every extended-protocol Sync, so it is what a client waits for before it can go
on. The ReadyForQuery that ends each connection's startup is not counted: connecting is
measured by `connections()` instead.

    with RoundTripProxy(("127.0.0.1", 5432)) as proxy:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/db?ssl=disable"
        ...
        proxy.round_trips(), proxy.connections()

The proxy reads the server's messages, so the connection must not be encrypted. Tell the
client not to ask for it:
- asyncpg (and SQLAlchemy's `postgresql+asyncpg://`): `?ssl=disable` in the URL, or
  `ssl=False` to `asyncpg.connect()`;
- psycopg / libpq: `sslmode=disable&gssencmode=disable`.
A client that asks anyway gets it if the server allows it; such a connection is forwarded
but none of its round trips are counted, it shows in `tls_connections()`, and a warning is
logged.

Bytes are forwarded unchanged in both directions. The proxy runs its own asyncio loop in a
background thread, so blocking clients (psycopg) and clients on another loop (asyncpg,
SQLAlchemy) can both use it from the calling thread.

`pause()` makes it a server that stops answering without closing anything, as a network
partition or a frozen machine does: connections stay open and new ones are accepted, but
no byte goes either way. `resume()` forwards again, what was sent meanwhile included.
"""

import asyncio
import logging
import socket
import struct
import threading
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType
from typing import Self
from urllib.parse import parse_qsl

from support import urls

log = logging.getLogger(__name__)

READY_FOR_QUERY = ord("Z")
FLUSH = ord("H")
# The server answers an SSLRequest or GSSENCRequest with one byte and no length:
# 'N' to refuse, after which the plain protocol goes on; 'S' (TLS) or 'G' (GSSAPI) to
# accept, after which everything is encrypted.
ENCRYPTION_REFUSED = ord("N")
ENCRYPTION_ACCEPTED = frozenset({ord("S"), ord("G")})
# What the first real message of a plain connection can be: an authentication request,
# an error (e.g. unknown database), or NegotiateProtocolVersion. Anything else, such as
# the first byte of a TLS record after a direct TLS handshake, cannot be read.
STARTUP_MESSAGES = frozenset({ord("R"), ord("E"), ord("v")})
# Codes of the client's first, untyped messages that are followed by another one.
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
# A StartupMessage is a few parameters; a TLS record read as one would claim ~369 MB.
LONGEST_STARTUP = 10_000

TYPED = struct.Struct("!BI")  # type byte, then a length that counts itself but not the type
UNTYPED = struct.Struct("!II")  # length (counting itself), then a request code or version


def unpack(layout: struct.Struct, header: bytes) -> tuple[int, int]:
    first, second = layout.unpack(header)
    return int(first), int(second)


class MessageStream:
    """Splits one direction of a connection into messages, in whatever pieces TCP delivers.

    Only message boundaries matter here, so bodies are skipped rather than buffered: a large
    result set costs no memory. Subclasses say how long a header is and what it means.
    """

    def __init__(self) -> None:
        self.unreadable = False
        """Encrypted, or not the plain protocol: nothing more is read or counted."""
        self._header = bytearray()
        self._body_left = 0

    def feed(self, data: bytes) -> None:
        position = 0
        while position < len(data) and not self.unreadable:
            if self._body_left:
                skipped = min(self._body_left, len(data) - position)
                self._body_left -= skipped
                position += skipped
                continue
            if not self._header and self._single_byte(data[position]):
                position += 1
                continue
            wanted = self._header_size() - len(self._header)
            piece = data[position : position + wanted]
            self._header += piece
            position += len(piece)
            if len(piece) < wanted:
                break
            self._body_left = self._message(bytes(self._header))
            self._header.clear()

    def _single_byte(self, byte: int) -> bool:
        """Whether `byte`, read where a message would start, is a whole message of its own."""
        return False

    def _header_size(self) -> int:
        return TYPED.size

    def _message(self, header: bytes) -> int:
        """Take note of a message from its header; return the length of its body."""
        raise NotImplementedError


class ServerStream(MessageStream):
    """The server's side: counts ReadyForQuery messages after the one ending the startup."""

    def __init__(self) -> None:
        super().__init__()
        self.round_trips = 0
        self._startup = True
        self._startup_ready = False

    def _single_byte(self, byte: int) -> bool:
        if not self._startup:
            return False
        if byte == ENCRYPTION_REFUSED:
            return True
        if byte in ENCRYPTION_ACCEPTED or byte not in STARTUP_MESSAGES:
            self.unreadable = True
            return True
        self._startup = False
        return False

    def _message(self, header: bytes) -> int:
        kind, length = unpack(TYPED, header)
        if length < 4:
            self.unreadable = True
        elif kind == READY_FOR_QUERY:
            if self._startup_ready:
                self.round_trips += 1
            self._startup_ready = True
        return length - 4


class ClientStream(MessageStream):
    """The client's side: counts Flush messages.

    asyncpg prepares a statement with Parse, Describe and Flush, then waits for the
    description: a round trip that ends in no ReadyForQuery. Counting Flush shows it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0
        self._startup = True

    def _header_size(self) -> int:
        return UNTYPED.size if self._startup else TYPED.size

    def _message(self, header: bytes) -> int:
        if self._startup:
            length, code = unpack(UNTYPED, header)
            if not UNTYPED.size <= length <= LONGEST_STARTUP:
                self.unreadable = True
            # After a StartupMessage come typed messages; after a CancelRequest, nothing.
            self._startup = code in (SSL_REQUEST, GSSENC_REQUEST)
            return length - UNTYPED.size
        kind, length = unpack(TYPED, header)
        if length < 4:
            self.unreadable = True
        elif kind == FLUSH:
            self.flushes += 1
        return length - 4


class RoundTripProxy:
    """Serves 127.0.0.1:`port` while entered, forwarding every connection to `upstream`."""

    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.host = host
        # Counters are written on the proxy's thread and read on the caller's.
        self._lock = threading.Lock()
        self._round_trips = 0
        self._flushes = 0
        self._connections = 0
        self._tls_connections = 0
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._stopping = False
        # Set while bytes flow; cleared by pause(). Created on the proxy's loop.
        self._flowing: asyncio.Event | None = None
        # Each connection's handler, and the client socket it serves: a handler cancelled
        # before it starts never runs its cleanup, so the socket is closed from here too.
        self._handlers: dict[asyncio.Task[None], socket.socket] = {}

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the proxy is not running: use it in a `with` block")
        return self._port

    def url(self, database_url: str, no_tls: str) -> str:
        """`database_url` (user, password, database kept) through the proxy, with `no_tls`
        (urls.ASYNCPG_NO_TLS or urls.LIBPQ_NO_TLS) added to its query."""
        query = [*urls.query_pairs(database_url), *parse_qsl(no_tls)]
        return urls.rewrite(database_url, address=(self.host, self.port), query=query)

    def round_trips(self) -> int:
        """ReadyForQuery messages the server sent, other than the one ending each startup."""
        with self._lock:
            return self._round_trips

    def flushes(self) -> int:
        """Flush messages clients sent: round trips that end in no ReadyForQuery.

        asyncpg prepares each statement it has not cached yet with Parse, Describe and
        Flush, and waits for the answer before it binds and executes: the first run of a
        statement costs `1 + 1` network round trips where `round_trips()` sees one.
        """
        with self._lock:
            return self._flushes

    def connections(self) -> int:
        """Connections opened through the proxy so far (a CancelRequest opens one too)."""
        with self._lock:
            return self._connections

    def tls_connections(self) -> int:
        """Connections that went encrypted (or unreadable): their round trips are missing."""
        with self._lock:
            return self._tls_connections

    def pause(self) -> None:
        """Forward nothing from now on, in either direction, and keep every socket open."""
        self._set_flowing(False)

    def resume(self) -> None:
        """Forward again, starting with whatever waited while paused."""
        self._set_flowing(True)

    def _set_flowing(self, flowing: bool) -> None:
        if self._loop is None:
            raise RuntimeError("the proxy is not running: use it in a `with` block")
        # Switched on the proxy's loop, and waited for: once this returns, it holds.
        asyncio.run_coroutine_threadsafe(self._switch(flowing), self._loop).result(timeout=10)

    async def _switch(self, flowing: bool) -> None:
        assert self._flowing is not None
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    def __enter__(self) -> Self:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="pg-proxy", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self._start(), loop).result(timeout=10)
        except BaseException:
            self._shut_down_loop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._loop is not None
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        finally:
            self._shut_down_loop()

    def _shut_down_loop(self) -> None:
        assert self._loop is not None
        assert self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._port = None

    async def _start(self) -> None:
        # A listener of our own rather than asyncio.start_server(): on Python 3.11 a
        # connection accepted just before Server.close() is dropped without being closed,
        # leaving its client hanging. Here every accepted socket is known at once.
        self._flowing = asyncio.Event()
        self._flowing.set()
        listener = socket.create_server((self.host, 0))
        listener.setblocking(False)
        self._listener = listener
        self._port = int(listener.getsockname()[1])
        asyncio.get_running_loop().add_reader(listener, self._accept)

    def _accept(self) -> None:
        """Take every connection waiting; the loop calls this when the listener is ready."""
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. the client gave up before it was accepted
                log.warning("accepting a connection failed: %s", error)
                return
            client.setblocking(False)
            with self._lock:
                self._connections += 1
                number = self._connections
            handler = asyncio.get_running_loop().create_task(self._serve(client, number))
            self._handlers[handler] = client
            handler.add_done_callback(self._handlers.pop)

    async def _stop(self) -> None:
        assert self._listener is not None
        self._stopping = True
        asyncio.get_running_loop().remove_reader(self._listener)
        self._listener.close()
        handlers = dict(self._handlers)
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        for client in handlers.values():
            client.close()  # a no-op for sockets their handler closed

    async def _serve(self, client_socket: socket.socket, number: int) -> None:
        writers: list[asyncio.StreamWriter] = []
        try:
            client_reader, client_writer = await asyncio.open_connection(sock=client_socket)
            writers.append(client_writer)
            await self._wait_until_flowing()
            try:
                server_reader, server_writer = await asyncio.open_connection(*self.upstream)
            except OSError as error:
                log.warning("connection %d: cannot reach %s: %s", number, self.upstream, error)
                return
            writers.append(server_writer)
            client, server = ClientStream(), ServerStream()

            def from_client(data: bytes) -> None:
                before = client.flushes
                client.feed(data)
                with self._lock:
                    self._flushes += client.flushes - before

            def from_server(data: bytes) -> None:
                if server.unreadable:
                    return
                before = server.round_trips
                server.feed(data)
                with self._lock:
                    self._round_trips += server.round_trips - before
                    if not server.unreadable:
                        return
                    self._tls_connections += 1
                # The client's bytes are encrypted from here on too; it only sends them
                # once it holds the server's answer, which is not forwarded yet.
                client.unreadable = True
                log.warning(
                    "connection %d is encrypted (or not PostgreSQL's protocol), its round"
                    " trips are not counted: connect with ?ssl=disable (asyncpg) or"
                    " sslmode=disable&gssencmode=disable (libpq)",
                    number,
                )

            await asyncio.gather(
                self._pump(client_reader, server_writer, from_client),
                self._pump(server_reader, client_writer, from_server),
            )
        finally:
            for writer in writers:
                # Stopping: drop what is unsent rather than wait for a peer to read it.
                if self._stopping:
                    writer.transport.abort()
                else:
                    writer.close()
            # The sockets are closed by callbacks on the loop; wait for them, or a loop
            # stopped right after would leave them open.
            for writer in writers:
                with suppress(OSError):
                    await writer.wait_closed()

    async def _wait_until_flowing(self) -> None:
        assert self._flowing is not None
        await self._flowing.wait()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        inspect: Callable[[bytes], None],
    ) -> None:
        """Copy one direction until its end, then pass the end on (a half close)."""
        try:
            while True:
                data = await reader.read(65536)
                # Paused: hold what was read (the end of the stream too) until resumed.
                await self._wait_until_flowing()
                if not data:
                    break
                # Counted before it is forwarded: once the client holds a ReadyForQuery,
                # round_trips() already includes it.
                inspect(data)
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except OSError:
            # One side went away abruptly: drop the other side too, as PostgreSQL would
            # (once it hears of it: not while paused).
            await self._wait_until_flowing()
            writer.transport.abort()
