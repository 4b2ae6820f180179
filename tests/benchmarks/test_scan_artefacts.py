"""Each scanner artefact does what it says, on the real FIND foot in its measuring frame (mm, left, sole on
z = 0, heel at x = 0); and the cohort turns each into a file with what a reader should find in it."""

import numpy as np
import pytest
import trimesh

from benchmarks import scan_artefacts as artefacts
from benchmarks.cohort import ARTEFACTS, artefact_scan, clean_truth, read_ansur_targets
from benchmarks.scan_artefacts import HoleRegion, SurfaceMesh
from geometry.exchange.meshes import read_mesh
from geometry.meshes import face_component_labels, weld_vertices
from lasts.deformation import GeneratedFoot
from lasts.scans import MeasuredFoot
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def foot(find_foot: MeasuredFoot) -> SurfaceMesh:
    return SurfaceMesh(find_foot.surface.vertices, find_foot.surface.faces)


def components(mesh: SurfaceMesh) -> int:
    return int(face_component_labels(mesh.faces, len(mesh.vertices)).max()) + 1


def rim_heights(mesh: SurfaceMesh) -> np.ndarray:
    """z of the vertices on open rims (edges only one face uses)."""
    return mesh.vertices[np.unique(artefacts._rim_edges(mesh.faces)), 2]


@pytest.mark.parametrize("capped", [True, False])
def test_a_low_cut_foot_has_nothing_above_the_cut_and_keeps_the_toes_and_heel(foot: SurfaceMesh, capped: bool) -> None:
    cut = artefacts.cut_low(foot, artefacts.LowCut(height_mm=75.0, capped=capped))
    assert cut.vertices[:, 2].max() == pytest.approx(75.0, abs=1e-6)
    assert cut.vertices[:, 0].max() == pytest.approx(foot.vertices[:, 0].max())  # the toes are below the cut
    below = foot.vertices[foot.vertices[:, 2] < 75.0]
    assert cut.vertices[:, 0].min() == pytest.approx(below[:, 0].min(), abs=0.5)  # the heel too
    if capped:  # closed with a flat lid, as dupontgu's scan is
        assert cut.as_trimesh().is_watertight
        assert len(rim_heights(cut)) == 0
    else:  # one open rim, all of it on the cut
        rim = rim_heights(cut)
        assert len(rim) > 50 and np.allclose(rim, 75.0, atol=1e-6)


def test_a_sole_flattened_on_glass_is_flat_there_and_a_little_wider(foot: SurfaceMesh) -> None:
    flat = artefacts.flatten_sole(foot, artefacts.SoleFlattening(press_mm=4.0, spread_mm=2.0))
    v, v0 = flat.vertices, foot.vertices
    assert v[:, 2].min() == pytest.approx(0.0, abs=1e-9)
    on_glass = v[:, 2] < 1e-9
    assert on_glass.sum() > 5 * (v0[:, 2] < 1e-9).sum()  # a patch, no longer a few points
    # The heel and the ball both stand on the glass.
    assert v[on_glass, 0].min() < 0.25 * foot.length_mm and v[on_glass, 0].max() > 0.6 * foot.length_mm
    # High up, the foot only moved down onto the glass.
    high = v0[:, 2] > 30.0
    assert np.allclose(v[high], v0[high] - [0.0, 0.0, 4.0])
    # The contact band at the ball spread: wider than the same band was.
    ball = np.abs(v0[:, 0] - 0.7 * foot.length_mm) < 5.0
    low = ball & (v0[:, 2] < 8.0)
    assert np.ptp(v[low, 1]) > np.ptp(v0[low, 1]) + 1.0


def test_a_leg_rises_from_the_shin_to_the_calf(foot: SurfaceMesh) -> None:
    leg = artefacts.include_leg(foot, artefacts.Leg(top_mm=380.0, calf_ratio=1.4, capped=True))
    assert leg.vertices[:, 2].max() == pytest.approx(380.0)
    assert components(leg) == 1
    mesh = leg.as_trimesh()
    assert mesh.is_winding_consistent and mesh.volume > trimesh.Trimesh(foot.vertices, foot.faces).volume
    assert mesh.is_watertight
    # The foot below the join is the foot.
    low = foot.vertices[foot.vertices[:, 2] < 100.0]
    assert len(np.intersect1d(low.view("f8,f8,f8"), leg.vertices.view("f8,f8,f8"))) == len(low)
    # Wider at the calf than at the shin.
    shin = leg.vertices[np.abs(leg.vertices[:, 2] - (foot.vertices[:, 2].max() - 8.0)) < 1e-6]
    calf = leg.vertices[np.abs(leg.vertices[:, 2] - 380.0) < 1e-6]
    assert np.ptp(calf[:, 1]) == pytest.approx(1.4 * np.ptp(shin[:, 1]), rel=0.02)
    # A low-cut foot has no shin to carry on from.
    with pytest.raises(ValueError, match="leg's top"):
        artefacts.include_leg(foot, artefacts.Leg(top_mm=100.0, calf_ratio=1.3, capped=True))


