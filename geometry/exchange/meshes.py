"""Meshes and point clouds in: format sniffed from the bytes, then read into arrays.

Formats: STL (ascii / binary), OBJ, PLY (mesh or points, ascii / binary), OFF, GLB / glTF, 3MF through
trimesh; XYZ / ASC point lists through numpy. The file's own units are kept: unit detection is the
caller's business (lasts.scans).
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from typing import Literal

import numpy as np
import trimesh

from geometry.errors import InputError, InputTooLargeError, UnsupportedFormatError

MeshFormat = Literal["stl", "obj", "ply", "off", "glb", "gltf", "3mf", "xyz", "pcd"]


@dataclass(frozen=True)
class MeshData:
    """A triangle mesh, or a point cloud when ``faces`` is empty.

    vertices : (n, 3) float64, in the file's units
    faces : (m, 3) int64 vertex indices, (0, 3) for a point cloud
    """

    vertices: np.ndarray
    faces: np.ndarray
    format: MeshFormat

    @property
    def is_point_cloud(self) -> bool:
        return len(self.faces) == 0


def sniff_mesh_format(data: bytes, filename: str = "") -> MeshFormat:
    """The format of ``data`` judged from its content; the extension only breaks ties between text formats."""
    head = data[:4096]
    if head.startswith(b"glTF"):
        return "glb"
    if head.startswith(b"ply"):
        return "ply"
    if head.startswith(b"PK\x03\x04"):
        if _zip_has_3mf_model(data):
            return "3mf"
        raise UnsupportedFormatError("the file is a ZIP archive but not a 3MF model", filename=filename)
    if _looks_like_binary_stl(data):
        return "stl"
    if head.lstrip().startswith((b"# .PCD", b"VERSION", b"FIELDS")) and b"\nDATA " in head:
        return "pcd"
    if not _mostly_text(head):
        raise UnsupportedFormatError(
            "the file is binary and is neither binary STL, PLY, GLB, 3MF nor PCD", filename=filename
        )
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    lower = stripped.lower()
    if lower.startswith("solid") and "facet" in lower:
        return "stl"
    if stripped.startswith("{") and '"asset"' in text:
        return "gltf"
    if stripped.startswith(("OFF", "COFF", "NOFF")):
        return "off"
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if any(line.startswith(("v ", "f ", "vn ", "vt ", "o ", "g ", "mtllib", "usemtl")) for line in lines[:50]):
        return "obj"
    if lines and all(_is_number_row(line) for line in lines[:20]):
        return "xyz"
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    raise UnsupportedFormatError(
        f"cannot tell the format of {filename or 'the file'!r} from its content"
        + (f" (its extension says {ext!r})" if ext else ""),
        filename=filename,
    )


def read_mesh(data: bytes, filename: str = "", max_elements: int = 20_000_000) -> MeshData:
    """Read a mesh or point cloud from bytes; typed errors for empty, corrupt or oversized content."""
    if not data:
        raise InputError(f"{filename or 'the file'!r} is empty", filename=filename)
    fmt = sniff_mesh_format(data, filename)
    if fmt in ("xyz", "pcd"):
        vertices = _read_xyz(data, filename) if fmt == "xyz" else _read_pcd(data, filename)
        faces = np.empty((0, 3), dtype=np.int64)
    else:
        if fmt == "3mf":
            check_archive_unpacked_size(data, filename)
        vertices, faces = _read_with_trimesh(data, fmt, filename)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise InputError(f"{filename!r} has vertices without three coordinates", filename=filename, format=fmt)
    if len(vertices) + len(faces) > max_elements:
        raise InputError(
            f"{filename!r} has {len(vertices)} vertices and {len(faces)} faces, over the limit of {max_elements}",
            filename=filename,
        )
    if len(vertices) == 0:
        raise InputError(f"{filename or 'the file'!r} holds no vertices", filename=filename, format=fmt)
    if len(faces) and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise InputError(
            f"{filename!r} has faces that refer to vertices it does not have "
            f"(index {int(faces.max())}, {len(vertices)} vertices)",
            filename=filename,
            format=fmt,
        )
    if not np.isfinite(vertices).all():
        raise InputError(f"{filename!r} has vertices that are NaN or infinite", filename=filename, format=fmt)
    return MeshData(vertices=vertices, faces=faces, format=fmt)


def _read_with_trimesh(data: bytes, fmt: MeshFormat, filename: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        loaded = trimesh.load(io.BytesIO(data), file_type=fmt, force=None, process=False)
    except Exception as exc:  # trimesh raises many types for corrupt files; all mean "cannot read"
        raise InputError(
            f"{filename or 'the file'!r} looks like {fmt.upper()} but cannot be read: {exc}",
            filename=filename,
            format=fmt,
        ) from exc
    if isinstance(loaded, trimesh.Scene):
        geometries = [g for g in loaded.dump() if hasattr(g, "vertices")]
        if not geometries:
            raise InputError(f"{filename!r} holds no geometry", filename=filename, format=fmt)
        loaded = trimesh.util.concatenate(geometries)
    if isinstance(loaded, trimesh.Trimesh):
        vertices = np.asarray(loaded.vertices, dtype=np.float64)
        faces = np.asarray(loaded.faces, dtype=np.int64).reshape(-1, 3)
    elif isinstance(loaded, trimesh.PointCloud):
        vertices = np.asarray(loaded.vertices, dtype=np.float64)
        faces = np.empty((0, 3), dtype=np.int64)
    else:  # the mesh formats read as a mesh, a point cloud or a scene of them
        raise InputError(f"{filename!r} holds no mesh or point cloud", filename=filename, format=fmt)
    return vertices, faces


def _read_xyz(data: bytes, filename: str) -> np.ndarray:
    try:
        rows = np.loadtxt(io.BytesIO(data), comments="#", delimiter=None, ndmin=2, usecols=(0, 1, 2))
    except ValueError:
        try:  # comma-separated variant
            rows = np.loadtxt(io.BytesIO(data), comments="#", delimiter=",", ndmin=2, usecols=(0, 1, 2))
        except ValueError as exc:
            raise InputError(f"{filename!r} is not a list of x y z points: {exc}", filename=filename) from exc
    return rows.astype(np.float64)


_PCD_TYPES = {("F", 4): "<f4", ("F", 8): "<f8", ("I", 1): "i1", ("I", 2): "<i2", ("I", 4): "<i4",
              ("U", 1): "u1", ("U", 2): "<u2", ("U", 4): "<u4", ("I", 8): "<i8", ("U", 8): "<u8"}  # fmt: skip


def _read_pcd(data: bytes, filename: str) -> np.ndarray:
    """Point Cloud Library PCD, DATA ascii or binary (x, y, z fields; others ignored)."""
    header: dict[str, list[str]] = {}
    offset = 0
    while True:
        end = data.find(b"\n", offset)
        if end < 0:
            raise InputError(f"{filename!r}: the PCD header has no DATA line", filename=filename)
        line = data[offset:end].decode("ascii", errors="replace").strip()
        offset = end + 1
        if not line or line.startswith("#"):
            continue
        key, *values = line.split()
        header[key.upper()] = values
        if key.upper() == "DATA":
            break
    try:
        fields = header["FIELDS"]
        sizes = [int(v) for v in header.get("SIZE", ["4"] * len(fields))]
        types = header.get("TYPE", ["F"] * len(fields))
        counts = [int(v) for v in header.get("COUNT", ["1"] * len(fields))]
        points = int(header["POINTS"][0]) if "POINTS" in header else int(header["WIDTH"][0])
        mode = header["DATA"][0].lower()
        xyz = [fields.index(axis) for axis in ("x", "y", "z")]
    except (KeyError, ValueError, IndexError) as exc:
        raise InputError(f"{filename!r}: the PCD header is incomplete or wrong ({exc})", filename=filename) from exc
    if mode == "ascii":
        try:
            rows = np.loadtxt(io.BytesIO(data[offset:]), ndmin=2)
        except ValueError as exc:
            raise InputError(f"{filename!r}: PCD ascii data cannot be read: {exc}", filename=filename) from exc
        columns = np.cumsum([0, *counts])[:-1]
        return rows[:points, [columns[i] for i in xyz]].astype(np.float64)
    if mode == "binary":
        try:
            dtype = np.dtype(
                [
                    (f"f{i}", _PCD_TYPES[(t.upper(), s)], (c,))
                    for i, (t, s, c) in enumerate(zip(types, sizes, counts, strict=True))
                ]
            )
        except KeyError as exc:
            raise InputError(f"{filename!r}: unknown PCD field type {exc}", filename=filename) from exc
        if len(data) - offset < points * dtype.itemsize:
            raise InputError(
                f"{filename!r}: PCD binary data is truncated ({points} points announced)", filename=filename
            )
        records = np.frombuffer(data, dtype=dtype, count=points, offset=offset)
        return np.column_stack([records[f"f{i}"][:, 0] for i in xyz]).astype(np.float64)
    raise UnsupportedFormatError(
        f"{filename!r}: PCD DATA {mode} is not read; save the cloud as ascii or binary", filename=filename
    )


def _looks_like_binary_stl(data: bytes) -> bool:
    if len(data) < 84:
        return False
    count = int(struct.unpack_from("<I", data, 80)[0])
    return len(data) == 84 + 50 * count


# A 3MF is a zip: what it unpacks to is bounded before anything is unpacked (a decompression bomb is a few
# kilobytes that unpack to gigabytes). Real 3MF meshes compress 3-15 times; 100 leaves room and stops bombs.
MAX_UNPACKED_BYTES = 1 << 30
MAX_COMPRESSION_RATIO = 100.0


def check_archive_unpacked_size(data: bytes, filename: str = "", max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
                                max_ratio: float = MAX_COMPRESSION_RATIO) -> None:  # fmt: skip
    """Refuse an archive whose members would unpack past ``max_unpacked_bytes`` or ``max_ratio`` times its size
    (zipfile stops reading a member at its declared size, so the declared sizes are the real bound)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > max_unpacked_bytes or unpacked > max_ratio * max(len(data), 1):
        raise InputTooLargeError(
            f"{filename or 'the archive'!r} would unpack to {unpacked:,} bytes from {len(data):,} "
            f"(limits: {max_unpacked_bytes:,} bytes, {max_ratio:g} times its size): refused as a decompression bomb",
            filename=filename, unpacked_bytes=unpacked,
        )  # fmt: skip


def _zip_has_3mf_model(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.lower().endswith(".model") for name in archive.namelist())
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError):
        return False  # a damaged or exotic archive is no 3MF we can read


def _mostly_text(head: bytes) -> bool:
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
    return printable >= 0.95 * len(head)


def _is_number_row(line: str) -> bool:
    parts = line.replace(",", " ").split()
    if len(parts) < 3:
        return False
    try:
        [float(p) for p in parts]
    except ValueError:
        return False
    return True


def write_ply(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    """Binary little-endian PLY of a mesh (or of points when ``faces`` is empty)."""
    header = [
        "ply",
        "format binary_little_endian 1.0",
        f"element vertex {len(vertices)}",
        "property float x",
        "property float y",
        "property float z",
    ]
    if len(faces):
        header += [f"element face {len(faces)}", "property list uchar int vertex_indices"]
    body = np.asarray(vertices, dtype="<f4").tobytes()
    if len(faces):
        records = np.empty(len(faces), dtype=[("n", "u1"), ("i", "<i4", (3,))])
        records["n"] = 3
        records["i"] = faces
        body += records.tobytes()
    return ("\n".join([*header, "end_header"]) + "\n").encode("ascii") + body
