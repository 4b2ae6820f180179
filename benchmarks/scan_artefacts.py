"""What real foot scanners do to a foot, as artefacts applied to a generated one (issue 19).

Each function takes a surface in the generated foot's measuring frame — mm, sole on the floor z = 0, heel
back at x = 0, toes towards +x, a left foot (medial side −y) — and the artefact's typed parameters, and
returns the surface as the scanner would deliver it, still in that frame: the pose, the units and the file
format come afterwards (``benchmarks.cohort``). Each parameter record's ``sample(rng)`` draws it from the
range real scans show. The refusal cases (a foam-box imprint, a shoe box, a sphere) are made here too.
numpy and trimesh (scipy for distances over the surface); nothing here measures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from geometry.arrays import BoolArray, FloatArray, IndexArray


@dataclass(frozen=True)
class SurfaceMesh:
    """vertices : (n, 3) float, mm in the foot's measuring frame (file units after ``rescale``);
    faces : (m, 3) int, outward-facing; no faces for a point cloud."""

    vertices: FloatArray
    faces: IndexArray

    @property
    def length_mm(self) -> float:
        """Extent along the foot axis (x): the foot's length, plus whatever the scan has beyond it."""
        return float(np.ptp(self.vertices[:, 0]))

    def as_trimesh(self, merge: bool = False) -> trimesh.Trimesh:
        return trimesh.Trimesh(self.vertices, self.faces, process=merge)


def _surface(mesh: trimesh.Trimesh) -> SurfaceMesh:
    return SurfaceMesh(np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.intp))


def _smoothstep(t: FloatArray) -> FloatArray:
    t = np.clip(t, 0.0, 1.0)
    smooth: FloatArray = t * t * (3.0 - 2.0 * t)
    return smooth


# --- Cut low: the scanner's volume ends above the ankle bones ------------------------------------------


@dataclass(frozen=True)
class LowCut:
    """A flat cut ``height_mm`` above the floor; ``capped``: closed with a flat lid (as dupontgu's scan is),
    else left open at the rim."""

    height_mm: float
    capped: bool

    @classmethod
    def sample(cls, rng: np.random.Generator) -> LowCut:
        return cls(height_mm=float(rng.uniform(60.0, 120.0)), capped=bool(rng.random() < 0.5))


def cut_low(foot: SurfaceMesh, cut: LowCut) -> SurfaceMesh:
    """Everything above the cut height dropped; the cut closed with a flat cap or left open."""
    # Merged vertices: the cap is triangulated from closed loops of shared edges.
    kept = trimesh.intersections.slice_mesh_plane(
        foot.as_trimesh(merge=True), plane_normal=[0.0, 0.0, -1.0], plane_origin=[0.0, 0.0, cut.height_mm],
        cap=cut.capped,
    )  # fmt: skip
    # The slice makes each face's crossing points on its own: merge them, so the rim is one ring of edges.
    return _surface(trimesh.Trimesh(kept.vertices, kept.faces, process=True))


# --- The sole flattened on the scanner's glass ---------------------------------------------------------

# Above the glass the soft tissue's spread fades out over this height (mm).
_SPREAD_FADE_MM = 10.0
_SLICE_MM = 5.0


@dataclass(frozen=True)
class SoleFlattening:
    """The foot stood on a glass plate: the lowest ``press_mm`` of the sole pressed flat, and the contact
    band ``spread_mm`` wider on each side (the soft tissue spreads)."""

    press_mm: float
    spread_mm: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> SoleFlattening:
        return cls(press_mm=float(rng.uniform(2.0, 6.0)), spread_mm=float(rng.uniform(0.5, 2.5)))


