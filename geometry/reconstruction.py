"""Point clouds into surfaces: consistently oriented normals, then a screened Poisson surface (open3d),
trimmed to where the scan has points.

Poisson fits one smooth closed surface to oriented points, so it averages scanner noise and bridges holes
with the surface around them; far from any point the surface is its own invention and is dropped.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree
from scipy.spatial import cKDTree

from geometry.arrays import BoolArray, FloatArray, IndexArray
from geometry.meshes import keep_faces


def consistent_normals(points: FloatArray, normals: FloatArray, neighbours: int = 8) -> FloatArray:
    """Unsigned normals (n, 3) given one consistent sign, outward when the lowest point's faces down.

    Hoppe's method: the sign is carried from the lowest point (the sole, whose outward normal points
    down, -z) along the minimum spanning tree of the nearest-neighbour graph weighted by 1 - |ni . nj|, so
    it crosses between nearly parallel normals first and never jumps across a thin part. Each separate
    cluster of the graph starts again from its own lowest point.
    points : (n, 3) float; normals : (n, 3) unit, any sign; returns (n, 3)
    """
    count = len(points)
    _, index = cKDTree(points).query(points, k=neighbours + 1, workers=-1)
    rows = np.repeat(np.arange(count), neighbours)
    cols = np.asarray(index)[:, 1:].reshape(-1)
    # A small floor keeps exactly parallel neighbours as edges (a zero weight is no edge to scipy).
    weights = 1.0 - np.abs(np.einsum("ij,ij->i", normals[rows], normals[cols])) + 1e-6
    graph = coo_matrix((weights, (rows, cols)), shape=(count, count)).tocsr()
    tree = minimum_spanning_tree(graph.maximum(graph.T))
    tree = tree + tree.T
    clusters, labels = connected_components(tree, directed=False)
    flipped = [False] * count  # a list: the walk below reads and writes one element at a time
    for cluster in range(clusters):
        members = np.flatnonzero(labels == cluster)
        root = int(members[np.argmin(points[members, 2])])
        order, parent = breadth_first_order(tree, root, directed=False, return_predecessors=True)
        children = order[1:]
        # Parents come before their children in breadth-first order: one pass carries the sign down.
        turns = (np.einsum("ij,ij->i", normals[children], normals[parent[children]]) < 0).tolist()
        flipped[root] = bool(normals[root, 2] > 0)
        for child, parent_of, turn in zip(children.tolist(), parent[children].tolist(), turns, strict=True):
            flipped[child] = flipped[parent_of] ^ turn
    return np.where(np.asarray(flipped)[:, None], -normals, normals)


def poisson_surface(
    points: FloatArray, normals: FloatArray, depth: int = 8, trim_distance: float = 20.0
) -> tuple[FloatArray, IndexArray]:
    """A screened Poisson surface through oriented points (open3d), without its parts farther than
    ``trim_distance`` (points' units) from every point. An octree of ``depth`` splits the points' bounding
    box 2**depth times along its longest side.

    points, normals : (n, 3) float; returns vertices (k, 3) and faces (m, 3)
    """
    import open3d as o3d  # imported when used: it costs a second to load
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.ascontiguousarray(points, dtype=np.float64)))
    cloud.normals = o3d.utility.Vector3dVector(np.ascontiguousarray(normals, dtype=np.float64))
    # One thread: open3d's multi-threaded Poisson crashes the process now and then (a data race,
    # isl-org/Open3D#6828; seen here once in about 250 runs).
    mesh, _ = o3d.geometry.TriangleMesh.create_from_point_cloud_poisson(cloud, depth=depth, scale=1.1, n_threads=1)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.triangles, dtype=np.int64)
    distance, _ = cKDTree(points).query(vertices, workers=-1)
    near = np.asarray(distance) <= trim_distance
    kept: BoolArray = np.all(near[faces], axis=1)
    return keep_faces(vertices, faces, kept)
