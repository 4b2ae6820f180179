"""The scan benchmark (``cspms bench scan``): what real scanners do to feet, and what scan ingest makes of it.

Cohort: ``count`` ANSUR II people (seeded). Each person's foot is generated from a real foot — the FIND
template (complete, with its lower shin) for even-numbered people, dupontgu's consumer scan (cut low,
flattened) for odd ones — and measured clean in its known frame: the truth (``cohort.clean_truth``). Each
artefact a real scanner makes (``cohort.ARTEFACTS``: cut low, sole flattened, a leg, mirrored, two feet,
phone noise, holes, no scale (alone, or with the foot's length given), a point cloud, all of a consumer
scan at once; and an imprint, a shoe box, a sphere, to be refused) is applied to it, the scan posed,
re-unitted, saved, and ingested blind (units and side "auto"). Per artefact: scans measured, refused with
a typed reason, crashed; side and units right; errors against the truth; the girths ingest estimates
(``lasts.completion``, when the record carries them) on low-cut scans; seconds per scan. The two real files
are measured as they are, against what is known of them (each measured in its file's known axes; both are
left feet).
"""

from __future__ import annotations

import os
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import trimesh

from benchmarks.cohort import (
    ARTEFACTS,
    BASE_FEET,
    GIRTHS,
    REAL_FOOT_AXES,
    SOLE_PRESSED,
    BaseFoot,
    ScanVariant,
    abs_stats,
    artefact_scan,
    clean_truth,
    dense_template_mesh,
    generate_foot,
    mesh_file_bytes,
    read_ansur_targets,
    real_foot_mesh,
)
from geometry.errors import CspmsError
from lasts.deformation import FootTargets
from lasts.scans import IngestOptions, ingest_scan
from lasts.side import Side

LENGTHS = (
    "foot_length_mm",
    "ball_width_mm",
    "ball_length_mm",
    "heel_width_mm",
    "arch_height_mm",
    "toe_height_mm",
)
MEASURES = LENGTHS + GIRTHS


@dataclass(frozen=True)
class Targets:
    """Issue 19's targets."""

    side_correct_pct: float = 100.0
    crashed: int = 0
    estimated_low_cut_girth_p95_mm: float = 6.0
    mesh_length_p95_mm: float = 1.0
    mesh_seconds_p95: float = 1.0


TARGETS = Targets()


@dataclass(frozen=True)
class BenchConfig:
    foot_files: dict[BaseFoot, Path]  # the real feet: "find" (the template) and "dupontgu"
    ansur_path: Path
    count: int = 10  # people; each artefact is applied to each of their feet
    seed: int = 2026
    workers: int = 2
    cloud_points: int = 200_000
    artefacts: tuple[str, ...] = tuple(ARTEFACTS)


Outcome = Literal["measured", "refused", "crashed", "not_generated"]


@dataclass(frozen=True)
class ScanOutcome:
    """What ingest made of one scan."""

    artefact: str
    base: str
    subject: str
    outcome: Outcome
    expect_refusal: bool
    reason: str | None = None  # the refusal's code; a crash's type and place
    message: str | None = None
    seconds: float | None = None
    side_expected: str | None = None
    side_found: str | None = None
    unit_expected: str | None = None
    unit_found: str | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    estimated: dict[str, float] | None = None  # None: the record carries no estimates
    truth: dict[str, float | None] = field(default_factory=dict)
    parameters: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FootJob:
    index: int
    base: BaseFoot
    base_path: Path
    targets: FootTargets
    seed: int
    artefacts: tuple[str, ...]
    cloud_points: int


# --- Estimated values (lasts.completion) -----------------------------------------------------------------

_ESTIMATE_KEYS = ("estimated", "estimates", "estimated_measurements", "completion")
_VALUE_KEYS = ("value_mm", "value", "mm", "estimate_mm", "estimated_mm")


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        for key in _VALUE_KEYS:
            if isinstance(value.get(key), int | float) and not isinstance(value.get(key), bool):
                return float(value[key])
    return None


