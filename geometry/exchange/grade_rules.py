"""The ASTM D6673 / AAMA grade-rule ASCII file (``.rul``) that travels beside the pattern DXF.

Layout written::

    ASTM/D6673/AAMA-RUL
    AUTHOR: CSPMS
    ...
    UNITS: METRIC
    GRADE RULE TABLE: <name>
    NUMBER OF SIZES: 9
    SIZE LIST: 36 37 38 39 40 41 42 43 44
    SAMPLE SIZE: 40
    RULE: DELTA 1
      dx36, dy36, dx37, dy37, ...      (mm, each size's offset from the sample size; 0, 0 at the sample)
    ...
    END

Rule numbers are the ``# n`` texts on layer 1 of the DXF (:func:`astm_dxf.grade_rule_numbers`); a rule
file is read back into :class:`GradeRules` together with those numbers (:func:`read_grade_rules`).
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np

from geometry.errors import PatternError, UnsupportedFormatError
from geometry.exchange.astm_dxf import grade_rule_numbers
from geometry.pattern import GradeRules, PieceGradeRule

HEADER = "ASTM/D6673/AAMA-RUL"
UNIT_SCALE_TO_MM = {"METRIC": 1.0, "ENGLISH": 25.4}


def write_grade_rules(rules: GradeRules, created: date | None = None, author: str = "CSPMS") -> str:
    """The grade-rule file text of ``rules`` (offsets in mm, three decimals)."""
    numbers = grade_rule_numbers(rules)
    lines = [
        HEADER,
        f"AUTHOR: {author}",
        "PRODUCT: CSPMS",
        "VERSION: 1",
        f"CREATION DATE: {(created or date.today()).isoformat()}",
        "CREATION TIME: 00:00:00",
        "UNITS: METRIC",
        f"GRADE RULE TABLE: {rules.name}",
        f"NUMBER OF SIZES: {len(rules.sizes)}",
        f"SIZE LIST: {' '.join(rules.sizes)}",
        f"SAMPLE SIZE: {rules.sample_size}",
    ]
    for rule in rules.pieces:
        offsets = np.stack([rules.offsets_mm(rule, size) for size in rules.sizes], axis=1)  # (m, sizes, 2)
        for row, index in enumerate(rule.point_index.tolist()):
            lines.append(f"RULE: DELTA {numbers[rule.piece_name][index]}")
            lines.append("  " + ", ".join(f"{v:.3f}" for v in offsets[row].reshape(-1)))
    lines.append("END")
    return "\r\n".join(lines) + "\r\n"


def parse_grade_rule_file(text: str) -> tuple[dict[str, str], dict[int, np.ndarray]]:
    """The header fields and ``{rule number: (sizes, 2) offsets from the sample size, mm}`` of a rule file."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].upper().replace(" ", "").startswith(("ASTM/D6673", "AAMA")):
        raise UnsupportedFormatError("not an ASTM/AAMA grade-rule file (its first line is not ASTM/D6673/AAMA-RUL)")
    header: dict[str, str] = {}
    values: dict[int, list[float]] = {}
    current: int | None = None
    for line in lines[1:]:
        rule = re.fullmatch(r"RULE\s*:\s*DELTA\s+(\d+)", line, re.IGNORECASE)
        if rule:
            current = int(rule.group(1))
            values[current] = []
        elif line.upper() == "END":
            break
        elif current is not None:
            try:
                values[current] += [float(v) for v in re.split(r"[,\s]+", line) if v]
            except ValueError as exc:
                raise PatternError(f"grade rule {current} has a value that is not a number: {line!r}") from exc
        elif ":" in line:
            key, value = line.split(":", 1)
            header[key.strip().upper()] = value.strip()
    sizes = header.get("SIZE LIST", "").split()
    scale = UNIT_SCALE_TO_MM.get(header.get("UNITS", "METRIC").upper().split()[0] if header.get("UNITS") else "METRIC")
    if scale is None:
        raise PatternError(f"grade-rule file units {header['UNITS']!r} are neither METRIC nor ENGLISH")
    offsets = {}
    for number, flat in values.items():
        if len(flat) != 2 * len(sizes):
            raise PatternError(f"grade rule {number} has {len(flat)} values, {len(sizes)} sizes need {2 * len(sizes)}")
        offsets[number] = np.array(flat).reshape(-1, 2) * scale
    return header, offsets


def read_grade_rules(text: str, grade_points: dict[str, dict[int, int]]) -> GradeRules:
    """Grade rules from a rule file and the DXF's rule numbers per piece (``{piece: {point index: rule}}``,
    e.g. the sample size's entries of :attr:`AstmDxfRead.grade_points`)."""
    header, offsets = parse_grade_rule_file(text)
    sizes = tuple(header.get("SIZE LIST", "").split())
    sample = header.get("SAMPLE SIZE", "")
    pieces = []
    for piece_name, numbers in grade_points.items():
        missing = sorted(set(numbers.values()) - set(offsets))
        if missing:
            raise PatternError(f"piece {piece_name!r} names grade rules {missing} that the rule file lacks")
        index = np.array(sorted(numbers), dtype=np.int64)
        cumulative = np.stack([offsets[numbers[i]] for i in index.tolist()])  # (m, sizes, 2)
        pieces.append(PieceGradeRule(piece_name, index, np.diff(cumulative, axis=1)))
    return GradeRules(header.get("GRADE RULE TABLE", "RULES"), sizes, sample, tuple(pieces))
