"""A local OpenID Connect provider for the demo and the tests, beside the Convai sandbox.

    python -m convai_dashboard.sandbox.oidc [--port 8780] [--fault MODE] [--redirect-uri URI]...

Its issuer is its URL, http://127.0.0.1:PORT, and it serves discovery at
/.well-known/openid-configuration. Standard library and joserfc only: the product's sign-in
must be checked against a provider that shares none of its code.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from convai_dashboard.sandbox.oidc_provider import OIDC_FAULTS, OidcProvider, OidcRequest
from convai_dashboard.sandbox.oidc_users import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REDIRECT_URI,
    DEMO_USERS,
    OidcClient,
    OidcUser,
)
from convai_dashboard.sandbox.responses import Response

DEFAULT_PORT = 8780


class OidcServer:
    """An OpenID Connect provider in a daemon thread. fault may be changed from any thread while
    it runs; it applies to the ID tokens issued from then on."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Sequence[OidcUser] = DEMO_USERS,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        redirect_uris: Sequence[str] = (DEMO_REDIRECT_URI,),
    ) -> None:
        self.host = host
        self.port = port
        self._provider = OidcProvider(
            users, OidcClient(client_id, client_secret, tuple(redirect_uris))
        )
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The issuer, and the base of every endpoint."""
        return f"http://{self.host}:{self.port}"

    @property
    def users(self) -> tuple[OidcUser, ...]:
        return self._provider.users

    @property
    def client(self) -> OidcClient:
        return self._provider.client

    @property
    def fault(self) -> str | None:
        return self._provider.fault

    @fault.setter
    def fault(self, mode: str | None) -> None:
        if mode is not None and mode not in OIDC_FAULTS:
            raise ValueError(f"unknown fault mode {mode!r}; choose from {', '.join(OIDC_FAULTS)}")
        self._provider.fault = mode

    def start(self) -> None:
        if self._httpd is not None:
            raise RuntimeError("the OpenID Connect sandbox is already running")
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self._provider)
        self.port = self._httpd.server_address[1]
        self._provider.issuer = self.url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"oidc-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None or self._thread is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = None
        self._thread = None

    def reset(self) -> None:
        """Clears the fault and forgets every code, token and nonce."""
        self._provider.reset()

    def __enter__(self) -> OidcServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], provider: OidcProvider
    ) -> None:
        self.provider = provider
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0, the default: each connection closes after its answer, so stop() has no kept-alive
    # connections to end. A sign-in makes a handful of requests; reusing connections saves nothing.
    server_version = "oidc-sandbox"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve(urlsplit(self.path).query)

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Content-Length is not a number")
            return
        body = self.rfile.read(length) if length > 0 else b""
        self._serve(body.decode("utf-8", errors="replace"))

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet, as the Convai sandbox is: the tests' output is theirs."""

    def _serve(self, form: str) -> None:
        request = OidcRequest(
            method=self.command,
            path=urlsplit(self.path).path,
            params=tuple(parse_qsl(form, keep_blank_values=True)),
            authorization=self.headers.get("Authorization"),
        )
        self._send(self.server.provider.answer(request))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m convai_dashboard.sandbox.oidc",
        description="Serve a local OpenID Connect provider with demo users.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEMO_CLIENT_SECRET)
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        metavar="URI",
        help=f"a redirect URI the client may use; repeatable (default: {DEMO_REDIRECT_URI})",
    )
    parser.add_argument("--fault", choices=OIDC_FAULTS, help="issue ID tokens broken this way")
    args = parser.parse_args(argv)

    server = OidcServer(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uris or (DEMO_REDIRECT_URI,),
    )
    server.fault = args.fault
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    server.start()
    usernames = ", ".join(user.username for user in server.users)
    print(
        f"OpenID Connect sandbox at {server.url} "
        f"(client: {args.client_id}, secret: {args.client_secret}; users: {usernames})",
        flush=True,
    )
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