def estimated_values(record: dict[str, Any]) -> dict[str, float] | None:
    """The measurements a scan record gives as estimated (mm), by name; None when it carries no estimates
    at all (then they are "not estimated"). Read from ``MeasuredFoot.to_dict()``: a section of estimates
    (names to values, or to records with a value), or measurements flagged ``"estimated": true``."""
    found: dict[str, float] = {}
    carries = False
    for key in _ESTIMATE_KEYS:
        section = record.get(key)
        if isinstance(section, dict):
            carries = True
            for name, value in section.items():
                number = _number(value)
                if number is not None and name in MEASURES:
                    found[name] = number
        elif isinstance(section, list):  # names whose values in the record are estimates
            carries = True
            for name in section:
                number = _number(record.get(name))
                if isinstance(name, str) and number is not None:
                    found[name] = number
    for name in MEASURES:
        value = record.get(name)
        if isinstance(value, dict) and "estimated" in value:
            carries = True
            number = _number(value)
            if value.get("estimated") and number is not None:
                found[name] = number
        if isinstance(record.get(f"{name}_estimated"), bool):
            carries = True
            number = _number(value)
            if record[f"{name}_estimated"] and number is not None:
                found[name] = number
    return found if carries else None


# --- One foot, all its scans -------------------------------------------------------------------------------


def _failure(exc: BaseException) -> tuple[Outcome, str, str]:
    """A typed refusal (an input error, with its code), or a crash (its type and where it was raised)."""
    if isinstance(exc, CspmsError) and exc.expected:
        return "refused", exc.code, exc.message
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return "crashed", f"{type(exc).__name__} ({Path(where.filename).name}:{where.lineno} {where.name})", str(exc)


def measure_scan(variant: ScanVariant, truth: dict[str, float | None], subject: str, base: str) -> ScanOutcome:
    """Ingest one scan blind and compare it with the truth."""
    common: dict[str, Any] = {
        "artefact": variant.artefact, "base": base, "subject": subject, "expect_refusal": variant.expect_refusal,
        "side_expected": variant.side, "unit_expected": variant.unit, "truth": truth,
        "parameters": variant.parameters,
    }  # fmt: skip
    started = time.perf_counter()
    try:
        measured = ingest_scan(variant.data, variant.filename, IngestOptions(known_length_mm=variant.known_length_mm))
    except Exception as exc:  # a refusal or a crash is a result of the benchmark, not a failure of it
        outcome, reason, message = _failure(exc)
        return ScanOutcome(outcome=outcome, reason=reason, message=message[:300],
                           seconds=time.perf_counter() - started, **common)  # fmt: skip
    seconds = time.perf_counter() - started
    return ScanOutcome(
        outcome="measured", seconds=seconds, side_found=str(measured.side), unit_found=str(measured.units.unit),
        values=measured.measurements.values(), estimated=estimated_values(measured.to_dict()), **common,
    )  # fmt: skip


def _scan_seed(seed: int, index: int, artefact: str) -> list[int]:
    """Each scan its own stream: adding an artefact changes no other's scans."""
    return [seed, index, list(ARTEFACTS).index(artefact)]


def run_foot_job(job: FootJob) -> list[ScanOutcome]:
    subject = job.targets.subject
    try:
        foot = generate_foot(job.base_path, job.base, job.targets, job.seed)
        truth = clean_truth(foot.vertices, foot.faces, sole_pressed=job.base in SOLE_PRESSED)
    except Exception as exc:  # the clean foot itself failed: every scan of it is a finding, with its seed
        _, reason, message = _failure(exc)
        return [
            ScanOutcome(artefact=name, base=job.base, subject=subject, outcome="not_generated",
                        expect_refusal=ARTEFACTS[name].expect == "refuse", reason=f"truth: {reason}", message=message)
            for name in job.artefacts
        ]  # fmt: skip
    outcomes = []
    for name in job.artefacts:
        rng = np.random.default_rng(_scan_seed(job.seed, job.index, name))
        try:
            variant = artefact_scan(name, foot, rng, job.cloud_points, truth["foot_length_mm"])
        except Exception as exc:  # the generator could not make this scan: reported, never counted as ingest's
            _, reason, message = _failure(exc)
            outcomes.append(ScanOutcome(artefact=name, base=job.base, subject=subject, outcome="not_generated",
                                        expect_refusal=ARTEFACTS[name].expect == "refuse", reason=reason,
                                        message=message, truth=truth))  # fmt: skip
            continue
        outcomes.append(measure_scan(variant, truth, subject, job.base))
    return outcomes