def flatten_sole(foot: SurfaceMesh, flat: SoleFlattening) -> SurfaceMesh:
    """Points below the plane ``press_mm`` above the floor pushed up onto it, the band around it widened
    (more at its edges, none at its middle, so no face folds over), then set back on the floor z = 0."""
    v = foot.vertices.copy()
    floor = float(v[:, 2].min())
    plane = floor + flat.press_mm
    pressed = _smoothstep((plane + _SPREAD_FADE_MM - v[:, 2]) / _SPREAD_FADE_MM)  # 1 at and below the plane
    # The middle and half-width of the contact band along the foot, per slice.
    slices = np.floor((v[:, 0] - v[:, 0].min()) / _SLICE_MM).astype(np.intp)
    band = v[:, 2] <= plane + _SPREAD_FADE_MM
    count = int(slices.max()) + 1
    high = np.full(count, -np.inf)
    low = np.full(count, np.inf)
    np.maximum.at(high, slices[band], v[band, 1])
    np.minimum.at(low, slices[band], v[band, 1])
    found = np.flatnonzero(np.isfinite(high))
    everywhere = np.arange(count)
    middle = np.interp(everywhere, found, 0.5 * (high[found] + low[found]))
    half_width = np.maximum(np.interp(everywhere, found, 0.5 * (high[found] - low[found])), _SLICE_MM)
    v[:, 1] += pressed * flat.spread_mm * (v[:, 1] - middle[slices]) / half_width[slices]
    v[:, 2] = np.maximum(v[:, 2], plane) - flat.press_mm
    return SurfaceMesh(v, foot.faces.copy())


# --- A leg included: the scan goes on up the shin -------------------------------------------------------

# The foot's top is cut this far down before the leg is added (the shin's section there is one ring).
_LEG_JOIN_BELOW_TOP_MM = 8.0
_LEG_RING_MM = 8.0


@dataclass(frozen=True)
class Leg:
    """The scan reaches ``top_mm`` above the floor; the leg widens from the shin to the calf by
    ``calf_ratio`` (girth at the top over girth at the join); ``capped``: closed at the top."""

    top_mm: float
    calf_ratio: float
    capped: bool

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Leg:
        return cls(
            top_mm=float(rng.uniform(250.0, 450.0)), calf_ratio=float(rng.uniform(1.15, 1.5)),
            capped=bool(rng.random() < 0.5),
        )  # fmt: skip


def _rim_edges(faces: IndexArray) -> IndexArray:
    """(k, 2) directed edges, as their faces run, that no other face shares: the open rims."""
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    base = int(faces.max()) + 1
    forward = edges[:, 0] * base + edges[:, 1]
    backward = edges[:, 1] * base + edges[:, 0]
    backward.sort()
    at = np.minimum(np.searchsorted(backward, forward), len(backward) - 1)
    rim: IndexArray = edges[backward[at] != forward]
    return rim


def include_leg(foot: SurfaceMesh, leg: Leg) -> SurfaceMesh:
    """The foot with its leg scanned up to ``leg.top_mm``: the shin's section just below the foot's top
    extruded upwards in rings, widened about its centre towards the calf. The foot must reach its shin
    (a low-cut foot has none): ``ValueError`` otherwise."""
    top = float(foot.vertices[:, 2].max())
    join = top - _LEG_JOIN_BELOW_TOP_MM
    if leg.top_mm <= top + _LEG_RING_MM:
        raise ValueError(f"the leg's top ({leg.top_mm:.0f} mm) must be above the foot's top ({top:.0f} mm)")
    below = cut_low(foot, LowCut(height_mm=join, capped=False))
    rim = _rim_edges(below.faces)
    rim_vertices, local = np.unique(rim, return_inverse=True)
    local = local.reshape(-1, 2)
    if not np.allclose(below.vertices[rim_vertices, 2], join, atol=1e-6):
        raise ValueError("the foot's top is not one open ring after the cut: not a foot with its shin")
    start = below.vertices[rim_vertices]
    centre = start.mean(axis=0)
    rings = max(2, math.ceil((leg.top_mm - join) / _LEG_RING_MM))
    heights = np.linspace(join, leg.top_mm, rings + 1)[1:]
    # The calf is widest about three quarters of the way up; the girth grows with the scale.
    scales = 1.0 + (leg.calf_ratio - 1.0) * _smoothstep((heights - join) / (0.75 * (leg.top_mm - join)))
    ring_points = centre[None, None, :2] + (start[None, :, :2] - centre[None, None, :2]) * scales[:, None, None]
    ring_points = np.concatenate([ring_points, np.broadcast_to(heights[:, None, None], (*ring_points.shape[:2], 1))], 2)
    first_new = len(below.vertices)
    per_ring = len(rim_vertices)
    # Vertex ids per ring: ring 0 is the rim itself.
    ids = np.vstack([rim_vertices[None, :], first_new + np.arange(rings * per_ring).reshape(rings, per_ring)])
    a, b = local[:, 0], local[:, 1]
    faces = [below.faces]
    for k in range(rings):
        a0, b0, a1, b1 = ids[k, a], ids[k, b], ids[k + 1, a], ids[k + 1, b]
        # The rim edge a→b runs along its face below; the wall above runs it b→a, so the winding continues.
        faces += [np.stack([b0, a0, a1], axis=1), np.stack([b0, a1, b1], axis=1)]
    vertices = np.vstack([below.vertices, ring_points.reshape(-1, 3)])
    if leg.capped:
        lid = len(vertices)
        vertices = np.vstack([vertices, [[*ring_points[-1, :, :2].mean(axis=0), leg.top_mm]]])
        faces.append(np.stack([np.full(len(a), lid), ids[rings, b], ids[rings, a]], axis=1))
    return SurfaceMesh(vertices, np.vstack(faces).astype(np.intp))


