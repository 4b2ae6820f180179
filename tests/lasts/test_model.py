import numpy as np
import pytest
import trimesh

from lasts.errors import LastError
from lasts.fitting import measure_last
from lasts.model import (
    PARAMETER_RANGES,
    LastParameterError,
    LastParameters,
    LastShape,
    LastShapeError,
    ToeShape,
    build_last,
    check_parameters,
)
from tests.lasts.last_samples import FIND_LIKE


def as_trimesh(vertices: np.ndarray, faces: np.ndarray) -> trimesh.Trimesh:
    return trimesh.Trimesh(vertices, faces, process=False)


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_built_last_is_a_closed_outward_surface_of_the_asked_size(side: str) -> None:
    last = build_last(FIND_LIKE.with_values(side=side), face_count=50_000)
    mesh = as_trimesh(last.vertices, last.faces)
    assert mesh.is_watertight
    assert mesh.is_winding_consistent
    assert mesh.volume > 0  # outward normals: a printer and a CAM program read it as solid
    assert abs(len(last.faces) - 50_000) < 1_000
    assert last.vertices[:, 0].min() == pytest.approx(0.0, abs=1e-6)
    assert last.vertices[:, 0].max() == pytest.approx(FIND_LIKE.stick_length_mm, abs=1e-6)
    assert last.vertices[:, 2].min() == pytest.approx(0.0, abs=1e-6)


def test_left_and_right_lasts_mirror_each_other() -> None:
    left = build_last(FIND_LIKE.with_values(side="left"), 8_000)
    right = build_last(FIND_LIKE.with_values(side="right"), 8_000)
    np.testing.assert_allclose(left.vertices * [1, -1, 1], right.vertices, atol=1e-9)
    # The medial side is +y on a right last: the ball's medial point (MTP1) sits there.
    assert right.landmarks.mtp1[1] > 0 > left.landmarks.mtp1[1]


def test_the_last_is_measured_with_the_foot_definitions_and_grows_with_its_girth() -> None:
    small = measure_last(build_last(FIND_LIKE, 12_000)).values()
    big = measure_last(build_last(FIND_LIKE.with_values(ball_girth_mm=257.0), 12_000)).values()
    assert small["foot_length_mm"] == pytest.approx(FIND_LIKE.stick_length_mm, abs=0.5)
    assert small["ball_width_mm"] == pytest.approx(FIND_LIKE.ball_width_mm, abs=0.5)
    assert 6.0 < big["ball_girth_mm"] - small["ball_girth_mm"] < 14.0
    assert big["instep_girth_mm"] == pytest.approx(small["instep_girth_mm"], abs=2.0)


@pytest.mark.parametrize("shape", list(ToeShape))
def test_every_toe_shape_builds(shape: ToeShape) -> None:
    last = build_last(FIND_LIKE.with_values(toe_shape=shape), 8_000)
    assert as_trimesh(last.vertices, last.faces).is_watertight


def test_a_pointed_toe_is_narrower_at_the_tip_than_a_square_one() -> None:
    def width_near_tip(shape: ToeShape) -> float:
        v = build_last(FIND_LIKE.with_values(toe_shape=shape), 12_000).vertices
        near = v[np.abs(v[:, 0] - 0.95 * FIND_LIKE.stick_length_mm) < 2.0]
        return float(np.ptp(near[:, 1]))

    assert width_near_tip(ToeShape.POINTED) < width_near_tip(ToeShape.SQUARE) - 5.0


def test_parameters_round_trip_through_a_dict() -> None:
    data = FIND_LIKE.with_values(toe_shape=ToeShape.ALMOND).to_dict()
    assert data["toe_shape"] == "almond"
    assert LastParameters.from_dict(data) == FIND_LIKE.with_values(toe_shape=ToeShape.ALMOND)


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({"ball_girth_mm": 180.0}, ["ball girth 180.0", "ball width 95.9"]),
        ({"heel_height_mm": -5.0}, ["heel height -5.0"]),
        ({"heel_height_mm": 150.0}, ["heel height 150.0"]),
        ({"stick_length_mm": 60.0}, ["stick length 60.0"]),
        ({"heel_width_mm": 20.0}, ["heel width 20.0", "ball width 95.9"]),
        ({"waist_girth_mm": float("nan")}, ["waist_girth_mm is nan"]),
    ],
)
def test_impossible_parameters_are_refused_naming_the_numbers(changes: dict, names: list[str]) -> None:
    with pytest.raises(LastError) as caught:
        build_last(FIND_LIKE.with_values(**changes), 8_000)
    for name in names:
        assert name in str(caught.value)


