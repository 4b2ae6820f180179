import numpy as np
import pytest
import trimesh

from lasts.fitted import FittedLast, fitted_last
from lasts.scans import MeasuredFoot, ingest_scan
from tests.conftest import shared_file

FIND_KEYPOINTS = {"big_toe": 2504, "heel": 12309, "outer_extrema": 29270, "inner_extrema": 10354}


@pytest.fixture(scope="session")
def find_mesh() -> trimesh.Trimesh:
    return trimesh.load(shared_file("feet/find_template.obj"), process=False, force="mesh")


@pytest.fixture(scope="session")
def find_foot(find_template_bytes: bytes) -> MeasuredFoot:
    return ingest_scan(find_template_bytes, "find_template.obj")


def export(vertices: np.ndarray, faces: np.ndarray, file_type: str = "ply") -> bytes:
    data = trimesh.Trimesh(vertices, faces, process=False).export(file_type=file_type)
    return data.encode() if isinstance(data, str) else data


@pytest.fixture(scope="session")
def dupontgu_bytes() -> bytes:
    """A real left foot as a consumer scanner exports it: metres, cut flat ~100 mm up, sole flattened on glass."""
    return shared_file("feet/dupontgu_left_foot.stl").read_bytes()


@pytest.fixture(scope="session")
def dupontgu_mesh() -> trimesh.Trimesh:
    return trimesh.load(shared_file("feet/dupontgu_left_foot.stl"), process=False, force="mesh")


@pytest.fixture(scope="session")
def dupontgu_foot(dupontgu_bytes: bytes) -> MeasuredFoot:
    return ingest_scan(dupontgu_bytes, "dupontgu_left_foot.stl")


@pytest.fixture(scope="session")
def find_shaped(find_foot: MeasuredFoot) -> FittedLast:
    """The FIND foot's derby last shaped to the foot: one fit (about 2 s) shared by the shaping, report and grading
    tests."""
    surface = find_foot.surface
    return fitted_last(find_foot.measurements.values(), find_foot.side, "derby", foot_vertices=surface.vertices,
                       foot_faces=surface.faces)  # fmt: skip
