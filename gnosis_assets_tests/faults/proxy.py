"""An HTTP proxy on 127.0.0.1 that forwards to one upstream and injects faults.

The proxy reads each request whole, then forwards it, replies with an error, or drops the
connection. Decisions come from one seeded `random.Random` under a lock, so a run replays the
same decision sequence; which request gets which decision still depends on thread timing.
A plan caps the number of faults it injects, so a sync behind it always ends.

It also counts requests and request body bytes per method, which the benchmark uses as the
bytes the server received.
"""

import contextlib
import http.client
import random
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te"}
UPSTREAM_TIMEOUT = 60  # seconds per forwarded request

# Fault kinds a plan can draw from.
ERROR_500 = "500"
ERROR_503 = "503"
DROP_BEFORE = "drop-before"  # close the connection without forwarding the request
DROP_AFTER = "drop-after"  # forward, let the upstream act on it, then drop its response
ACCESS_DENIED = "403"

S3_ERRORS = {
    ERROR_500: (500, "InternalError", "We encountered an internal error. Please try again."),
    ERROR_503: (503, "SlowDown", "Please reduce your request rate."),
    ACCESS_DENIED: (403, "AccessDenied", "Access Denied"),
}


@dataclass
class FaultPlan:
    """Which requests fail, and how.

    - `rate`: share of matching requests that get a fault drawn from `kinds`.
    - `max_faults`: no more faults after this many, so retries always succeed in the end.
    - `methods`: only requests with these methods match; empty matches every method.
    - `first_attempt_of`: the first request whose path contains one of these strings gets a
      503, whatever the rate, so a test can count on at least one retry.
    - `deny_all`: reply to every request with 403 AccessDenied.
    """

    seed: int = 0
    rate: float = 0.0
    kinds: tuple[str, ...] = (ERROR_500, ERROR_503, DROP_BEFORE, DROP_AFTER)
    max_faults: int = 0
    methods: frozenset[str] = frozenset()
    first_attempt_of: tuple[str, ...] = ()
    deny_all: bool = False


@dataclass
class ProxyStats:
    requests: Counter = field(default_factory=Counter)  # method -> count
    body_bytes: Counter = field(default_factory=Counter)  # method -> request body bytes
    faults: Counter = field(default_factory=Counter)  # kind -> count
    forwarded: int = 0


class FaultProxy:
    """A threaded proxy in front of `upstream` (an `http://host:port` URL)."""

    def __init__(self, upstream: str, plan: FaultPlan | None = None) -> None:
        parsed = urlparse(upstream)
        if parsed.hostname is None or parsed.port is None:
            raise ValueError(f"upstream {upstream!r} must be http://host:port")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port
        self.plan = plan or FaultPlan()
        self.stats = ProxyStats()
        self._random = random.Random(self.plan.seed)
        self._lock = threading.Lock()
        self._seen_first: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            self._random = random.Random(plan.seed)
            self._seen_first = set()

    def decide(self, method: str, path: str, size: int) -> str | None:
        """Count a request and return the fault it gets, or None to forward it."""
        with self._lock:
            self.stats.requests[method] += 1
            self.stats.body_bytes[method] += size
            plan = self.plan
            if plan.deny_all:
                self.stats.faults[ACCESS_DENIED] += 1
                return ACCESS_DENIED
            if plan.methods and method not in plan.methods:
                return None
            for marker in plan.first_attempt_of:
                if marker in path and marker not in self._seen_first:
                    self._seen_first.add(marker)
                    self.stats.faults[ERROR_503] += 1
                    return ERROR_503
            if sum(self.stats.faults.values()) >= plan.max_faults:
                return None
            if self._random.random() >= plan.rate:
                return None
            kind = self._random.choice(plan.kinds)
            self.stats.faults[kind] += 1
            return kind

    def _handler_class(self) -> Callable[..., BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return  # keep test output clean; the stats count every request

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    return self._read_chunked()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _read_chunked(self) -> bytes:
                body = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers: the upstream gets the decoded body only
                        return bytes(body)
                    body += self.rfile.read(size)
                    self.rfile.readline()

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _send_error_xml(self, kind: str) -> None:
                status, code, message = S3_ERRORS[kind]
                body = (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    f"<Error><Code>{code}</Code><Message>{message}</Message>"
                    "<RequestId>fault-proxy</RequestId></Error>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
                connection = http.client.HTTPConnection(
                    proxy.upstream_host, proxy.upstream_port, timeout=UPSTREAM_TIMEOUT
                )
                try:
                    headers = {
                        name: value
                        for name, value in self.headers.items()
                        if name.lower() not in HOP_HEADERS
                    }
                    if body or self.command in ("PUT", "POST"):
                        headers["Content-Length"] = str(len(body))
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                    return response.status, response.reason, response.getheaders(), data
                finally:
                    connection.close()

            def _handle(self) -> None:
                body = self._read_body()
                fault = proxy.decide(self.command, self.path, len(body))
                if fault == DROP_BEFORE:
                    self._drop()
                    return
                if fault in S3_ERRORS:
                    self._send_error_xml(fault)
                    return
                status, reason, headers, data = self._forward(body)
                with proxy._lock:
                    proxy.stats.forwarded += 1
                if fault == DROP_AFTER:
                    self._drop()
                    return
                self.send_response(status, reason)
                for name, value in headers:
                    if name.lower() not in HOP_HEADERS and name.lower() != "content-length":
                        self.send_header(name, value)
                if self.command == "HEAD":
                    length = dict((k.lower(), v) for k, v in headers).get("content-length", "0")
                    self.send_header("Content-Length", length)
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        return Handler