def test_unknown_or_missing_parameters_are_named() -> None:
    with pytest.raises(LastError, match=r"unknown last parameter.*colour"):
        LastParameters.from_dict({**FIND_LIKE.to_dict(), "colour": "red"})
    data = FIND_LIKE.to_dict()
    del data["ball_girth_mm"]
    with pytest.raises(LastError, match="ball_girth_mm"):
        LastParameters.from_dict(data)


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 10**400, True, "240", [240]]
)
@pytest.mark.parametrize("name", ["ball_girth_mm", "cone_height_mm", "back_lean_mm", "bottom_width_ratio"])
def test_a_parameter_that_is_no_number_in_its_range_is_refused_as_it_is_read(name: str, value: object) -> None:
    with pytest.raises(LastParameterError) as caught:
        LastParameters.from_dict({**FIND_LIKE.to_dict(), name: value})
    assert caught.value.code == "invalid_last_parameter" and caught.value.http_status == 422
    assert caught.value.details["field"] == name
    assert str(caught.value).startswith(f"{name} is ") and PARAMETER_RANGES[name].words in str(caught.value)
    assert len(str(caught.value)) < 200  # a huge number is not written out whole


def test_a_parameter_past_its_range_is_refused_before_a_last_is_built() -> None:
    with pytest.raises(LastParameterError, match="waist_girth_mm is 1e\\+308: a finite number more than 0 and less "
                       "than 1000 mm is needed"):  # fmt: skip
        check_parameters(FIND_LIKE.with_values(waist_girth_mm=1e308))
    assert PARAMETER_RANGES["bottom_width_ratio"].words == "a finite number more than 0 and at most 1"
    check_parameters(FIND_LIKE.with_values(inflare_mm=-3.0, back_lean_mm=None))  # in range, and they go together


def _bump(rows: int = 16, columns: int = 24, height_mm: float = 3.0) -> LastShape:
    """A smooth bump on the top of the last, over the instep (a shape field in the right last's frame)."""
    along = np.linspace(0.0, 1.0, rows)[:, None]
    around = (np.arange(columns) / columns)[None, :]
    field = np.zeros((rows, columns, 3))
    field[..., 2] = height_mm * np.exp(-(((along - 0.45) / 0.1) ** 2) - ((around - 0.5) / 0.08) ** 2)
    return LastShape(field)


def test_a_shape_moves_the_surface_and_its_landmarks_on_both_sides() -> None:
    shaped = FIND_LIKE.with_values(shape=_bump())
    plain, bumped = build_last(FIND_LIKE, 20_000), build_last(shaped, 20_000)
    lift = bumped.vertices[:, 2] - plain.vertices[:, 2]
    assert lift.max() == pytest.approx(3.0, abs=0.2) and lift.min() > -0.3
    assert np.array_equal(bumped.faces, plain.faces)  # the same mesh, moved: still closed
    assert as_trimesh(bumped.vertices, bumped.faces).is_watertight
    assert bumped.landmarks.instep[2] > plain.landmarks.instep[2] + 1.0  # the instep point rode the bump
    right = build_last(shaped.with_values(side="right"), 20_000)
    assert np.allclose(right.vertices, bumped.vertices * np.array([1.0, -1.0, 1.0]))


def test_a_shape_travels_as_text_and_comes_back_the_same() -> None:
    shaped = FIND_LIKE.with_values(shape=_bump())
    data = shaped.to_dict()
    assert data["shape"].startswith("shape-v1:16:24:")
    assert LastParameters.from_dict(data) == shaped
    assert "shape" not in FIND_LIKE.to_dict()  # a parametric last's file is as it was
    assert LastParameters.from_dict(FIND_LIKE.to_dict()).shape is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("shape-v1:16:24:AAAA", "is not a shape field"),
        ("shape-v2:4:8:" + "A" * 256, "is not a shape field"),
        (12.5, "the text a shaped last"),
        ("shape-v1:2:8:AAAA", "is not a shape field"),
    ],
)
def test_a_shape_that_is_not_one_is_refused_by_name(text: object, words: str) -> None:
    data = FIND_LIKE.to_dict() | {"shape": text}
    with pytest.raises(LastShapeError, match=words) as caught:
        LastParameters.from_dict(data)
    assert caught.value.details["field"] == "shape"


def test_a_shape_moving_the_surface_too_far_or_not_at_all_finite_is_refused() -> None:
    field = np.zeros((8, 8, 3))
    with pytest.raises(LastShapeError, match="at most 60 mm"):
        LastShape(field + 61.0)
    field[3, 3, 1] = np.nan
    with pytest.raises(LastShapeError, match="not finite"):
        LastShape(field)
    with pytest.raises(LastShapeError, match="grid"):
        LastShape(np.zeros((8, 8, 2)))
