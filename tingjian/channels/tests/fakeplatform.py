"""A fake platform API on 127.0.0.1 for tests: no test reaches the internet.

Routes answer with canned responses; every request is recorded so a test can assert what
Tingjian sent (path, headers, JSON body).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


Responder = Callable[[Recorded], tuple[int, Any]]


@dataclass
class FakePlatform:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    routes: dict[tuple[str, str], Responder | tuple[int, Any]] = field(default_factory=dict)

    def route(self, method: str, path: str, response: Responder | tuple[int, Any]) -> None:
        """Answer METHOD PATH with ``(status, body)`` (a dict/list is sent as JSON) or a callable."""
        self.routes[(method.upper(), path)] = response

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def fake_platform() -> Iterator[FakePlatform]:
    platform = FakePlatform()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            recorded = Recorded(
                method=self.command, path=parts.path, query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            platform.requests.append(recorded)
            route = platform.routes.get((self.command, parts.path))
            if route is None:
                status, body = 404, {"error": f"no fake route for {self.command} {parts.path}"}
            elif callable(route):
                status, body = route(recorded)
            else:
                status, body = route
            if isinstance(body, bytes):
                payload, ctype = body, "application/octet-stream"
            else:
                payload, ctype = json.dumps(body).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    platform.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
