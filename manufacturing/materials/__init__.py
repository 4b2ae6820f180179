"""Materials: the catalogue of what a pair is made of (unit, cost, supplier, lead time, hide grade)."""

from manufacturing.materials.catalogue import (
    SATRA_HIDE_YIELDS,
    Catalogue,
    CatalogueError,
    Material,
    default_catalogue,
    load_catalogue,
)

__all__ = ["SATRA_HIDE_YIELDS", "Catalogue", "CatalogueError", "Material", "default_catalogue", "load_catalogue"]
