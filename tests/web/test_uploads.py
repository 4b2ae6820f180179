"""Upload safety end to end, through a real HTTP server (uvicorn in a thread, the app's body reads counted):
sign-in and size limits are checked before the body is read, a body past its limit is refused while it
streams (chunked too), a rejected upload leaves no blob, and heavy scans do not stall the health check."""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benchmarks.brokers import free_port
from benchmarks.hostile import dense_cloud_xyz, instancing_bomb_glb, lying_3mf, triangle_stl
from manufacturing.accounts.roles import Role
from manufacturing.db.migrate import upgrade
from manufacturing.settings import Settings
from tests.web.conftest import signed_in
from tests.web.test_api_logos import image_bytes
from web.api.app import create_app

GIB = 1 << 30
BOUNDARY = "cspms-test-boundary"


class BodyCounter:
    """ASGI middleware counting the body bytes the app pulled, per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pulled: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        index = len(self.pulled)
        self.pulled.append(0)

        async def counted() -> Message:
            message = await receive()
            self.pulled[index] += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@dataclass
class Server:
    host: str
    port: int
    counter: BodyCounter
    headers: dict[str, str]  # a signed-in customer's
    store_root: Path


@contextmanager
def serving(settings: Settings) -> Iterator[Server]:
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    headers = signed_in(app, "walker@example.com", Role.CUSTOMER)
    counter = BodyCounter(app)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(counter, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield Server("127.0.0.1", port, counter, headers, app.state.resources.store.root)
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.resources.engine.dispose()


@dataclass
class Answer:
    status: int
    body: bytes
    sent_bytes: int
    seconds: float


def raw_post(server: Server, path: str, headers: dict[str, str], body_bytes: int, *, chunked: bool = False,
             declared: int | None = None, timeout_s: float = 15.0) -> Answer:  # fmt: skip
    """POST a multipart body of ``body_bytes`` (a file part of zeros) over a plain socket, sending while the
    answer is awaited; stops sending when the server answers or closes. ``declared``: the Content-Length."""
    prefix = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="scan"; filename="big.stl"\r\n'
              "Content-Type: application/octet-stream\r\n\r\n").encode()  # fmt: skip
    lines = [f"POST {path} HTTP/1.1", f"Host: {server.host}:{server.port}",
             f"Content-Type: multipart/form-data; boundary={BOUNDARY}"]  # fmt: skip
    lines += ["Transfer-Encoding: chunked"] if chunked else [f"Content-Length: {declared or body_bytes}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    connection = socket.create_connection((server.host, server.port))
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sent = [0]
    answered = threading.Event()

    def send_body() -> None:
        chunk = b"\0" * 65536
        try:
            data = prefix
            while sent[0] < body_bytes and not answered.is_set():
                piece = data or chunk[: body_bytes - sent[0]]
                data = b""
                connection.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
                sent[0] += len(piece)
        except OSError:  # the server answered and closed: what a refusal looks like
            pass

    sender = threading.Thread(target=send_body, daemon=True)
    started = time.monotonic()
    sender.start()
    connection.settimeout(timeout_s)
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            piece = connection.recv(65536)
            if not piece:
                break
            received += piece
    finally:
        seconds = time.monotonic() - started
        answered.set()
        sender.join(10)
        connection.close()
    status = int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/1.1") else 0
    return Answer(status, received, sent[0], seconds)


def store_files(server: Server) -> list[Path]:
    """Every blob and temp file of the artifact store."""
    return [p for p in server.store_root.rglob("*") if p.is_file()]


def test_an_unauthenticated_gibibyte_gets_401_before_its_body_is_read(settings: Settings) -> None:
    with serving(settings) as server:
        answer = raw_post(server, "/api/scans", {}, 16 << 20, declared=GIB)
        assert answer.status == 401 and answer.seconds < 5.0, answer
        assert server.counter.pulled[-1] == 0  # not a byte of the body was read
        assert store_files(server) == []
        logo = raw_post(server, "/api/logos", {}, 16 << 20, declared=GIB)
        assert logo.status == 401 and server.counter.pulled[-1] == 0


def test_a_declared_length_over_the_limit_is_refused_unread(settings: Settings) -> None:
    with serving(settings) as server:
        answer = raw_post(server, "/api/scans", server.headers, 16 << 20, declared=GIB)
        assert answer.status == 413 and b"input_too_large" in answer.body, answer
        assert server.counter.pulled[-1] == 0


@pytest.mark.parametrize(("path", "limit"), [("/api/scans", 1 << 20), ("/api/logos", 5 << 20)])
def test_a_chunked_body_past_the_limit_is_refused_while_it_streams(settings: Settings, path: str, limit: int) -> None:
    settings.max_upload_bytes = 1 << 20
    with serving(settings) as server:
        answer = raw_post(server, path, server.headers, 64 << 20, chunked=True)
        assert answer.status == 413, answer
        # Read up to the limit, its form's overhead and one more read of the socket: not the 64 MiB.
        assert server.counter.pulled[-1] <= limit + (256 << 10) + (1 << 20)
        assert store_files(server) == []


# The prober is its own process: a thread of the server's process would wait for the interpreter lock too, and
# time its requests from when it got it (so it would never see the stall it is looking for).
_HEALTH_PROBER = """
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
while True:
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=60) as connection:
        connection.sendall(f"GET /api/health HTTP/1.1\\r\\nHost: {host}\\r\\nConnection: close\\r\\n\\r\\n".encode())
        while connection.recv(65536):
            pass
    print((time.monotonic() - started) * 1000, flush=True)
    time.sleep(0.05)