def foot_jobs(config: BenchConfig) -> list[FootJob]:
    """One job per generated foot: person ``n``'s foot from FIND when ``n`` is even, from dupontgu when odd;
    an artefact that needs FIND (a leg) gets a FIND foot of the same person."""
    people = read_ansur_targets(config.ansur_path)
    rng = np.random.default_rng(config.seed)
    chosen = rng.choice(len(people), size=config.count, replace=False)
    jobs = []
    for n, row in enumerate(chosen):
        base: BaseFoot = BASE_FEET[n % len(BASE_FEET)]
        groups: dict[BaseFoot, list[str]] = {}
        for name in config.artefacts:
            bases = ARTEFACTS[name].bases
            groups.setdefault(base if base in bases else bases[0], []).append(name)
        for foot, names in groups.items():
            jobs.append(FootJob(n, foot, config.foot_files[foot], people[int(row)], int(config.seed * 1000 + n),
                                tuple(names), config.cloud_points))  # fmt: skip
    return jobs


# --- Figures -------------------------------------------------------------------------------------------------


def _p95(values: Sequence[float]) -> float | None:
    return round(float(np.percentile(np.abs(values), 95)), 3) if len(values) else None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _errors(outcomes: Sequence[ScanOutcome], name: str, estimated: bool = False) -> list[float]:
    errors = []
    for o in outcomes:
        truth = o.truth.get(name)
        value = (o.estimated or {}).get(name) if estimated else o.values.get(name)
        if truth is not None and value is not None:
            errors.append(value - truth)
    return errors


def _base_figures(outcomes: Sequence[ScanOutcome]) -> dict[str, float | int | None]:
    """The scans of one base foot: how each ended, and the two headline errors."""
    measured = [o for o in outcomes if o.outcome == "measured"]
    return {
        **Counter(str(o.outcome) for o in outcomes),
        "foot_length_p95_mm": _p95(_errors(measured, "foot_length_mm")),
        "ball_girth_p95_mm": _p95(_errors(measured, "ball_girth_mm")),
    }


def _lost(outcome: ScanOutcome, name: str) -> bool:
    """The foot has the measurement; the scan gave neither it nor an estimate of it."""
    return (
        outcome.truth.get(name) is not None
        and outcome.values.get(name) is None
        and name not in (outcome.estimated or {})
    )


@dataclass(frozen=True)
class ArtefactFigures:
    """One row of the table: every scan with one artefact (or one real file)."""

    artefact: str
    what: str
    expect: str
    scans: int
    measured: int
    refused: dict[str, int]  # by the refusal's code
    crashed: int
    not_generated: int
    as_expected: int  # measured when a foot was to be measured; refused when not
    as_expected_pct: float | None
    side_correct: int
    side_checked: int
    side_correct_pct: float | None
    units_correct: int
    units_checked: int
    foot_length_p95_mm: float | None
    ball_girth_p95_mm: float | None
    abs_error_mm: dict[str, dict[str, float | int]]
    lost: dict[str, int]  # measured scans giving neither a value the truth has nor an estimate of it
    estimated_girth_p95_mm: dict[str, float | None] | str  # "not estimated" when no record carried estimates
    seconds_p50: float | None
    seconds_p95: float | None
    by_base: dict[str, dict[str, float | int | None]]
    crashes: list[str]  # the first few, with where they were raised
    refusal_examples: list[str]


