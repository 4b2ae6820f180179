"""3MF meshes read from their zip without trusting it: members are inflated through a counted reader, the model
XML is parsed as it streams, and the build is expanded only after its expanded size is known.

A zip says how large each member unpacks, and a reader that believes it can be made to inflate gigabytes
from a few hundred kilobytes before any check (a decompression bomb; a lying header makes a one-call inflate
allocate it all). Here every member is read in small chunks, counting what came out, and refused at the
limit whatever the headers say; the central directory's size is bounded before ``zipfile`` reads it; DTDs and
entities, which 3MF never needs, are refused. Objects placed many times (components, build items) are counted
once per placement before any copy is made.

Coordinates stay in the file's units (the model's ``unit`` is not applied, as for every other format).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

import numpy as np

from geometry.errors import InputError, InputTooLargeError, UnsupportedFormatError

_CHUNK_BYTES = 64 * 1024
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
# Bytes of central directory per member we accept: the fixed record, a name and some extra fields.
_DIRECTORY_BYTES_PER_MEMBER = 46 + 1024
_IDENTITY = np.eye(4)


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may hold and unpack to: members, bytes in all, and times its own size."""

    max_members: int = 64
    max_unpacked_bytes: int = 256 * 1024 * 1024
    max_compression_ratio: float = 100.0


def zip_directory_fits(data: bytes, limits: ArchiveLimits) -> bool:
    """Whether ``data`` ends with a zip directory of at most ``max_members`` members and bytes to match,
    judged from the end records alone (``zipfile`` would build an object per member before any check)."""
    start = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if start < 0 or start + 22 > len(data):
        return False
    members, directory_bytes = struct.unpack_from("<HI", data, start + 10)
    if (members == 0xFFFF or directory_bytes == 0xFFFFFFFF) and start >= 20:
        locator = start - 20
        if data[locator : locator + 4] != _EOCD64_LOCATOR:
            return False
        (offset,) = struct.unpack_from("<Q", data, locator + 8)
        if offset + 56 > len(data) or data[offset : offset + 4] != _EOCD64:
            return False
        members, directory_bytes = struct.unpack_from("<QQ", data, offset + 32)
    return bool(members <= limits.max_members and directory_bytes <= limits.max_members * _DIRECTORY_BYTES_PER_MEMBER)


def _check_unpacked(unpacked: int, packed: int, filename: str, limits: ArchiveLimits) -> None:
    if unpacked > limits.max_unpacked_bytes or unpacked > limits.max_compression_ratio * max(packed, 1):
        raise InputTooLargeError(
            f"{filename or 'the archive'!r} would unpack to {unpacked:,} bytes or more from {packed:,} (limits: "
            f"{limits.max_unpacked_bytes:,} bytes, {limits.max_compression_ratio:g} times its size): refused as a "
            "decompression bomb",
            filename=filename, unpacked_bytes=unpacked, limit_bytes=limits.max_unpacked_bytes,
        )  # fmt: skip


def _open_archive(data: bytes, filename: str, limits: ArchiveLimits) -> zipfile.ZipFile:
    if not zip_directory_fits(data, limits):
        raise InputTooLargeError(
            f"{filename or 'the archive'!r} lists more than {limits.max_members} members, or its directory is "
            "damaged", filename=filename, limit_members=limits.max_members,
        )  # fmt: skip
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError) as exc:
        raise InputError(f"{filename or 'the archive'!r} is a damaged zip: {exc}", filename=filename) from exc


class _Budget:
    """Bytes an archive may still unpack to; ``spend`` refuses past it (``bound`` is the smaller limit)."""

    def __init__(self, packed_bytes: int, filename: str, limits: ArchiveLimits) -> None:
        self.packed_bytes, self.filename, self.limits = packed_bytes, filename, limits
        self.bound = min(limits.max_unpacked_bytes, int(limits.max_compression_ratio * max(packed_bytes, 1)))
        self.spent = 0

    def spend(self, size: int) -> None:
        self.spent += size
        if self.spent > self.bound:
            _check_unpacked(self.spent, self.packed_bytes, self.filename, self.limits)