# --- Mirrored export ---------------------------------------------------------------------------------


def mirror_export(foot: SurfaceMesh) -> SurfaceMesh:
    """The mirror image across the foot's long vertical plane (y → −y), as an exporter that flips an axis
    writes it: a left foot's file holding a right foot. Faces are re-wound so they still face out."""
    return SurfaceMesh(foot.vertices * np.array([1.0, -1.0, 1.0]), foot.faces[:, ::-1].copy())


# --- Two feet in one file --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoFeet:
    """The right foot stands ``gap_mm`` to the right of the left (between their inner borders), turned
    ``turn_deg`` about the vertical (toes out when positive) and ``step_mm`` forward of it."""

    gap_mm: float
    turn_deg: float
    step_mm: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> TwoFeet:
        return cls(
            gap_mm=float(rng.uniform(50.0, 150.0)), turn_deg=float(rng.uniform(-15.0, 15.0)),
            step_mm=float(rng.uniform(-40.0, 40.0)),
        )  # fmt: skip


def two_feet(left: SurfaceMesh, right: SurfaceMesh, stance: TwoFeet) -> SurfaceMesh:
    """A left foot and a right foot (each in its own measuring frame) side by side in one surface: +y is
    the person's left, so the right foot stands at −y, its medial side (+y) towards the left foot's."""
    turn = math.radians(-stance.turn_deg)  # toes out for a right foot: its front turns towards −y
    rotation = np.array([[math.cos(turn), -math.sin(turn), 0.0], [math.sin(turn), math.cos(turn), 0.0], [0, 0, 1]])
    centre = right.vertices.mean(axis=0)
    placed = (right.vertices - centre) @ rotation.T + centre
    placed[:, 1] += left.vertices[:, 1].min() - stance.gap_mm - placed[:, 1].max()
    placed[:, 0] += stance.step_mm
    return SurfaceMesh(np.vstack([left.vertices, placed]), np.vstack([left.faces, right.faces + len(left.vertices)]))


# --- Phone-scan noise -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneNoise:
    """A phone's scan: the surface remeshed coarsely on a grid of ``cell_mm``, its vertices moved along
    their normals with σ = ``sigma_mm``, a ``spike_fraction`` of them thrown 3–15 mm off the surface, and
    ``debris`` small loose fragments floating around the foot."""

    sigma_mm: float
    cell_mm: float
    spike_fraction: float
    debris: int
    seed: int

    @classmethod
    def sample(cls, rng: np.random.Generator) -> PhoneNoise:
        return cls(
            sigma_mm=float(rng.uniform(0.5, 1.5)), cell_mm=float(rng.uniform(2.5, 4.0)),
            spike_fraction=float(rng.uniform(0.001, 0.005)), debris=int(rng.integers(5, 31)),
            seed=int(rng.integers(1 << 31)),
        )  # fmt: skip


