"""``cspms bench hostile``: a real server under hostile uploads and requests (issue #18).

The corpus is files and requests an attacker or a bad day sends: a 3MF whose zip headers under-state what it
unpacks to, a GLB reusing one big mesh in many nodes, a triangle, coordinates of 1e308 and float32's maximum,
an all-zero STL, PCD headers with impossible counts, a foot scaled by 1e300, an unauthenticated upload of a
gibibyte, a body past the limit without a Content-Length, deeply nested JSON and NaN parameters.

The server (``cspms serve``, its own var folder, signed in as a customer) gets each one while a prober asks
``/api/health`` every 20 ms. Recorded per case: the status (a 5xx or a dropped connection is a server error),
the peak memory the server's processes (web process and its measuring pool) added above their idle level,
against the case's size limit, and the health latency while the case ran. Targets: 0 server errors, peak
memory added ≤ 2× the size limit, health ≤ 200 ms.

The corpus builders are used by the tests of the readers and the upload routes too.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# ------------------------------------------------------------------------------------------ the corpus


def lying_3mf(real_unpacked_bytes: int, declared_bytes: int = 1_000) -> bytes:
    """A 3MF whose model member unpacks to ``real_unpacked_bytes`` (spaces after a model's opening) while both
    its zip headers say ``declared_bytes``: a check of the declared sizes passes, a reader that inflates the
    member in one call still allocates all of it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("3D/3dmodel.model", "w") as member:
            member.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" xmlns='
                         b'"http://schemas.microsoft.com/3dmanufacturing/core/2015/02">')  # fmt: skip
            chunk = b" " * (1 << 20)
            left = real_unpacked_bytes
            while left > 0:
                member.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
        archive.writestr("[Content_Types].xml", "<Types/>")
    data = bytearray(buffer.getvalue())
    # The member is first: its local header at 0 (uncompressed size at +22), its central record later (+24).
    struct.pack_into("<I", data, 22, declared_bytes)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared_bytes)
    return bytes(data)


def instancing_bomb_glb(faces: int = 88_000, instances: int = 21) -> bytes:
    """A GLB with one mesh of ``faces`` triangles placed by ``instances`` nodes: small on disk, ``faces`` ×
    ``instances`` triangles once the scene is expanded."""
    vertex_count = faces + 2  # a zig-zag strip, foot-sized (mm): triangle i is vertices i, i+1, i+2
    t = np.arange(vertex_count, dtype=np.float64)
    along = 250.0 * t / vertex_count
    positions = np.column_stack([90.0 * (t % 2), along, 60.0 * np.sin(along / 20.0) ** 2]).astype("<f4")
    indices = np.column_stack([np.arange(faces), np.arange(faces) + 1, np.arange(faces) + 2]).astype("<u4")
    blob = positions.tobytes() + indices.tobytes()
    document = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": list(range(instances))}],
        "nodes": [{"mesh": 0, "translation": [0.0, 0.0, float(i)]} for i in range(instances)],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1, "mode": 4}]}],
        "buffers": [{"byteLength": len(blob)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": positions.nbytes},
            {"buffer": 0, "byteOffset": positions.nbytes, "byteLength": indices.nbytes},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": vertex_count, "type": "VEC3",
             "min": positions.min(axis=0).tolist(), "max": positions.max(axis=0).tolist()},
            {"bufferView": 1, "componentType": 5125, "count": faces * 3, "type": "SCALAR"},
        ],
    }  # fmt: skip
    return glb(document, blob)


def glb(document: dict[str, object], blob: bytes) -> bytes:
    """A GLB container of a glTF JSON document and its binary buffer (both padded to 4 bytes)."""
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    blob += b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return (struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(text), b"JSON") + text
            + struct.pack("<I4s", len(blob), b"BIN\0") + blob)  # fmt: skip