def counted_member_chunks(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, filename: str
) -> Iterator[bytes]:
    """A member's bytes in chunks of at most 64 KiB, each counted against ``budget`` as it comes out."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnsupportedFormatError(
            f"{filename!r}: member {info.filename[:100]!r} is compressed with method {info.compress_type}; "
            "3MF members are stored or deflated", filename=filename,
        )  # fmt: skip
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK_BYTES):
                budget.spend(len(chunk))
                yield chunk
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError, OSError,
            ValueError) as exc:  # fmt: skip
        # A lying header ends here: the member stops at its declared size and fails its CRC.
        raise InputError(f"{filename!r} is a damaged zip: {exc}", filename=filename) from exc


# ------------------------------------------------------------------------------------------ the model XML


@dataclass
class _Object:
    vertices: array[float] = field(default_factory=lambda: array("d"))
    triangles: array[int] = field(default_factory=lambda: array("q"))
    components: list[tuple[str, np.ndarray]] = field(default_factory=list)


@dataclass
class _Model:
    """What the model XML holds: objects by id (mesh, components) and the build's placements."""

    filename: str
    max_elements: int
    objects: dict[str, _Object] = field(default_factory=dict)
    build: list[tuple[str, np.ndarray]] = field(default_factory=list)
    current: _Object | None = None
    elements: int = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rsplit("}", 1)[-1]
        try:
            if local == "vertex" and self.current is not None:
                self.current.vertices.extend((float(attributes["x"]), float(attributes["y"]), float(attributes["z"])))
                self._count()
            elif local == "triangle" and self.current is not None:
                self.current.triangles.extend((int(attributes["v1"]), int(attributes["v2"]), int(attributes["v3"])))
                self._count()
            elif local == "object":
                self.current = self.objects.setdefault(attributes["id"], _Object())
            elif local == "component" and self.current is not None:
                self._refuse_other_parts(attributes)
                self.current.components.append((attributes["objectid"], _transform(attributes.get("transform"))))
            elif local == "item":
                self._refuse_other_parts(attributes)
                self.build.append((attributes["objectid"], _transform(attributes.get("transform"))))
        except InputError:
            raise
        except (KeyError, ValueError, OverflowError) as exc:
            raise InputError(f"{self.filename!r}: a 3MF <{local}> is malformed ({exc!r})",
                             filename=self.filename) from exc  # fmt: skip

    def end(self, name: str) -> None:
        if name.rsplit("}", 1)[-1] == "object":
            self.current = None

    def _count(self) -> None:
        self.elements += 1
        if self.elements > self.max_elements:
            raise InputTooLargeError(
                f"{self.filename!r} holds more than {self.max_elements:,} vertices and triangles",
                filename=self.filename, limit_elements=self.max_elements,
            )  # fmt: skip

    def _refuse_other_parts(self, attributes: dict[str, str]) -> None:
        if any(key.rsplit("}", 1)[-1] == "path" for key in attributes):
            raise UnsupportedFormatError(
                f"{self.filename!r} places objects from other model parts (3MF production extension); "
                "export the mesh as one part", filename=self.filename,
            )  # fmt: skip


def _transform(text: str | None) -> np.ndarray:
    """A 3MF transform (12 numbers, row-vector convention) as a 4×4 matrix that right-multiplies [x y z 1]."""
    if text is None:
        return _IDENTITY
    values = [float(v) for v in text.split()]
    if len(values) != 12 or not all(np.isfinite(values)):
        raise ValueError(f"a transform needs 12 finite numbers, got {text[:80]!r}")
    matrix = np.eye(4)
    matrix[:, :3] = np.reshape(values, (4, 3))
    return matrix


def _parse_model(chunks: Iterator[bytes], filename: str, max_elements: int) -> _Model:
    model = _Model(filename, max_elements)
    parser = expat.ParserCreate(namespace_separator="}")

    def refuse_dtd(*_: object) -> None:
        raise InputError(f"{filename!r}: the 3MF model declares a DTD or entities (3MF has none)", filename=filename)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = model.start
    parser.EndElementHandler = model.end
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise InputError(f"{filename!r}: the 3MF model is not well-formed XML ({exc})", filename=filename) from exc
    return model


