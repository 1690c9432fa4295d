"""Run the sandbox: python -m convai_dashboard.sandbox [--port 8765] [--fault MODE] ..."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from convai_dashboard.sandbox import DEMO_KEY, FAULT_MODES, SandboxServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m convai_dashboard.sandbox",
        description="Serve a Convai-compatible Chat History API with demo data.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=float, default=0, help="delay added to every answer")
    parser.add_argument("--fault", choices=FAULT_MODES, help="make every request fail this way")
    parser.add_argument(
        "--large-sessions",
        type=int,
        default=0,
        metavar="N",
        help="give the demo account a character with N sessions",
    )
    args = parser.parse_args(argv)

    server = SandboxServer(
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        large_sessions=args.large_sessions,
    )
    server.fault = args.fault
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    server.start()
    print(f"Convai sandbox at {server.url} (demo key: {DEMO_KEY})", flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
