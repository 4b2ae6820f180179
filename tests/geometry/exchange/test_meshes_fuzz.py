"""Property-based fuzzing of the scan readers: whatever the bytes, only our typed errors escape."""

import io
import json
import os

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.hostile import glb, instancing_bomb_glb, lying_3mf, pcd
from geometry.errors import CspmsError
from geometry.exchange.meshes import ReadLimits, read_mesh
from tests.geometry.exchange.test_threemf import TETRA, three_mf

_BOX = trimesh.creation.icosphere(subdivisions=1, radius=10.0)


def _sample_files() -> list[tuple[str, bytes]]:
    files = []
    for file_type in ("stl", "stl_ascii", "obj", "ply", "off", "glb", "3mf"):
        data = _BOX.export(file_type=file_type)
        files.append((file_type, data.encode() if isinstance(data, str) else data))
    buffer = io.StringIO()
    np.savetxt(buffer, _BOX.vertices)
    files.append(("xyz", buffer.getvalue().encode()))
    pcd_header = "VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 42\nHEIGHT 1\nPOINTS 42\n"
    files.append(("pcd", (pcd_header + "DATA binary\n").encode() + _BOX.vertices.astype("<f4").tobytes()))
    # The hostile corpus's shapes, small: instances, components, a lying zip, PCD headers.
    files.append(("glb", instancing_bomb_glb(faces=60, instances=4)))
    placed = ('<resources><object id="1">' + TETRA + '</object><object id="2"><components><component objectid="1"/>'
              '<component objectid="1" transform="1 0 0 0 1 0 0 0 1 5 0 0"/></components></object></resources>'
              '<build><item objectid="2"/></build>')  # fmt: skip
    files.append(("3mf", three_mf(placed)))
    files.append(("3mf", lying_3mf(20_000, declared_bytes=500)))
    files.append(("pcd", pcd(1, "ascii")))
    files.append(("pcd", pcd(1, "binary")))
    return files


SAMPLES = _sample_files()
# Derandomised so CI is repeatable; raise CSPMS_FUZZ_EXAMPLES for a longer hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("CSPMS_FUZZ_EXAMPLES", "400")),
    deadline=None,
    derandomize="CSPMS_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow],
)


def _read_or_typed_error(data: bytes, name: str) -> None:
    try:
        mesh = read_mesh(data, name)
    except CspmsError:
        return
    assert mesh.vertices.ndim == 2 and mesh.vertices.shape[1] == 3
    assert np.isfinite(mesh.vertices).all()
    if len(mesh.faces):
        assert mesh.faces.min() >= 0 and mesh.faces.max() < len(mesh.vertices)


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(["scan.stl", "scan.ply", "scan.obj", "scan.xyz", "scan"]))
def test_random_bytes(data: bytes, name: str) -> None:
    _read_or_typed_error(data, name)


@FUZZ
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=12),
    st.one_of(st.none(), st.integers(min_value=0)),
)
def test_mutated_real_files(sample: tuple[str, bytes], flips: list[tuple[int, int]], cut: int | None) -> None:
    name, original = sample
    data = bytearray(original)
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _read_or_typed_error(bytes(data), f"scan.{name}")


@pytest.mark.parametrize(("name", "data"), SAMPLES[:9])
def test_every_sample_reads(name: str, data: bytes) -> None:
    assert len(read_mesh(data, f"scan.{name}").vertices) >= 42


_INDEX = st.one_of(st.integers(min_value=-2, max_value=6), st.just("0"), st.none(), st.floats(allow_nan=True))
_NODE = st.fixed_dictionaries(
    {},
    optional={
        "mesh": _INDEX,
        "children": st.one_of(st.lists(_INDEX, max_size=4), _INDEX),
        "extensions": st.just({"EXT_mesh_gpu_instancing": {"attributes": {"TRANSLATION": 0}}}),
    },
)


@FUZZ
@given(st.lists(_NODE, max_size=7), st.one_of(st.lists(_INDEX, max_size=4), _INDEX), st.integers(0, 3))
def test_random_gltf_scene_graphs(nodes: list[dict], roots: object, max_elements_k: int) -> None:
    """Whatever the node graph (cycles, bad indices, wrong types), reading it is bounded and typed."""
    data = instancing_bomb_glb(faces=10, instances=1)
    length = int.from_bytes(data[12:16], "little")
    document = json.loads(data[20 : 20 + length])
    document["nodes"], document["scenes"] = nodes, [{"nodes": roots}]
    try:
        mesh = read_mesh(
            glb(document, data[20 + length + 8 :]), "graph.glb", ReadLimits(max_elements=1 + 100 * max_elements_k)
        )
    except CspmsError:
        return
    assert len(mesh.vertices) + len(mesh.faces) <= 1 + 100 * max_elements_k
