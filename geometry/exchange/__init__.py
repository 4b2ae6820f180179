"""File formats in and out (meshes, point clouds, later DXF, HPGL, SVG, glTF), dispatched by format."""
