import io

import numpy as np
import pytest
import trimesh

from geometry.errors import UnsupportedFormatError
from lasts.export import last_mesh_bytes
from lasts.model import build_last
from lasts.pose import pose_last
from tests.lasts.last_samples import FIND_LIKE


@pytest.fixture(scope="module")
def posed():
    return pose_last(build_last(FIND_LIKE, 12_000))


@pytest.mark.parametrize("fmt", ["stl", "obj", "3mf"])
def test_mesh_files_read_back_in_mm_and_closed(posed, fmt: str) -> None:
    data = last_mesh_bytes(posed.vertices, posed.faces, fmt, "find derby")
    mesh = trimesh.load(io.BytesIO(data), file_type=fmt, force="mesh", process=True)
    assert mesh.is_watertight and mesh.volume > 0
    np.testing.assert_allclose(mesh.bounds, [posed.vertices.min(0), posed.vertices.max(0)], atol=1e-3)


def test_the_stl_header_names_the_last_and_its_units(posed) -> None:
    data = last_mesh_bytes(posed.vertices, posed.faces, "stl", "find derby")
    assert data[:80].startswith(b"CSPMS last find derby; units mm")
    assert not data.startswith(b"solid")


def test_the_glb_is_in_metres_with_y_up(posed) -> None:
    data = last_mesh_bytes(posed.vertices, posed.faces, "glb", "find")
    mesh = trimesh.load(io.BytesIO(data), file_type="glb", force="mesh")
    extent = mesh.bounds[1] - mesh.bounds[0]
    length, height = np.ptp(posed.vertices[:, 0]), np.ptp(posed.vertices[:, 2])
    assert extent[0] == pytest.approx(length / 1000.0, rel=1e-4)
    assert extent[1] == pytest.approx(height / 1000.0, rel=1e-4)  # glTF's up is +Y


def test_an_unknown_format_is_refused_by_name(posed) -> None:
    with pytest.raises(UnsupportedFormatError, match="'dwg'"):
        last_mesh_bytes(posed.vertices, posed.faces, "dwg", "find")
