"""Property-based fuzzing of the scan readers: whatever the bytes, only our typed errors escape."""

import io
import os

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geometry.errors import CspmsError
from geometry.exchange.meshes import read_mesh

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


@pytest.mark.parametrize(("name", "data"), SAMPLES)
def test_every_sample_reads(name: str, data: bytes) -> None:
    assert len(read_mesh(data, f"scan.{name}").vertices) >= 42
