"""Scans as real scanners make them, on the real files in ../shared/data/feet and artefacts made from them here:
cut low (a cap or an open rim), the sole flattened on glass, mirrored and mislabelled, two feet in one file,
a hole at the toe tip, phone-scan noise, a leg included."""

import numpy as np
import pytest
import trimesh

from geometry.meshes import fill_small_holes, keep_faces
from lasts.coverage import FootEnd, ScanTop, boundary_loops
from lasts.errors import SeveralFeetError, SideMismatchError
from lasts.scans import IngestOptions, MeasuredFoot, MeasuredPair, ingest_feet, ingest_scan
from lasts.side import Side
from lasts.side_claims import SideSource
from tests.lasts.conftest import export

# dupontgu's scan in its own axes (file: toes towards -y, z up, metres): heel back to toe tip along y.
DUPONTGU_EXTENT_MM = 276.28


def _cut(foot: MeasuredFoot, height_mm: float, cap: bool) -> tuple[np.ndarray, np.ndarray]:
    """The foot's surface cut flat at a height, capped (holes filled: the cap) or left open."""
    v, f = foot.surface.vertices, foot.surface.faces
    vertices, faces = keep_faces(v, f, v[f, 2].max(axis=1) <= height_mm)
    return fill_small_holes(vertices, faces, max_hole_size=1e9) if cap else (vertices, faces)


def _mirrored(mesh: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray]:
    """The mesh mirrored (a right foot from a left one), faces turned to keep them facing out."""
    return np.asarray(mesh.vertices) * [-1.0, 1.0, 1.0], np.asarray(mesh.faces)[:, ::-1]


# --- dupontgu: a real consumer scan -------------------------------------------------------------------------


def test_dupontgu_is_a_left_foot_of_its_true_length(dupontgu_foot: MeasuredFoot) -> None:
    # Along the foot axis (heel centre to 2nd toe, 4.5 degrees off the file's y axis) the length is 0.8 mm
    # shorter than the file's heel-to-toe extent: the big toe's tip lies 18 mm medial of that axis.
    assert dupontgu_foot.side is Side.LEFT and dupontgu_foot.units.unit == "m"
    assert DUPONTGU_EXTENT_MM - 1.5 < dupontgu_foot.measurements.foot_length_mm <= DUPONTGU_EXTENT_MM
    decision = dupontgu_foot.side_decision
    assert decision is not None and decision.anatomy is Side.LEFT and decision.confidence >= 0.8
    assert (decision.claimed, decision.claimed_by, decision.source) == (Side.LEFT, "file name", SideSource.ANATOMY)
    assert all(vote < 0.05 for vote in dupontgu_foot.frame.side_votes.values())  # no cue says right


def test_dupontgu_records_its_cut_and_flattened_sole(dupontgu_foot: MeasuredFoot) -> None:
    coverage = dupontgu_foot.partial
    assert coverage is not None and coverage.top is ScanTop.CAP
    assert 93.0 < coverage.cut_height_mm <= 100.0  # the file's top is at 100 mm; the cap's lowest faces a little under
    assert coverage.flattened_sole and coverage.flattened_sole_area_mm2 > 10_000
    assert "arch_height_mm" in coverage.unreliable and coverage.holes == ()
    assert coverage.partial and "long_heel_girth_mm" in coverage.not_reached
    record = dupontgu_foot.to_dict()
    assert record["coverage"]["cut_height_mm"] == pytest.approx(coverage.cut_height_mm, abs=0.1)
    assert record["side_decision"]["source"] == "anatomy" and record["feet_in_file"] == 1


def test_dupontgu_girths_above_its_cut_are_not_reached_those_below_are_measured(dupontgu_foot: MeasuredFoot) -> None:
    m = dupontgu_foot.measurements
    assert m.long_heel_girth_mm is None  # its plane passes over the ankle, above the cut: never the cap's 417 mm
    assert "long_heel_girth" not in {line.name for line in m.girth_lines}
    top = dupontgu_foot.partial.cut_height_mm if dupontgu_foot.partial else 0.0
    assert dupontgu_foot.landmarks.instep[2] < top - 10.0  # the instep point lies under the cut
    assert m.instep_girth_mm is not None and m.short_heel_girth_mm is not None and m.waist_girth_mm is not None
    for line in m.girth_lines:
        assert line.ring[:, 2].max() < top, line.name
    # The pressed arch still rises off the glass near the medial border.
    assert 5.0 < m.arch_height_mm < 20.0