def _expanded_elements(model: _Model, placements: list[tuple[str, np.ndarray]]) -> tuple[int, int]:
    """(vertices, triangles) of the build once every placement is copied; refuses cycles and unknown ids."""
    totals: dict[str, tuple[int, int]] = {}
    on_path: set[str] = set()

    def visit(object_id: str) -> tuple[int, int]:
        if object_id in totals:
            return totals[object_id]
        if object_id in on_path or object_id not in model.objects or len(on_path) > 64:
            raise InputError(
                f"{model.filename!r}: the 3MF places object {object_id[:40]!r}, which is missing, contains itself or "
                "nests too deep", filename=model.filename,
            )  # fmt: skip
        on_path.add(object_id)
        item = model.objects[object_id]
        vertices, triangles = len(item.vertices) // 3, len(item.triangles) // 3
        for child, _ in item.components:
            child_vertices, child_triangles = visit(child)
            vertices, triangles = vertices + child_vertices, triangles + child_triangles
        on_path.discard(object_id)
        totals[object_id] = (vertices, triangles)
        return totals[object_id]

    counts = [visit(object_id) for object_id, _ in placements]
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def _placed(model: _Model, object_id: str, matrix: np.ndarray, out: list[tuple[np.ndarray, np.ndarray]]) -> None:
    item = model.objects[object_id]
    vertices = np.frombuffer(item.vertices, dtype=np.float64).reshape(-1, 3)
    triangles = np.frombuffer(item.triangles, dtype=np.int64).reshape(-1, 3)
    if len(triangles) and (triangles.min() < 0 or triangles.max() >= len(vertices)):
        raise InputError(f"{model.filename!r}: a 3MF triangle names a vertex its object does not have",
                         filename=model.filename)  # fmt: skip
    if len(vertices):
        out.append((vertices @ matrix[:3, :3] + matrix[3, :3], triangles))
    for child, transform in item.components:
        _placed(model, child, transform @ matrix, out)


def read_3mf(data: bytes, filename: str, max_elements: int, limits: ArchiveLimits) -> tuple[np.ndarray, np.ndarray]:
    """The build of a 3MF as one mesh: vertices (n, 3) float64 in the file's units, faces (m, 3) int64.

    Typed errors: ``InputTooLargeError`` past ``limits`` or past ``max_elements`` vertices and triangles
    (placements expanded), ``InputError`` for a damaged archive or model, ``UnsupportedFormatError`` for
    features not read."""
    with _open_archive(data, filename, limits) as archive:
        infos = archive.infolist()
        _check_unpacked(sum(info.file_size for info in infos), len(data), filename, limits)
        models = [info for info in infos if info.filename.lower().endswith(".model")]
        if not models:
            raise UnsupportedFormatError("the file is a ZIP archive but not a 3MF model", filename=filename)
        root = next((i for i in models if i.filename.lower().lstrip("/") == "3d/3dmodel.model"), models[0])
        budget = _Budget(len(data), filename, limits)
        model = _parse_model(counted_member_chunks(archive, root, budget, filename), filename, max_elements)
    placements = model.build or [(object_id, _IDENTITY) for object_id in model.objects]
    vertices, triangles = _expanded_elements(model, placements)
    if vertices + triangles > max_elements:
        raise InputTooLargeError(
            f"{filename!r} expands to {vertices:,} vertices and {triangles:,} triangles once its "
            f"{len(placements):,} placements are copied, over the limit of {max_elements:,} together",
            filename=filename, vertices=vertices, faces=triangles, limit_elements=max_elements,
        )  # fmt: skip
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for object_id, matrix in placements:
        _placed(model, object_id, matrix, parts)
    if not parts:
        return np.empty((0, 3)), np.empty((0, 3), dtype=np.int64)
    offsets = np.cumsum([0] + [len(v) for v, _ in parts[:-1]])
    return (np.concatenate([v for v, _ in parts]),
            np.concatenate([f + offset for (_, f), offset in zip(parts, offsets, strict=True)]))  # fmt: skip
