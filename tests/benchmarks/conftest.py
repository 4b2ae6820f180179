# The FIND foot, measured once (the cohorts deform it).
from tests.lasts.conftest import find_foot  # noqa: F401
