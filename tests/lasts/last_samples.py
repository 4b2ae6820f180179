"""A last's parameters near the FIND foot's derby targets (mm), shared by the last tests."""

from lasts.model import LastParameters

FIND_LIKE = LastParameters(
    stick_length_mm=272.8,
    ball_length_mm=189.6,
    ball_girth_mm=247.0,
    ball_width_mm=95.9,
    waist_girth_mm=230.0,
    instep_girth_mm=240.0,
    long_heel_girth_mm=332.0,
    short_heel_girth_mm=324.0,
    heel_width_mm=61.6,
    toe_box_height_mm=38.5,
    side="left",
)
