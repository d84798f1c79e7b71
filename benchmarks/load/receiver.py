"""The webhook receiver of `make load`: answers every POST with 204 and appends its
`webhook-id` (one line a delivery, duplicates included) to a log file.

    python -m benchmarks.load.receiver --port 9000 --log received.txt
"""

from __future__ import annotations

import argparse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(port: int, log: Path) -> None:
    lock = threading.Lock()
    out = log.open("a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            webhook_id = self.headers.get("webhook-id", "")
            with lock:
                out.write(webhook_id + "\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer.allow_reuse_address = True
    with ThreadingHTTPServer(("127.0.0.1", port), Handler) as server:
        server.serve_forever()


def received(log: Path) -> list[str]:
    """Every webhook-id received, in order, duplicates included."""
    if not log.exists():
        return []
    return [line for line in log.read_text().splitlines() if line]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    arguments = parser.parse_args()
    serve(arguments.port, arguments.log)
