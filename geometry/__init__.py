"""Pure geometry on arrays: sections, girths, flattening, offsets, polygons; file formats in ``exchange``.

The bottom layer: imports nothing from the other CSPMS packages.
"""
