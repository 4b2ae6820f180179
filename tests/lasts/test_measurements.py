"""Measurement definitions that depend on how far up the leg a scan reaches; the measurements record and its
JSON."""

import json
import re
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from geometry.meshes import keep_faces
from lasts.landmarks import find_landmarks
from lasts.measurements import (
    MEASUREMENT_KEYS,
    Measurements,
    MeasurementsError,
    measure_foot,
    measurements_from_json,
    measurements_to_json,
)
from lasts.scans import MeasuredFoot
from lasts.side import Side
from lasts.surface import FootSurface


def _border_loop(faces: np.ndarray) -> np.ndarray:
    """The vertex indices around the one open rim of a mesh, in order."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    links: dict[int, list[int]] = {}
    for a, b in unique[counts == 1].tolist():
        links.setdefault(a, []).append(b)
        links.setdefault(b, []).append(a)
    loop, previous = [next(iter(links))], -1
    while True:
        step = next(c for c in links[loop[-1]] if c != previous)
        previous = loop[-1]
        if step == loop[0]:
            return np.array(loop)
        loop.append(step)


def _with_leg(surface: FootSurface, rim_mm: float, rise_mm: float, narrowing: float) -> FootSurface:
    """The foot cut at ``rim_mm`` with a leg rising ``rise_mm`` above the cut, narrowed by ``narrowing``
    (a fraction) half-way up and as wide as the rim again at its capped top."""
    below_rim = surface.vertices[surface.faces, 2].max(axis=1) <= rim_mm
    vertices, faces = keep_faces(surface.vertices, surface.faces, below_rim)
    loop = _border_loop(faces)
    ring = vertices[loop]
    centre = ring.mean(axis=0)
    all_vertices, all_faces, below = [vertices], [faces], loop
    count = len(vertices)
    for t in np.linspace(0.0, 1.0, 31)[1:]:
        scale = 1.0 - narrowing * np.sin(np.pi * t)
        layer = centre + (ring - centre) * np.array([scale, scale, 0.0])
        layer[:, 2] = ring[:, 2] + rise_mm * t
        above = count + np.arange(len(loop))
        count += len(loop)
        all_vertices.append(layer)
        all_faces += [np.c_[below, np.roll(below, -1), np.roll(above, -1)], np.c_[below, np.roll(above, -1), above]]
        below = above
    all_vertices.append([[centre[0], centre[1], ring[:, 2].max() + rise_mm]])
    all_faces.append(np.c_[below, np.roll(below, -1), np.full(len(below), count)])
    return FootSurface(np.vstack(all_vertices), np.vstack(all_faces))


def test_no_ankle_girth_while_the_leg_still_narrows_at_the_top_of_the_scan(find_foot: MeasuredFoot) -> None:
    # The FIND scan stops below the leg's narrowest part: its smallest girth would be wherever it stops.
    assert find_foot.measurements.ankle_girth_mm is None


def test_the_ankle_girth_is_the_narrowest_part_of_a_leg_that_widens_again(find_foot: MeasuredFoot) -> None:
    rim_mm = 118.0
    surface = _with_leg(find_foot.surface, rim_mm=rim_mm, rise_mm=60.0, narrowing=0.12)
    landmarks = find_landmarks(surface, find_foot.frame.medial_sign)
    measured = measure_foot(surface, landmarks)
    assert measured.ankle_girth_mm is not None
    (line,) = [g for g in measured.girth_lines if g.name == "ankle"]
    assert line.origin[2] == pytest.approx(rim_mm + 30.0, abs=6.0)
    rim_girth = surface.girth_mm(np.array([0.0, 0.0, rim_mm - 1.0]), np.array([0.0, 0.0, 1.0]))
    assert measured.ankle_girth_mm == pytest.approx(0.88 * rim_girth, rel=0.03)


def test_measurements_go_to_json_and_back_unchanged(find_foot: MeasuredFoot) -> None:
    measured = find_foot.record()
    assert measured.side is Side.LEFT and measured.values_mm["ankle_girth_mm"] is None
    written = measurements_to_json(measured)
    # The template stops below the ankle girth: estimated, beside the measured values, never among them.
    assert list(written) == [*MEASUREMENT_KEYS, "estimated"] and list(written["estimated"]) == ["ankle_girth_mm"]
    assert {key: written[key] for key in MEASUREMENT_KEYS} == find_foot.measurements.values()
    read = measurements_from_json(json.loads(json.dumps(written)), "left")
    assert read == measured and read.side is Side.LEFT


def test_the_scan_record_and_a_database_row_read_as_the_same_measurements(find_foot: MeasuredFoot) -> None:
    # The scan's record carries the side and much else; a scan's row keeps the side in its own column.
    record = json.loads(json.dumps(find_foot.to_dict()))
    row = {**measurements_to_json(find_foot.record()), "landmarks": record["landmarks"]}
    assert measurements_from_json(record, record["side"]) == measurements_from_json(row, "left") == find_foot.record()


def test_measurements_a_file_does_not_give_are_none() -> None:
    read = measurements_from_json({"foot_length_mm": 262, "ball_girth_mm": 246.5, "colour": "red"}, "right")
    assert read.values_mm["foot_length_mm"] == 262.0 and isinstance(read.values_mm["foot_length_mm"], float)
    assert read.values_mm["waist_girth_mm"] is None and set(read.values_mm) == set(MEASUREMENT_KEYS)
    assert measurements_from_json({"arch_height_mm": 0.0}, "left").values_mm["arch_height_mm"] == 0.0  # a flat foot


@pytest.mark.parametrize(
    ("data", "side", "expected"),
    [
        ([262.0], "left", "not an object"),
        ({"foot_length_mm": 262.0}, None, "no side"),
        ({"foot_length_mm": 262.0}, "up", "side 'up'"),
        ({"foot_length_mm": "long"}, "left", "foot_length_mm is 'long', not a number of mm"),
        ({"ball_girth_mm": True}, "left", "ball_girth_mm is True, not a number of mm"),
        ({"ball_girth_mm": float("nan")}, "left", "ball_girth_mm is nan: a finite number more than 0 and less than "
         "1000 mm is needed"),
        ({"foot_length_mm": float("inf")}, "left", "foot_length_mm is inf: a finite number more than 0"),
        ({"foot_length_mm": 1e308}, "left", "foot_length_mm is 1e+308: a finite number more than 0"),
        ({"foot_length_mm": 10**400}, "left", "foot_length_mm is 1000000000"),
        ({"waist_girth_mm": 0}, "left", "waist_girth_mm is 0: a finite number more than 0"),
        ({"arch_height_mm": -1.0}, "left", "arch_height_mm is -1.0: a finite number at least 0 and less than 1000"),
    ],
)  # fmt: skip
def test_bad_measurements_are_refused_by_name(data: object, side: object, expected: str) -> None:
    with pytest.raises(MeasurementsError, match=re.escape(expected)) as caught:
        measurements_from_json(data, side)
    assert caught.value.code == "invalid_measurements" and caught.value.http_status == 422
    assert len(str(caught.value)) < 200


def test_a_record_holds_only_measurements_and_cannot_be_changed() -> None:
    with pytest.raises(MeasurementsError, match="stick_length_mm"):
        Measurements(Side.LEFT, {"stick_length_mm": 270.0})
    record = Measurements(Side.RIGHT, {"foot_length_mm": 260.0})
    with pytest.raises(TypeError):
        cast(Any, record.values_mm)["foot_length_mm"] = 1.0


def test_docs_define_every_measurement_and_landmark(find_foot: MeasuredFoot) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "measurements.md").read_text()
    for key in find_foot.measurements.values():
        assert f"`{key}`" in text, key
    for name in ("pternion", "toe_tip", "mtp1", "mtp5", "instep", "arch", "sphyrion"):
        assert f"`{name}`" in text, name


def test_a_girth_still_narrowing_at_the_cut_is_not_reached(find_foot: MeasuredFoot) -> None:
    # Cut at 100 mm, below the front of the ankle (104 mm) the long heel girth passes over: the tightest plane
    # left is the last below the cut, and the girth still falls towards the planes above it: not reached.
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    for height_mm, reached in ((100.0, False), (135.0, True)):
        surface = FootSurface(*keep_faces(v, f, v[f, 2].max(axis=1) <= height_mm))
        measured = measure_foot(surface, find_landmarks(surface, find_foot.frame.medial_sign))
        assert (measured.long_heel_girth_mm is not None) is reached, height_mm
        if reached:
            assert measured.long_heel_girth_mm == pytest.approx(find_foot.measurements.long_heel_girth_mm, abs=0.5)
        assert measured.ball_girth_mm == pytest.approx(find_foot.measurements.ball_girth_mm, abs=0.1)
    # The instep's section reaches the cut at 80 mm: not measured on the cut (its tape would lie on the cap).
    surface = FootSurface(*keep_faces(v, f, v[f, 2].max(axis=1) <= 80.0))
    measured = measure_foot(surface, find_landmarks(surface, find_foot.frame.medial_sign))
    assert measured.instep_girth_mm is None and measured.short_heel_girth_mm is None
    assert all(line.ring[:, 2].max() < 80.0 for line in measured.girth_lines)
