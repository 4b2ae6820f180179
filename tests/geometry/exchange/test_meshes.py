"""Format sniffing and reading, on files written by trimesh from a real shape and on broken files."""

import io
import zipfile

import numpy as np
import pytest
import trimesh

from geometry.errors import InputError, InputTooLargeError, UnsupportedFormatError
from geometry.exchange.meshes import read_mesh, sniff_mesh_format


@pytest.fixture(scope="module")
def capsule() -> trimesh.Trimesh:
    return trimesh.creation.capsule(height=0.2, radius=0.05, count=[16, 16])


def _export(mesh: trimesh.Trimesh, file_type: str, **kwargs: object) -> bytes:
    data = mesh.export(file_type=file_type, **kwargs)
    return data.encode() if isinstance(data, str) else data


@pytest.mark.parametrize(
    ("file_type", "kwargs", "expected"),
    [
        ("stl", {}, "stl"),
        ("stl_ascii", {}, "stl"),
        ("obj", {}, "obj"),
        ("ply", {"encoding": "binary"}, "ply"),
        ("ply", {"encoding": "ascii"}, "ply"),
        ("off", {}, "off"),
        ("glb", {}, "glb"),
        ("3mf", {}, "3mf"),
    ],
)
def test_mesh_formats_are_sniffed_from_content_and_read_whole(
    capsule: trimesh.Trimesh, file_type: str, kwargs: dict, expected: str
) -> None:
    data = _export(capsule, file_type, **kwargs)
    # A misleading extension must not matter: content decides.
    assert sniff_mesh_format(data, "scan.bin") == expected
    mesh = read_mesh(data, "scan.bin")
    assert mesh.format == expected
    assert len(mesh.faces) == len(capsule.faces)
    np.testing.assert_allclose(mesh.vertices.min(axis=0), capsule.bounds[0], atol=1e-5)
    np.testing.assert_allclose(mesh.vertices.max(axis=0), capsule.bounds[1], atol=1e-5)


def test_xyz_point_cloud_is_read_as_points(capsule: trimesh.Trimesh) -> None:
    text = "\n".join(f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in capsule.vertices)
    mesh = read_mesh(("# x y z\n" + text).encode(), "points.xyz")
    assert mesh.is_point_cloud
    assert mesh.format == "xyz"
    np.testing.assert_allclose(mesh.vertices, capsule.vertices, atol=1e-6)


def test_ply_point_cloud_has_no_faces(capsule: trimesh.Trimesh) -> None:
    data = trimesh.PointCloud(capsule.vertices).export(file_type="ply")
    mesh = read_mesh(data, "cloud.ply")
    assert mesh.is_point_cloud
    assert len(mesh.vertices) == len(capsule.vertices)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", InputError),
        (b"hello, this is not a mesh\n", UnsupportedFormatError),
        (bytes(range(256)) * 4, UnsupportedFormatError),
        (b"1 2 3\n4 nan 6\n", InputError),
    ],
)
def test_bad_files_raise_typed_errors(data: bytes, error: type) -> None:
    with pytest.raises(error):
        read_mesh(data, "upload.stl")


def test_a_zip_that_is_not_3mf_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a model")
    with pytest.raises(UnsupportedFormatError, match="not a 3MF"):
        read_mesh(buffer.getvalue(), "scan.3mf")


def zip_bomb_3mf(unpacked_mb: int) -> bytes:
    """A 3MF whose model unpacks to ``unpacked_mb`` MB of spaces (a few hundred kB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, archive.open(
        "3D/3dmodel.model", "w", force_zip64=True
    ) as member:
        chunk = b" " * (1 << 20)
        for _ in range(unpacked_mb):
            member.write(chunk)
    return buffer.getvalue()


def test_a_3mf_decompression_bomb_is_refused_before_it_is_unpacked(capsule: trimesh.Trimesh) -> None:
    bomb = zip_bomb_3mf(200)
    assert len(bomb) < 1_000_000
    with pytest.raises(InputTooLargeError, match="decompression bomb") as refused:
        read_mesh(bomb, "scan.3mf")
    assert refused.value.details["unpacked_bytes"] == 200 << 20
    assert len(read_mesh(_export(capsule, "3mf"), "scan.3mf").vertices) == len(capsule.vertices)  # real 3MF


def test_truncated_binary_stl_is_refused(capsule: trimesh.Trimesh) -> None:
    data = _export(capsule, "stl")
    with pytest.raises(InputError):
        read_mesh(data[: len(data) // 2], "scan.stl")
