import numpy as np
import pytest

from harness.errors import ConfigError
from harness.spaces import (
    CategoricalDim,
    FloatDim,
    IntDim,
    parse_space,
    refine,
    to_distributions,
    to_grid,
    to_skopt,
)

SPACE = parse_space({
    "C": {"type": "float", "low": 0.01, "high": 100, "log": True},
    "n": {"type": "int", "low": 10, "high": 200},
    "depth": {"type": "int", "low": 1, "high": 1000, "log": True},
    "kernel": ["rbf", "linear"],
})


def test_grid_has_points_per_numeric_dimension_and_every_choice():
    grid = to_grid(SPACE, points=3)
    assert grid["C"] == pytest.approx([0.01, 1.0, 100.0])
    assert grid["n"] == [10, 105, 200]
    assert grid["depth"] == [1, 32, 1000]
    assert grid["kernel"] == ["rbf", "linear"]
    assert len(to_grid(SPACE, points=5)["C"]) == 5


def test_distributions_draw_inside_bounds():
    dists = to_distributions(SPACE)
    rng = np.random.RandomState(0)
    c = dists["C"].rvs(size=2000, random_state=rng)
    n = dists["n"].rvs(size=2000, random_state=rng)
    depth = dists["depth"].rvs(size=2000, random_state=rng)
    assert c.min() >= 0.01 and c.max() <= 100
    assert n.min() >= 10 and n.max() <= 200
    assert {10, 200} <= set(n.tolist())  # both ends reachable
    assert depth.min() >= 1 and depth.max() <= 1000
    # log-uniform: about half the draws below the geometric midpoint
    assert 0.4 < np.mean(c < 1.0) < 0.6
    assert 0.4 < np.mean(depth < 32) < 0.6
    assert dists["kernel"] == ["rbf", "linear"]


def test_skopt_dimensions_keep_bounds_and_priors():
    dims = to_skopt(SPACE)
    assert (dims["C"].low, dims["C"].high, dims["C"].prior) == (0.01, 100, "log-uniform")
    assert (dims["n"].low, dims["n"].high, dims["n"].prior) == (10, 200, "uniform")
    assert list(dims["kernel"].categories) == ["rbf", "linear"]


def test_refine_narrows_around_point_and_clips_to_bounds():
    fine = refine(SPACE, {"C": 100.0, "n": 100, "depth": 1, "kernel": "linear"}, shrink=0.25)
    assert isinstance(fine["C"], FloatDim) and fine["C"].high == pytest.approx(100.0)
    assert fine["C"].low == pytest.approx(10**1.5)  # a quarter of 4 decades, centred, clipped
    assert fine["n"] == IntDim(76, 124)
    assert fine["depth"].low == 1 and fine["depth"].high < 1000
    assert fine["kernel"] == CategoricalDim(("linear",))


@pytest.mark.parametrize(("spec", "field", "fragment"), [
    ({"C": {"type": "float", "low": "a", "high": 1}}, "space.C.low", "must be a number"),
    ({"C": {"type": "float", "low": 2, "high": 1}}, "space.C", "must not exceed"),
    ({"C": {"type": "float", "low": 0, "high": 1, "log": True}}, "space.C.low", "low > 0"),
    ({"C": {"type": "int", "low": 1.5, "high": 3}}, "space.C.low", "integer"),
    ({"C": {"type": "gaussian"}}, "space.C.type", "valid: int, float, categorical"),
    ({"C": {"type": "categorical", "choices": []}}, "space.C.choices", "non-empty"),
])
def test_bad_dimensions_name_the_field(spec, field, fragment):
    with pytest.raises(ConfigError) as err:
        parse_space(spec, source="my.yaml")
    assert err.value.field == field
    assert fragment in str(err.value) and "my.yaml" in str(err.value)