def test_a_mirrored_dupontgu_named_left_is_refused_and_can_be_confirmed(
    dupontgu_mesh: trimesh.Trimesh, dupontgu_foot: MeasuredFoot
) -> None:
    data = export(*_mirrored(dupontgu_mesh), "stl")
    mismatch = r"named left .* is a right foot \(.*\): a mirrored export, or the wrong file\?"
    with pytest.raises(SideMismatchError, match=mismatch) as caught:
        ingest_scan(data, "dupontgu_left_foot.stl")
    assert caught.value.code == "side_mismatch" and caught.value.http_status == 422
    assert "Upload the left foot's scan, or confirm" in caught.value.message
    # Unnamed, it is what it shows: a right foot.
    assert ingest_scan(data, "scan.stl").side is Side.RIGHT
    # Confirmed as the left foot: mirrored back, measured as the left it was, and the record says so.
    confirmed = ingest_scan(data, "dupontgu_left_foot.stl", IngestOptions(side=Side.LEFT))
    decision = confirmed.side_decision
    assert confirmed.side is Side.LEFT and decision is not None and decision.mirrored and decision.overrides_anatomy
    assert confirmed.to_dict()["side_decision"] == {
        "side": "left", "anatomy": "right", "confidence": 1.0, "source": "confirmed", "claimed": "left",
        "claimed_by": "file name", "mirrored": True,
    }  # fmt: skip
    for key, value in dupontgu_foot.measurements.values().items():
        if value is not None:
            assert confirmed.measurements.values()[key] == pytest.approx(value, abs=0.5), key
    assert confirmed.landmarks.mtp1[1] < 0 < confirmed.landmarks.mtp5[1]  # a left foot's medial side is -y


def test_two_feet_in_one_file_are_both_measured(dupontgu_mesh: trimesh.Trimesh, dupontgu_foot: MeasuredFoot) -> None:
    v, f = np.asarray(dupontgu_mesh.vertices), np.asarray(dupontgu_mesh.faces)
    mirrored_v, mirrored_f = _mirrored(dupontgu_mesh)
    both = np.vstack(
        [v, mirrored_v + np.array([0.55, 0.0, 0.0])]
    )  # side by side, 0.15 m apart, as on a scanner's plate
    data = export(both, np.vstack([f, mirrored_f + len(v)]), "stl")
    pair = ingest_feet(data, "feet.stl")
    assert isinstance(pair, MeasuredPair) and pair.sides == (Side.LEFT, Side.RIGHT) and pair.is_left_and_right
    length = dupontgu_foot.measurements.foot_length_mm
    for foot in pair.feet:
        assert foot.feet_in_file == 2 and foot.measurements.foot_length_mm == pytest.approx(length, abs=1.0)
    assert [record["side"] for record in pair.to_dict()["feet"]] == ["left", "right"]
    with pytest.raises(SeveralFeetError, match=r"two feet: say which one to measure .* or upload each foot on its own"):
        ingest_scan(data, "feet.stl")
    right = ingest_scan(data, "feet_right.stl")  # the name says which foot of the pair
    assert right.side is Side.RIGHT and right.feet_in_file == 2


def test_phone_scan_noise_moves_nothing_much(dupontgu_mesh: trimesh.Trimesh, dupontgu_foot: MeasuredFoot) -> None:
    welded = trimesh.Trimesh(dupontgu_mesh.vertices, dupontgu_mesh.faces)  # noise per vertex, not per STL corner
    rng = np.random.default_rng(8)
    noisy = np.asarray(welded.vertices) + rng.normal(0.0, 0.001, size=welded.vertices.shape)  # 1 mm
    foot = ingest_scan(export(noisy, np.asarray(welded.faces), "stl"), "scan.stl")
    assert foot.side is Side.LEFT and foot.frame.side_evidence.confidence >= 0.8
    assert foot.measurements.foot_length_mm == pytest.approx(dupontgu_foot.measurements.foot_length_mm, abs=2.0)
    for name in ("pternion", "toe_tip", "instep"):
        moved = np.linalg.norm(getattr(foot.landmarks, name) - getattr(dupontgu_foot.landmarks, name))
        assert moved < 4.0, name
    assert foot.measurements.ball_girth_mm == pytest.approx(dupontgu_foot.measurements.ball_girth_mm, abs=5.0)


# --- the FIND foot made into what scanners deliver -----------------------------------------------------------


