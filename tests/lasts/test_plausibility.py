"""Plausibility at measure time, and imprints: values and shapes no foot has are refused, saying why."""

import re

import numpy as np
import pytest
import trimesh

from lasts.errors import ImplausibleMeasurementError, ImprintError, LastError, NotAFootError
from lasts.fitting import fit_targets
from lasts.foot_population import read_ansur_columns
from lasts.plausibility import check_not_imprint, check_plausible, implausible_values, plausible_shares
from lasts.scans import IngestOptions, MeasuredFoot, ingest_scan
from tests.conftest import shared_file
from tests.lasts.conftest import export

# A FIND-like foot, 255 mm long, everything in its usual proportion.
FOOT = {
    "foot_length_mm": 255.0, "ball_girth_mm": 240.0, "ball_width_mm": 95.0, "ball_length_mm": 188.0,
    "instep_girth_mm": 245.0, "waist_girth_mm": 236.0, "long_heel_girth_mm": 331.0, "short_heel_girth_mm": 329.0,
    "heel_width_mm": 63.0, "arch_height_mm": 18.0, "toe_height_mm": 38.0, "ankle_girth_mm": None,
}  # fmt: skip


def test_a_ball_width_half_the_foot_length_is_refused_naming_it() -> None:
    with pytest.raises(ImplausibleMeasurementError) as caught:
        check_plausible({**FOOT, "ball_width_mm": 125.0})
    assert caught.value.message.startswith(
        "ball width 125 mm is 49 % of the foot length (255 mm); feet measure 30–47 %"
    )
    assert caught.value.code == "implausible_measurement" and caught.value.http_status == 422
    assert caught.value.details["values"] == {"ball_width_mm": 125.0}


def test_on_a_partial_scan_it_is_a_warning() -> None:
    warnings = check_plausible({**FOOT, "ball_width_mm": 125.0}, partial=True)
    assert len(warnings) == 1 and warnings[0].startswith("ball width 125 mm is 49 %")
    assert "partial scan" in warnings[0]


def test_a_share_next_to_a_bound_prints_with_a_decimal() -> None:
    (found,) = implausible_values({**FOOT, "ball_width_mm": 0.4704 * 255.0})
    assert "is 47.0 % of the foot length" in found.sentence()


def test_every_ansur_person_and_the_find_foot_is_plausible(find_foot: MeasuredFoot) -> None:
    people = read_ansur_columns(shared_file("anthropometry/ansur2_foot_extract.csv"))
    shares = plausible_shares()
    for key, values in people.items():
        if key == "foot_length_mm":
            continue
        share = values / people["foot_length_mm"]
        assert shares[key].low <= share.min() and share.max() <= shares[key].high, key
        # ... and the range is no wider than ANSUR's extremes and a small margin.
        assert share.min() - shares[key].low < 0.05 and shares[key].high - share.max() < 0.05, key
    assert check_plausible(find_foot.measurements.values()) == ()
    assert check_plausible(FOOT) == ()


def test_fitting_reads_the_same_table() -> None:
    with pytest.raises(LastError, match=re.escape("ball width 125.0 mm")):
        fit_targets({**FOOT, "ball_width_mm": 125.0})


def test_a_scan_measuring_a_foot_no_one_has_is_refused(find_foot: MeasuredFoot) -> None:
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    wide = v * np.array([1.0, 1.3, 1.0])  # a foot 30 % wider than the template, whole (no cut, no hole)
    with pytest.raises(ImplausibleMeasurementError, match=r"^ball width 12\d mm is 4[89] % of the foot length"):
        ingest_scan(export(wide, f), "wide.ply", IngestOptions(units="mm"))


def foam_box(foot_mm: np.ndarray, depth_mm: float = 35.0, margin_mm: float = 20.0, step_mm: float = 2.0) -> bytes:
    """A foam box (80 mm high) with the foot pressed ``depth_mm`` into its top, as a closed mesh (STL, mm)."""
    low, high = foot_mm.min(axis=0) - margin_mm, foot_mm.max(axis=0) + margin_mm
    xs, ys = np.arange(low[0], high[0], step_mm), np.arange(low[1], high[1], step_mm)
    sole = foot_mm[foot_mm[:, 2] < depth_mm]
    cells = (np.clip(((sole[:, 0] - low[0]) / step_mm).astype(int), 0, len(xs) - 1),
             np.clip(((sole[:, 1] - low[1]) / step_mm).astype(int), 0, len(ys) - 1))  # fmt: skip
    bottom_of_sole = np.full((len(xs), len(ys)), np.inf)
    np.minimum.at(bottom_of_sole, cells, sole[:, 2])
    top = 80.0 - np.clip(depth_mm - bottom_of_sole, 0.0, None)
    grid_x, grid_y = np.meshgrid(xs, ys, indexing="ij")
    heights = np.stack([np.where(np.isfinite(top), top, 80.0), np.zeros_like(top)])
    vertices = np.concatenate([np.column_stack([grid_x.ravel(), grid_y.ravel(), h.ravel()]) for h in heights])
    index = np.arange(len(xs) * len(ys)).reshape(len(xs), len(ys))
    a, b, c, d = index[:-1, :-1].ravel(), index[1:, :-1].ravel(), index[1:, 1:].ravel(), index[:-1, 1:].ravel()
    top_faces = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    ring = np.concatenate([index[:, 0], index[-1, 1:], index[-2::-1, -1], index[0, -2:0:-1]])
    after, below = np.roll(ring, -1), index.size
    sides = np.vstack(
        [np.column_stack([ring, ring + below, after]), np.column_stack([after, ring + below, after + below])]
    )
    box = trimesh.Trimesh(vertices, np.vstack([top_faces, top_faces[:, ::-1] + below, sides]))
    trimesh.repair.fix_normals(box)
    assert box.is_watertight
    return export(box.vertices, box.faces, "stl")


def test_a_foam_box_imprint_is_refused_as_one(find_foot: MeasuredFoot) -> None:
    with pytest.raises(ImprintError, match="foam-box imprint, the negative of the sole") as caught:
        ingest_scan(foam_box(find_foot.surface.vertices), "foam-box.stl", IngestOptions(units="mm"))
    assert caught.value.code == "imprint_not_foot"


def test_a_sole_alone_is_refused_as_an_imprint(find_foot: MeasuredFoot) -> None:
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    sole = v[f].max(axis=1)[:, 2] < 12.0
    with pytest.raises(ImprintError, match="a sole alone"):
        ingest_scan(export(v, f[sole]), "plantar.ply", IngestOptions(units="mm"))


def test_a_block_without_a_hollow_and_a_foot_are_no_imprints(find_foot: MeasuredFoot) -> None:
    check_not_imprint(find_foot.surface.vertices)
    check_not_imprint(trimesh.load(shared_file("feet/dupontgu_left_foot.stl"), force="mesh").vertices * 1000.0)
    box = trimesh.creation.box(extents=(300.0, 120.0, 80.0)).subdivide().subdivide()
    check_not_imprint(np.asarray(box.vertices))  # a block, but no hollow: the shape checks say what it is
    cube = trimesh.creation.box(extents=(250.0, 250.0, 250.0))
    with pytest.raises(NotAFootError) as caught:
        ingest_scan(export(cube.vertices, cube.faces, "stl"), "cube.stl", IngestOptions(units="mm"))
    assert not isinstance(caught.value, ImprintError)