def test_a_mirrored_export_is_a_reflection_with_its_faces_still_out(foot: SurfaceMesh) -> None:
    mirrored = artefacts.mirror_export(foot)
    # The linear map taking the foot to the file's shape, fitted on all vertices, reverses orientation.
    centred, image = foot.vertices - foot.vertices.mean(axis=0), mirrored.vertices - mirrored.vertices.mean(axis=0)
    linear = np.linalg.lstsq(centred, image, rcond=None)[0]
    assert np.linalg.det(linear) == pytest.approx(-1.0, abs=1e-9)
    assert mirrored.as_trimesh().volume == pytest.approx(foot.as_trimesh().volume)  # outward, not inside out
    # The medial arch (−y on the left foot) is now on +y: a right foot.
    assert mirrored.vertices[:, 1].max() == pytest.approx(-foot.vertices[:, 1].min())


def test_two_feet_are_two_parts_side_by_side_the_gap_apart(foot: SurfaceMesh) -> None:
    stance = artefacts.TwoFeet(gap_mm=90.0, turn_deg=10.0, step_mm=25.0)
    both = artefacts.two_feet(foot, artefacts.mirror_export(foot), stance)
    labels = face_component_labels(both.faces, len(both.vertices))
    assert labels.max() == 1
    parts = [both.vertices[np.unique(both.faces[labels == k])] for k in (0, 1)]
    left, right = sorted(parts, key=lambda p: -p[:, 1].mean())
    assert left[:, 1].min() - right[:, 1].max() == pytest.approx(90.0)
    assert np.allclose(np.sort(left, axis=0), np.sort(foot.vertices, axis=0))  # the left foot did not move
    # The right foot is turned toes out (its toes towards −y) and stands a step forward.
    toe = right[np.argmax(right[:, 0])]
    heel = right[np.argmin(right[:, 0])]
    assert np.degrees(np.arctan2(toe[1] - heel[1], toe[0] - heel[0])) < -5.0
    assert right[:, 0].mean() > left[:, 0].mean() + 15.0


def test_phone_noise_remeshes_coarse_moves_along_normals_and_adds_debris(foot: SurfaceMesh) -> None:
    noise = artefacts.PhoneNoise(sigma_mm=1.0, cell_mm=3.0, spike_fraction=0.0, debris=12, seed=5)
    noisy = artefacts.phone_noise(foot, noise)
    coarse = artefacts.coarse_remesh(foot, 3.0)
    assert len(coarse.vertices) < len(foot.vertices) / 4
    assert components(noisy) == components(coarse) + 12
    moved = noisy.vertices[: len(coarse.vertices)] - coarse.vertices
    normals = coarse.as_trimesh().vertex_normals
    along = np.einsum("ij,ij->i", moved, normals)
    assert np.std(along) == pytest.approx(1.0, rel=0.1)
    assert np.allclose(moved, along[:, None] * normals)  # along the normals only
    spiky = artefacts.phone_noise(foot, artefacts.PhoneNoise(1.0, 3.0, spike_fraction=0.01, debris=0, seed=5))
    thrown = np.abs(np.einsum("ij,ij->i", spiky.vertices - coarse.vertices, normals)) > 3.0 + 4.0
    assert 0.5 * 0.01 * len(coarse.vertices) < thrown.sum() < 2 * 0.01 * len(coarse.vertices)


@pytest.mark.parametrize(
    ("region", "inside"),
    [
        ("toe_tip", lambda c, length: c[:, 0] > 0.85 * length),
        ("heel_back", lambda c, length: (c[:, 0] < 0.15 * length) & (c[:, 2] < 0.35 * length)),
        ("arch", lambda c, length: (np.abs(c[:, 0] - 0.45 * length) < 0.2 * length) & (c[:, 2] < 0.2 * length)),
    ],
)
def test_a_hole_removes_one_patch_of_the_named_region(foot: SurfaceMesh, region: HoleRegion, inside) -> None:
    hole = artefacts.Hole(region=region, fraction=0.03)
    removed = artefacts.hole_faces(foot, hole)
    assert removed.sum() == round(0.03 * len(foot.faces))
    centroids = foot.vertices[foot.faces[removed]].mean(axis=1)
    assert inside(centroids, foot.length_mm).all()
    assert components(SurfaceMesh(foot.vertices, foot.faces[removed])) == 1  # one patch
    holed = artefacts.punch_hole(foot, hole)
    assert len(holed.faces) == len(foot.faces) - removed.sum()
    if region == "arch":  # under the medial arch: the medial side (−y on a left foot) and the underside
        assert np.median(centroids[:, 1]) < 0.0
        assert np.median(centroids[:, 2]) < 20.0


