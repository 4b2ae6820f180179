from lasts.scans import describe_scan


def test_the_find_template_is_described_in_its_own_units(find_template_bytes: bytes) -> None:
    summary = describe_scan(find_template_bytes, "find_template.obj")
    assert summary.format == "obj"
    assert summary.kind == "mesh"
    assert (summary.vertex_count, summary.face_count) == (44_395, 88_786)
    assert summary.size_bytes == len(find_template_bytes)
    # Metres: heel to toe along +x is about a quarter of a metre.
    length = summary.bbox_max[0] - summary.bbox_min[0]
    assert 0.22 < length < 0.30
    assert len(summary.sha256) == 64