def coarse_remesh(foot: SurfaceMesh, cell_mm: float) -> SurfaceMesh:
    """Vertex clustering: the vertices in each cube of ``cell_mm`` merged into their mean, the faces that
    collapse (and the copies) dropped. Thin parts (the gaps between toes) may fuse, as on a phone."""
    cells = np.floor(foot.vertices / cell_mm).astype(np.int64)
    _, inverse, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    sums = np.zeros((len(counts), 3))
    np.add.at(sums, inverse, foot.vertices)
    faces = inverse[foot.faces]
    distinct = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    faces = faces[distinct]
    _, first = np.unique(np.sort(faces, axis=1), axis=0, return_index=True)
    faces = faces[np.sort(first)]
    used, remapped = np.unique(faces, return_inverse=True)
    return SurfaceMesh((sums / counts[:, None])[used], remapped.reshape(-1, 3).astype(np.intp))


def _tetrahedron(centre: FloatArray, size_mm: float, rng: np.random.Generator) -> tuple[FloatArray, IndexArray]:
    corners = centre + rng.normal(0.0, size_mm / 2.0, size=(4, 3))
    faces = np.array([[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]], dtype=np.intp)
    return corners, faces


def phone_noise(foot: SurfaceMesh, noise: PhoneNoise) -> SurfaceMesh:
    rng = np.random.default_rng(noise.seed)
    coarse = coarse_remesh(foot, noise.cell_mm)
    normals = np.asarray(coarse.as_trimesh().vertex_normals)
    v = coarse.vertices + normals * rng.normal(0.0, noise.sigma_mm, size=(len(normals), 1))
    spikes = rng.random(len(v)) < noise.spike_fraction
    throw_mm = rng.uniform(3.0, 15.0, size=(int(spikes.sum()), 1)) * rng.choice([-1.0, 1.0], (int(spikes.sum()), 1))
    v[spikes] += normals[spikes] * throw_mm
    vertices, faces = [v], [coarse.faces]
    low, high = v.min(axis=0) - 30.0, v.max(axis=0) + 30.0
    count = len(v)
    for _ in range(noise.debris):
        corners, tetra = _tetrahedron(rng.uniform(low, high), float(rng.uniform(2.0, 8.0)), rng)
        vertices.append(corners)
        faces.append(tetra + count)
        count += 4
    return SurfaceMesh(np.vstack(vertices), np.vstack(faces))


# --- Holes ------------------------------------------------------------------------------------------------

HoleRegion = Literal["toe_tip", "heel_back", "arch"]
HOLE_REGIONS: tuple[HoleRegion, ...] = ("toe_tip", "heel_back", "arch")


@dataclass(frozen=True)
class Hole:
    """A patch the scanner did not see: ``fraction`` of the faces (1–5 %) around one region — the tip of
    the toes, the back of the heel or under the medial arch — missing."""

    region: HoleRegion
    fraction: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Hole:
        return cls(region=HOLE_REGIONS[int(rng.integers(len(HOLE_REGIONS)))], fraction=float(rng.uniform(0.01, 0.05)))


def hole_centre(foot: SurfaceMesh, region: HoleRegion, medial_sign: float = -1.0) -> FloatArray:
    """(3,) where a region's hole is centred, in the foot's frame."""
    v = foot.vertices
    length = foot.length_mm
    x0 = float(v[:, 0].min())
    if region == "toe_tip":
        centre: FloatArray = v[int(np.argmax(v[:, 0]))]
        return centre
    if region == "heel_back":
        low = np.flatnonzero(v[:, 2] < 0.25 * length)
        centre = v[low[int(np.argmin(v[low, 0]))]]
        return centre
    # Under the medial arch: the underside at 0.45 L, a quarter of the width in from the medial border.
    normals = np.asarray(foot.as_trimesh().vertex_normals)
    band = (np.abs(v[:, 0] - x0 - 0.45 * length) < 0.05 * length) & (normals[:, 2] < -0.5)
    medial = v[band, 1] * medial_sign
    target_y = (float(medial.max()) - 0.25 * float(np.ptp(medial))) * medial_sign
    target = np.array([x0 + 0.45 * length, target_y, float(v[band, 2].min())])
    centre = v[np.flatnonzero(band)[int(np.argmin(np.linalg.norm(v[band] - target, axis=1)))]]
    return centre