def test_unscaled_photogrammetry_has_the_length_it_was_given(foot: SurfaceMesh) -> None:
    scaled = artefacts.rescale(foot, artefacts.PhotogrammetryScale(length_units=3.7))
    assert scaled.length_mm == pytest.approx(3.7)
    lengths = [artefacts.PhotogrammetryScale.sample(np.random.default_rng(s)).length_units for s in range(200)]
    assert min(lengths) >= 0.5 and max(lengths) <= 60.0


def test_a_foam_imprint_is_the_negative_of_the_sole(foot: SurfaceMesh) -> None:
    imprint = artefacts.FoamImprint(depth_mm=30.0, margin_mm=20.0, base_mm=25.0)
    box = artefacts.foam_imprint(foot, imprint)
    assert box.as_trimesh().is_watertight
    top = box.vertices[box.vertices[:, 2] > 0.0]
    assert top[:, 2].max() == pytest.approx(55.0)  # the untouched foam
    assert top[:, 2].min() == pytest.approx(25.0, abs=1.0)  # where the sole is lowest it sank the full depth
    # The print is foot-shaped: as long as the foot, and deepest under the heel and the ball, not the arch.
    pressed = top[top[:, 2] < 55.0 - 5.0]
    assert np.ptp(pressed[:, 0]) == pytest.approx(foot.length_mm, abs=15.0)

    def depth_at(x: float) -> float:
        near = np.abs(top[:, 0] - x) < 3.0
        return float(55.0 - top[near, 2].min())

    length = foot.length_mm
    assert depth_at(0.1 * length) > depth_at(0.45 * length) and depth_at(0.7 * length) > depth_at(0.45 * length)


def test_the_shoe_box_and_the_sphere_are_closed_and_the_size_asked() -> None:
    box = artefacts.shoe_box(artefacts.ShoeBox(length_mm=300.0, width_mm=120.0, height_mm=110.0))
    assert box.as_trimesh(merge=True).is_watertight
    assert np.allclose(np.ptp(box.vertices, axis=0), [300.0, 120.0, 110.0])
    assert len(box.vertices) > 1000  # facets a scanner's size, not twelve triangles
    ball = artefacts.sphere(artefacts.Sphere(radius_mm=70.0))
    assert ball.as_trimesh().is_watertight
    assert np.allclose(np.linalg.norm(ball.vertices - [0.0, 0.0, 70.0], axis=1), 70.0)


@pytest.fixture(scope="module")
def generated(find_foot: MeasuredFoot) -> GeneratedFoot:
    from lasts.deformation import deform_template

    people = read_ansur_targets(shared_file("anthropometry/ansur2_foot_extract.csv"))
    return deform_template(find_foot, people[3], np.random.default_rng(3))


def test_every_artefact_makes_a_readable_file_that_says_what_to_expect(generated: GeneratedFoot) -> None:
    for name, kind in ARTEFACTS.items():
        variant = artefact_scan(name, generated, np.random.default_rng(1), 20_000, generated.targets.foot_length_mm)
        assert variant.artefact == name and variant.expect_refusal == (kind.expect == "refuse")
        mesh = read_mesh(variant.data, variant.filename)
        assert mesh.is_point_cloud == (name == "cloud")
        expected_side = {"mirrored": "right", "unscaled": "left"}.get(name, None if kind.expect == "refuse" else "left")
        assert (variant.known_length_mm is not None) == (name == "unscaled_known_length")
        assert variant.side == expected_side, name
        assert (variant.unit is None) == name.startswith("unscaled")
        if name == "two_feet":
            vertices, faces = weld_vertices(mesh.vertices, mesh.faces)
            assert components(SurfaceMesh(vertices, faces)) == 2


def test_the_truth_is_the_clean_foot_and_drops_girths_that_depend_on_the_top(generated: GeneratedFoot) -> None:
    truth = clean_truth(generated.vertices, generated.faces)
    assert truth["foot_length_mm"] == pytest.approx(generated.targets.foot_length_mm, abs=5.0)
    assert truth["ball_girth_mm"] == pytest.approx(generated.targets.ball_girth_mm, abs=5.0)
    # Cut just above the ball: every girth above it now depends on where the scan stops.
    low = artefacts.cut_low(SurfaceMesh(generated.vertices, generated.faces), artefacts.LowCut(55.0, capped=True))
    cut_truth = clean_truth(low.vertices, low.faces)
    assert cut_truth["long_heel_girth_mm"] is None and truth["long_heel_girth_mm"] is not None
