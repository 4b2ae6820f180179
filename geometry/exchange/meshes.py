"""Meshes and point clouds in: format sniffed from the bytes, then read into arrays.

Formats: STL (ascii / binary), OBJ, PLY (mesh or points, ascii / binary), OFF, GLB / glTF through trimesh;
3MF through a counted zip reader (geometry.exchange.threemf); XYZ / ASC point lists and PCD through numpy.
The file's own units are kept: unit detection is the caller's business (lasts.scans).

Nothing is parsed before the file's announced size is checked against ``ReadLimits``: the vertices and faces
its header or lines announce (a glTF's scene graph walked, so a mesh placed by many nodes counts once per
node), what an archive unpacks to. What comes out is checked too: finite coordinates of a sane magnitude,
faces naming vertices that exist.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import trimesh

from geometry.errors import InputError, InputTooLargeError, UnsupportedFormatError
from geometry.exchange.threemf import ArchiveLimits, read_3mf, zip_directory_fits

MeshFormat = Literal["stl", "obj", "ply", "off", "glb", "gltf", "3mf", "xyz", "pcd"]


@dataclass(frozen=True)
class ReadLimits:
    """What a scan file may announce and hold, checked before and after it is parsed.

    ``max_elements``: vertices + faces once every instance is placed. ``max_abs_coordinate``: no scan, in any
    unit, reaches further from its origin (1e9 mm is a thousand kilometres); past it arithmetic overflows.
    """

    max_elements: int = 20_000_000
    max_abs_coordinate: float = 1e9
    archive: ArchiveLimits = field(default_factory=ArchiveLimits)


DEFAULT_READ_LIMITS = ReadLimits()


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
        if not zip_directory_fits(data, DEFAULT_READ_LIMITS.archive):
            raise InputTooLargeError(
                f"{filename or 'the archive'!r} lists more than {DEFAULT_READ_LIMITS.archive.max_members} members, "
                "or its zip directory is damaged", filename=filename,
            )  # fmt: skip
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


def read_mesh(data: bytes, filename: str = "", limits: ReadLimits = DEFAULT_READ_LIMITS) -> MeshData:
    """Read a mesh or point cloud from bytes; typed errors for empty, corrupt, oversized or absurd content
    (``InputTooLargeError`` naming the counts and the limit before anything is parsed)."""
    if not data:
        raise InputError(f"{filename or 'the file'!r} is empty", filename=filename)
    fmt = sniff_mesh_format(data, filename)
    if fmt != "3mf":  # a 3MF is counted while its model streams out of the zip
        vertices_announced, faces_announced, how = announced_elements(data, fmt, filename, limits.max_elements)
        _check_element_count(vertices_announced, faces_announced, limits.max_elements, filename, fmt, how)
    if fmt in ("xyz", "pcd"):
        vertices = _read_xyz(data, filename) if fmt == "xyz" else _read_pcd(data, filename, limits)
        faces = np.empty((0, 3), dtype=np.int64)
    elif fmt == "3mf":
        vertices, faces = read_3mf(data, filename, limits.max_elements, limits.archive)
    else:
        vertices, faces = _read_with_trimesh(data, fmt, filename)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise InputError(f"{filename!r} has vertices without three coordinates", filename=filename, format=fmt)
    _check_element_count(len(vertices), len(faces), limits.max_elements, filename, fmt, "as read")
    if len(vertices) == 0:
        raise InputError(f"{filename or 'the file'!r} holds no vertices", filename=filename, format=fmt)
    if len(faces) and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise InputError(
            f"{filename!r} has faces that refer to vertices it does not have "
            f"(index {int(faces.max())}, {len(vertices)} vertices)",
            filename=filename,
            format=fmt,
        )
    _check_coordinates(vertices, filename, fmt, limits.max_abs_coordinate)
    return MeshData(vertices=vertices, faces=faces, format=fmt)


def _check_element_count(vertices: int, faces: int, max_elements: int, filename: str, fmt: str, how: str) -> None:
    if vertices + faces > max_elements:
        raise InputTooLargeError(
            f"{filename or 'the file'!r} has {vertices:,} vertices and {faces:,} faces ({how}), over the limit of "
            f"{max_elements:,} vertices and faces together",
            filename=filename, format=fmt, vertices=vertices, faces=faces, limit_elements=max_elements,
        )  # fmt: skip


def _check_coordinates(vertices: np.ndarray, filename: str, fmt: str, max_abs_coordinate: float) -> None:
    """Finite coordinates of a sane magnitude (all on one point is data: the caller judges the shape)."""
    if not np.isfinite(vertices).all():
        raise InputError(f"{filename!r} has vertices that are NaN or infinite", filename=filename, format=fmt)
    largest = float(np.abs(vertices).max())
    if largest > max_abs_coordinate:
        raise InputError(
            f"{filename!r} has coordinates up to {largest:.3g}: no scan reaches that far in any unit (the limit "
            f"is {max_abs_coordinate:.3g}); is it scaled wrongly?",
            filename=filename, format=fmt, largest_coordinate=largest, limit=max_abs_coordinate,
        )  # fmt: skip


def announced_elements(
    data: bytes, fmt: MeshFormat, filename: str = "", max_elements: int | None = None
) -> tuple[int, int, str]:
    """(vertices, faces, how they were counted) that a file will expand to, from its header or by counting
    its lines, before it is parsed; upper bounds where a count cannot be exact (polygons to be triangulated).
    A glTF's scene graph is walked: a mesh placed by k nodes counts k times. ``max_elements``: where a cheap
    bound passes it, count exactly (OBJ)."""
    if fmt == "stl":
        if _looks_like_binary_stl(data):
            faces = int(struct.unpack_from("<I", data, 80)[0])
        else:
            faces = data.count(b"endfacet") + data.count(b"ENDFACET")
        return 3 * faces, faces, "from its facet count"  # trimesh keeps three vertices per facet
    if fmt == "ply":
        return _ply_announced(data, filename)
    if fmt == "off":
        return _off_announced(data, filename)
    if fmt == "obj":
        return _obj_announced(data, max_elements)
    if fmt in ("glb", "gltf"):
        return _gltf_announced(data, fmt, filename)
    if fmt == "xyz":
        return data.count(b"\n") + 1, 0, "one point per line"
    if fmt == "pcd":
        header = _pcd_header(data, filename)[0]
        return _pcd_points(header, filename), 0, "from its POINTS field"
    return 0, 0, "counted while read"


def _ply_announced(data: bytes, filename: str) -> tuple[int, int, str]:
    end = data.find(b"end_header", 0, 1 << 16)
    if end < 0:
        raise InputError(f"{filename!r}: the PLY header has no end_header", filename=filename, format="ply")
    counts: dict[bytes, int] = {}
    for line in data[:end].splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == b"element":
            try:
                counts[words[1]] = int(words[2])
            except ValueError as exc:
                raise InputError(f"{filename!r}: a PLY element count is not a number ({line[:80]!r})",
                                 filename=filename, format="ply") from exc  # fmt: skip
    if any(count < 0 for count in counts.values()):
        raise InputError(f"{filename!r}: a PLY element count is negative", filename=filename, format="ply")
    # Every element takes at least a byte: a header announcing more than the file holds lies.
    if sum(counts.values()) > len(data):
        raise InputError(
            f"{filename!r}: its PLY header announces {sum(counts.values()):,} elements in {len(data):,} bytes: "
            "truncated, or a header that lies", filename=filename, format="ply",
        )  # fmt: skip
    vertices = counts.get(b"vertex", 0)
    return vertices, sum(counts.values()) - vertices, "from its PLY header"


def _off_announced(data: bytes, filename: str) -> tuple[int, int, str]:
    numbers: list[bytes] = []
    for line in data[:4096].splitlines():  # "OFF", comments, then "vertices faces edges" (or all on one line)
        numbers += [w for w in line.split(b"#", 1)[0].split() if not w.isalpha()]
        if len(numbers) >= 2:
            break
    try:
        vertices, faces = (int(w) for w in numbers[:2])
    except ValueError as exc:
        raise InputError(f"{filename!r}: the OFF header has no vertex and face counts", filename=filename,
                         format="off") from exc  # fmt: skip
    if min(vertices, faces) < 0 or vertices + faces > len(data):
        raise InputError(f"{filename!r}: its OFF header announces {vertices:,} vertices and {faces:,} faces in "
                         f"{len(data):,} bytes", filename=filename, format="off")  # fmt: skip
    return vertices, faces, "from its OFF header"


_OBJ_FACE_LINE = re.compile(rb"^f[ \t]([^\n]*)", re.MULTILINE)


def _obj_announced(data: bytes, max_elements: int | None) -> tuple[int, int, str]:
    def lines(prefix: bytes) -> int:
        start = int(data.startswith(prefix + b" ") or data.startswith(prefix + b"\t"))
        return start + data.count(b"\n" + prefix + b" ") + data.count(b"\n" + prefix + b"\t")

    vertices, normals, uvs, faces = lines(b"v"), lines(b"vn"), lines(b"vt"), lines(b"f")
    # A face of k corners becomes k - 2 triangles, and needs k separators: the separators not on vertex, normal
    # or texture lines bound them (a cheap bound, counted in C; vertex colours or comments inflate it).
    separators = data.count(b" ") + data.count(b"\t") - 3 * (vertices + normals) - 2 * uvs
    triangles = max(faces, separators - 2 * faces)
    if max_elements is None or vertices + triangles <= max_elements:
        return vertices, triangles, "by counting its lines"
    # Past the limit by the bound: count each face line's corners.
    triangles = sum(max(len(m.group(1).split()) - 2, 1) for m in _OBJ_FACE_LINE.finditer(data))
    return vertices, triangles, "by counting its lines and corners"


def _gltf_document(data: bytes, fmt: MeshFormat, filename: str) -> dict[str, Any]:
    text = data
    if fmt == "glb":
        if len(data) < 20:
            raise InputError(f"{filename!r}: a GLB shorter than its header", filename=filename, format=fmt)
        length, kind = struct.unpack_from("<I4s", data, 12)
        if kind != b"JSON" or 20 + length > len(data):
            raise InputError(f"{filename!r}: the GLB's first chunk is not its JSON", filename=filename, format=fmt)
        text = data[20 : 20 + length]
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep to parse
        raise InputError(f"{filename!r}: its glTF JSON cannot be read ({type(exc).__name__})", filename=filename,
                         format=fmt) from exc  # fmt: skip
    if not isinstance(document, dict):
        raise InputError(f"{filename!r}: its glTF JSON is not an object", filename=filename, format=fmt)
    return document


def _gltf_announced(data: bytes, fmt: MeshFormat, filename: str) -> tuple[int, int, str]:
    document = _gltf_document(data, fmt, filename)
    try:
        vertices, faces, placements = _gltf_scene_elements(document)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{filename!r}: its glTF JSON is malformed ({type(exc).__name__}: {exc})",
                         filename=filename, format=fmt) from exc  # fmt: skip
    return vertices, faces, f"its meshes placed {placements:,} times"


def _gltf_scene_elements(document: dict[str, Any]) -> tuple[int, int, int]:
    """(vertices, faces, mesh placements) of the default scene once every node is placed, without building it."""
    accessors, nodes = document.get("accessors", []), document.get("nodes", [])

    def count(index: Any) -> int:
        value = accessors[_index(index, len(accessors))]["count"]
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"accessor count {value!r}")
        return value

    meshes = []
    for mesh in document.get("meshes", []):
        vertices = faces = 0
        for primitive in mesh.get("primitives", []):
            attributes = primitive.get("attributes", {})
            corners = count(attributes["POSITION"]) if "POSITION" in attributes else 0
            indices = count(primitive["indices"]) if "indices" in primitive else corners
            mode = primitive.get("mode", 4)
            vertices += corners
            faces += indices // 3 if mode == 4 else max(indices - 2, 0) if mode in (5, 6) else 0
        meshes.append((vertices, faces))
    if not nodes:  # no scene graph: each mesh once
        return sum(v for v, _ in meshes), sum(f for _, f in meshes), len(meshes)
    scenes = document.get("scenes")
    if scenes:
        roots = scenes[_index(document.get("scene", 0), len(scenes))].get("nodes", [])
    else:
        children = {c for node in nodes for c in node.get("children", [])}
        roots = [i for i in range(len(nodes)) if i not in children]
    totals: dict[int, tuple[int, int, int]] = {}
    for root in roots:
        _expand_node(_index(root, len(nodes)), nodes, meshes, totals, count)
    placed = [totals[_index(root, len(nodes))] for root in roots]
    return sum(p[0] for p in placed), sum(p[1] for p in placed), sum(p[2] for p in placed)


def _expand_node(root: int, nodes: list[Any], meshes: list[tuple[int, int]],
                 totals: dict[int, tuple[int, int, int]], count: Callable[[Any], int]) -> None:  # fmt: skip
    """Fill ``totals[node]`` = (vertices, faces, placements) of the subtree under each node (depth-first, no
    recursion; a node reached twice is counted twice by its parents; a cycle is refused)."""
    on_path: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = [_index(c, len(nodes)) for c in nodes[node].get("children", [])]
        if children_done:
            on_path.discard(node)
            vertices = faces = placements = 0
            if "mesh" in nodes[node]:
                copies = _gpu_instances(nodes[node], count)
                mesh_vertices, mesh_faces = meshes[_index(nodes[node]["mesh"], len(meshes))]
                vertices, faces, placements = copies * mesh_vertices, copies * mesh_faces, copies
            for child in children:
                vertices, faces, placements = (a + b for a, b in zip((vertices, faces, placements), totals[child],
                                                                     strict=True))  # fmt: skip
            totals[node] = (vertices, faces, placements)
            continue
        if node in totals:
            continue
        if node in on_path:
            raise ValueError(f"node {node} is its own ancestor")
        on_path.add(node)
        stack.append((node, True))
        stack.extend((child, False) for child in children if child not in totals)


def _gpu_instances(node: dict[str, Any], count: Callable[[Any], int]) -> int:
    """Copies of a node's mesh drawn by EXT_mesh_gpu_instancing (1 without it)."""
    instancing = node.get("extensions", {}).get("EXT_mesh_gpu_instancing")
    if not instancing:
        return 1
    return max([count(a) for a in instancing.get("attributes", {}).values()] or [1])


