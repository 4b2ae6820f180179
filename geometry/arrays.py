"""The numpy array types the domain passes around, named once so signatures say what they hold.

numpy's stubs type reductions along an axis (``sum(axis=0)``, ``np.linalg.norm(..., axis=1)``, ``max(axis=1)``)
as ``Any``; a result bound to a variable annotated with one of these keeps its type from there on.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# Coordinates, lengths, areas and other measures (mm unless the name says otherwise).
FloatArray = NDArray[np.float64]
# Vertex and face indices, counts.
IndexArray = NDArray[np.intp]
# Masks: one flag per vertex, face or sample.
BoolArray = NDArray[np.bool_]
