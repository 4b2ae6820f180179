"""Format sniffing and reading, on files written by trimesh from a real shape and on broken files."""

import io
import json
import struct
import time
import zipfile

import numpy as np
import pytest
import trimesh

from benchmarks.hostile import (
    all_zero_stl,
    float32_max_stl,
    glb,
    huge_coordinates_obj,
    instancing_bomb_glb,
    nan_obj,
    pcd,
)
from geometry.errors import InputError, InputTooLargeError, UnsupportedFormatError
from geometry.exchange.meshes import ReadLimits, read_mesh, sniff_mesh_format


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


# ------------------------------------------------------------------------ limits before parsing, absurd values


def test_a_glb_instancing_bomb_is_refused_from_its_scene_graph_before_parsing() -> None:
    bomb = instancing_bomb_glb(faces=88_000, instances=21)
    started = time.perf_counter()
    with pytest.raises(InputTooLargeError, match="placed 21 times") as refused:
        read_mesh(bomb, "bomb.glb", ReadLimits(max_elements=3_000_000))
    assert time.perf_counter() - started < 0.5
    assert refused.value.details["faces"] == 21 * 88_000
    assert refused.value.details["limit_elements"] == 3_000_000
    mesh = read_mesh(instancing_bomb_glb(faces=1_000, instances=3), "three.glb")  # what is placed is read whole
    assert len(mesh.faces) == 3_000


def _node_graph_glb(nodes: list[dict], scene_nodes: list[int]) -> bytes:
    small = trimesh.creation.box().export(file_type="glb")
    length = struct.unpack_from("<I", small, 12)[0]
    document = json.loads(small[20 : 20 + length])
    blob = small[20 + length + 8 :]
    document["nodes"], document["scenes"] = nodes, [{"nodes": scene_nodes}]
    return glb(document, blob)


def test_a_glb_whose_nodes_double_at_every_level_is_refused_fast() -> None:
    # Node i has node i+1 twice as a child: 2^40 placements of the mesh from 41 nodes.
    nodes = [{"children": [i + 1, i + 1]} for i in range(40)] + [{"mesh": 0}]
    started = time.perf_counter()
    with pytest.raises(InputTooLargeError, match=r"placed 1,099,511,627,776 times"):
        read_mesh(_node_graph_glb(nodes, [0]), "doubling.glb")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("nodes", "roots"),
    [([{"children": [1]}, {"children": [0], "mesh": 0}], [0]), ([{"mesh": 5}], [0]), ([{"mesh": 0}], [3]),
     ([{"children": ["x"]}], [0]), ([{"mesh": 0}], "all")],
    ids=["cycle", "unknown mesh", "unknown root", "child not an index", "nodes not a list"],
)  # fmt: skip
def test_a_glb_with_a_broken_scene_graph_is_a_typed_error(nodes: list[dict], roots: list[int]) -> None:
    with pytest.raises(InputError, match="glTF JSON is malformed"):
        read_mesh(_node_graph_glb(nodes, roots), "broken.glb")


def test_deeply_nested_gltf_json_is_a_typed_error() -> None:
    data = b'{"asset": {"version": "2.0"}, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(InputError, match="glTF JSON"):
        read_mesh(data, "deep.gltf")


@pytest.mark.parametrize(
    ("name", "data", "limit"),
    [
        ("big.stl", all_zero_stl(200_000), 500_000),  # binary STL: the header's count, consistent with the size
        ("big.ply", b"ply\nformat ascii 1.0\nelement vertex 600000\nproperty float x\nend_header\n"
         + b"0\n" * 600_000, 500_000),
        ("fan.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf " + b"1 2 3 " * 200_000 + b"\n", 500_000),  # one 600k-gon
        ("many.xyz", b"1 2 3\n" * 600_000, 500_000),
        ("many.pcd", pcd(1, points=10**12), 500_000),
    ],
    ids=["stl", "ply", "obj polygon", "xyz", "pcd"],
)  # fmt: skip
def test_announced_counts_over_the_limit_are_refused_before_parsing(name: str, data: bytes, limit: int) -> None:
    with pytest.raises(InputTooLargeError, match="over the limit") as refused:
        read_mesh(data, name, ReadLimits(max_elements=limit))
    assert refused.value.details["limit_elements"] == limit


@pytest.mark.parametrize(
    "data",
    [
        b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\nproperty float y\n"
        b"property float z\nend_header\n" + b"\0" * 120,
        b"ply\nformat ascii 1.0\nelement vertex -5\nproperty float x\nend_header\n",
        b"OFF\n1000000000 5 0\n0 0 0\n",
    ],
    ids=["ply lying count", "ply negative count", "off lying count"],
)
def test_headers_announcing_more_than_the_file_holds_are_typed_errors(data: bytes) -> None:
    with pytest.raises(InputError, match=r"PLY|OFF"):
        read_mesh(data, "lying")


@pytest.mark.parametrize("count", [-1, 0, 10**9, "1e9"])
@pytest.mark.parametrize("encoding", ["ascii", "binary"])
def test_pcd_counts_no_field_can_have_are_typed_errors(count: int | str, encoding: str) -> None:
    with pytest.raises(InputError, match="PCD"):
        read_mesh(pcd(count, encoding), "cloud.pcd")


@pytest.mark.parametrize("points", [0, -3, "many"])
def test_pcd_point_counts_that_are_no_count_are_typed_errors(points: int | str) -> None:
    with pytest.raises(InputError, match="PCD"):
        read_mesh(pcd(1, points=points), "cloud.pcd")


def test_pcd_with_fields_and_sizes_of_different_lengths_is_a_typed_error() -> None:
    data = b"FIELDS x y z\nSIZE 4 4\nTYPE F F F\nCOUNT 1 1 1\nPOINTS 1\nDATA binary\n" + b"\0" * 12
    with pytest.raises(InputError, match="differ in length"):
        read_mesh(data, "cloud.pcd")


@pytest.mark.parametrize(
    ("data", "name"),
    [(huge_coordinates_obj(1e308), "huge.obj"), (float32_max_stl(), "float32-max.stl"),
     (huge_coordinates_obj(1e12), "far.obj")],
)  # fmt: skip
def test_coordinates_past_any_scan_are_typed_errors(data: bytes, name: str) -> None:
    with pytest.raises(InputError, match="no scan reaches that far"):
        read_mesh(data, name)


def test_nan_coordinates_are_typed_errors() -> None:
    with pytest.raises(InputError, match="NaN or infinite"):
        read_mesh(nan_obj(), "nan.obj")
