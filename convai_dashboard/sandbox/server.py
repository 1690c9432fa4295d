"""The sandbox's HTTP server: serves the Convai API, records requests, injects faults."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from convai_dashboard.sandbox.accounts import build_accounts
from convai_dashboard.sandbox.api import ConvaiApi
from convai_dashboard.sandbox.faults import DISCONNECT, FAULT_MODES, SLOW, fault_response
from convai_dashboard.sandbox.responses import Response

DEFAULT_SLOW_SECONDS = 30.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON, the raw text when it is not JSON, None when empty
    at: float  # time.monotonic() on arrival


class SandboxServer:
    """A Convai-compatible server in a daemon thread.

    fault, fault_count, fault_paths, slow_seconds and latency_ms may be changed from any thread
    while it runs.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        large_sessions: int = 0,
    ) -> None:
        self.host = host
        self.port = port
        self._initial_latency_ms = latency_ms
        self._api = ConvaiApi(build_accounts(large_sessions))
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._fault: str | None = None
        self.fault_count: int | None = None
        self.fault_paths: set[str] | None = None
        self.slow_seconds = DEFAULT_SLOW_SECONDS
        self.latency_ms = latency_ms

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def fault(self) -> str | None:
        return self._fault

    @fault.setter
    def fault(self, mode: str | None) -> None:
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; choose from {', '.join(FAULT_MODES)}")
        self._fault = mode

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def start(self) -> None:
        if self._httpd is not None:
            raise RuntimeError("the sandbox server is already running")
        self._stopping.clear()
        # Binding in the constructor means connections queue up from here on.
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"convai-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None or self._thread is None:
            return
        self._stopping.set()  # wakes requests sleeping in "slow" or latency
        self._httpd.shutdown()
        # Kept-alive connections would otherwise go on being served by their handler threads.
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = None
        self._thread = None

    def reset(self) -> None:
        with self._lock:
            self._fault = None
            self.fault_count = None
            self.fault_paths = None
            self.slow_seconds = DEFAULT_SLOW_SECONDS
            self.latency_ms = self._initial_latency_ms
            self._requests.clear()

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self, path: str) -> str | None:
        """The fault this request suffers, counting it against fault_count."""
        with self._lock:
            mode = self._fault
            if mode is None or (self.fault_paths is not None and path not in self.fault_paths):
                return None
            if self.fault_count is not None:
                if self.fault_count <= 0:
                    self._fault = None
                    self.fault_count = None
                    return None
                self.fault_count -= 1
                if self.fault_count == 0:
                    self._fault = None
                    self.fault_count = None
            return mode

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _answer(self, method: str, path: str, api_key: str | None, body: bytes) -> Response | None:
        """The response to send, or None to drop the connection without one."""
        mode = self._take_fault(path)
        self._pause(self.latency_ms / 1000)
        if mode == DISCONNECT:
            return None
        if mode == SLOW:
            self._pause(self.slow_seconds)
        elif mode is not None:
            return fault_response(mode, path)
        return self._api.answer(method, path, api_key, body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], sandbox: SandboxServer
    ) -> None:
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            # OSError: the client closed it first.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive between requests, as clients with a session expect.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the body of a kept-alive
    # connection waits for the client's delayed ACK on every answer (docs/performance.md, "Sync").
    disable_nagle_algorithm = True
    server_version = "convai-sandbox"
    timeout = 120  # an idle kept-alive connection frees its thread eventually
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks send thousands of requests."""

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        body = self._read_body()
        path = urlsplit(self.path).path
        sandbox._record(
            RecordedRequest(
                self.command, path, dict(self.headers.items()), _readable(body), time.monotonic()
            )
        )
        response = sandbox._answer(self.command, path, self.headers.get("CONVAI-API-KEY"), body)
        if response is None:
            self.close_connection = True
            return
        self._send(response)

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
            self.close_connection = True  # can't tell where this body ends
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting, as clients with timeouts do


def _readable(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")
