"""The grade-rule ASCII file: written in the AAMA layout, read back with the DXF's rule numbers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from benchmarks.pattern_samples import SAMPLE_SIZE, SIZE_RUN, graded_set, sample_rules, sample_set
from geometry.errors import PatternError, UnsupportedFormatError
from geometry.exchange.astm_dxf import grade_rule_numbers, read_astm_dxf, write_astm_dxf
from geometry.exchange.grade_rules import parse_grade_rule_file, read_grade_rules, write_grade_rules
from geometry.pattern import grade_pattern


def test_the_file_has_the_aama_header_and_one_rule_per_grade_point() -> None:
    rules = sample_rules()
    text = write_grade_rules(rules, date(2026, 3, 14))
    lines = text.splitlines()
    assert lines[0] == "ASTM/D6673/AAMA-RUL"
    assert "UNITS: METRIC" in lines
    assert "SIZE LIST: 36 37 38 39 40 41 42 43 44" in lines
    assert "SAMPLE SIZE: 40" in lines
    assert "NUMBER OF SIZES: 9" in lines
    assert lines[-1] == "END"
    total = sum(len(r.point_index) for r in rules.pieces)
    assert len([line for line in lines if line.startswith("RULE: DELTA")]) == total
    header, offsets = parse_grade_rule_file(text)
    assert header["GRADE RULE TABLE"] == "DERBY-TEST"
    sample_column = SIZE_RUN.index(SAMPLE_SIZE)
    assert all(np.array_equal(o[sample_column], [0.0, 0.0]) for o in offsets.values())


def test_dxf_plus_rule_file_rebuild_the_size_run_within_0_01_mm() -> None:
    rules = sample_rules()
    read = read_astm_dxf(write_astm_dxf(graded_set(), rules))
    numbers = {name: n for (name, size), n in read.grade_points.items() if size == SAMPLE_SIZE}
    assert numbers == grade_rule_numbers(rules)
    back = read_grade_rules(write_grade_rules(rules), numbers)
    assert back.sizes == rules.sizes and back.sample_size == rules.sample_size
    regraded = grade_pattern(sample_set(), back)
    for piece in graded_set().pieces:
        np.testing.assert_allclose(regraded.piece(piece.name, piece.size).cut_line, piece.cut_line, atol=0.01)


def test_a_rule_the_file_lacks_and_a_non_rule_file_are_refused() -> None:
    text = write_grade_rules(sample_rules())
    with pytest.raises(PatternError, match=r"names grade rules \[999\]"):
        read_grade_rules(text, {"VAMP": {0: 999}})
    with pytest.raises(UnsupportedFormatError):
        parse_grade_rule_file("0\nSECTION\n")
    broken = text.replace("RULE: DELTA 2\r\n  ", "RULE: DELTA 2\r\n  1.0, ", 1)
    with pytest.raises(PatternError, match="grade rule 2 has 19 values"):
        parse_grade_rule_file(broken)