"""


@contextmanager
def health_prober(server: Server) -> Iterator[list[float]]:
    """Latencies (ms) of /api/health asked every 50 ms from another process while the block runs."""
    latencies: list[float] = []
    prober = subprocess.Popen([sys.executable, "-c", _HEALTH_PROBER, server.host, str(server.port)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        time.sleep(0.3)  # its interpreter started
        yield latencies
    finally:
        prober.terminate()
        output, _ = prober.communicate(timeout=30)
        latencies.extend(float(line) for line in output.split())


@pytest.mark.parametrize("heavy", ["glb", "cloud"])
def test_the_health_check_answers_while_a_heavy_scan_is_measured(settings: Settings, heavy: str,
                                                                 find_template_bytes: bytes) -> None:  # fmt: skip
    # Measuring runs in the geometry pool, not in the web process, and stops at its deadline. The GLB is the
    # instancing bomb with the limits raised so it is measured, not refused; the cloud's clean-up runs in
    # open3d, which holds the interpreter for seconds (in the web process it stalled every request).
    settings.max_scan_elements, settings.scan_measure_timeout_s = 10_000_000, 6.0
    name, data = ("bomb.glb", instancing_bomb_glb(88_000, 21)) if heavy == "glb" else (
        "cloud.xyz", dense_cloud_xyz(find_template_bytes))  # fmt: skip
    with serving(settings) as server, TestClient(server.counter, raise_server_exceptions=False) as client:
        client.post("/api/scans", headers=server.headers, files={"scan": ("warm.stl", triangle_stl())})  # pool warm
        client.get("/api/health")  # its first call sets up what later ones reuse
        with health_prober(server) as latencies:
            started = time.monotonic()
            upload = client.post("/api/scans", headers=server.headers, files={"scan": (name, data)})
            assert time.monotonic() - started > 1.0  # it was measured for a while
        assert upload.status_code in (201, 422, 503), upload.text
        assert len(latencies) >= 5 and max(latencies) < 1000.0, latencies
        print(f"health during the {heavy}: p50 {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms")


def _blobs(client: TestClient) -> set[Path]:
    root = client.app.state.resources.store.root
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [("triangle.stl", triangle_stl(), 422), ("bomb.glb", instancing_bomb_glb(), 413),
     ("lying.3mf", lying_3mf(20 << 20), 422), ("page.stl", b"<html>not a scan</html>", 415)],
)  # fmt: skip
def test_a_rejected_scan_leaves_no_blob_and_no_temp_file(client: TestClient, name: str, data: bytes,
                                                         status: int) -> None:  # fmt: skip
    before = _blobs(client)
    response = client.post("/api/scans", files={"scan": (name, data)}, data={"email": "walker@example.com"})
    assert response.status_code == status, response.text
    assert _blobs(client) == before


def test_a_refused_logo_leaves_no_blob_and_keeps_the_same_bytes_someone_stored(anonymous: TestClient) -> None:
    alice = signed_in(anonymous.app, "alice@example.com", Role.CUSTOMER)
    bob = signed_in(anonymous.app, "bob@example.com", Role.CUSTOMER)
    png = image_bytes((64, 64))
    stored = anonymous.post("/api/logos", headers=alice, files={"image": ("logo.png", png)})
    assert stored.status_code == 201
    before = _blobs(anonymous)
    # The same bytes, refused (bob may not act for alice): alice's blob stays, nothing is added.
    refused = anonymous.post("/api/logos", headers=bob, files={"image": ("logo.png", png)},
                             data={"email": "alice@example.com"})  # fmt: skip
    assert refused.status_code == 403
    damaged = anonymous.post("/api/logos", headers=bob, files={"image": ("logo.png", png[:100])})
    assert damaged.status_code == 422
    assert _blobs(anonymous) == before
    assert anonymous.get(f"/api/logos/{stored.json()['image_sha256']}", headers=alice).status_code == 200


def test_form_fields_are_checked_as_before(client: TestClient) -> None:
    not_email = client.post("/api/scans", files={"scan": ("x.stl", triangle_stl())}, data={"email": "nobody"})
    assert not_email.status_code == 422 and not_email.json()["errors"][0]["location"] == "body.email"
    no_file = client.post("/api/scans", data={"email": "walker@example.com"})
    assert no_file.status_code == 422 and no_file.json()["errors"][0]["location"] == "body.scan"
    empty = client.post("/api/scans", files={"scan": ("x.stl", b"")}, data={"email": "walker@example.com"})
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    bad_id = client.post("/api/orders", data={"design_id": "1" * 40, "email": "walker@example.com"})
    assert bad_id.status_code == 422 and bad_id.json()["code"] == "invalid_request"
    assert bad_id.json()["errors"][0]["location"] == "body.design_id"
