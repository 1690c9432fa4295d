"""A local SAML 2.0 identity provider for the demo and the tests, beside the Convai sandbox.

    python -m convai_dashboard.sandbox.saml [--port 8790] [--fault MODE]
        [--sp-entity-id ID] [--acs-url URL]

Its entity id is http://127.0.0.1:PORT/metadata, where it serves its metadata; single sign-on
is at /sso. pysaml2's identity provider does the protocol (saml_provider.py): the product's
sign-in must be checked against an identity provider that shares none of its code.
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

from convai_dashboard.sandbox.responses import Response
from convai_dashboard.sandbox.saml_provider import SAML_FAULTS, SamlProvider, SamlRequest
from convai_dashboard.sandbox.saml_users import DEMO_SP, DEMO_USERS, SamlUser, ServiceProvider

DEFAULT_PORT = 8790


class SamlServer:
    """A SAML identity provider in a daemon thread. fault may be changed from any thread while
    it runs; it applies to the answers made from then on."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Sequence[SamlUser] = DEMO_USERS,
        sp: ServiceProvider = DEMO_SP,
    ) -> None:
        self.host = host
        self.port = port
        self._provider = SamlProvider(users, sp)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def entity_id(self) -> str:
        return self._provider.entity_id

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.url}/sso"

    @property
    def certificate(self) -> str:
        """The signing certificate the metadata publishes, PEM."""
        return self._provider.certificate

    @property
    def users(self) -> tuple[SamlUser, ...]:
        return self._provider.users

    @property
    def fault(self) -> str | None:
        return self._provider.fault

    @fault.setter
    def fault(self, mode: str | None) -> None:
        if mode is not None and mode not in SAML_FAULTS:
            raise ValueError(f"unknown fault mode {mode!r}; choose from {', '.join(SAML_FAULTS)}")
        self._provider.fault = mode

    def metadata(self) -> str:
        return self._provider.metadata()

    def start(self) -> None:
        if self._httpd is not None:
            raise RuntimeError("the SAML sandbox is already running")
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self._provider)
        self.port = self._httpd.server_address[1]
        self._provider.start(self.url)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"saml-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None or self._thread is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._provider.close()
        self._httpd = None
        self._thread = None

    def reset(self) -> None:
        """Clears the fault and forgets the last answer (what replayed_response sends)."""
        self._provider.reset()

    def __enter__(self) -> SamlServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], provider: SamlProvider
    ) -> None:
        self.provider = provider
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0, as the OpenID Connect sandbox's: each connection closes after its answer.
    server_version = "saml-sandbox"
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
        """Quiet, as the other sandboxes are: the tests' output is theirs."""

    def _serve(self, form: str) -> None:
        request = SamlRequest(
            method=self.command,
            path=urlsplit(self.path).path,
            params=tuple(parse_qsl(form, keep_blank_values=True)),
        )
        response: Response = self.server.provider.answer(request)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m convai_dashboard.sandbox.saml",
        description="Serve a local SAML identity provider with demo users.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--sp-entity-id",
        default=DEMO_SP.entity_id,
        help=f"the service provider's entity id (default: {DEMO_SP.entity_id})",
    )
    parser.add_argument(
        "--acs-url",
        default=DEMO_SP.acs_url,
        help=f"its assertion consumer service (default: {DEMO_SP.acs_url})",
    )
    parser.add_argument("--fault", choices=SAML_FAULTS, help="answer broken this way")
    args = parser.parse_args(argv)

    server = SamlServer(
        host=args.host, port=args.port, sp=ServiceProvider(args.sp_entity_id, args.acs_url)
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
        f"SAML sandbox at {server.url} (metadata: {server.metadata_url}; users: {usernames})",
        flush=True,
    )
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
