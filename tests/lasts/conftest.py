import numpy as np
import pytest
import trimesh

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