def artefact_figures(name: str, what: str, expect: str, outcomes: Sequence[ScanOutcome]) -> ArtefactFigures:
    measured = [o for o in outcomes if o.outcome == "measured"]
    refused = [o for o in outcomes if o.outcome == "refused"]
    crashed = [o for o in outcomes if o.outcome == "crashed"]
    checked_side = [o for o in measured if o.side_expected is not None]
    checked_units = [o for o in measured if o.unit_expected is not None]
    as_expected = sum((o.outcome == "refused") if o.expect_refusal else (o.outcome == "measured") for o in outcomes)
    carried = [o for o in measured if o.estimated is not None]
    estimated: dict[str, float | None] | str = (
        {g: _p95(_errors(carried, g, estimated=True)) for g in GIRTHS} if carried else "not estimated"
    )
    seconds = [o.seconds for o in outcomes if o.seconds is not None and o.outcome != "crashed"]
    by_base = {
        base: _base_figures([o for o in outcomes if o.base == base]) for base in sorted({o.base for o in outcomes})
    }
    return ArtefactFigures(
        artefact=name,
        what=what,
        expect=expect,
        scans=len(outcomes),
        measured=len(measured),
        refused=dict(Counter(str(o.reason) for o in refused)),
        crashed=len(crashed),
        not_generated=sum(o.outcome == "not_generated" for o in outcomes),
        as_expected=as_expected,
        as_expected_pct=_pct(as_expected, len(outcomes)),
        side_correct=sum(o.side_found == o.side_expected for o in checked_side),
        side_checked=len(checked_side),
        side_correct_pct=_pct(sum(o.side_found == o.side_expected for o in checked_side), len(checked_side)),
        units_correct=sum(o.unit_found == o.unit_expected for o in checked_units),
        units_checked=len(checked_units),
        foot_length_p95_mm=_p95(_errors(measured, "foot_length_mm")),
        ball_girth_p95_mm=_p95(_errors(measured, "ball_girth_mm")),
        abs_error_mm={m: abs_stats(_errors(measured, m)) for m in MEASURES},
        lost={m: sum(_lost(o, m) for o in measured) for m in MEASURES},
        estimated_girth_p95_mm=estimated,
        seconds_p50=round(float(np.percentile(seconds, 50)), 3) if seconds else None,
        seconds_p95=round(float(np.percentile(seconds, 95)), 3) if seconds else None,
        by_base=by_base,
        crashes=[f"{o.reason}: {o.message}" for o in crashed[:3]],
        refusal_examples=sorted({f"{o.reason}: {o.message}" for o in refused})[:2],
    )


def scan_row(outcome: ScanOutcome) -> dict[str, Any]:
    """One scan for the report, short: what happened, and its errors against the truth (mm)."""

    def rounded(values: dict[str, float] | dict[str, float | None] | None) -> dict[str, float]:
        return {
            name: round(value - truth, 2)
            for name, value in (values or {}).items()
            if value is not None and (truth := outcome.truth.get(name)) is not None
        }

    return {
        "artefact": outcome.artefact,
        "base": outcome.base,
        "subject": outcome.subject,
        "outcome": outcome.outcome,
        "reason": outcome.reason,
        "message": None if outcome.outcome == "measured" else outcome.message,
        "side": [outcome.side_expected, outcome.side_found],
        "unit": [outcome.unit_expected, outcome.unit_found],
        "seconds": None if outcome.seconds is None else round(outcome.seconds, 3),
        "error_mm": rounded(outcome.values),
        "estimate_error_mm": rounded(outcome.estimated),
        "parameters": outcome.parameters,
    }


# --- The real files, as they are --------------------------------------------------------------------------------


def measure_real_file(path: Path, base: BaseFoot) -> ScanOutcome:
    """A real file ingested blind, compared with what is known of it: a left foot, measured in its known
    axes (dupontgu's length there agrees with the ~276 mm its README gives)."""
    vertices, faces = real_foot_mesh(path)
    truth = clean_truth(vertices, faces, REAL_FOOT_AXES[base], sole_pressed=base in SOLE_PRESSED)
    variant = ScanVariant(kind="mesh", filename=path.name, data=path.read_bytes(), unit="m", side=str(Side.LEFT),
                          artefact=f"real: {path.name}")  # fmt: skip
    return measure_scan(variant, truth, path.stem, base)


# --- The run ----------------------------------------------------------------------------------------------------