def _index(value: Any, length: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < length:
        raise IndexError(f"index {value!r} out of 0…{length - 1}")
    return value


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


# COUNT is how many values a field holds per point (1 for x, y, z; 33 for an FPFH descriptor): more is no PCD.
_PCD_MAX_COUNT = 1024


def _pcd_header(data: bytes, filename: str) -> tuple[dict[str, list[str]], int]:
    """The PCD header's fields (upper-case keys) and the offset of the data after its DATA line."""
    header: dict[str, list[str]] = {}
    offset = 0
    while True:
        end = data.find(b"\n", offset, offset + 4096)
        if end < 0:
            raise InputError(f"{filename!r}: the PCD header has no DATA line", filename=filename, format="pcd")
        line = data[offset:end].decode("ascii", errors="replace").strip()
        offset = end + 1
        if not line or line.startswith("#"):
            continue
        key, *values = line.split()
        header[key.upper()] = values
        if key.upper() == "DATA":
            return header, offset


def _pcd_points(header: dict[str, list[str]], filename: str) -> int:
    try:
        points = int(header["POINTS"][0]) if "POINTS" in header else int(header["WIDTH"][0])
    except (KeyError, ValueError, IndexError) as exc:
        raise InputError(f"{filename!r}: the PCD header has no point count (POINTS or WIDTH)", filename=filename,
                         format="pcd") from exc  # fmt: skip
    if points < 1:
        raise InputError(f"{filename!r}: the PCD header announces {points} points", filename=filename, format="pcd")
    return points


def _read_pcd(data: bytes, filename: str, limits: ReadLimits) -> np.ndarray:
    """Point Cloud Library PCD, DATA ascii or binary (x, y, z fields; others ignored)."""
    header, offset = _pcd_header(data, filename)
    points = _pcd_points(header, filename)
    try:
        fields = header["FIELDS"]
        sizes = [int(v) for v in header.get("SIZE", ["4"] * len(fields))]
        types = [t.upper() for t in header.get("TYPE", ["F"] * len(fields))]
        counts = [int(v) for v in header.get("COUNT", ["1"] * len(fields))]
        mode = header["DATA"][0].lower()
        xyz = [fields.index(axis) for axis in ("x", "y", "z")]
    except (KeyError, ValueError, IndexError) as exc:
        raise InputError(f"{filename!r}: the PCD header is incomplete or wrong ({exc})", filename=filename) from exc
    if not len(fields) == len(sizes) == len(types) == len(counts):
        raise InputError(f"{filename!r}: the PCD header's FIELDS, SIZE, TYPE and COUNT differ in length",
                         filename=filename, format="pcd")  # fmt: skip
    if not all(1 <= c <= _PCD_MAX_COUNT for c in counts):
        raise InputError(
            f"{filename!r}: PCD COUNT {' '.join(map(str, counts))}: each field holds 1 to {_PCD_MAX_COUNT} values",
            filename=filename, format="pcd",
        )  # fmt: skip
    if points * sum(counts) > limits.max_elements:
        raise InputTooLargeError(
            f"{filename!r} announces {points:,} points of {sum(counts)} values, over the limit of "
            f"{limits.max_elements:,}", filename=filename, format="pcd", limit_elements=limits.max_elements,
        )  # fmt: skip
    if mode == "ascii":
        try:
            rows = np.loadtxt(io.BytesIO(data[offset:]), ndmin=2, max_rows=points)
        except ValueError as exc:
            raise InputError(f"{filename!r}: PCD ascii data cannot be read: {exc}", filename=filename) from exc
        columns = np.cumsum([0, *counts])[:-1]
        if rows.shape[1] < sum(counts):
            raise InputError(f"{filename!r}: PCD ascii rows have {rows.shape[1]} values; the header says "
                             f"{sum(counts)}", filename=filename, format="pcd")  # fmt: skip
        return rows[:, [columns[i] for i in xyz]].astype(np.float64)
    if mode == "binary":
        try:
            fields_of_point = enumerate(zip(types, sizes, counts, strict=True))
            dtype = np.dtype([(f"f{i}", _PCD_TYPES[(t, s)], (c,)) for i, (t, s, c) in fields_of_point])
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