def binary_stl(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    """A binary STL of ``faces`` (normals zero; coordinates as float32, as the format stores them)."""
    records = np.zeros(len(faces), dtype=[("normal", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    with np.errstate(over="ignore"):
        records["v"] = np.asarray(vertices, dtype=np.float64)[faces].astype("<f4")
    return b"\0" * 80 + struct.pack("<I", len(faces)) + records.tobytes()


def triangle_stl(coordinate: float = 100.0) -> bytes:
    """One valid triangle, ``coordinate`` long on its legs."""
    return binary_stl(np.array([[0.0, 0.0, 0.0], [coordinate, 0.0, 0.0], [0.0, coordinate / 2, 0.0]]),
                      np.array([[0, 1, 2]]))  # fmt: skip


def all_zero_stl(faces: int = 1_000) -> bytes:
    """A binary STL whose header, normals and vertices are all zero: ``faces`` triangles on one point."""
    return b"\0" * 80 + struct.pack("<I", faces) + b"\0" * (50 * faces)


def huge_coordinates_obj(value: float) -> bytes:
    """A tetrahedron ``value`` across, as OBJ text (double precision: 1e308 stays 1e308)."""
    corners = [(0.0, 0.0, 0.0), (value, 0.0, 0.0), (0.0, value, 0.0), (0.0, 0.0, value)]
    lines = [f"v {x!r} {y!r} {z!r}" for x, y, z in corners] + ["f 1 2 3", "f 1 2 4", "f 1 3 4", "f 2 3 4"]
    return ("\n".join(lines) + "\n").encode()


def scaled_obj(obj: bytes, factor: float) -> bytes:
    """An OBJ's vertex lines multiplied by ``factor`` (double precision), faces kept."""
    out = []
    for line in obj.decode("utf-8", errors="replace").splitlines():
        if line.startswith("v "):
            x, y, z = (float(v) * factor for v in line.split()[1:4])
            out.append(f"v {x!r} {y!r} {z!r}")
        else:
            out.append(line)
    return ("\n".join(out) + "\n").encode()


def pcd(count: int | str, data: str = "binary", points: int | str = 3) -> bytes:
    """A PCD of three points whose x field has ``COUNT count`` (−1, 0, 1e9: no such field exists)."""
    header = (f"VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT {count} 1 1\nWIDTH {points}\nHEIGHT 1\n"
              f"VIEWPOINT 0 0 0 1 0 0 0\nPOINTS {points}\nDATA {data}\n")  # fmt: skip
    body = np.arange(9, dtype="<f4").tobytes() if data == "binary" else b"0 1 2\n3 4 5\n6 7 8\n"
    return header.encode() + body


def float32_max_stl() -> bytes:
    """A tetrahedron with float32's largest coordinate (3.4e38)."""
    big = float(np.finfo(np.float32).max)
    corners = np.array([[0.0, 0.0, 0.0], [big, 0.0, 0.0], [0.0, big, 0.0], [0.0, 0.0, big]])
    return binary_stl(corners, np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]))


def nan_obj() -> bytes:
    return f"v 0 0 0\nv 1 0 0\nv {math.nan} 1 0\nf 1 2 3\n".encode()


def honest_3mf_bomb(unpacked_bytes: int) -> bytes:
    """A 3MF whose zip says, truthfully, that its model unpacks to ``unpacked_bytes`` of spaces."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("3D/3dmodel.model", "w", force_zip64=True) as member,
    ):
        chunk = b" " * (1 << 20)
        for _ in range(unpacked_bytes >> 20):
            member.write(chunk)
    return buffer.getvalue()


def doubling_glb(levels: int = 40) -> bytes:
    """A GLB whose node i has node i + 1 as a child twice: one small mesh placed 2^levels times."""
    small = instancing_bomb_glb(faces=10, instances=1)
    length = struct.unpack_from("<I", small, 12)[0]
    document = json.loads(small[20 : 20 + length])
    document["nodes"] = [{"children": [i + 1, i + 1]} for i in range(levels)] + [{"mesh": 0}]
    document["scenes"] = [{"nodes": [0]}]
    return glb(document, small[20 + length + 8 :])


def lying_ply() -> bytes:
    """A binary PLY header announcing four billion vertices, followed by a hundred bytes."""
    return (b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\n"
            b"property float y\nproperty float z\nend_header\n" + b"\0" * 100)  # fmt: skip


def dense_cloud_xyz(template_obj: bytes, points: int = 400_000, seed: int = 18) -> bytes:
    """An XYZ cloud of ``points`` sampled on a foot mesh (OBJ): its clean-up and surface run in open3d, which
    holds the interpreter for seconds at a time."""
    import trimesh

    mesh = trimesh.load(io.BytesIO(template_obj), file_type="obj", process=False)
    sampled, _ = trimesh.sample.sample_surface(mesh, points, seed=seed)
    buffer = io.BytesIO()
    np.savetxt(buffer, sampled, fmt="%.6f")
    return buffer.getvalue()


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


# ------------------------------------------------------------------------------------------ HTTP, raw


@dataclass(frozen=True)
class Target:
    """The server under test and the sign-ins the corpus uses (bearer headers)."""

    host: str
    port: int
    customer: dict[str, str]
    staff: dict[str, str]


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer at all (the connection dropped)
    body: bytes
    sent_bytes: int
    seconds: float


def http_request(target: Target, method: str, path: str, headers: dict[str, str], body: bytes = b"", *,
                 filler_bytes: int = 0, declared: int | None = None, chunked: bool = False,
                 timeout_s: float = 300.0) -> Answer:  # fmt: skip
    """One request over a plain socket: ``body`` then ``filler_bytes`` zeros, sent from a thread while the answer
    is read, so a server that refuses early is heard at once; sending stops when it answers or closes.
    ``declared``: the Content-Length to claim (default: the true one); ``chunked``: none, chunked encoding."""
    total = len(body) + filler_bytes
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target.host}:{target.port}", "Connection: close"]
    length = total if declared is None else declared
    lines += ["Transfer-Encoding: chunked"] if chunked else [f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    connection = socket.create_connection((target.host, target.port), timeout=timeout_s)
    sent = [0]
    answered = threading.Event()

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 1 << 16):
            yield body[start : start + (1 << 16)]
        zeros = b"\0" * (1 << 16)
        for start in range(0, filler_bytes, len(zeros)):
            yield zeros[: min(len(zeros), filler_bytes - start)]

    def send() -> None:
        try:
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            for piece in pieces():
                if answered.is_set():
                    return
                connection.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
                sent[0] += len(piece)
            if chunked:
                connection.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed while we sent: what an early refusal looks like
            pass

    started = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    received = b""
    try:
        while True:
            piece = connection.recv(1 << 16)
            if not piece:
                break
            received += piece
            head, ended, rest = received.partition(b"\r\n\r\n")
            answer_length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:")), None)  # fmt: skip
            if ended and answer_length is not None and len(rest) >= answer_length:
                break
    except OSError:
        pass
    finally:
        seconds = time.monotonic() - started
        answered.set()
        connection.close()
        sender.join(30)
    status = int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/1.") else 0
    return Answer(status, received.partition(b"\r\n\r\n")[2][:2000], sent[0], seconds)


def multipart(file_field: str, filename: str, data: bytes, **fields: str) -> tuple[dict[str, str], bytes]:
    """(headers, body) of a multipart form with one file and text fields."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]  # fmt: skip
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")  # fmt: skip
    body = b"".join(parts) + (f"--{boundary}--\r\n".encode() if data or not fields else b"")
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body


def upload_head(file_field: str) -> tuple[dict[str, str], bytes]:
    """Headers and the start of a multipart form whose file part then runs on (the filler)."""
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="big.stl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()  # fmt: skip
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, head


# ------------------------------------------------------------------------------------------ the cases


@dataclass(frozen=True)
class Case:
    """One hostile request: what it is, the size limit it meets (bytes), the answers that are right."""

    name: str
    limit_bytes: int
    expect: tuple[int, ...]
    send: Callable[[Target], Answer]


def _scan_upload(name: str, data: bytes) -> Callable[[Target], Answer]:
    def send(target: Target) -> Answer:
        headers, body = multipart("scan", name, data)
        return http_request(target, "POST", "/api/scans", {**target.customer, **headers}, body)

    return send


def _big_upload(path: str, field: str, size: int, *, signed_in: bool, declared: int | None = None,
                chunked: bool = False) -> Callable[[Target], Answer]:  # fmt: skip
    def send(target: Target) -> Answer:
        headers, head = upload_head(field)
        auth = target.customer if signed_in else {}
        return http_request(target, "POST", path, {**auth, **headers}, head, filler_bytes=size, declared=declared,
                            chunked=chunked)  # fmt: skip

    return send


def _json(method: str, path: str, text: str, staff: bool = False) -> Callable[[Target], Answer]:
    def send(target: Target) -> Answer:
        auth = target.staff if staff else target.customer
        return http_request(target, method, path, {**auth, "Content-Type": "application/json"}, text.encode())

    return send


def _get(path: str) -> Callable[[Target], Answer]:
    return lambda target: http_request(target, "GET", path, target.staff)


def hostile_cases(template: bytes, max_upload_bytes: int, max_json_body_bytes: int) -> list[Case]:
    """The corpus: uploads that lie, bomb or make no sense, bodies past their limits, JSON nested deep, NaN."""
    upload, logo, json_limit = max_upload_bytes, 5 * 1024 * 1024, max_json_body_bytes
    scans = [
        ("3MF lying about its size (300 MiB of model in 0.3 MB)", lying_3mf(300 << 20), (413, 422)),
        ("3MF declaring 1 GiB (honest decompression bomb)", honest_3mf_bomb(1 << 30), (413,)),
        ("GLB instancing bomb (21 nodes x one 88k-face mesh)", instancing_bomb_glb(88_000, 21), (413,)),
        ("GLB node graph doubling 40 times (2^40 placements)", doubling_glb(40), (413,)),
        ("GLB within the limits, heavy (15 x 88k faces): measured in the pool", instancing_bomb_glb(88_000, 15),
         (201, 422, 503)),
        ("a dense point cloud (400k points, open3d holds the interpreter): measured in the pool",
         dense_cloud_xyz(template), (201, 422, 503)),
        ("a single valid triangle (STL)", triangle_stl(), (422,)),
        ("coordinates of 1e308 (OBJ)", huge_coordinates_obj(1e308), (422,)),
        ("coordinates of float32's maximum (STL)", float32_max_stl(), (422,)),
        ("an all-zero binary STL", all_zero_stl(1_000), (422,)),
        ("PCD COUNT -1", pcd(-1), (422,)),
        ("PCD COUNT 0", pcd(0), (422,)),
        ("PCD COUNT 1e9", pcd(10**9), (422,)),
        ("PCD COUNT '1e9' (not an integer), ascii", pcd("1e9", "ascii"), (422,)),
        ("PCD POINTS 1e12", pcd(1, points=10**12), (413,)),
        ("a foot scaled by 1e300 (OBJ)", scaled_obj(template, 1e300), (422,)),
        ("a foot scaled by 1e-300 (OBJ)", scaled_obj(template, 1e-300), (422,)),
        ("NaN coordinates (OBJ)", nan_obj(), (422,)),
        ("PLY header announcing 4e9 vertices", lying_ply(), (422,)),
        ("random bytes", np.random.default_rng(18).integers(0, 256, 1 << 16, dtype=np.uint8).tobytes(), (415,)),
    ]  # fmt: skip
    cases = [Case(f"scan: {name}", upload, expect, _scan_upload("scan.bin", data)) for name, data, expect in scans]
    cases += [
        Case("unauthenticated scan upload declaring 1 GiB (up to 64 MiB sent)", upload, (401,),
             _big_upload("/api/scans", "scan", 64 << 20, signed_in=False, declared=1 << 30)),
        Case("unauthenticated logo upload declaring 1 GiB (up to 64 MiB sent)", logo, (401,),
             _big_upload("/api/logos", "image", 64 << 20, signed_in=False, declared=1 << 30)),
        Case("unauthenticated order upload declaring 1 GiB (up to 64 MiB sent)", upload, (401,),
             _big_upload("/api/orders", "scan", 64 << 20, signed_in=False, declared=1 << 30)),
        Case("scan upload declaring 1 GiB, signed in", upload, (413,),
             _big_upload("/api/scans", "scan", 64 << 20, signed_in=True, declared=1 << 30)),
        Case("scan upload, chunked, past the limit by half", upload, (413,),
             _big_upload("/api/scans", "scan", upload * 3 // 2, signed_in=True, chunked=True)),
        Case("logo upload, chunked, 4 times the limit", logo, (413,),
             _big_upload("/api/logos", "image", 4 * logo, signed_in=True, chunked=True)),
        Case("design options nested 100,000 deep", json_limit, (413, 422),
             _json("POST", "/api/designs", '{"options": ' + nested_json(100_000) + ', "foot_scan_id": 1}')),
        Case("last parameters NaN", json_limit, (422,),
             _json("POST", "/api/designs", '{"options": {"style": "derby"}, "last": {"stick_length_mm": NaN}}')),
        Case("last parameters Infinity", json_limit, (422,),
             _json("POST", "/api/designs", '{"options": {"style": "derby"}, "last": {"ball_girth_mm": -Infinity}}')),
        Case("typed measurements 1e308", json_limit, (422,),
             _json("POST", "/api/scans/typed", '{"side": "left", "foot_length_mm": 1e308, "ball_girth_mm": 240}')),
        Case("pagination cursor of JSON nested 10,000 deep", json_limit, (422,),
             _get("/api/pairs?cursor=" + base64.urlsafe_b64encode(nested_json(10_000).encode()).decode())),
        Case("JSON body past its limit", json_limit, (413,),
             _json("POST", "/api/designs", '{"options": {"pad": "' + "x" * (json_limit + 10) + '"}}')),
    ]  # fmt: skip
    return cases


# ------------------------------------------------------------------------------------------ the watchers


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def _process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    tree, index = [pid], 0
    while index < len(tree):
        tree += _children(tree[index])
        index += 1
    return tree


def _pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:  # ended meanwhile
        pass
    return 0


class TreeMemory:
    """Samples the proportional set size (PSS: shared pages split between their processes, so forked pool
    processes are not counted twice) of a process and all its descendants, every ``every_s``."""

    def __init__(self, pid: int, every_s: float = 0.025) -> None:
        self.pid = pid
        self.every_s = every_s
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _pss(self) -> int:
        return sum(_pss_bytes(pid) for pid in _process_tree(self.pid))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), self._pss()))
            self._stop.wait(self.every_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def between(self, start: float, end: float) -> list[int]:
        return [pss for t, pss in self.samples if start <= t <= end]


class HealthProber:
    """Asks ``/api/health`` on a new connection every ``every_s``, recording when it asked and how long the
    answer took (ms; None when none came)."""

    def __init__(self, target: Target, every_s: float = 0.02) -> None:
        self.target, self.every_s = target, every_s
        self.answers: list[tuple[float, float | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            answer = http_request(self.target, "GET", "/api/health", {}, timeout_s=30.0)
            self.answers.append((started, answer.seconds * 1000 if answer.status in (200, 503) else None))
            self._stop.wait(self.every_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(40)

    def between(self, start: float, end: float) -> list[float | None]:
        return [ms for t, ms in self.answers if start <= t <= end]


# ------------------------------------------------------------------------------------------ the run


@dataclass(frozen=True)
class HostileBenchConfig:
    template_path: Path
    settle_s: float = 0.5
    extra_env: dict[str, str] = field(default_factory=dict)


TARGETS = {"server_errors": 0, "peak_memory_added_max_ratio_to_limit": 2.0, "health_during_upload_max_ms": 200.0}


def _cli(var_dir: Path, *args: str, stdin: str = "") -> None:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    subprocess.run([sys.executable, "-m", "web.cli", *args], input=stdin, text=True, env=env, check=True,
                   capture_output=True, timeout=300)  # fmt: skip


def _server_pid(port: int) -> int:
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmdline and str(port).encode() in cmdline:
            return int(entry.name)
    raise RuntimeError(f"no `cspms serve` on port {port}")


def _sign_in(target: Target, path: str, email: str, password: str) -> dict[str, str]:
    body = json.dumps({"email": email, "password": password}).encode()
    answer = http_request(target, "POST", path, {"Content-Type": "application/json"}, body)
    if answer.status not in (200, 201):
        raise RuntimeError(f"POST {path}: {answer.status} {answer.body[:300]!r}")
    return {"Authorization": f"Bearer {json.loads(answer.body)['token']}"}


def _summary_ms(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"p50": None, "max": None, "n": 0}
    return {"p50": round(statistics.median(values), 1), "max": round(max(values), 1), "n": len(values)}


def run_hostile_benchmark(config: HostileBenchConfig) -> dict[str, Any]:
    """Serve the app in a temp folder, send the corpus, and report errors, memory and health per case."""
    from benchmarks.web import running_app
    from manufacturing.settings import Settings

    template = config.template_path.read_bytes()
    settings = Settings()
    cases = hostile_cases(template, settings.max_upload_bytes, settings.max_json_body_bytes)
    with tempfile.TemporaryDirectory(prefix="cspms-bench-hostile-") as tmp:
        var_dir = Path(tmp) / "var"
        _cli(var_dir, "db", "upgrade")
        password = "hostile bench password"
        _cli(var_dir, "user", "add", "staff@bench.example", "--role", "staff", "--password-stdin", stdin=password)
        # Made by the administrator, so vouched for: a registration would keep nothing until its address is proven.
        customer_email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        _cli(var_dir, "user", "add", customer_email, "--role", "customer", "--password-stdin", stdin=password)
        os.environ.update(config.extra_env)
        with running_app(var_dir, embedded_worker=False) as base_url:
            host, port = base_url.removeprefix("http://").split(":")
            anonymous = Target(host, int(port), {}, {})
            customer = _sign_in(anonymous, "/api/auth/login", customer_email, password)
            staff = _sign_in(anonymous, "/api/auth/login", "staff@bench.example", password)
            target = Target(host, int(port), customer, staff)
            # Warm: the measuring pool's processes start with the first scan; health's first call sets up.
            warm = _scan_upload("find_template.obj", template)(target)
            for _ in range(3):
                http_request(target, "GET", "/api/health", {})
            memory, health = TreeMemory(_server_pid(int(port))), HealthProber(target)
            memory.start()
            health.start()
            try:
                rows = [_run_case(case, target, memory, health, config.settle_s) for case in cases]
            finally:
                health.stop()
                memory.stop()
    return _report(rows, warm)


def _run_case(case: Case, target: Target, memory: TreeMemory, health: HealthProber, settle_s: float) -> dict[str, Any]:
    time.sleep(settle_s)
    before = memory.between(time.monotonic() - settle_s, time.monotonic()) or [memory.samples[-1][1]]
    started = time.monotonic()
    answer = case.send(target)
    ended = time.monotonic()
    time.sleep(0.2)  # what is freed after the answer still counts
    peak = max(memory.between(started, time.monotonic()) or [0])
    added = max(0, peak - int(statistics.median(before)))
    latencies = health.between(started, ended)
    answered = [ms for ms in latencies if ms is not None]
    return {
        "case": case.name,
        "status": answer.status,
        "expected": list(case.expect),
        "as_expected": answer.status in case.expect,
        "server_error": answer.status >= 500 and answer.status not in case.expect,
        "dropped_connection": answer.status == 0,
        "seconds": round(answer.seconds, 3),
        "sent_bytes": answer.sent_bytes,
        "peak_memory_added_bytes": added,
        "limit_bytes": case.limit_bytes,
        "peak_memory_added_ratio_to_limit": round(added / case.limit_bytes, 4),
        "health_ms": _summary_ms(answered),
        "health_unanswered": len(latencies) - len(answered),
        "problem": answer.body[:300].decode("utf-8", errors="replace"),
    }


def _report(rows: list[dict[str, Any]], warm: Answer) -> dict[str, Any]:
    during = [ms for row in rows for ms in ([row["health_ms"]["max"]] if row["health_ms"]["max"] is not None else [])]
    all_health = [row["health_ms"]["p50"] for row in rows if row["health_ms"]["p50"] is not None]
    server_errors = sum(row["server_error"] for row in rows)
    dropped = sum(row["dropped_connection"] for row in rows)
    worst_ratio = max(row["peak_memory_added_ratio_to_limit"] for row in rows)
    health_max = max(during, default=0.0)
    report: dict[str, Any] = {
        "cases": rows,
        "requests": len(rows),
        "warm_up_scan_status": warm.status,
        "server_errors": server_errors,
        "dropped_connections": dropped,
        "unexpected_statuses": [f"{r['case']}: {r['status']}" for r in rows if not r["as_expected"]],
        "peak_memory_added_max_bytes": max(row["peak_memory_added_bytes"] for row in rows),
        "peak_memory_added_max_ratio_to_limit": worst_ratio,
        "health_during_uploads_ms": {
            "p50_of_case_medians": round(statistics.median(all_health), 1) if all_health else None,
            "max": round(health_max, 1),
            "unanswered": sum(r["health_unanswered"] for r in rows),
        },
        "targets": TARGETS,
        "how": "each case sent over a plain socket to `cspms serve` (SQLite, no embedded worker) as a signed-in "
        "customer (or staff, or no one); memory: PSS of the server and its measuring pool, sampled every 25 ms, "
        "peak during the case minus the median of the 0.5 s before; health: GET /api/health every 20 ms on new "
        "connections while the case ran",
    }
    report["meets_targets"] = (
        server_errors + dropped == 0 and worst_ratio <= TARGETS["peak_memory_added_max_ratio_to_limit"]
        and health_max <= TARGETS["health_during_upload_max_ms"]
    )  # fmt: skip
    return report
