"""Point-cloud clean-up: outliers, noise and separate clusters, vectorised (open3d, scipy)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from geometry.arrays import BoolArray, FloatArray, IndexArray


def statistical_inlier_mask(points: FloatArray, neighbours: int = 20, std_ratio: float = 2.5) -> BoolArray:
    """Points whose mean distance to their neighbours is not unusually large (open3d's SOR filter).

    points : (n, 3) float; returns (n,) bool
    """
    import open3d as o3d  # imported when used: it costs a second to load
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(points, dtype=np.float64)))
    _, kept = cloud.remove_statistical_outlier(nb_neighbors=neighbours, std_ratio=std_ratio)
    mask = np.zeros(len(points), dtype=bool)
    mask[np.asarray(kept, dtype=np.int64)] = True
    return mask


def voxel_average(points: FloatArray, voxel_mm: float) -> FloatArray:
    """One point per occupied voxel, the mean of its points (thins a dense cloud and averages its noise).

    points : (n, 3) float, mm; returns (k, 3) float, mm
    """
    import open3d as o3d  # imported when used: it costs a second to load
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(points, dtype=np.float64)))
    return np.asarray(cloud.voxel_down_sample(voxel_mm).points, dtype=np.float64)


def isolated_point_mask(points: FloatArray, spacing_factor: float = 4.0, min_neighbours: int = 4) -> BoolArray:
    """Points with fewer than ``min_neighbours`` others within ``spacing_factor`` x the typical point spacing
    (the median nearest-neighbour distance): stray returns far from any surface.

    points : (n, 3) float; returns (n,) bool, True for isolated points
    """
    tree = cKDTree(points)
    nearest, _ = tree.query(points, k=2, workers=-1)
    radius = spacing_factor * float(np.median(np.asarray(nearest)[:, 1]))
    counts = tree.query_ball_point(points, r=radius, return_length=True, workers=-1)
    return np.asarray(counts) - 1 < min_neighbours


def local_planes(points: FloatArray, neighbours: int = 24) -> tuple[FloatArray, FloatArray]:
    """Best-fit plane of each point's nearest neighbours: centres (n, 3) and unit normals (n, 3, unsigned)."""
    points = np.asarray(points, dtype=np.float64)
    k = min(neighbours, len(points))
    _, index = cKDTree(points).query(points, k=k, workers=-1)
    patches = points[index]  # (n, k, 3)
    centres = patches.mean(axis=1)
    centred = patches - centres[:, None, :]
    covariance = np.einsum("nki,nkj->nij", centred, centred)
    _, eigenvectors = np.linalg.eigh(covariance)
    return centres, eigenvectors[:, :, 0]  # smallest eigenvalue: the local normal


def project_to_local_planes(points: FloatArray, neighbours: int = 24) -> tuple[FloatArray, FloatArray]:
    """Smooth scanner noise: move each point onto the best-fit plane of its nearest neighbours.

    Shrinks noise normal to the surface by about sqrt(neighbours) while keeping the shape; one pass.
    points : (n, 3) float, mm; returns the moved points (n, 3), mm, and their planes' unit normals (n, 3,
    unsigned)
    """
    centres, normals = local_planes(points, neighbours)
    offset = np.einsum("ni,ni->n", points - centres, normals)
    return points - offset[:, None] * normals, normals


def voxel_cluster_labels(points: FloatArray, voxel_mm: float) -> IndexArray:
    """Connected clusters of points, two points joined when their voxels touch (26-connectivity).

    points : (n, 3) float, mm; returns (n,) int labels, 0 = largest cluster, 1 = next, ...
    """
    cells = np.floor((points - points.min(axis=0)) / voxel_mm).astype(np.int64)
    shape = cells.max(axis=0) + 1
    grid = np.zeros(shape, dtype=bool)
    grid[cells[:, 0], cells[:, 1], cells[:, 2]] = True
    labelled, count = ndimage.label(grid, structure=np.ones((3, 3, 3), dtype=bool))
    labels = labelled[cells[:, 0], cells[:, 1], cells[:, 2]] - 1
    sizes = np.bincount(labels, minlength=count)
    rank = np.empty(count, dtype=np.int64)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(count)
    cluster_of_point: IndexArray = rank[labels]
    return cluster_of_point