def _worst(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def target_figures(rows: Sequence[ArtefactFigures], outcomes: Sequence[ScanOutcome]) -> dict[str, Any]:
    """Issue 19's targets against the run: each with its value and whether it is met."""
    side_checked = sum(r.side_checked for r in rows)
    side_pct = _pct(sum(r.side_correct for r in rows), side_checked)
    crashed = sum(r.crashed for r in rows)
    low_cut = [o for o in outcomes if o.artefact in ARTEFACTS and ARTEFACTS[o.artefact].low_cut]
    carried = [o for o in low_cut if o.outcome == "measured" and o.estimated is not None]
    estimated_p95: float | str | None = "not estimated"
    if carried:
        estimated_p95 = _worst([_p95(_errors(carried, g, estimated=True)) for g in GIRTHS])
    meshes = [r for r in rows if r.artefact in ARTEFACTS and r.artefact != "cloud" and r.expect == "measure"]
    length_p95 = _worst([r.foot_length_p95_mm for r in meshes])
    seconds_p95 = _worst([r.seconds_p95 for r in rows if r.artefact != "cloud"])

    def met(value: float | str | None, limit: float, below: bool = True) -> bool:
        if not isinstance(value, int | float):
            return False
        return value <= limit if below else value >= limit

    return {
        "side_correct_pct": {"value": side_pct, "target": TARGETS.side_correct_pct,
                             "met": met(side_pct, TARGETS.side_correct_pct, below=False)},
        "crashed": {"value": crashed, "target": TARGETS.crashed, "met": crashed == TARGETS.crashed},
        "estimated_low_cut_girth_p95_mm": {"value": estimated_p95, "target": TARGETS.estimated_low_cut_girth_p95_mm,
                                           "met": met(estimated_p95, TARGETS.estimated_low_cut_girth_p95_mm)},
        "mesh_foot_length_p95_mm": {"value": length_p95, "target": TARGETS.mesh_length_p95_mm,
                                    "met": met(length_p95, TARGETS.mesh_length_p95_mm)},
        "mesh_seconds_p95": {"value": seconds_p95, "target": TARGETS.mesh_seconds_p95,
                             "met": met(seconds_p95, TARGETS.mesh_seconds_p95)},
    }  # fmt: skip


def run_scan_benchmark(config: BenchConfig, progress: Callable[[], None] | None = None) -> dict[str, Any]:
    """The whole benchmark; ``progress`` is called after each generated foot. Returns the JSON report."""
    unknown = [a for a in config.artefacts if a not in ARTEFACTS]
    if unknown:
        raise ValueError(f"unknown artefact(s) {', '.join(unknown)}; known: {', '.join(ARTEFACTS)}")
    started = time.perf_counter()
    jobs = foot_jobs(config)
    outcomes: list[ScanOutcome] = []
    with ProcessPoolExecutor(max_workers=max(1, min(config.workers, os.cpu_count() or 1))) as pool:
        for result in pool.map(run_foot_job, jobs):
            outcomes.extend(result)
            if progress is not None:
                progress()
    real = [measure_real_file(path, base) for base, path in config.foot_files.items()]
    rows = [
        artefact_figures(
            name, ARTEFACTS[name].what, ARTEFACTS[name].expect, [o for o in outcomes if o.artefact == name]
        )
        for name in config.artefacts
    ]
    rows += [artefact_figures(o.artefact, "the real file as it is (a left foot)", "measure", [o]) for o in real]
    return {
        "count": config.count,
        "seed": config.seed,
        "cloud_points": config.cloud_points,
        "feet_generated": {base: sum(j.base == base for j in jobs) for base in BASE_FEET},
        "scans": len(outcomes) + len(real),
        "seconds_total": round(time.perf_counter() - started, 1),
        "targets": target_figures(rows, outcomes + real),
        "artefacts": {row.artefact: asdict(row) for row in rows},
        "real_files": [asdict(o) for o in real],
        "scan_outcomes": [scan_row(o) for o in outcomes],
    }


def run_speed_benchmark(template_path: Path, repeats: int = 15, seed: int = 7) -> dict[str, Any]:
    """Time a ~100k-face mesh and a 200k-point cloud through ingest + measurement (p50 / p95 seconds)."""
    vertices, faces = dense_template_mesh(template_path, 100_000)
    mesh_bytes = mesh_file_bytes(vertices, faces, "stl")
    rng = np.random.default_rng(seed)
    surface = trimesh.Trimesh(vertices, faces, process=False)
    cloud = np.asarray(trimesh.sample.sample_surface(surface, 200_000, seed=seed)[0])
    cloud = cloud + rng.normal(0.0, 0.0005, size=cloud.shape)  # 0.5 mm, the template is in metres
    cloud_bytes = "\n".join(f"{x:.7g} {y:.7g} {z:.7g}" for x, y, z in cloud).encode()

    def timed(data: bytes, name: str) -> list[float]:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            ingest_scan(data, name)
            times.append(time.perf_counter() - started)
        return times

    mesh_times = timed(mesh_bytes, "foot-100k.stl")
    cloud_times = timed(cloud_bytes, "foot-200k.xyz")
    return {
        "mesh_faces": len(faces),
        "mesh_seconds": {
            "p50": float(np.percentile(mesh_times, 50)),
            "p95": float(np.percentile(mesh_times, 95)),
        },
        "cloud_points": 200_000,
        "cloud_seconds": {
            "p50": float(np.percentile(cloud_times, 50)),
            "p95": float(np.percentile(cloud_times, 95)),
        },
        "targets_seconds": {"mesh": 1.0, "cloud": 5.0},
    }
