"""The BOM benchmark on a real flattened pair (the FIND-like last): fast enough, and every leather line agrees
with its pieces."""

from pathlib import Path

import pytest

from benchmarks.bom import run_bom_benchmark
from configurator.options import parse_options
from configurator.pattern_making import PairFlattening, flatten_pair
from configurator.styles.library import STYLES
from lasts.model import build_last
from lasts.pose import pose_last
from manufacturing.materials.catalogue import default_catalogue
from tests.lasts.last_samples import FIND_LIKE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _options(name: str):
    return parse_options((EXAMPLES / f"options-{name}.json").read_bytes())


@pytest.fixture(scope="module")
def derby() -> PairFlattening:
    left = pose_last(build_last(FIND_LIKE.with_values(side="left"), 20_000))
    right = pose_last(build_last(FIND_LIKE.with_values(side="right"), 20_000))
    return flatten_pair(STYLES["derby"](), left, right, "41")


def test_the_benchmark_meets_its_targets(derby: PairFlattening) -> None:
    report = run_bom_benchmark({"derby": (_options("derby"), derby, 41.0)}, repeats=5)
    assert report["meets_targets"], report
    assert default_catalogue().currency == "EUR"
