"""3MF through the counted zip reader: real files read whole, components and build transforms placed as
trimesh places them, and archives that lie about their size, hold bombs or entities refused at the limit."""

import io
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import trimesh

from benchmarks.hostile import lying_3mf
from geometry.errors import InputError, InputTooLargeError, UnsupportedFormatError
from geometry.exchange.meshes import ReadLimits, read_mesh
from geometry.exchange.threemf import ArchiveLimits, zip_directory_fits

CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
TETRA = ('<mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="10" y="0" z="0"/><vertex x="0" y="20" z="0"/>'
         '<vertex x="0" y="0" z="30"/></vertices><triangles><triangle v1="0" v2="1" v3="2"/>'
         '<triangle v1="0" v2="1" v3="3"/><triangle v1="0" v2="2" v3="3"/><triangle v1="1" v2="2" v3="3"/>'
         "</triangles></mesh>")  # fmt: skip
BAD_INDEX_TETRA = TETRA.replace('v3="3"', 'v3="99"')


def three_mf(model_body: str, prolog: str = "") -> bytes:
    """A 3MF whose model part is ``<model>`` around ``model_body``."""
    model = f'<?xml version="1.0"?>{prolog}<model unit="millimeter" xmlns="{CORE}">{model_body}</model>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", model)
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


def test_components_and_build_transforms_are_placed_as_trimesh_places_them() -> None:
    data = three_mf(
        f'<resources><object id="1" type="model">{TETRA}</object>'
        '<object id="2" type="model"><components><component objectid="1"/>'
        '<component objectid="1" transform="1 0 0 0 1 0 0 0 1 100 0 0"/></components></object></resources>'
        '<build><item objectid="2" transform="0 1 0 -1 0 0 0 0 1 0 0 5"/></build>'
    )
    mesh = read_mesh(data, "placed.3mf")
    assert (len(mesh.vertices), len(mesh.faces)) == (8, 8)
    reference = trimesh.load(io.BytesIO(data), file_type="3mf").to_mesh()
    np.testing.assert_allclose(mesh.vertices.min(axis=0), reference.bounds[0], atol=1e-9)
    np.testing.assert_allclose(mesh.vertices.max(axis=0), reference.bounds[1], atol=1e-9)
    assert mesh.vertices[:, 2].min() == 5.0  # the build item's lift


def test_a_real_3mf_reads_whole() -> None:
    capsule = trimesh.creation.capsule(height=20.0, radius=5.0, count=[16, 16])
    mesh = read_mesh(capsule.export(file_type="3mf"), "capsule.3mf")
    assert len(mesh.faces) == len(capsule.faces)
    np.testing.assert_allclose(mesh.vertices.min(axis=0), capsule.bounds[0], atol=1e-9)


def test_placements_are_counted_expanded_and_refused_before_any_copy() -> None:
    items = "".join('<item objectid="1"/>' for _ in range(1000))
    data = three_mf(f'<resources><object id="1" type="model">{TETRA}</object></resources><build>{items}</build>')
    with pytest.raises(InputTooLargeError, match="1,000 placements") as refused:
        read_mesh(data, "many.3mf", ReadLimits(max_elements=5_000))
    assert refused.value.details["faces"] == 4_000 and refused.value.details["limit_elements"] == 5_000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '<resources><object id="1"><components><component objectid="1"/></components></object></resources>'
            '<build><item objectid="1"/></build>',
            "contains itself",
        ),
        ('<resources/><build><item objectid="7"/></build>', "missing"),
        (
            f'<resources><object id="1">{BAD_INDEX_TETRA}</object></resources><build><item objectid="1"/></build>',
            "does not have",
        ),
        (
            '<resources><object id="1"><mesh><vertices><vertex x="a" y="0" z="0"/></vertices></mesh></object>'
            "</resources>",
            "malformed",
        ),
        ('<build><item objectid="1" transform="1 0 0"/></build>', "malformed"),
    ],
    ids=["cycle", "unknown object", "bad index", "bad number", "bad transform"],
)
def test_malformed_models_are_typed_errors(body: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_mesh(three_mf(body), "bad.3mf")


def test_entities_are_refused_unexpanded() -> None:
    laughs = '<!DOCTYPE model [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with pytest.raises(InputError, match="DTD or entities"):
        read_mesh(three_mf("<resources/>", prolog=laughs), "laughs.3mf")


def test_other_compression_methods_and_other_parts_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("3D/3dmodel.model", f'<model xmlns="{CORE}"/>')
    with pytest.raises(UnsupportedFormatError, match="stored or deflated"):
        read_mesh(buffer.getvalue(), "bzip.3mf")
    production = 'xmlns:p="http://schemas.microsoft.com/3dmanufacturing/production/2015/06"'
    data = three_mf(f'<build {production}><item objectid="1" p:path="/3D/other.model"/></build>')
    with pytest.raises(UnsupportedFormatError, match="other model parts"):
        read_mesh(data, "parts.3mf")


def test_a_zip_listing_too_many_members_is_refused_before_its_directory_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("3D/3dmodel.model", f'<model xmlns="{CORE}"/>')
        for i in range(100):
            archive.writestr(f"padding/{i}.txt", "")
    assert not zip_directory_fits(buffer.getvalue(), ArchiveLimits(max_members=64))
    with pytest.raises(InputTooLargeError, match="more than 64 members"):
        read_mesh(buffer.getvalue(), "crowded.3mf")


def test_a_header_that_under_states_the_size_fails_without_inflating_the_member() -> None:
    with pytest.raises(InputError, match="damaged zip"):
        read_mesh(lying_3mf(50 << 20), "lying.3mf")


_PEAK_MEMORY_PROBE = textwrap.dedent("""
    import resource, sys
    from benchmarks.hostile import lying_3mf
    from geometry.errors import CspmsError
    from geometry.exchange.meshes import ReadLimits, read_mesh
    from geometry.exchange.threemf import ArchiveLimits
    import trimesh
    limits = ReadLimits(archive=ArchiveLimits(max_unpacked_bytes=int(sys.argv[1])))
    bomb = lying_3mf(int(sys.argv[2]))
    read_mesh(trimesh.creation.box().export(file_type="3mf"), "warm.3mf", limits)  # imports and caches warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        read_mesh(bomb, "lying.3mf", limits)
    except CspmsError as error:
        print(type(error).__name__, file=sys.stderr)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
""")


def test_a_lying_3mf_adds_less_than_twice_the_unpack_limit_of_memory() -> None:
    limit_bytes, real_bytes = 16 << 20, 200 << 20
    probe = subprocess.run([sys.executable, "-c", _PEAK_MEMORY_PROBE, str(limit_bytes), str(real_bytes)],
                           capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    assert "InputError" in probe.stderr, probe.stderr
    assert int(probe.stdout) < 2 * limit_bytes, f"peak memory grew by {int(probe.stdout):,} bytes"