@pytest.mark.parametrize(("height_mm", "cap"), [(80.0, True), (80.0, False)], ids=["capped", "open"])
def test_the_find_foot_cut_at_80_mm(find_foot: MeasuredFoot, height_mm: float, cap: bool) -> None:
    foot = ingest_scan(export(*_cut(find_foot, height_mm, cap)), "cut.ply", IngestOptions(units="mm"))
    assert foot.side is Side.LEFT and foot.partial is not None
    assert foot.partial.top is (ScanTop.CAP if cap else ScanTop.OPEN_RIM)
    assert height_mm - 4.0 < foot.partial.cut_height_mm <= height_mm + 0.5
    whole, cut = find_foot.measurements, foot.measurements
    assert cut.foot_length_mm == pytest.approx(whole.foot_length_mm, abs=1.0)
    assert cut.ball_girth_mm == pytest.approx(whole.ball_girth_mm, abs=1.0)
    # The long heel girth's plane (over the front of the ankle, 104 mm up) and the instep's top (86 mm) are above
    # the cut: not reached, never measured on the cap.
    assert cut.long_heel_girth_mm is None and cut.instep_girth_mm is None
    assert {"long_heel_girth_mm", "instep_girth_mm"} <= set(foot.partial.not_reached)


def test_a_flattened_sole_is_recorded_and_the_foot_keeps_its_length(find_foot: MeasuredFoot) -> None:
    v = find_foot.surface.vertices.copy()
    v[:, 2] = np.maximum(v[:, 2] - 6.0, 0.0)  # pressed 6 mm onto a glass plate
    foot = ingest_scan(export(v, find_foot.surface.faces), "pressed.ply", IngestOptions(units="mm"))
    assert foot.side is Side.LEFT and foot.partial is not None and foot.partial.flattened_sole
    assert foot.measurements.foot_length_mm == pytest.approx(find_foot.measurements.foot_length_mm, abs=1.5)
    assert np.linalg.norm(foot.landmarks.mtp1[:2] - find_foot.landmarks.mtp1[:2]) < 6.0


def test_a_hole_at_the_toe_tip_is_reported_not_measured_silently_short(find_foot: MeasuredFoot) -> None:
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    holed = np.linalg.norm(v[f].mean(axis=1) - find_foot.landmarks.toe_tip, axis=1) > 12.0  # a rim of ~80 mm
    foot = ingest_scan(export(v, f[holed]), "holed.ply", IngestOptions(units="mm"))
    coverage = foot.partial
    assert coverage is not None and coverage.hole_near_toe and not coverage.hole_near_heel
    (hole,) = [h for h in coverage.holes if h.where is FootEnd.TOE]
    assert hole.rim_length_mm > 60.0 and hole.filled  # filled flat by ingest: the tip is not restored
    assert "foot_length_mm" in coverage.unreliable and coverage.partial
    assert any("toe tip" in note for note in coverage.notes)
    assert foot.to_dict()["coverage"]["hole_near_toe"] is True
    # Short by what the hole took: flagged, not hidden.
    assert 0.0 < find_foot.measurements.foot_length_mm - foot.measurements.foot_length_mm < 8.0


def test_a_leg_is_cut_above_the_malleoli_and_changes_nothing(find_foot: MeasuredFoot) -> None:
    v, f = _cut(find_foot, 118.0, cap=False)
    rim = _rim(f)
    ring, count = v[rim], len(v)
    layers, faces = [v], [f]
    below = rim
    for step in range(1, 41):  # a leg rising 300 mm straight up from the cut, capped
        above = count + np.arange(len(rim))
        count += len(rim)
        layers.append(ring + np.array([0.0, 0.0, 7.5 * step]))
        faces += [np.c_[below, np.roll(below, -1), np.roll(above, -1)], np.c_[below, np.roll(above, -1), above]]
        below = above
    layers.append([ring.mean(axis=0) + np.array([0.0, 0.0, 300.0])])
    faces.append(np.c_[below, np.roll(below, -1), np.full(len(below), count)])
    foot = ingest_scan(export(np.vstack(layers), np.vstack(faces)), "with-leg.ply", IngestOptions(units="mm"))
    assert foot.side is Side.LEFT and foot.partial is not None and foot.partial.top is ScanTop.LEG_CUT
    top = float(foot.surface.vertices[:, 2].max())
    sphyrion = find_foot.landmarks.sphyrion
    assert sphyrion is not None and top <= sphyrion[2] + 0.25 * find_foot.measurements.foot_length_mm + 1.0
    for key in ("foot_length_mm", "ball_girth_mm", "ball_width_mm", "instep_girth_mm", "heel_width_mm"):
        assert foot.measurements.values()[key] == pytest.approx(find_foot.measurements.values()[key], abs=1.0), key


def _rim(faces: np.ndarray) -> np.ndarray:
    """The vertex indices around the one open rim of a mesh, in order."""
    (loop,) = [loop for loop in boundary_loops(faces) if len(loop) > 20]
    return loop
