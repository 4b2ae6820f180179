"""``cspms bench ledger`` on a small ledger: every kind of tampering is tried, and every one is caught."""

import json
from pathlib import Path

from tests.benchmarks.test_cli import cspms


def test_bench_ledger_catches_every_tampering(tmp_path: Path) -> None:
    result = cspms("bench", "ledger", "--pairs", "6", "--events", "12", "--trials", "2", "--json", var_dir=tmp_path,
                   timeout_s=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["detected"] == report["total"] > 40 and report["seals"] >= 2
    for name, modes in report["kinds"].items():
        for mode, tally in modes.items():
            assert tally["detected"] == tally["named"] == tally["total"], (name, mode, tally)
    # The day seal alone (what verification had before) misses consistent rewrites of an unsealed day.
    assert report["kinds"]["consistent_edit"]["day_unsealed"]["detected_by_chain_and_day_checks"] == 0
    assert report["kinds"]["root_rows_rewritten_in_db"]["day_sealed"]["detected_by_chain_and_day_checks"] == 0