def _face_graph(vertices: FloatArray, faces: IndexArray) -> coo_matrix:
    """Faces sharing an edge, weighted by the distance between their centroids."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    owner = np.repeat(np.arange(len(faces)), 3)
    key = edges[:, 0] * (int(faces.max()) + 1) + edges[:, 1]
    order = np.argsort(key, kind="stable")
    shared = np.flatnonzero(key[order][1:] == key[order][:-1])
    a, b = owner[order][shared], owner[order][shared + 1]
    centroids = vertices[faces].mean(axis=1)
    weights = np.linalg.norm(centroids[a] - centroids[b], axis=1) + 1e-9
    return coo_matrix((weights, (a, b)), shape=(len(faces), len(faces)))


def hole_faces(foot: SurfaceMesh, hole: Hole, medial_sign: float = -1.0) -> BoolArray:
    """(m,) the faces the hole removes: the ``fraction`` of them nearest the region's centre over the
    surface (one patch, as a scanner's blind spot, not a ball through the foot)."""
    centroids = foot.vertices[foot.faces].mean(axis=1)
    start = int(np.argmin(np.linalg.norm(centroids - hole_centre(foot, hole.region, medial_sign), axis=1)))
    distance = dijkstra(_face_graph(foot.vertices, foot.faces), directed=False, indices=[start])[0]
    removed = np.zeros(len(foot.faces), dtype=bool)
    removed[np.argsort(distance, kind="stable")[: round(hole.fraction * len(foot.faces))]] = True
    return removed


def punch_hole(foot: SurfaceMesh, hole: Hole, medial_sign: float = -1.0) -> SurfaceMesh:
    kept = ~hole_faces(foot, hole, medial_sign)
    used, remapped = np.unique(foot.faces[kept], return_inverse=True)
    return SurfaceMesh(foot.vertices[used], remapped.reshape(-1, 3).astype(np.intp))


# --- Unscaled photogrammetry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotogrammetryScale:
    """Photogrammetry without a scale bar: the foot is ``length_units`` long in arbitrary file units
    (log-uniform 0.5–60, so sometimes it looks like inches or centimetres and is not)."""

    length_units: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> PhotogrammetryScale:
        return cls(length_units=float(np.exp(rng.uniform(math.log(0.5), math.log(60.0)))))


def rescale(foot: SurfaceMesh, scale: PhotogrammetryScale) -> SurfaceMesh:
    """The surface in file units: its length along the foot is ``scale.length_units``."""
    return SurfaceMesh(foot.vertices * (scale.length_units / foot.length_mm), foot.faces.copy())


# --- Refusal cases: an imprint, a shoe box, a sphere ----------------------------------------------------------


@dataclass(frozen=True)
class FoamImprint:
    """A foam box the foot was pressed into, ``depth_mm`` deep, with ``margin_mm`` of foam around it and
    ``base_mm`` below the deepest point: the negative of the sole, on a ``cell_mm`` grid."""

    depth_mm: float
    margin_mm: float
    base_mm: float
    cell_mm: float = 2.0

    @classmethod
    def sample(cls, rng: np.random.Generator) -> FoamImprint:
        return cls(
            depth_mm=float(rng.uniform(20.0, 45.0)), margin_mm=float(rng.uniform(15.0, 40.0)),
            base_mm=float(rng.uniform(15.0, 40.0)),
        )  # fmt: skip


def _grid_box(top: FloatArray, xs: FloatArray, ys: FloatArray) -> SurfaceMesh:
    """A closed solid over a grid: its top at heights ``top`` (nx, ny), its bottom at z = 0, walls between."""
    nx, ny = top.shape
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    upper = np.stack([gx, gy, top], axis=-1).reshape(-1, 3)
    lower = np.stack([gx, gy, np.zeros_like(top)], axis=-1).reshape(-1, 3)
    node = np.arange(nx * ny).reshape(nx, ny)
    n00, n10, n11, n01 = node[:-1, :-1].ravel(), node[1:, :-1].ravel(), node[1:, 1:].ravel(), node[:-1, 1:].ravel()
    top_faces = np.concatenate([np.stack([n00, n10, n11], 1), np.stack([n00, n11, n01], 1)])
    bottom_faces = top_faces[:, ::-1] + nx * ny
    # The grid's border, counter-clockwise seen from above; each wall runs its top edge backwards.
    border = np.concatenate([node[:, 0], node[-1, 1:], node[-2::-1, -1], node[0, -2:0:-1]])
    p, q = border, np.roll(border, -1)
    walls = np.concatenate([np.stack([q, p, p + nx * ny], 1), np.stack([q, p + nx * ny, q + nx * ny], 1)])
    return SurfaceMesh(np.vstack([upper, lower]), np.vstack([top_faces, bottom_faces, walls]).astype(np.intp))


def foam_imprint(foot: SurfaceMesh, imprint: FoamImprint) -> SurfaceMesh:
    """The foam box: its top is the foam's surface with the cavity the sole left, as deep as the sole
    reaches below ``depth_mm`` (read from points sampled on the foot's surface, finer than the grid)."""
    mesh = foot.as_trimesh()
    samples = int(6 * mesh.area / imprint.cell_mm**2)
    points = np.asarray(trimesh.sample.sample_surface(mesh, samples, seed=0)[0])
    low, high = foot.vertices.min(axis=0), foot.vertices.max(axis=0)
    xs = np.arange(low[0] - imprint.margin_mm, high[0] + imprint.margin_mm + imprint.cell_mm, imprint.cell_mm)
    ys = np.arange(low[1] - imprint.margin_mm, high[1] + imprint.margin_mm + imprint.cell_mm, imprint.cell_mm)
    i = np.clip(np.rint((points[:, 0] - xs[0]) / imprint.cell_mm).astype(np.intp), 0, len(xs) - 1)
    j = np.clip(np.rint((points[:, 1] - ys[0]) / imprint.cell_mm).astype(np.intp), 0, len(ys) - 1)
    sole = np.full((len(xs), len(ys)), np.inf)
    np.minimum.at(sole, (i, j), points[:, 2] - low[2])
    cavity = np.clip(imprint.depth_mm - sole, 0.0, None)
    # A node no sample fell near takes the deepest of its neighbours (inside the print), so no spikes.
    missing = ~np.isfinite(sole)
    padded = np.pad(np.where(missing, 0.0, cavity), 1)
    neighbours = np.max([padded[1 + di : len(xs) + 1 + di, 1 + dj : len(ys) + 1 + dj]
                         for di in (-1, 0, 1) for dj in (-1, 0, 1)], axis=0)  # fmt: skip
    cavity = np.where(missing, neighbours, cavity)
    return _grid_box(imprint.base_mm + imprint.depth_mm - cavity, xs, ys)


@dataclass(frozen=True)
class ShoeBox:
    """A closed box the size of a shoe (foot-like proportions seen from above, blunt at both ends), its
    faces no longer than ``facet_mm`` as a scanner's."""

    length_mm: float
    width_mm: float
    height_mm: float
    facet_mm: float = 6.0

    @classmethod
    def sample(cls, rng: np.random.Generator, foot_length_mm: float) -> ShoeBox:
        length = foot_length_mm + float(rng.uniform(20.0, 60.0))
        return cls(length_mm=length, width_mm=length * float(rng.uniform(0.35, 0.5)),
                   height_mm=length * float(rng.uniform(0.3, 0.45)))  # fmt: skip


def shoe_box(box: ShoeBox) -> SurfaceMesh:
    solid = trimesh.creation.box(extents=[box.length_mm, box.width_mm, box.height_mm])
    vertices, faces = trimesh.remesh.subdivide_to_size(solid.vertices, solid.faces, max_edge=box.facet_mm)
    vertices = np.asarray(vertices) + np.array([box.length_mm, 0.0, box.height_mm]) / 2.0
    return SurfaceMesh(vertices, np.asarray(faces, dtype=np.intp))


@dataclass(frozen=True)
class Sphere:
    radius_mm: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Sphere:
        return cls(radius_mm=float(rng.uniform(40.0, 150.0)))


def sphere(ball: Sphere) -> SurfaceMesh:
    solid = trimesh.creation.icosphere(subdivisions=4, radius=ball.radius_mm)
    return SurfaceMesh(np.asarray(solid.vertices) + np.array([0.0, 0.0, ball.radius_mm]), np.asarray(solid.faces))
